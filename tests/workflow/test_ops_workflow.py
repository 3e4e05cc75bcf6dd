"""Ops actions on the local runtime: the real ops-action ASL and handler, end to end.

The case execution here is a small fixture (fixtures/ops_case_waiter.asl.json) that waits
the way the escalation does (task token and waiting_for stored on the case) and ends with
whatever woke it, so these tests pin the ops side of the contract: the case changes, the
right execution wakes with the right ``{"wake": ...}``, the audit line names the operator,
and a refused action changes nothing. test_ops_escalation.py runs the real ladder.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from arrears import topology as t
from arrears.adapters.cases import Repositories
from arrears.domain.case import BorrowerRecord, CaseRecord, execution_name
from arrears.domain.types import CaseStatus, Stage
from arrears.local.runtime import LocalRuntime, LocalTopology
from arrears.tools.ops_local import OpsOutcome, run_ops_action

START = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
WAITER = t.StateMachineSpec(
    construct_id="OpsCaseWaiter",
    local_name="fixture-ops-case-waiter",
    definition_file=str(Path(__file__).resolve().parent / "fixtures" / "ops_case_waiter.asl.json"),
    substitutions={"CasesTable": ("table", t.CASES)},
)


@pytest.fixture(scope="module")
def rt() -> Iterator[LocalRuntime]:
    topology = replace(
        LocalTopology.default(), functions=(t.OPS_FUNCTION,), state_machines=(WAITER, t.OPS_ACTION)
    )
    with LocalRuntime(start=START, seed=11, topology=topology) as runtime:
        yield runtime


_opened = iter(range(1, 10_000))


def open_case(
    rt: LocalRuntime,
    *,
    status: CaseStatus = CaseStatus.OPEN,
    stage: Stage = Stage.AGENT_CALL,
    waiting_for: str | None = "agent_outcome",
    queue: str | None = "AGENT_CALL",
) -> tuple[str, str | None]:
    """A fresh case (own account) and, if it waits, its waiting execution's ARN."""
    account = f"acc-ops-{next(_opened)}"
    case_id = f"{account}#1"
    repos = Repositories.dynamo()
    repos.borrowers.save_profile(
        BorrowerRecord(account_id=account, name="Test", phone="+8613800000000", country="CN")
    )
    repos.cases.create(
        CaseRecord(
            case_id=case_id,
            account_id=account,
            cycle=1,
            status=status,
            stage=stage,
            balance=Decimal("1250.00"),
            currency="CNY",
            opened_at=rt.now - timedelta(days=19),
            queue=queue,
            queue_due_at=rt.now + timedelta(days=2) if queue else None,
            closed_at=rt.now if status.is_terminal else None,
        )
    )
    if waiting_for is None:
        return case_id, None
    arn = rt.start_execution(
        WAITER.construct_id,
        {"case_id": case_id, "waiting_for": waiting_for},
        execution_name(case_id, 1),
    )
    assert item(rt, case_id)["task_token"]  # the execution waits with its token stored
    return case_id, arn


def item(rt: LocalRuntime, case_id: str) -> dict[str, Any]:
    got: dict[str, Any] = rt.client("dynamodb").get_item(
        TableName=t.CASES.local_name, Key={"case_id": {"S": case_id}}, ConsistentRead=True
    )["Item"]
    return got


def borrower_item(rt: LocalRuntime, case_id: str) -> dict[str, Any]:
    got: dict[str, Any] = rt.client("dynamodb").get_item(
        TableName=t.BORROWERS.local_name,
        Key={"account_id": {"S": case_id.split("#")[0]}},
        ConsistentRead=True,
    )["Item"]
    return got


def timeline(case_id: str) -> list[Any]:
    return Repositories.dynamo().timeline.list(case_id)


def execution(rt: LocalRuntime, arn: str) -> tuple[str, dict[str, Any] | None]:
    described = rt.client("stepfunctions").describe_execution(executionArn=arn)
    output = described.get("output")
    return described["status"], json.loads(output) if output else None


def ops(rt: LocalRuntime, case_id: str, name: str, **fields: Any) -> OpsOutcome:
    return run_ops_action(rt, {"action": name, "case_id": case_id, "operator": "li.wei", **fields})


def text(attributes: dict[str, Any], name: str) -> str | None:
    value = attributes.get(name)
    return value.get("S") if value else None


# ---- each action changes the case and wakes the right execution --------------------------

PROMISE_DATE = (START + timedelta(days=7)).date().isoformat()

ACTIONS: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any], dict[str, str]]] = [
    # (action, fields, how the case waits, expected wake, expected case attributes)
    (
        "record_call_outcome",
        {"outcome": "promise_to_pay", "promise_date": PROMISE_DATE, "promise_amount": "500.00"},
        {},
        {
            "wake": "AGENT_OUTCOME",
            "outcome": "promise_to_pay",
            "promise_date": PROMISE_DATE,
            "promise_amount": "500.00",
        },
        {"status": "PROMISED", "promise_amount": "500.00", "last_call_outcome": "promise_to_pay"},
    ),
    (
        "record_call_outcome",
        {"outcome": "dispute", "reason": "says the loan was repaid in cash"},
        {},
        {"wake": "DISPUTE", "outcome": "dispute"},
        {"status": "DISPUTED", "dispute_reason": "says the loan was repaid in cash"},
    ),
    (
        "record_call_outcome",
        {"outcome": "no_answer"},
        {},
        {"wake": "AGENT_OUTCOME", "outcome": "no_answer"},
        {"status": "OPEN", "last_call_outcome": "no_answer"},
    ),
    (
        "approve_litigation",
        {"approver": "zhang.min", "reason": "no reply to the lawyer letter"},
        {"stage": Stage.LEGAL_REVIEW, "waiting_for": "legal_decision", "queue": "LEGAL_REVIEW"},
        {"wake": "APPROVED", "approver": "zhang.min"},
        {"litigation_decision": "approved", "litigation_approver": "zhang.min"},
    ),
    (
        "reject_litigation",
        {"approver": "zhang.min", "reason": "balance too small to litigate"},
        {"stage": Stage.LEGAL_REVIEW, "waiting_for": "legal_decision", "queue": "LEGAL_REVIEW"},
        {"wake": "REJECTED", "approver": "zhang.min"},
        {"litigation_decision": "rejected"},
    ),
    (
        "pause",
        {"until": "2026-12-01T00:00:00Z", "reason": "borrower in hospital"},
        {"waiting_for": "reminder_due", "queue": None},
        {"wake": "PAUSE", "until": "2026-12-01T00:00:00Z"},
        {"status": "PAUSED", "paused_until": "2026-12-01T00:00:00Z", "status_before_pause": "OPEN"},
    ),
    (
        "resume",
        {},
        {"status": CaseStatus.PAUSED, "waiting_for": "pause_end", "queue": None},
        {"wake": "RESUME"},
        {"status": "OPEN"},
    ),
    (
        "opt_out",
        {"channel": "sms"},
        {"waiting_for": "follow_up_due", "queue": None},
        {"wake": "OPT_OUT", "channel": "sms"},
        {},
    ),
    (
        "cease_communication",
        {"reason": "written request received"},
        {"waiting_for": "follow_up_due", "queue": None},
        {"wake": "OPT_OUT", "channel": "all"},
        {},
    ),
    (
        "close",
        {"reason": "settled", "note": "settled at 80% by agreement"},
        {},
        {"wake": "CLOSE", "outcome": "settled"},
        {"status": "RESOLVED", "stage": "closed", "outcome": "settled"},
    ),
]


@pytest.mark.parametrize(
    ("name", "fields", "waits", "wake", "expected"),
    ACTIONS,
    ids=[f"{a[0]}-{a[1].get('outcome', a[1].get('reason', ''))[:12]}" for a in ACTIONS],
)
def test_action_changes_the_case_and_wakes_its_execution(
    rt: LocalRuntime,
    name: str,
    fields: dict[str, Any],
    waits: dict[str, Any],
    wake: dict[str, Any],
    expected: dict[str, str],
) -> None:
    # given a case whose execution waits
    case_id, waiter = open_case(rt, **waits)
    assert waiter is not None
    # when the operator runs the action
    outcome = ops(rt, case_id, name, **fields)
    # then the ops execution succeeds, the waiting execution wakes with the action's wake-up
    assert outcome.succeeded, (outcome.error, outcome.cause)
    assert outcome.output is not None and outcome.output["case_execution"] == "woken"
    status, output = execution(rt, waiter)
    assert status == "SUCCEEDED"
    assert output is not None and output["wake"] == wake
    # and the case carries the change, with the used token cleared
    attributes = item(rt, case_id)
    for attribute, value in expected.items():
        assert text(attributes, attribute) == value, attribute
    assert "task_token" not in attributes
    # and the audit line names the operator and the ops execution
    entries = [e for e in timeline(case_id) if e.actor == "ops:li.wei"]
    assert len(entries) == 1
    assert entries[0].detail["action"] == name
    assert entries[0].detail["operator"] == "li.wei"
    assert entries[0].detail["execution"] == outcome.execution_arn
    assert entries[0].detail["case_execution"] == "woken"
    assert entries[0].at == rt.now


def test_litigation_decision_leaves_the_work_queue(rt: LocalRuntime) -> None:
    case_id, _ = open_case(
        rt, stage=Stage.LEGAL_REVIEW, waiting_for="legal_decision", queue="LEGAL_REVIEW"
    )
    assert text(item(rt, case_id), "queue") == "LEGAL_REVIEW"
    ops(rt, case_id, "approve_litigation", approver="zhang.min", reason="r")
    assert "queue" not in item(rt, case_id) and "queue_due_at" not in item(rt, case_id)


@pytest.mark.parametrize(
    ("name", "fields", "check"),
    [
        ("opt_out", {"channel": "email"}, lambda b: b["opted_out"]["SS"] == ["email"]),
        ("cease_communication", {}, lambda b: b["cease_communication"]["BOOL"] is True),
        (
            "record_call_outcome",
            {"outcome": "hardship"},
            lambda b: b["flags"]["SS"] == ["hardship"],
        ),
    ],
)
def test_borrower_changes_reach_the_compliance_gate_fields(
    rt: LocalRuntime, name: str, fields: dict[str, Any], check: Any
) -> None:
    case_id, _ = open_case(rt)
    assert ops(rt, case_id, name, **fields).succeeded
    assert check(borrower_item(rt, case_id))


def test_a_note_is_recorded_and_wakes_nothing(rt: LocalRuntime) -> None:
    # given a waiting case
    case_id, waiter = open_case(rt)
    assert waiter is not None
    # when a note is added
    outcome = ops(rt, case_id, "add_note", note="borrower asked for a call after 18:00")
    # then it is in the timeline, and the execution still waits with its token
    assert outcome.succeeded
    assert outcome.output is not None and outcome.output["case_execution"] == "not_waiting"
    assert execution(rt, waiter)[0] == "RUNNING"
    assert "task_token" in item(rt, case_id)
    notes = [e for e in timeline(case_id) if e.kind == "note"]
    assert [n.detail["note"] for n in notes] == ["borrower asked for a call after 18:00"]


def test_a_note_on_a_closed_case_is_allowed(rt: LocalRuntime) -> None:
    case_id, _ = open_case(rt, status=CaseStatus.PAID, waiting_for=None, queue=None)
    assert ops(rt, case_id, "add_note", note="receipt re-sent").succeeded


def test_an_action_while_no_execution_waits_is_applied_without_a_wake(rt: LocalRuntime) -> None:
    # given a case whose execution is between waits (no token on the case)
    case_id, _ = open_case(rt, waiting_for=None, queue=None)
    # when it is paused
    outcome = ops(rt, case_id, "pause", until="2026-11-27T00:00:00Z")
    # then the status is set (the ladder's guards read it before acting) and nothing woken
    assert outcome.succeeded
    assert outcome.output is not None and outcome.output["case_execution"] == "not_waiting"
    assert text(item(rt, case_id), "status") == "PAUSED"


def test_a_wake_that_comes_too_late_is_recorded_not_hidden(rt: LocalRuntime) -> None:
    # given a case holding a token no execution waits on any more (it timed out or ended)
    case_id, _ = open_case(rt, waiting_for=None)
    rt.client("dynamodb").update_item(
        TableName=t.CASES.local_name,
        Key={"case_id": {"S": case_id}},
        UpdateExpression="SET task_token = :t, waiting_for = :w",
        ExpressionAttributeValues={":t": {"S": "token-of-an-ended-wait"}, ":w": {"S": "x"}},
    )
    # when an outcome is recorded
    outcome = ops(rt, case_id, "record_call_outcome", outcome="refused")
    # then the case change stands, and the audit line says the wake failed and why
    assert outcome.succeeded
    assert outcome.output is not None and outcome.output["case_execution"] == "failed"
    assert text(item(rt, case_id), "last_call_outcome") == "refused"
    assert "task_token" not in item(rt, case_id)  # the dead token is not offered again
    entry = next(e for e in timeline(case_id) if e.actor == "ops:li.wei")
    assert entry.detail["wake_error"].startswith("Sfn.")


# ---- refused actions change nothing ----------------------------------------------------------


def snapshot(rt: LocalRuntime, case_id: str) -> tuple[Any, ...]:
    return (item(rt, case_id), borrower_item(rt, case_id), timeline(case_id))


INVALID: list[tuple[str, dict[str, Any], dict[str, Any], str, str]] = [
    # (case setup, input changes, fields, Error, words in Cause)
    ("unknown action", {"action": "approve"}, {}, "InvalidOpsAction", "unknown action 'approve'"),
    (
        "missing field",
        {"action": "record_call_outcome"},
        {"outcome": "promise_to_pay", "promise_amount": "100.00"},
        "InvalidOpsAction",
        "needs promise_date and promise_amount",
    ),
    (
        "missing operator",
        {"action": "add_note", "operator": None},
        {"note": "x"},
        "InvalidOpsAction",
        "missing field 'operator'",
    ),
    (
        "closed case",
        {"action": "pause", "closed": True},
        {"until": "2026-11-27T00:00:00Z"},
        "CaseClosed",
        "is closed (PAID)",
    ),
    (
        "not in legal review",
        {"action": "approve_litigation"},
        {"approver": "zhang.min", "reason": "r"},
        "CaseNotInLegalReview",
        "not waiting for a legal review",
    ),
    (
        "unknown case",
        {"action": "resume", "case_id": "acc-nobody#1"},
        {},
        "CaseNotFound",
        "no case",
    ),
]


@pytest.mark.parametrize(
    ("label", "changes", "fields", "error", "cause"), INVALID, ids=[i[0] for i in INVALID]
)
def test_invalid_input_fails_the_ops_execution_readably_and_changes_nothing(
    rt: LocalRuntime,
    label: str,
    changes: dict[str, Any],
    fields: dict[str, Any],
    error: str,
    cause: str,
) -> None:
    # given a waiting case (or a closed one)
    closed = changes.pop("closed", False)
    if closed:
        case_id, waiter = open_case(rt, status=CaseStatus.PAID, waiting_for=None, queue=None)
    else:
        case_id, waiter = open_case(rt)
    before = snapshot(rt, case_id)
    raw = {"action": "", "case_id": case_id, "operator": "li.wei", **fields, **changes}
    raw = {key: value for key, value in raw.items() if value is not None}
    # when the action is started
    outcome = run_ops_action(rt, raw)
    # then the ops execution fails at the refusal state with a readable Error and Cause
    assert outcome.status == "FAILED"
    assert outcome.error == error
    assert outcome.cause is not None and cause in outcome.cause
    assert "Traceback" not in outcome.cause and "{" not in outcome.cause
    # and nothing changed: case, borrower, timeline, and the execution still waits
    assert snapshot(rt, case_id) == before
    if waiter is not None:
        assert execution(rt, waiter)[0] == "RUNNING"


def test_refusal_is_the_named_fail_state(rt: LocalRuntime) -> None:
    case_id, _ = open_case(rt)
    outcome = ops(rt, case_id, "resume")
    failed = [
        e
        for e in rt.history(outcome.execution_arn)
        if e["type"] in ("FailStateEntered", "ExecutionFailed")
    ]
    entered = [e for e in failed if e["type"] == "FailStateEntered"]
    assert entered and entered[0]["stateEnteredEventDetails"]["name"] == "Refuse the action"
    assert outcome.error == "CaseNotPaused"


# ---- scheduled actions (events-file lines) -----------------------------------------------------


def test_a_scheduled_ops_action_runs_at_its_time(rt: LocalRuntime) -> None:
    # given a waiting case and an approval scheduled for later
    case_id, waiter = open_case(
        rt, stage=Stage.LEGAL_REVIEW, waiting_for="legal_decision", queue="LEGAL_REVIEW"
    )
    assert waiter is not None
    at = rt.now + timedelta(hours=5)
    rt.schedule_ops_action(
        at,
        {
            "action": "approve_litigation",
            "case_id": case_id,
            "operator": "li.wei",
            "approver": "zhang.min",
            "reason": "scripted",
        },
    )
    # when time passes
    rt.run_until(at - timedelta(minutes=1))
    assert execution(rt, waiter)[0] == "RUNNING"
    rt.run_until(at + timedelta(minutes=1))
    # then it ran at that time and woke the execution
    assert execution(rt, waiter)[0] == "SUCCEEDED"
    entry = next(e for e in timeline(case_id) if e.kind == "approval")
    assert entry.at == at
    assert not rt.unsupported_ops_actions
