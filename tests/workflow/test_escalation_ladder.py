"""The full ladder: reminders, agent call, letters, legal review; a human decides litigation."""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from datetime import timedelta

import jsonschema
from arrears.adapters.cases import Repositories
from arrears.domain.types import CaseStatus
from arrears.local.report import build_report
from escalation_support import (  # noqa: F401 - fixtures
    REPORT_SCHEMA,
    case,
    open_overdue,
    ops,
    outbox,
    rt,
    states_entered,
    timeline_kinds,
    transitions,
)

# every wait longer than two days parks the case: the execution ends, and a new one
# resumes it when the stage is due, straight to the stage's action (docs/scale.md)
PARKED = ["Park until the next stage is due", "Assess risk and plan", "Go to next step"]
LADDER = [
    "Assess risk and plan",
    "Go to next step",
    "Wait until reminder is due",
    "Send reminder",
    "Go to next step",
    *PARKED,  # the follow-up is 6 days away
    "Send follow-up reminder",
    "Go to next step",
    *PARKED,  # the agent call 7 days
    "Request agent call",
    "Go to next step",
    "Wait for agent call outcome",
    "Handle wake-up",  # nobody recorded an outcome in time: the ladder moves on
    "Go to next step",
    *PARKED,
    "Send demand letter",
    "Go to next step",
    *PARKED,
    "Send lawyer's letter",
    "Go to next step",
    *PARKED,
    "Open legal review",
    "Go to next step",
    "Wait for legal review decision",
]


def _to_legal_review(rt, account_id: str) -> str:
    case_id = open_overdue(rt, account_id)
    rt.advance(timedelta(days=61))
    return case_id


def test_full_ladder_to_legal_review_then_approval_refers_to_litigation(rt, outbox):
    # given a standard case nobody pays, walked up the whole ladder
    case_id = _to_legal_review(rt, "acc-ladder")

    # then it waits in the LEGAL_REVIEW work queue, after every stage in order
    assert states_entered(rt, case_id) == LADDER
    waiting = case(case_id)
    assert waiting.queue == "LEGAL_REVIEW" and waiting.queue_due_at is not None
    assert [c.case_id for c in Repositories.dynamo().cases.work_queue("LEGAL_REVIEW")] == [case_id]
    assert outbox.channels("acc-ladder") == {"sms": 2, "email": 1, "letter": 2}
    assert [s["kind"] for s in outbox.to("acc-ladder") if s["channel"] == "letter"] == [
        "demand_letter",
        "lawyer_letter",
    ]
    assert waiting.status is CaseStatus.OPEN  # still no litigation without a human

    # when a human approves
    outcome = ops(
        rt,
        {
            "action": "approve_litigation",
            "case_id": case_id,
            "approver": "counsel.wang",
            "reason": "no contact for 60 days, balance above threshold",
        },
    )
    assert outcome.status == "SUCCEEDED", outcome.cause

    # then the case is referred to litigation and leaves the queue
    entered = states_entered(rt, case_id)
    assert entered[len(LADDER) :] == [
        "Handle wake-up",
        "Go to next step",
        "Refer to litigation",
        "Case closed",
    ]
    closed = case(case_id)
    assert closed.status is CaseStatus.LITIGATION
    assert closed.queue is None
    kinds = timeline_kinds(case_id)
    assert kinds.index("approval") < kinds.index("litigation_referred")
    assert kinds.count("letter_stored") == 2
    # and the efficiency target holds: <= 40 state transitions for the full ladder
    assert transitions(rt, case_id) <= 40


def test_a_rejected_legal_review_holds_the_debt_for_a_person_until_one_decides(rt, outbox):
    case_id = _to_legal_review(rt, "acc-reject")
    sent_before = len(outbox.to("acc-reject"))

    # given a rejection that names no next step (the policy's default: hold)
    outcome = ops(
        rt,
        {
            "action": "reject_litigation",
            "case_id": case_id,
            "approver": "counsel.wang",
            "reason": "balance too small to litigate",
        },
    )
    assert outcome.status == "SUCCEEDED", outcome.cause
    rt.advance(timedelta(hours=1))

    # then the debt stays open, uncontacted, in front of a person: never closed silently
    held = case(case_id)
    assert held.status is CaseStatus.OPEN
    assert held.queue == "LITIGATION_REJECTED"
    assert states_entered(rt, case_id)[-1] == "Wait for legal review decision"
    assert "litigation_referred" not in timeline_kinds(case_id)
    rt.advance(timedelta(days=30))
    assert len(outbox.to("acc-reject")) == sent_before
    assert case(case_id).status is CaseStatus.OPEN

    # and when a person decides to write it off, it closes written off
    outcome = ops(
        rt,
        {
            "action": "reject_litigation",
            "case_id": case_id,
            "approver": "head.of.collections",
            "reason": "uneconomic to pursue",
            "next_step": "write_off",
        },
    )
    assert outcome.status == "SUCCEEDED", outcome.cause
    rt.advance(timedelta(hours=1))
    closed = case(case_id)
    assert closed.status is CaseStatus.WRITTEN_OFF
    assert closed.outcome == "written_off_after_legal_review"
    assert states_entered(rt, case_id)[-1] == "Case closed"


def test_an_unanswered_legal_review_alerts_then_escalates_and_never_closes(rt, outbox):
    # given a case in legal review that no approver ever decides
    case_id = _to_legal_review(rt, "acc-silent")

    # when the decision deadline passes again and again
    rt.advance(timedelta(days=40))

    # then ops were alerted each time, the review went to a manager, and the debt is open
    entered = states_entered(rt, case_id)
    assert entered.count("Alert ops: legal review overdue") >= 4
    waiting = case(case_id)
    assert waiting.status is CaseStatus.OPEN
    assert waiting.queue == "LEGAL_REVIEW_ESCALATED"
    assert timeline_kinds(case_id).count("legal_review_escalated") == 1
    assert entered[-1] == "Wait for legal review decision"
    assert "Refer to litigation" not in entered

    # and the report says where it waits, for whom
    report = build_report(rt)
    jsonschema.validate(report, REPORT_SCHEMA)
    listed = next(c for c in report["cases"] if c["case_id"] == case_id)
    assert listed["queue"] == "LEGAL_REVIEW_ESCALATED"
    assert report["totals"]["cases_by_queue"]["LEGAL_REVIEW_ESCALATED"] >= 1
