"""Days past due and buckets (domain/delinquency.py), the daily sweep (steps/delinquency.py)
and the roll/cure metrics counted once by the publisher."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from arrears.adapters.cases import Repositories
from arrears.adapters.delinquency_index import MemoryDelinquencyIndex
from arrears.domain import delinquency
from arrears.domain.case import CaseRecord
from arrears.domain.delinquency import CURRENT, DelinquencyPolicy, standing
from arrears.domain.policy import load_policy
from arrears.domain.types import CaseStatus
from arrears.domain.validation import validate
from arrears.steps.delinquency import sweep
from arrears.steps.unit_of_work import UnitOfWork
from pydantic import ValidationError

from tests.support.cases import a_case as shared_case

DUE = date(2026, 11, 1)
POLICY = DelinquencyPolicy()


def a_case(**changes: Any) -> CaseRecord:
    return replace(shared_case(due_date=DUE, policy_version=load_policy().version), **changes)


@pytest.mark.parametrize(
    ("dpd", "bucket", "next_in"),
    [
        (0, CURRENT, 1),
        (1, "1-30", 31),
        (30, "1-30", 31),
        (31, "31-60", 61),
        (90, "61-90", 91),
        (91, "91-180", 181),
        (180, "91-180", 181),
        (181, "180+", None),
        (900, "180+", None),
    ],
)
def test_the_default_buckets_and_when_they_change(dpd: int, bucket: str, next_in: int) -> None:
    now = standing(a_case(), DUE + timedelta(days=dpd), POLICY)
    assert (now.days_past_due, now.bucket) == (dpd, bucket)
    assert now.next_change == (DUE + timedelta(days=next_in) if next_in else None)


def test_a_paid_case_is_current_and_a_written_off_one_keeps_its_bucket() -> None:
    late = DUE + timedelta(days=70)
    assert standing(a_case(status=CaseStatus.PAID), late, POLICY).bucket == CURRENT
    written_off = a_case(status=CaseStatus.WRITTEN_OFF, dpd_bucket="31-60")
    assert standing(written_off, late, POLICY) == delinquency.Standing(70, "31-60", None)


def test_roll_and_cure() -> None:
    assert delinquency.direction("1-30", "31-60", POLICY) == "roll"
    assert delinquency.direction(None, "1-30", POLICY) == "roll"
    assert delinquency.direction("61-90", CURRENT, POLICY) == "cure"
    assert delinquency.direction("61-90", "1-30", POLICY) == "cure"


@pytest.mark.parametrize(
    "buckets",
    [
        [{"label": "a", "from_days": 2}],  # does not start at day 1
        [{"label": "a", "from_days": 1, "to_days": 10}],  # last one has an end
        [{"label": "a", "from_days": 1}, {"label": "b", "from_days": 2}],  # open in the middle
        [{"label": "a", "from_days": 1, "to_days": 10}, {"label": "b", "from_days": 12}],  # gap
    ],
)
def test_a_policy_refuses_buckets_with_gaps_or_ends(buckets: list[dict[str, Any]]) -> None:
    with pytest.raises(ValidationError):
        validate(DelinquencyPolicy, {"buckets": buckets})


def test_a_policy_can_define_its_own_buckets() -> None:
    policy = validate(
        DelinquencyPolicy,
        {
            "buckets": [
                {"label": "early", "from_days": 1, "to_days": 14},
                {"label": "late", "from_days": 15},
            ]
        },
    )
    assert standing(a_case(), DUE + timedelta(days=15), policy).bucket == "late"


class Deps:
    """A UnitOfWork on the in-memory store (the sweep touches no ledger or messenger)."""

    @staticmethod
    def make(repos: Repositories) -> UnitOfWork:
        return UnitOfWork(repos=repos, ledger=None, messenger=None, letters=None)  # type: ignore[arg-type]


def test_the_sweep_moves_only_due_cases_once_with_history_and_event() -> None:
    repos = Repositories.in_memory()
    deps = Deps.make(repos)
    opened = delinquency.with_standing(a_case(), DUE + timedelta(days=1), POLICY)
    other = delinquency.with_standing(
        a_case(case_id="acc-43#1", account_id="acc-43", due_date=DUE + timedelta(days=20)),
        DUE + timedelta(days=21),
        POLICY,
    )
    repos.cases.create(opened)
    repos.cases.create(other)
    index = MemoryDelinquencyIndex(repos.ingest)
    day31 = datetime.combine(DUE + timedelta(days=31), datetime.min.time(), UTC)
    # when the sweep runs on day 31 (twice: a re-run changes nothing)
    assert sweep(deps, index, day31) == {"bucket_changed": 1}
    assert sweep(deps, index, day31) == {}
    # then the due case rolled, with its history line and its outbound event; the other
    # (due 20 days later) is untouched
    moved = repos.cases.get("acc-42#1")
    assert moved is not None and moved.dpd_bucket == "31-60"
    # next look: the policy's credit line reduction at day 45, before the next bucket
    assert moved.dpd_next_at == (DUE + timedelta(days=45)).isoformat()
    (line,) = [e for e in repos.timeline.list("acc-42#1") if e.kind.startswith("delinquency")]
    assert line.detail == {
        "from_bucket": "1-30",
        "to_bucket": "31-60",
        "days_past_due": 31,
        "direction": "roll",
    }
    events = [e for (case_id, _), e in repos.ingest.outbox_items.items() if case_id == "acc-42#1"]  # type: ignore[attr-defined]
    assert [(e.type, e.detail["reason"]) for e in events] == [
        ("DelinquencyBucketChanged", "roll"),
        # the freeze due since day 15 is requested with it (the case was not swept then)
        ("CreditLineActionRequested", "days_past_due_reached"),
    ]
    assert events[0].detail["to_bucket"] == "31-60"
    assert events[1].detail["action"] == "freeze" and events[1].detail["days_past_due"] == 31
    assert repos.cases.get("acc-43#1").dpd_bucket == "1-30"  # type: ignore[union-attr]


def test_a_closed_case_leaves_the_index_without_an_event() -> None:
    repos = Repositories.in_memory()
    case = delinquency.with_standing(a_case(), DUE + timedelta(days=1), POLICY)
    repos.cases.create(replace(case, status=CaseStatus.WRITTEN_OFF))
    day31 = datetime.combine(DUE + timedelta(days=31), datetime.min.time(), UTC)
    counts = sweep(Deps.make(repos), MemoryDelinquencyIndex(repos.ingest), day31)
    assert counts == {"rescheduled": 1}
    assert repos.cases.get("acc-42#1").dpd_shard is None  # type: ignore[union-attr]
    assert not repos.ingest.outbox_items  # type: ignore[attr-defined]


def test_rolls_and_cures_are_counted_once_per_fact(capsys: pytest.CaptureFixture[str]) -> None:
    from arrears.adapters.outbound_events import MemoryBus, MemoryOutbox
    from arrears.domain import outbound
    from arrears.steps.publish import StreamRecord, publish_batch

    before = a_case(dpd_bucket="31-60")
    after = a_case(dpd_bucket=CURRENT, status=CaseStatus.PAID, closed_at=datetime.now(UTC))
    facts = outbound.derive(
        before,
        after,
        [
            delinquency.change_entry(before, after, datetime.now(UTC), POLICY)  # type: ignore[list-item]
        ],
    )
    events = outbound.number(after, facts, 1, datetime.now(UTC))
    outbox = MemoryOutbox(items={(e.case_id, e.sequence): e for e in events})
    records = [StreamRecord(str(e.sequence), e) for e in events]
    publish_batch(records, outbox, MemoryBus(), lambda: datetime.now(UTC))
    publish_batch(records, outbox, MemoryBus(), lambda: datetime.now(UTC))  # redelivered
    lines = capsys.readouterr().out.splitlines()
    cures = [line for line in lines if '"Name":"DelinquencyCures"' in line]
    assert len(cures) == 1 and '"bucket":"31-60"' in cures[0]
    assert not [line for line in lines if '"Name":"DelinquencyRolls"' in line]
