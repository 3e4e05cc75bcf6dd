"""Credit line actions (domain/credit_line.py) and the wallet's acknowledgements at ingest."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from arrears.adapters.cases import Repositories
from arrears.domain.case import CaseRecord
from arrears.domain.credit_line import FROZEN, REDUCED, RESTORED, CreditLinePolicy, target
from arrears.domain.types import CaseStatus
from arrears.domain.validation import validate
from arrears.steps.ingest import Ingestor

from tests.support.cases import a_case as shared_case

POLICY = CreditLinePolicy()


def a_case(**changes: Any) -> CaseRecord:
    return replace(shared_case(segment="standard"), **changes)


@pytest.mark.parametrize(
    ("dpd", "before", "expected"),
    [
        (14, None, None),
        (15, None, FROZEN),
        (44, FROZEN, FROZEN),
        (45, FROZEN, REDUCED),
        (60, None, REDUCED),  # a case first seen late goes straight to the latest rule
    ],
)
def test_freeze_then_reduce_by_days_past_due(dpd: int, before: str, expected: str) -> None:
    assert target(a_case(credit_line=before), dpd, POLICY) == expected


def test_a_cure_restores_only_a_line_that_had_an_action() -> None:
    assert target(a_case(status=CaseStatus.PAID, credit_line=REDUCED), 50, POLICY) == RESTORED
    assert target(a_case(status=CaseStatus.PAID), 50, POLICY) is None
    # litigation is no cure: the line stays as it was
    assert target(a_case(status=CaseStatus.LITIGATION, credit_line=FROZEN), 90, POLICY) == FROZEN


def test_rules_can_be_limited_to_segments() -> None:
    policy = validate(
        CreditLinePolicy, {"rules": [{"action": "freeze", "at_dpd": 5, "segments": ["high_risk"]}]}
    )
    assert target(a_case(segment="high_risk"), 5, policy) == FROZEN
    assert target(a_case(segment="self_cure"), 30, policy) is None
    assert policy.thresholds() == (5,)


class DLQ:
    configured = True

    def __init__(self) -> None:
        self.rejected: list[tuple[str, str, str]] = []

    def reject(self, body: str, reason: str, detail: str) -> None:
        self.rejected.append((body, reason, detail))


def _ingestor(requests: list[tuple[int, str]]) -> tuple[Ingestor, Repositories, DLQ]:
    repos = Repositories.in_memory()
    repos.cases.create(a_case())
    dlq = DLQ()
    ingestor = Ingestor(
        repos=repos,
        workflow=lambda: None,  # type: ignore[arg-type,return-value]
        dead_letters=dlq,
        clock=lambda: datetime(2026, 12, 1, tzinfo=UTC),
        resolve_below=lambda case: None,
        credit_requests=lambda case_id: requests,
    )
    return ingestor, repos, dlq


def _body(**detail: Any) -> str:
    ack = {
        "event_id": "ack-1",
        "case_id": "acc-42#1",
        "sequence": 7,
        "action": "reduce",
        "result": "applied",
        "occurred_at": "2026-12-01T02:00:00Z",
        **detail,
    }
    return json.dumps(
        {"source": "wallet.credit", "detail-type": "CreditLineActionAcknowledged", "detail": ack}
    )


def test_an_acknowledgement_of_the_latest_request_lands_on_the_timeline() -> None:
    ingestor, repos, dlq = _ingestor([(4, "freeze"), (7, "reduce")])
    assert ingestor.handle_record(_body())["outcome"] == "acknowledged"
    (line,) = [e for e in repos.timeline.list("acc-42#1") if e.kind == "credit_line_acknowledged"]
    assert line.detail["sequence"] == 7 and line.detail["result"] == "applied"
    assert dlq.rejected == []


@pytest.mark.parametrize(
    ("detail", "reason"),
    [
        ({"case_id": "acc-99#1"}, "unknown_case"),
        ({"sequence": 4, "action": "freeze"}, "stale_sequence"),
        ({"sequence": 5}, "unknown_request"),
        ({"action": "freeze"}, "action_mismatch"),
        ({"sequence": "7"}, "schema_validation"),
        ({"case_id": "acc-42"}, "schema_validation"),
    ],
)
def test_a_bad_acknowledgement_is_kept_with_its_reason(detail: dict[str, Any], reason: str) -> None:
    ingestor, repos, dlq = _ingestor([(4, "freeze"), (7, "reduce")])
    body = _body(**detail)
    assert ingestor.handle_record(body) == {"outcome": "rejected", "reason": reason}
    assert dlq.rejected[0][:2] == (body, reason)
    assert not [e for e in repos.timeline.list("acc-42#1") if e.kind == "credit_line_acknowledged"]
