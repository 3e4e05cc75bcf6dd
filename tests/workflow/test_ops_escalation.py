"""Ops actions against the real escalation ladder, replayed from an events file.

One scenario, as `arrears run` replays it: an OVERDUE event opens a standard case; an
early approval is refused (the case is not in legal review) and changes nothing; the
agent's call records a promise to pay, which wakes the waiting call stage at once and holds
the case; the promise is broken, the ladder goes on to legal review, and an approval wakes
that and refers the case to litigation. Nothing is sent after the approval.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from arrears import topology as t
from arrears.adapters.cases import Repositories
from arrears.adapters.models import BorrowerModel
from arrears.domain.case import execution_name
from arrears.domain.parking import resume_seq_of
from arrears.domain.types import CaseStatus
from arrears.local.events_file import read_events_file
from arrears.local.replay import run_entries
from arrears.tools.ops_local import ops_outcomes
from escalation_support import payment_event

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, due date 1 Nov
END = datetime(2027, 1, 10, tzinfo=UTC)
ACCOUNT = "acc-ops-e2e"
CASE_ID = f"{ACCOUNT}#1"
# The standard ladder (policies/default.yaml): agent call waits 15 Nov 02:00Z to 17 Nov,
# legal review opens 31 Dec 02:00Z with a seven-day decision deadline.
EARLY_APPROVAL = "2026-11-10T00:00:00Z"
CALL_OUTCOME = "2026-11-16T03:00:00Z"
APPROVAL = "2027-01-02T03:00:00Z"


def overdue_event() -> dict[str, Any]:
    detail = payment_event(
        ACCOUNT,
        "OVERDUE",
        sequence=1,
        event_id="evt-ops-e2e-1",
        occurred_at=datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
        due=date(2026, 11, 1),
    )
    return {"Source": "wallet.payments", "DetailType": "PaymentStatusChanged", "Detail": detail}


def ops_line(at: str, action: str, **fields: Any) -> dict[str, Any]:
    return {
        "at": at,
        "ops_action": {"action": action, "case_id": CASE_ID, "operator": "li.wei", **fields},
    }


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    lines = [
        {"at": "2026-11-02T01:00:00Z", "event": overdue_event()},
        ops_line(EARLY_APPROVAL, "approve_litigation", approver="zhang.min", reason="too early"),
        ops_line(
            CALL_OUTCOME,
            "record_call_outcome",
            outcome="promise_to_pay",
            promise_date="2026-11-20",
            promise_amount="1250.00",
        ),
        ops_line(APPROVAL, "approve_litigation", approver="zhang.min", reason="promise broken"),
    ]
    path: Path = tmp_path_factory.mktemp("ops") / "events.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")

    seen: dict[str, Any] = {}

    def verify_call_and_letter(rt: Any) -> None:
        # events carry a phone and an email only; a lender's KYC verifies call and letter
        def verify() -> None:
            BorrowerModel(ACCOUNT).update(
                actions=[BorrowerModel.verified_channels.add({"call", "letter"})]
            )

        rt.scheduler.schedule(START.replace(minute=5), verify, "verify channels")

        def snapshot(label: str) -> Any:
            def take() -> None:
                found = Repositories.dynamo().cases.get(CASE_ID)
                seen[label] = found
                seen[f"{label}_timeline"] = Repositories.dynamo().timeline.list(CASE_ID)

            return take

        # the case just before and just after each ops action
        for label, at in (("early", EARLY_APPROVAL), ("call", CALL_OUTCOME), ("appr", APPROVAL)):
            when = datetime.fromisoformat(at.replace("Z", "+00:00"))
            minute = timedelta(minutes=1)
            rt.scheduler.schedule(when - minute, snapshot(f"before_{label}"), "snapshot")
            rt.scheduler.schedule(when + minute, snapshot(f"after_{label}"), "snapshot")

    def collect(rt: Any) -> None:
        sfn = rt.client("stepfunctions")
        name = execution_name(CASE_ID, 1)
        # the cycle's first execution, then the ones that resumed it after each park
        runs = sorted(
            (
                e
                for e in rt.executions(t.ESCALATION.construct_id)
                if e["name"] == name or e["name"].startswith(f"{name}-r")
            ),
            key=lambda e: resume_seq_of(e["name"]) if e["name"] != name else 0,
        )
        seen["states"] = [
            e["stateEnteredEventDetails"]["name"]
            for run in runs
            for e in rt.history(run["executionArn"])
            if e["type"].endswith("StateEntered")
        ]
        seen["escalation_status"] = sfn.describe_execution(executionArn=runs[-1]["executionArn"])[
            "status"
        ]
        seen["ops"] = ops_outcomes(rt)
        seen["case"] = Repositories.dynamo().cases.get(CASE_ID)
        seen["timeline"] = Repositories.dynamo().timeline.list(CASE_ID)

    report = run_entries(
        read_events_file(path),
        start=START,
        end=END,
        seed=7,
        before=verify_call_and_letter,
        after=collect,
    )
    seen["report"] = report
    return seen


def test_every_ops_line_ran_once_in_order(scenario: dict[str, Any]) -> None:
    outcomes = scenario["ops"]
    assert [o.at for o in outcomes] == [
        "2026-11-10T00:00:00+00:00",
        "2026-11-16T03:00:00+00:00",
        "2027-01-02T03:00:00+00:00",
    ]
    assert [o.status for o in outcomes] == ["FAILED", "SUCCEEDED", "SUCCEEDED"]
    assert not scenario["report"]["unsupported_ops_actions"]


def test_an_approval_before_legal_review_is_refused_and_changes_nothing(
    scenario: dict[str, Any],
) -> None:
    early = scenario["ops"][0]
    assert early.error == "CaseNotInLegalReview"
    assert "not waiting for a legal review" in (early.cause or "")
    assert scenario["after_early"] == scenario["before_early"]
    assert scenario["after_early_timeline"] == scenario["before_early_timeline"]


def test_the_call_outcome_wakes_the_call_stage_and_holds_the_case(scenario: dict[str, Any]) -> None:
    before, after = scenario["before_call"], scenario["after_call"]
    # given the case waiting in the agent-call queue
    assert before.waiting_for == "agent_outcome" and before.queue == "AGENT_CALL"
    # then the outcome woke it: the promise holds the case, and it left the queue
    assert scenario["ops"][1].output["case_execution"] == "woken"
    assert after.status is CaseStatus.PROMISED
    assert after.waiting_for == "promised_payment"
    assert after.queue is None
    states = scenario["states"]
    call = states.index("Wait for agent call outcome")
    assert states[call + 1] == "Handle wake-up"


def test_the_approval_refers_the_case_to_litigation(scenario: dict[str, Any]) -> None:
    before = scenario["before_appr"]
    assert before.waiting_for == "legal_decision" and before.queue == "LEGAL_REVIEW"
    assert scenario["ops"][2].output["case_execution"] == "woken"
    case = scenario["case"]
    assert case.status is CaseStatus.LITIGATION
    assert scenario["escalation_status"] == "SUCCEEDED"
    states = scenario["states"]
    review = states.index("Wait for legal review decision")
    assert states[review + 1] == "Handle wake-up"


def test_the_audit_trail_names_the_operator_and_nothing_is_sent_after_approval(
    scenario: dict[str, Any],
) -> None:
    timeline = scenario["timeline"]
    ops_lines = [e for e in timeline if e.actor == "ops:li.wei"]
    assert [e.kind for e in ops_lines] == ["agent_outcome", "approval"]
    assert ops_lines[1].detail["approver"] == "zhang.min"
    approval_at = ops_lines[1].at
    sent_after = [e for e in timeline if e.kind.startswith("contact_sent") and e.at > approval_at]
    assert sent_after == []
