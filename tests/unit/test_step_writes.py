"""One write per escalation step: ``commit_step``, ``get_with_borrower`` and ``UnitOfWork.writing``.

The repository tests run on moto and on the in-memory fake, which must agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from arrears.adapters.cases import Repositories, StepWrite
from arrears.domain.case import BorrowerRecord, CaseRecord, TimelineEntry
from arrears.domain.errors import CaseClosed, CaseNotFound, ConcurrentUpdate
from arrears.domain.types import CaseStatus, Stage
from arrears.steps.unit_of_work import (
    UnitOfWork,
)

from tests.support.aws import repositories

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
CASE_ID = "acc-1#1"


@pytest.fixture(params=["dynamo", "memory"])
def repos(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Repositories]:
    with repositories(request.param, monkeypatch) as chosen:
        yield chosen


def open_case(repos: Repositories, **overrides: object) -> CaseRecord:
    case = CaseRecord(
        case_id=CASE_ID,
        account_id="acc-1",
        cycle=1,
        status=CaseStatus.OPEN,
        stage=Stage.REMINDER,
        balance=Decimal("800.00"),
        currency="CNY",
        opened_at=T0,
    )
    case = replace(case, **overrides)  # type: ignore[arg-type]
    repos.cases.create(case)
    return case


def line(kind: str, minutes: int = 0) -> TimelineEntry:
    return TimelineEntry(
        case_id=CASE_ID, at=T0 + timedelta(minutes=minutes), kind=kind, actor="test", detail={}
    )


def kinds(repos: Repositories) -> list[str]:
    return [e.kind for e in repos.timeline.list(CASE_ID)]


# ----------------------------------------------------------------------- commit_step


def test_a_step_write_changes_the_case_and_writes_its_audit_lines_together(repos):
    # given an open case at version 0
    open_case(repos)
    # when a step sets its stage, claims an action and explains both
    write = StepWrite(
        CASE_ID,
        fields={"stage": Stage.FOLLOW_UP, "queue": None},
        done_action="follow_up#sms",
        timeline=(line("contact_sent"), line("stage_entered", 1)),
    )
    assert repos.cases.commit_step(write) is True
    # then all of it is stored
    stored = repos.cases.get(CASE_ID)
    assert stored is not None
    assert (stored.stage, stored.version) == (Stage.FOLLOW_UP, 1)
    assert stored.done_actions == frozenset({"follow_up#sms"})
    assert kinds(repos) == ["contact_sent", "stage_entered"]


def test_a_done_action_already_done_writes_nothing_and_says_so(repos):
    # given a case whose follow-up SMS was done by an earlier attempt of the step
    open_case(repos, done_actions=frozenset({"follow_up#sms"}))
    # when the retried step commits the same action with a change and an audit line
    write = StepWrite(
        CASE_ID,
        fields={"stage": Stage.AGENT_CALL},
        done_action="follow_up#sms",
        timeline=(line("legal_review_overdue"),),
    )
    # then nothing of it is written
    assert repos.cases.commit_step(write) is False
    stored = repos.cases.get(CASE_ID)
    assert stored is not None and (stored.stage, stored.version) == (Stage.REMINDER, 0)
    assert kinds(repos) == []


def test_fields_on_a_closed_case_are_refused_with_their_audit_lines(repos):
    # given a case that ingest closed as paid meanwhile
    open_case(repos, status=CaseStatus.PAID, stage=Stage.CLOSED)
    # when a step tries to move its stage
    write = StepWrite(CASE_ID, fields={"stage": Stage.FOLLOW_UP}, timeline=(line("x"),))
    # then the write is refused as a lost race and leaves no audit line behind
    with pytest.raises(ConcurrentUpdate):
        repos.cases.commit_step(write)
    assert kinds(repos) == []


def test_a_done_action_alone_does_not_need_an_open_case(repos):
    # given a closed case (mark_action_done never asked for an open one)
    open_case(repos, status=CaseStatus.CLOSED, stage=Stage.CLOSED)
    # when a done action is committed without fields
    assert repos.cases.commit_step(StepWrite(CASE_ID, done_action="receipt#sms")) is True
    # then it is recorded like mark_action_done would
    assert repos.cases.get(CASE_ID).done_actions == frozenset({"receipt#sms"})  # type: ignore[union-attr]


def test_audit_lines_alone_are_written_for_a_closed_case_too(repos):
    open_case(repos, status=CaseStatus.CLOSED, stage=Stage.CLOSED)
    write = StepWrite(CASE_ID, timeline=(line("wake_handled"), line("case_closed", 1)))
    assert repos.cases.commit_step(write) is True
    assert kinds(repos) == ["wake_handled", "case_closed"]


def test_a_step_write_for_an_unknown_case_fails_loudly(repos):
    with pytest.raises(CaseNotFound):
        repos.cases.commit_step(StepWrite("acc-404#1", fields={"stage": Stage.FOLLOW_UP}))


# ----------------------------------------------------------------------- get_with_borrower


def test_the_case_and_its_borrower_come_back_from_one_read(repos):
    # given a case and its borrower's profile
    case = open_case(repos)
    repos.borrowers.save_profile(BorrowerRecord(account_id="acc-1", timezone="Asia/Shanghai"))
    # when both are loaded together
    loaded, borrower = repos.cases.get_with_borrower(CASE_ID)
    # then they are the stored records
    assert loaded == case
    assert borrower is not None and borrower.timezone == "Asia/Shanghai"


def test_a_missing_borrower_or_case_comes_back_as_none(repos):
    open_case(repos)
    assert repos.cases.get_with_borrower(CASE_ID)[1] is None
    assert repos.cases.get_with_borrower("acc-404#1") == (None, None)


# ----------------------------------------------------------------------- UnitOfWork.writing


def _deps(repos: Repositories) -> UnitOfWork:
    return UnitOfWork(repos=repos, ledger=None, messenger=None, letters=None, clock=lambda: T0)  # type: ignore[arg-type]


def test_a_step_gathers_its_writes_and_makes_them_once_on_leaving():
    # given an open case
    repos = Repositories.in_memory()
    case = open_case(repos)
    repos.borrowers.save_profile(BorrowerRecord(account_id="acc-1", timezone="Europe/Paris"))
    deps, loaded = _deps(repos).load_case_and_borrower(CASE_ID)
    # when a step changes it and audits the change
    with deps.writing(loaded) as step:
        changed = step.set_case(CASE_ID, stage=Stage.FOLLOW_UP)
        step.record(CASE_ID, "stage_entered", {"stage": Stage.FOLLOW_UP})
        assert step.mark_done(CASE_ID, "follow_up#sms") is True
        # then nothing is written before the step ends, and the step sees its own change
        assert repos.cases.get(CASE_ID) == case and kinds(repos) == []
        assert changed.stage is Stage.FOLLOW_UP
        # and the borrower loaded with the case is not read again
        repos.borrowers.save_profile(BorrowerRecord(account_id="acc-1", timezone="UTC"))
        assert step.load_borrower(loaded).timezone == "Europe/Paris"
    stored = repos.cases.get(CASE_ID)
    assert stored is not None and stored.stage is Stage.FOLLOW_UP
    assert stored.done_actions == frozenset({"follow_up#sms"})
    assert kinds(repos) == ["stage_entered"]


def test_a_failing_step_still_writes_what_it_gathered_and_raises_its_own_error():
    # given a step that audited a decision, then meets a closed case
    repos = Repositories.in_memory()
    case = open_case(repos)
    with pytest.raises(CaseClosed), _deps(repos).writing(case) as step:
        step.record(CASE_ID, "contact_blocked", {"reason": "channel_opted_out"})
        raise CaseClosed(CASE_ID)
    # then the audit line is there (as when each line was its own write) and the state
    # machine still sees CaseClosed, the error it catches by name
    assert kinds(repos) == ["contact_blocked"]


# ----------------------------------------------------------------------- a contact step


class TaggingMessenger:
    """Records the delivery tags each message carried (no PII)."""

    def __init__(self) -> None:
        self.tags: list[tuple[str, dict[str, str] | None]] = []

    def send_sms(self, phone: str, body: str, tags: dict[str, str] | None = None) -> str:
        self.tags.append(("sms", tags))
        return "m-sms"

    def send_email(
        self, to: str, subject: str, body: str, tags: dict[str, str] | None = None
    ) -> str:
        self.tags.append(("email", tags))
        return "m-email"


def test_a_reminder_step_writes_its_stage_and_audit_once_and_tags_every_message():
    from arrears.steps.contact import act_on_stage, deliver_message
    from step_support import ACCOUNT_ID, make_deps
    from step_support import CASE_ID as STEP_CASE

    # given an open case at the assess stage and a messenger that records delivery tags
    deps = replace(make_deps(stage=Stage.ASSESS), messenger=TaggingMessenger())
    # when the reminder stage acts on its channels
    out = act_on_stage(deps, STEP_CASE, Stage.REMINDER, deliver_message)
    # then every message carries the account and case, so a delivery report (an SES bounce,
    # an SNS SMS status that names only the message id) finds its borrower
    assert out["outcome"] == "sent"
    sent = deps.messenger.tags  # type: ignore[attr-defined]
    assert {channel for channel, _ in sent} == {"sms", "email"}
    assert all(tags == {"account_id": ACCOUNT_ID, "case_id": STEP_CASE} for _, tags in sent)
    # and the stage moved with its audit line and one line per message
    stored = deps.repos.cases.get(STEP_CASE)
    assert stored is not None and stored.stage is Stage.REMINDER
    lines = [e.kind for e in deps.repos.timeline.list(STEP_CASE)]
    assert sorted(lines) == ["contact_sent", "contact_sent", "stage_entered"]


def test_messages_sent_stay_audited_when_the_case_closes_during_the_step():
    from arrears.steps.contact import act_on_stage, deliver_message
    from step_support import CASE_ID as STEP_CASE
    from step_support import make_deps

    # given a reminder step whose borrower pays (ingest closes the case) while it sends
    deps = make_deps(stage=Stage.ASSESS)

    class PaidWhileSending(TaggingMessenger):
        def send_email(self, to, subject, body, tags=None):
            deps.repos.cases.update_fields(STEP_CASE, {"status": CaseStatus.PAID})
            return super().send_email(to, subject, body, tags)

    deps = replace(deps, messenger=PaidWhileSending())
    # when the step ends, its stage change is refused as a lost race (the state machine
    # retries the step, which then finds the case paid)
    with pytest.raises(ConcurrentUpdate):
        act_on_stage(deps, STEP_CASE, Stage.REMINDER, deliver_message)
    # then both messages that went out are on the timeline, and no stage was entered
    lines = [e.kind for e in deps.repos.timeline.list(STEP_CASE)]
    assert lines == ["contact_sent", "contact_sent"]
    assert deps.repos.cases.get(STEP_CASE).stage is Stage.ASSESS  # type: ignore[union-attr]
