"""Ops actions: parsing the console input, the rules per action, and the DynamoDB write."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from arrears.domain.case import CaseRecord
from arrears.domain.errors import CaseClosed, CaseNotFound, ConcurrentUpdate
from arrears.domain.ops import (
    ACTION_NAMES,
    AddNote,
    CaseAlreadyPaused,
    CaseNotDisputed,
    CaseNotInLegalReview,
    CaseNotPaused,
    InvalidOpsAction,
    OpsFacts,
    parse_action,
    plan_action,
)
from arrears.domain.types import CaseStatus, Channel, Stage
from moto import mock_aws

from tests.support.cases import a_case as shared_case

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "ops.md"


def a_case(**changes: Any) -> CaseRecord:
    return replace(
        shared_case(
            stage=Stage.AGENT_CALL,
            opened_at=NOW - timedelta(days=18),
            due_date=None,
            task_token="token-1",
            waiting_for="agent_outcome",
            queue="AGENT_CALL",
            queue_due_at=NOW,
        ),
        **changes,
    )


def action(name: str, **fields: Any) -> dict[str, Any]:
    return {"action": name, "case_id": "acc-42#1", "operator": "li.wei", **fields}


def refusal(raw: dict[str, Any], case: CaseRecord | None, facts: OpsFacts | None = None) -> str:
    """Plan the action and return the refusal's message (fails the test if it is allowed)."""
    with pytest.raises(Exception) as caught:
        plan_action(parse_action(raw), case, NOW, facts)
    return str(caught.value)


# ---- parsing the console input -------------------------------------------------------


class TestParse:
    def test_unknown_action_names_the_valid_ones(self) -> None:
        # given a typo in the action name
        # when it is parsed
        with pytest.raises(InvalidOpsAction) as caught:
            parse_action(action("aprove_litigation"))
        # then the message names the typo and every valid action
        assert "unknown action 'aprove_litigation'" in str(caught.value)
        for name in ACTION_NAMES:
            assert name in str(caught.value)

    def test_missing_action(self) -> None:
        with pytest.raises(InvalidOpsAction, match="missing 'action'"):
            parse_action({"case_id": "acc-42#1", "operator": "li.wei"})

    def test_not_an_object(self) -> None:
        with pytest.raises(InvalidOpsAction, match="JSON object"):
            parse_action(["approve_litigation"])

    def test_missing_fields_are_each_named(self) -> None:
        with pytest.raises(InvalidOpsAction) as caught:
            parse_action(action("approve_litigation"))
        message = str(caught.value)
        assert message.startswith("approve_litigation:")
        assert "missing field 'approver'" in message
        assert "missing field 'reason'" in message

    def test_missing_operator_is_refused(self) -> None:
        raw = action("add_note", note="called back")
        del raw["operator"]
        with pytest.raises(InvalidOpsAction, match="missing field 'operator'"):
            parse_action(raw)

    def test_a_misspelt_field_is_an_error_not_ignored(self) -> None:
        raw = action("pause", until="2026-12-01T00:00:00Z", reson="travel")
        with pytest.raises(InvalidOpsAction, match="unexpected field 'reson'"):
            parse_action(raw)

    def test_case_id_must_carry_the_cycle(self) -> None:
        with pytest.raises(InvalidOpsAction, match="<account_id>#<cycle>"):
            parse_action({**action("add_note", note="x"), "case_id": "acc-42"})

    def test_money_as_a_json_number_with_decimals_is_refused(self) -> None:
        raw = action(
            "record_call_outcome",
            outcome="promise_to_pay",
            promise_date="2026-11-30",
            promise_amount=500.5,
        )
        with pytest.raises(InvalidOpsAction, match="money as a string"):
            parse_action(raw)

    def test_promise_needs_date_and_amount(self) -> None:
        with pytest.raises(InvalidOpsAction, match="needs promise_date and promise_amount"):
            parse_action(action("record_call_outcome", outcome="promise_to_pay"))

    def test_promise_fields_on_another_outcome_are_refused(self) -> None:
        raw = action("record_call_outcome", outcome="no_answer", promise_amount="10.00")
        with pytest.raises(InvalidOpsAction, match="belong to promise_to_pay only"):
            parse_action(raw)

    def test_promise_amount_with_three_decimals_is_refused(self) -> None:
        raw = action(
            "record_call_outcome",
            outcome="promise_to_pay",
            promise_date="2026-11-30",
            promise_amount="10.005",
        )
        with pytest.raises(InvalidOpsAction, match="two decimal places"):
            parse_action(raw)

    def test_dispute_needs_a_reason(self) -> None:
        with pytest.raises(InvalidOpsAction, match="dispute needs a reason"):
            parse_action(action("record_call_outcome", outcome="dispute"))

    def test_pause_until_needs_an_offset(self) -> None:
        with pytest.raises(InvalidOpsAction, match="UTC offset"):
            parse_action(action("pause", until="2026-12-01T00:00:00"))

    def test_pause_until_in_another_zone_is_kept_as_utc(self) -> None:
        parsed = parse_action(action("pause", until="2026-12-01T08:00:00+08:00"))
        assert parsed.until == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # type: ignore[union-attr]

    def test_unknown_channel_and_close_reason(self) -> None:
        with pytest.raises(InvalidOpsAction, match="'channel'"):
            parse_action(action("opt_out", channel="pigeon"))
        with pytest.raises(InvalidOpsAction, match="'reason'"):
            parse_action(action("close", reason="bored"))

    def test_error_message_does_not_echo_the_value(self) -> None:
        # a note can hold anything an operator typed; errors end up in execution history
        with pytest.raises(InvalidOpsAction) as caught:
            parse_action(action("add_note", note="x" * 600))
        assert "xxxxx" not in str(caught.value)


def runbook_inputs() -> list[dict[str, Any]]:
    """Every ```json block of docs/ops.md that is an action input (not an output example)."""
    text = RUNBOOK.read_text(encoding="utf-8")
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", text, flags=re.S)]
    return [
        b
        for b in blocks
        if isinstance(b, dict) and "action" in b and "operator" in b and "case_execution" not in b
    ]


class TestRunbook:
    def test_runbook_has_a_valid_paste_ready_input_for_every_action(self) -> None:
        # given the runbook's JSON examples
        inputs = runbook_inputs()
        # then each parses, and together they cover every action
        parsed = [parse_action(raw) for raw in inputs]
        assert {p.action for p in parsed} == set(ACTION_NAMES)

    def test_runbook_covers_every_call_outcome(self) -> None:
        outcomes = {
            raw["outcome"] for raw in runbook_inputs() if raw["action"] == "record_call_outcome"
        }
        assert outcomes == {
            "no_answer",
            "wrong_number",
            "promise_to_pay",
            "dispute",
            "hardship",
            "refused",
            "paid_claimed",
        }


# ---- the rules -----------------------------------------------------------------------

NON_NOTE_ACTIONS = [
    action("record_call_outcome", outcome="no_answer"),
    action("approve_litigation", approver="zhang.min", reason="r"),
    action("reject_litigation", approver="zhang.min", reason="r"),
    action("pause", until="2026-11-25T00:00:00Z"),
    action("resume"),
    action("opt_out", channel="sms"),
    action("cease_communication"),
    action("close", reason="settled"),
    action("resolve_dispute", outcome="rejected", reason="r"),
]


class TestRefusals:
    @pytest.mark.parametrize("raw", NON_NOTE_ACTIONS, ids=lambda raw: raw["action"])
    @pytest.mark.parametrize("status", [s for s in CaseStatus if s.is_terminal])
    def test_no_action_but_a_note_on_a_closed_case(
        self, raw: dict[str, Any], status: CaseStatus
    ) -> None:
        # given a case in a terminal status
        case = a_case(status=status, task_token=None, queue=None)
        # when any action but add_note is planned, then it is refused as CaseClosed
        with pytest.raises(CaseClosed, match="closed"):
            plan_action(parse_action(raw), case, NOW)

    def test_a_note_is_allowed_on_a_closed_case_and_wakes_nothing(self) -> None:
        case = a_case(status=CaseStatus.PAID, task_token=None, queue=None)
        plan = plan_action(parse_action(action("add_note", note="receipt sent")), case, NOW)
        assert isinstance(plan.action, AddNote)
        assert plan.wake is None
        assert plan.case.set == {} and plan.case.remove == ()
        assert plan.timeline_detail["note"] == "receipt sent"

    def test_unknown_case(self) -> None:
        with pytest.raises(CaseNotFound, match="no case 'acc-42#1'"):
            plan_action(parse_action(action("resume")), None, NOW)

    @pytest.mark.parametrize("name", ["approve_litigation", "reject_litigation"])
    def test_litigation_decision_needs_a_waiting_legal_review(self, name: str) -> None:
        # given a case waiting for an agent call, not a legal review
        case = a_case()
        # then approving or rejecting litigation is refused
        message = refusal(action(name, approver="zhang.min", reason="r"), case)
        assert "not waiting for a legal review" in message
        with pytest.raises(CaseNotInLegalReview):
            plan_action(parse_action(action(name, approver="z", reason="r")), case, NOW)

    def test_pause_a_paused_case(self) -> None:
        case = a_case(status=CaseStatus.PAUSED)
        with pytest.raises(CaseAlreadyPaused):
            plan_action(parse_action(action("pause", until="2026-11-25T00:00:00Z")), case, NOW)

    @pytest.mark.parametrize(
        ("until", "expected"),
        [("2026-11-20T02:00:00Z", "not in the future"), ("2027-03-01T00:00:00Z", "90 days")],
    )
    def test_pause_until_must_be_ahead_but_not_too_far(self, until: str, expected: str) -> None:
        assert expected in refusal(action("pause", until=until), a_case())

    @pytest.mark.parametrize("outcome", ["upheld", "rejected"])
    def test_resolve_dispute_on_a_case_that_is_not_disputed(self, outcome: str) -> None:
        # given an open (not disputed) case, then resolving a dispute is refused
        with pytest.raises(CaseNotDisputed, match="not disputed"):
            plan_action(
                parse_action(action("resolve_dispute", outcome=outcome, reason="r")), a_case(), NOW
            )

    def test_resolve_dispute_needs_a_reason_and_a_known_outcome(self) -> None:
        with pytest.raises(InvalidOpsAction, match="missing field 'reason'"):
            parse_action(action("resolve_dispute", outcome="upheld"))
        with pytest.raises(InvalidOpsAction, match="outcome"):
            parse_action(action("resolve_dispute", outcome="maybe", reason="r"))

    def test_a_rejected_dispute_reopens_and_resumes_the_waiting_execution(self) -> None:
        # given a disputed case whose execution holds for the dispute
        case = a_case(status=CaseStatus.DISPUTED, waiting_for="dispute", queue=None)
        raw = action("resolve_dispute", outcome="rejected", reason="no refund found")
        # when the dispute is rejected
        plan = plan_action(parse_action(raw), case, NOW)
        # then the case is OPEN again, stays at its stage, and the execution resumes
        assert plan.case.set["status"] == "OPEN"
        assert "stage" not in plan.case.set
        assert plan.wake == {"wake": "RESUME", "reason": "dispute_rejected"}
        assert plan.timeline_kind == "dispute_resolved"
        assert plan.timeline_detail["resolution"] == "rejected"

    def test_an_upheld_dispute_closes_the_case(self) -> None:
        case = a_case(status=CaseStatus.DISPUTED, waiting_for="dispute", queue=None)
        raw = action("resolve_dispute", outcome="upheld", reason="refund confirmed")
        plan = plan_action(parse_action(raw), case, NOW)
        assert plan.case.set["status"] == "CLOSED"
        assert plan.case.set["outcome"] == "dispute_upheld"
        assert plan.wake == {"wake": "CLOSE", "outcome": "dispute_upheld"}
        assert plan.timeline_kind == "case_closed"

    def test_resume_a_case_that_is_not_paused(self) -> None:
        with pytest.raises(CaseNotPaused, match="not paused"):
            plan_action(parse_action(action("resume")), a_case(), NOW)

    @pytest.mark.parametrize(
        ("promise_date", "amount", "expected"),
        [
            ("2026-11-19", "100.00", "in the past"),
            ("2027-06-01", "100.00", "more than 90 days"),
            ("2026-11-30", "1250.01", "more than the balance"),
        ],
    )
    def test_promise_rules(self, promise_date: str, amount: str, expected: str) -> None:
        raw = action(
            "record_call_outcome",
            outcome="promise_to_pay",
            promise_date=promise_date,
            promise_amount=amount,
        )
        assert expected in refusal(raw, a_case())


class TestPlans:
    def test_approval_wakes_the_legal_review_and_clears_the_queue(self) -> None:
        # given a case waiting for a legal decision
        case = a_case(stage=Stage.LEGAL_REVIEW, waiting_for="legal_decision", queue="LEGAL_REVIEW")
        raw = action("approve_litigation", approver="zhang.min", reason="no reply to lawyer")
        # when approved
        plan = plan_action(parse_action(raw), case, NOW)
        # then the execution is woken with APPROVED and the review leaves the work queue
        assert plan.wake == {"wake": "APPROVED", "approver": "zhang.min"}
        assert plan.case.set["litigation_decision"] == "approved"
        assert set(plan.case.remove) == {"queue", "queue_due_at"}
        assert plan.timeline_kind == "approval"
        assert plan.timeline_detail["operator"] == "li.wei"

    def test_rejection_is_recognised_from_waiting_for_alone(self) -> None:
        case = a_case(stage=Stage.LEGAL_REVIEW, waiting_for="legal_decision", queue=None)
        plan = plan_action(
            parse_action(action("reject_litigation", approver="z", reason="small balance")),
            case,
            NOW,
        )
        assert plan.wake == {"wake": "REJECTED", "approver": "z"}
        assert plan.case.remove == ()  # nothing to take off the queue

    def test_a_rejection_carries_its_next_step_from_any_decision_queue(self) -> None:
        case = a_case(
            stage=Stage.LEGAL_REVIEW, waiting_for="legal_decision", queue="LITIGATION_REJECTED"
        )
        raw = action("reject_litigation", approver="z", reason="r", next_step="write_off")
        plan = plan_action(parse_action(raw), case, NOW)
        assert plan.wake == {"wake": "REJECTED", "approver": "z", "next_step": "write_off"}
        assert plan.timeline_detail["next_step"] == "write_off"
        assert set(plan.case.remove) == {"queue", "queue_due_at"}

    def test_a_rejection_refuses_an_unknown_next_step(self) -> None:
        raw = action("reject_litigation", approver="z", reason="r", next_step="forget_it")
        assert "next_step" in refusal(raw, a_case(stage=Stage.LEGAL_REVIEW))

    def test_promise_to_pay(self) -> None:
        raw = action(
            "record_call_outcome",
            outcome="promise_to_pay",
            promise_date="2026-11-30",
            promise_amount="500.00",
        )
        plan = plan_action(parse_action(raw), a_case(), NOW)
        assert plan.case.set["status"] == "PROMISED"
        assert plan.case.set["promise_date"] == "2026-11-30"
        assert plan.case.set["promise_amount"] == "500.00"
        assert plan.wake == {
            "wake": "AGENT_OUTCOME",
            "outcome": "promise_to_pay",
            "promise_date": "2026-11-30",
            "promise_amount": "500.00",
        }
        assert set(plan.case.remove) == {"queue", "queue_due_at"}

    def test_dispute_wakes_with_dispute(self) -> None:
        raw = action("record_call_outcome", outcome="dispute", reason="never received goods")
        plan = plan_action(parse_action(raw), a_case(), NOW)
        assert plan.case.set["status"] == "DISPUTED"
        assert plan.case.set["dispute_reason"] == "never received goods"
        assert plan.wake is not None and plan.wake["wake"] == "DISPUTE"

    @pytest.mark.parametrize(
        ("outcome", "flag"), [("hardship", "hardship"), ("wrong_number", "wrong_number")]
    )
    def test_outcomes_that_flag_the_borrower(self, outcome: str, flag: str) -> None:
        plan = plan_action(
            parse_action(action("record_call_outcome", outcome=outcome)), a_case(), NOW
        )
        assert plan.borrower.add_flags == frozenset({flag})
        assert "status" not in plan.case.set

    def test_a_wrong_number_stops_the_phone_channels_not_email(self) -> None:
        plan = plan_action(
            parse_action(action("record_call_outcome", outcome="wrong_number")), a_case(), NOW
        )
        assert plan.borrower.unverify == frozenset({Channel.CALL, Channel.SMS})

    def test_call_outcome_on_a_case_not_waiting_is_recorded_without_a_wake(self) -> None:
        case = a_case(task_token=None, waiting_for=None, queue=None)
        plan = plan_action(
            parse_action(action("record_call_outcome", outcome="refused")), case, NOW
        )
        assert plan.wake is None
        assert plan.case.set["last_call_outcome"] == "refused"
        assert plan.case.remove == ()

    def test_pause_then_resume_restores_the_status_before(self) -> None:
        case = a_case(status=CaseStatus.PROMISED)
        pause = plan_action(
            parse_action(action("pause", until="2026-12-01T00:00:00Z", reason="travel")),
            case,
            NOW,
        )
        assert pause.case.set["status"] == "PAUSED"
        assert pause.case.set["status_before_pause"] == "PROMISED"
        assert pause.wake == {"wake": "PAUSE", "until": "2026-12-01T00:00:00Z"}

        paused = a_case(status=CaseStatus.PAUSED)
        resume = plan_action(
            parse_action(action("resume")),
            paused,
            NOW,
            OpsFacts(status_before_pause=CaseStatus.PROMISED),
        )
        assert resume.case.set == {"status": "PROMISED"}
        assert set(resume.case.remove) == {"paused_until", "status_before_pause"}
        assert resume.wake == {"wake": "RESUME"}

    def test_resume_without_a_recorded_status_goes_back_to_open(self) -> None:
        plan = plan_action(parse_action(action("resume")), a_case(status=CaseStatus.PAUSED), NOW)
        assert plan.case.set == {"status": "OPEN"}

    def test_opt_out_and_cease_change_the_borrower(self) -> None:
        opt = plan_action(parse_action(action("opt_out", channel="email")), a_case(), NOW)
        assert opt.borrower.opt_out is Channel.EMAIL
        assert opt.wake == {"wake": "OPT_OUT", "channel": "email"}
        cease = plan_action(parse_action(action("cease_communication")), a_case(), NOW)
        assert cease.borrower.cease_communication is True
        assert cease.wake == {"wake": "OPT_OUT", "channel": "all"}

    @pytest.mark.parametrize(
        ("reason", "status"),
        [
            ("paid_externally", "PAID"),
            ("settled", "RESOLVED"),
            ("written_off", "WRITTEN_OFF"),
            ("sold", "CLOSED"),
        ],
    )
    def test_close(self, reason: str, status: str) -> None:
        plan = plan_action(parse_action(action("close", reason=reason)), a_case(), NOW)
        assert plan.case.set["status"] == status
        assert CaseStatus(status).is_terminal
        assert plan.case.set["outcome"] == reason
        assert plan.case.set["closed_at"] == "2026-11-20T03:00:00Z"
        assert plan.wake == {"wake": "CLOSE", "outcome": reason}

    def test_same_inputs_same_plan(self) -> None:
        raw = action("close", reason="sold", note="portfolio sale 2026-11")
        assert plan_action(parse_action(raw), a_case(), NOW) == plan_action(
            parse_action(raw), a_case(), NOW
        )


# ---- the DynamoDB write (moto) -----------------------------------------------------------


@pytest.fixture
def store() -> Any:
    from arrears.adapters.cases import Repositories
    from arrears.adapters.models import bind_tables
    from arrears.adapters.ops import OpsStore

    from tests.support.aws import REGION, create_tables

    with mock_aws():
        create_tables(boto3.client("dynamodb", region_name=REGION))
        bind_tables({})
        repos = Repositories.dynamo()
        repos.cases.create(a_case(task_token=None, waiting_for=None))
        repos.cases.store_task_token("acc-42#1", "token-1", "agent_outcome")
        from arrears.domain.case import BorrowerRecord

        repos.borrowers.save_profile(
            BorrowerRecord(
                account_id="acc-42",
                phone="+8613800000000",
                email="b@example.com",
                verified_channels=frozenset({Channel.SMS, Channel.CALL, Channel.EMAIL}),
            )
        )
        yield OpsStore(boto3.client("dynamodb", region_name=REGION)), repos


def _plan(raw: dict[str, Any]) -> Any:
    parsed = parse_action(raw)
    return lambda snapshot: plan_action(parsed, snapshot.case, NOW, snapshot.facts)


class TestStore:
    def test_apply_writes_case_and_borrower_and_bumps_version(self, store: Any) -> None:
        ops, repos = store
        # given a case waiting for the agent's outcome
        # when a wrong-number outcome is applied
        applied = ops.apply(
            "acc-42#1", "exec-1", NOW, _plan(action("record_call_outcome", outcome="wrong_number"))
        )
        # then the token to wake is the stored one, the queue is cleared, the borrower flagged
        assert applied.task_token == "token-1"
        assert applied.wake == {"wake": "AGENT_OUTCOME", "outcome": "wrong_number"}
        case = repos.cases.get("acc-42#1")
        assert case.queue is None and case.version == 1
        borrower = repos.borrowers.get("acc-42")
        assert borrower.flags == frozenset({"wrong_number"})
        # and the phone's channels are no longer verified; email still is
        assert borrower.verified_channels == frozenset({Channel.EMAIL})

    def test_a_retried_invocation_applies_nothing_twice(self, store: Any) -> None:
        ops, repos = store
        decide = _plan(action("opt_out", channel="sms"))
        first = ops.apply("acc-42#1", "exec-1", NOW, decide)
        again = ops.apply("acc-42#1", "exec-1", NOW + timedelta(seconds=5), decide)
        assert again.repeated and not first.repeated
        assert again.wake == first.wake and again.applied_at == first.applied_at
        assert repos.cases.get("acc-42#1").version == 1  # one write only

    def test_a_refusal_writes_nothing(self, store: Any) -> None:
        ops, repos = store
        before = repos.cases.get("acc-42#1")
        with pytest.raises(CaseNotPaused):
            ops.apply("acc-42#1", "exec-1", NOW, _plan(action("resume")))
        assert repos.cases.get("acc-42#1") == before

    def test_a_case_that_moved_is_decided_again(self, store: Any) -> None:
        ops, repos = store
        parsed = parse_action(action("pause", until="2026-11-25T00:00:00Z"))
        seen: list[CaseStatus] = []

        def decide(snapshot: Any) -> Any:
            seen.append(snapshot.case.status)
            if len(seen) == 1:  # another writer closes the case between read and write
                repos.cases.update_fields("acc-42#1", {"status": CaseStatus.PAID})
            return plan_action(parsed, snapshot.case, NOW, snapshot.facts)

        with pytest.raises(CaseClosed):
            ops.apply("acc-42#1", "exec-1", NOW, decide)
        assert seen == [CaseStatus.OPEN, CaseStatus.PAID]
        assert repos.cases.get("acc-42#1").status is CaseStatus.PAID

    def test_a_case_that_keeps_moving_gives_up_with_a_readable_error(self, store: Any) -> None:
        ops, repos = store
        parsed = parse_action(action("add_note", note="n"))

        def decide(snapshot: Any) -> Any:
            repos.cases.update_fields("acc-42#1", {"segment": "standard"})
            return plan_action(parsed, snapshot.case, NOW, snapshot.facts)

        with pytest.raises(ConcurrentUpdate, match="start the action again"):
            ops.apply("acc-42#1", "exec-1", NOW, decide)

    def test_pause_facts_round_trip_for_resume(self, store: Any) -> None:
        ops, repos = store
        repos.cases.update_fields("acc-42#1", {"status": CaseStatus.PAYMENT_PENDING})
        ops.apply("acc-42#1", "exec-1", NOW, _plan(action("pause", until="2026-11-25T00:00:00Z")))
        snapshot = ops.snapshot("acc-42#1")
        assert snapshot.case.status is CaseStatus.PAUSED
        assert snapshot.facts.status_before_pause is CaseStatus.PAYMENT_PENDING
        assert snapshot.facts.paused_until == datetime(2026, 11, 25, tzinfo=UTC)
        ops.apply("acc-42#1", "exec-2", NOW, _plan(action("resume")))
        assert repos.cases.get("acc-42#1").status is CaseStatus.PAYMENT_PENDING

    def test_record_writes_one_line_per_execution(self, store: Any) -> None:
        from arrears.domain.case import TimelineEntry

        ops, repos = store
        entry = TimelineEntry(
            case_id="acc-42#1",
            at=NOW,
            kind="note",
            actor="ops:li.wei",
            detail={"execution": "exec-1", "note": "n"},
        )
        ops.record(entry, "exec-1")
        ops.record(entry, "exec-1")  # a retried invocation
        ops.record(replace(entry, detail={"execution": "exec-2"}), "exec-2")
        kinds = [(e.kind, e.detail.get("execution")) for e in repos.timeline.list("acc-42#1")]
        assert kinds == [("note", "exec-1"), ("note", "exec-2")]


def test_date_type_is_kept() -> None:
    raw = action(
        "record_call_outcome",
        outcome="promise_to_pay",
        promise_date="2026-11-30",
        promise_amount="1",
    )
    parsed = parse_action(raw)
    assert parsed.promise_date == date(2026, 11, 30)  # type: ignore[union-attr]


# ---- the command line (deployed-account side, without AWS) ----------------------------------


class FakeStepFunctions:
    def __init__(self, status: str, error: str | None = None, cause: str | None = None) -> None:
        self.started: list[dict[str, Any]] = []
        self.status, self.error, self.cause = status, error, cause

    def start_execution(self, **kwargs: Any) -> dict[str, Any]:
        self.started.append(kwargs)
        return {"executionArn": f"{kwargs['stateMachineArn']}:{kwargs['name']}"}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        described: dict[str, Any] = {"executionArn": executionArn, "status": self.status}
        if self.status == "SUCCEEDED":
            described["output"] = json.dumps({"case_execution": "woken"})
        else:
            described.update(error=self.error, cause=self.cause)
        return described


class FakeSession:
    region_name = "cn-north-1"

    def __init__(self, sfn: FakeStepFunctions) -> None:
        self.sfn = sfn

    def client(self, service: str) -> Any:
        if service == "sts":
            return type(
                "Sts",
                (),
                {
                    "get_caller_identity": lambda self: {
                        "Account": "111122223333",
                        "Arn": "arn:aws-cn:sts::111122223333:assumed-role/ops/li.wei",
                    }
                },
            )()
        return self.sfn


def run_cli(argv: list[str], monkeypatch: pytest.MonkeyPatch, sfn: FakeStepFunctions) -> int:
    from arrears import cli
    from arrears.tools import ops_commands

    monkeypatch.setattr(ops_commands, "_session", lambda args: FakeSession(sfn))
    return cli.main(argv)


class TestCommandLine:
    def test_flags_become_the_console_input_and_start_the_ops_execution(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        sfn = FakeStepFunctions("SUCCEEDED")
        # when an approval is given from the command line
        code = run_cli(
            [
                "ops",
                "approve_litigation",
                "--case-id",
                "acc-42#1",
                "--operator",
                "li.wei",
                "--approver",
                "zhang.min",
                "--reason",
                "no reply",
            ],
            monkeypatch,
            sfn,
        )
        # then one execution of the ops state machine (ARN in the caller's partition) starts
        assert code == 0
        (started,) = sfn.started
        assert started["stateMachineArn"] == (
            "arn:aws-cn:states:cn-north-1:111122223333:stateMachine:ArrearsStack-ops-action"
        )
        assert json.loads(started["input"]) == {
            "action": "approve_litigation",
            "case_id": "acc-42#1",
            "operator": "li.wei",
            "approver": "zhang.min",
            "reason": "no reply",
        }
        assert started["name"].startswith("acc-42-1-approve_litigation-")
        assert len(started["name"]) <= 80
        assert '"case_execution": "woken"' in capsys.readouterr().out

    def test_a_refusal_exits_2_with_the_error_and_cause(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        sfn = FakeStepFunctions("FAILED", "CaseClosed", "case acc-42#1 is closed (PAID)")
        code = run_cli(
            ["ops", "resume", "--case-id", "acc-42#1", "--operator", "li.wei"], monkeypatch, sfn
        )
        assert code == 2
        assert "CaseClosed: case acc-42#1 is closed (PAID)" in capsys.readouterr().err

    def test_a_system_failure_exits_1(self, monkeypatch: pytest.MonkeyPatch) -> None:
        sfn = FakeStepFunctions("FAILED", "Lambda.ServiceException", '{"errorMessage": "x"}')
        code = run_cli(
            ["ops", "resume", "--case-id", "acc-42#1", "--operator", "li.wei"], monkeypatch, sfn
        )
        assert code == 1

    def test_invalid_flags_are_refused_before_anything_starts(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        sfn = FakeStepFunctions("SUCCEEDED")
        code = run_cli(
            [
                "ops",
                "record_call_outcome",
                "--case-id",
                "acc-42#1",
                "--operator",
                "li.wei",
                "--outcome",
                "promise_to_pay",
            ],
            monkeypatch,
            sfn,
        )
        assert code == 2
        assert sfn.started == []
        assert "needs promise_date and promise_amount" in capsys.readouterr().err

    def test_a_saved_console_input_runs_as_is(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        saved = action("close", reason="sold")
        path = tmp_path / "close.json"
        path.write_text(json.dumps(saved), encoding="utf-8")
        sfn = FakeStepFunctions("SUCCEEDED")
        assert run_cli(["ops", "close", "--input", str(path)], monkeypatch, sfn) == 0
        assert json.loads(sfn.started[0]["input"]) == saved

    def test_cases_table_is_read_from_the_deployed_definition(self) -> None:
        from arrears.tools.ops_commands import cases_table_from_definition
        from arrears.topology import OPS_ACTION

        definition = OPS_ACTION.definition_path.read_text(encoding="utf-8").replace(
            "${CasesTable}", "ArrearsStack-DataCasesTable1-ABC"
        )
        assert cases_table_from_definition(definition) == "ArrearsStack-DataCasesTable1-ABC"


class TestWorkQueueQuery:
    def test_both_queues_soonest_due_first_and_due_before(self) -> None:
        from arrears.adapters.cases import Repositories
        from arrears.adapters.models import bind_tables
        from arrears.tools.ops_commands import work_queue

        from tests.support.aws import REGION, create_tables

        with mock_aws():
            dynamodb = boto3.client("dynamodb", region_name=REGION)
            create_tables(dynamodb)
            bind_tables({})
            cases = Repositories.dynamo().cases
            # given two agent calls, one legal review, and a case with no human task
            for n, queue, due in (
                (1, "AGENT_CALL", NOW + timedelta(hours=30)),
                (2, "LEGAL_REVIEW", NOW + timedelta(hours=5)),
                (3, "AGENT_CALL", NOW + timedelta(hours=2)),
                (4, None, None),
            ):
                cases.create(
                    a_case(
                        case_id=f"acc-{n}#1", account_id=f"acc-{n}", queue=queue, queue_due_at=due
                    )
                )
            # when the queue is listed
            rows = work_queue(dynamodb, "arrears-cases", ["AGENT_CALL", "LEGAL_REVIEW"])
            due_soon = work_queue(
                dynamodb, "arrears-cases", ["AGENT_CALL"], due_before=NOW + timedelta(hours=3)
            )
        # then only cases waiting on a person appear, soonest due first
        assert [r["case_id"] for r in rows] == ["acc-3#1", "acc-2#1", "acc-1#1"]
        assert rows[0]["queue"] == "AGENT_CALL" and rows[0]["balance"] == "1250.00 CNY"
        assert [r["case_id"] for r in due_soon] == ["acc-3#1"]


class TestMotoAwsSdkGap:
    """The local runtime's fill for moto's aws-sdk parameter names (aws_sdk_parameters)."""

    def test_the_moto_internals_it_relies_on_are_there(self) -> None:
        from arrears.local import aws_sdk_parameters

        assert aws_sdk_parameters.problems() == []

    def test_pascal_case_parameters_become_the_api_member_names(self) -> None:
        from types import SimpleNamespace

        from arrears.local import aws_sdk_parameters
        from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
            state_task_service_aws_sdk as module,
        )

        aws_sdk_parameters.install()
        aws_sdk_parameters.install()  # idempotent
        service = module.StateTaskServiceAwsSdk()
        service.resource = SimpleNamespace(api_name="sfn", api_action="sendTaskSuccess")
        parameters = {"TaskToken": "token-1", "Output": '{"wake": "APPROVED"}'}
        service._normalise_parameters(parameters)
        # as Step Functions maps them onto the Step Functions API's own member names
        assert parameters == {"taskToken": "token-1", "output": '{"wake": "APPROVED"}'}
        # and DynamoDB's PascalCase members stay as they are
        service.resource = SimpleNamespace(api_name="dynamodb", api_action="getItem")
        dynamodb = {"TableName": "t", "Key": {"id": {"S": "1"}}}
        service._normalise_parameters(dynamodb)
        assert dynamodb == {"TableName": "t", "Key": {"id": {"S": "1"}}}


class TestQueueMetrics:
    def test_counts_waiting_and_overdue_tasks_per_queue(
        self, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        from types import SimpleNamespace

        from arrears.adapters import ops as ops_adapter
        from arrears.adapters.cases import Repositories
        from arrears.adapters.models import bind_tables
        from arrears.handlers import queue_metrics

        from tests.support.aws import REGION, create_tables

        monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Arrears")
        now = datetime.now(UTC)
        with mock_aws():
            create_tables(boto3.client("dynamodb", region_name=REGION))
            bind_tables({})
            ops_adapter._dynamodb.cache_clear()  # a client made inside this mock
            cases = Repositories.dynamo().cases
            # given two agent calls (one past its deadline), one legal review, one claimed
            # payment to reconcile, one plain case
            for n, queue, due in (
                (1, "AGENT_CALL", now - timedelta(hours=1)),
                (2, "AGENT_CALL", now + timedelta(hours=20)),
                (3, "LEGAL_REVIEW", now + timedelta(days=3)),
                (4, None, None),
                (5, "PAYMENT_RECONCILIATION", now + timedelta(hours=70)),
            ):
                cases.create(
                    a_case(
                        case_id=f"acc-{n}#1", account_id=f"acc-{n}", queue=queue, queue_due_at=due
                    )
                )
            context = SimpleNamespace(
                function_name="arrears-queue-metrics",
                memory_limit_in_mb=256,
                invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:q",
                aws_request_id="req-1",
            )
            # when the scheduled count runs
            counts = queue_metrics.handler({}, context)
            ops_adapter._dynamodb.cache_clear()
        # then each queue's depth and overdue tasks are counted and emitted as metrics
        assert counts == {
            "AgentTasksWaiting": 2,
            "AgentTasksOverdue": 1,
            "LegalReviewsWaiting": 1,
            "LegalReviewsOverdue": 0,
            "LegalReviewsEscalated": 0,
            "RejectedCasesHeld": 0,
            "AgencyPlacementsWaiting": 0,
            "ReplyReviewsWaiting": 0,
            "ReplyReviewsOverdue": 0,
            "CasesStuck": 0,
            "PaymentReconciliationsWaiting": 1,
        }
        emitted = capsys.readouterr().out
        assert '"AgentTasksWaiting":[2.0]' in emitted.replace(" ", "")
