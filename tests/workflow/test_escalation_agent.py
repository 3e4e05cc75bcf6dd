"""Agent call outcomes and ops holds: promise kept, promise broken, dispute, pause."""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from datetime import timedelta

from arrears.adapters.cases import Repositories
from arrears.domain.types import CaseStatus
from escalation_support import (  # noqa: F401 - fixtures
    THANKED,
    case,
    open_overdue,
    ops,
    ops_at,
    outbox,
    post_at,
    rt,
    states_entered,
    timeline_kinds,
)

HOLD = "Hold: payment pending, promise, dispute or pause"
# standard ladder: the agent call is queued on day 14 after the due date (day 13 after opening)
CALL_QUEUED = timedelta(days=13, hours=2)


def _promise(case_id: str, start, days: int) -> dict[str, object]:
    return {
        "action": "record_call_outcome",
        "case_id": case_id,
        "outcome": "promise_to_pay",
        "promise_date": (start + timedelta(days=days)).date().isoformat(),
        "promise_amount": "1250.00",
    }


def test_agent_call_waits_in_the_work_queue_until_an_outcome_is_recorded(rt, outbox):
    start = rt.now
    case_id = open_overdue(rt, "acc-queue")
    rt.advance(CALL_QUEUED)

    queued = Repositories.dynamo().cases.work_queue("AGENT_CALL")
    assert case_id in [c.case_id for c in queued]
    assert case(case_id).waiting_for == "agent_outcome"

    outcome = ops(rt, {"action": "record_call_outcome", "case_id": case_id, "outcome": "no_answer"})
    assert outcome.status == "SUCCEEDED", outcome.cause
    assert case(case_id).queue is None
    # no answer: the ladder moves on to the demand letter on its planned day (30 after due)
    rt.advance(timedelta(days=20))
    letters = [s for s in outbox.to("acc-queue") if s["channel"] == "letter"]
    assert [(s["kind"], (s["at"] - start).days) for s in letters] == [("demand_letter", 29)]


def test_promise_kept_closes_the_case_without_escalating(rt, outbox):
    start = rt.now
    case_id = open_overdue(rt, "acc-kept")
    ops_at(rt, start + CALL_QUEUED + timedelta(hours=1), _promise(case_id, start, 20))
    post_at(rt, start + timedelta(days=19), "acc-kept", "PAID", amount_paid="1250.00")
    rt.advance(timedelta(days=60))

    entered = states_entered(rt, case_id)
    assert HOLD in entered
    assert "Send demand letter" not in entered
    assert entered[-3:] == THANKED
    assert case(case_id).status is CaseStatus.PAID
    assert "promise_broken" not in timeline_kinds(case_id)


def test_promise_broken_rescores_and_escalates(rt, outbox):
    start = rt.now
    case_id = open_overdue(rt, "acc-broken")
    ops_at(rt, start + CALL_QUEUED + timedelta(hours=1), _promise(case_id, start, 20))
    rt.advance(timedelta(days=31))

    kinds = timeline_kinds(case_id)
    assert "promise_broken" in kinds
    assert kinds.count("segment_chosen") == 2  # re-scored with the broken promise
    # no contact while the promise ran (day 13 to day 22); then the demand letter
    sent = outbox.to("acc-broken")
    quiet = [s for s in sent if timedelta(days=13, hours=3) < s["at"] - start < timedelta(days=22)]
    assert quiet == []
    assert [s["kind"] for s in sent if s["channel"] == "letter"] == ["demand_letter"]
    assert case(case_id).status is CaseStatus.OPEN


def test_dispute_stops_all_collection_contact_until_ops_close_it(rt, outbox):
    start = rt.now
    case_id = open_overdue(rt, "acc-dispute")
    dispute = {
        "action": "record_call_outcome",
        "case_id": case_id,
        "outcome": "dispute",
        "reason": "borrower says the instalment was never drawn",
    }
    ops_at(rt, start + timedelta(days=3), dispute)
    rt.advance(timedelta(days=75))

    # nothing after the day-1 reminder, for 75 days, though the ladder would have run on
    assert [(s["at"] - start).days for s in outbox.to("acc-dispute")] == [0, 0]
    held = case(case_id)
    assert held.status is CaseStatus.DISPUTED
    assert states_entered(rt, case_id).count(HOLD) >= 2  # the review deadline passed, re-held

    outcome = ops(rt, {"action": "close", "case_id": case_id, "reason": "settled"})
    assert outcome.status == "SUCCEEDED", outcome.cause
    assert case(case_id).status is CaseStatus.RESOLVED
    assert states_entered(rt, case_id)[-1] == "Case closed"


def test_pause_holds_until_its_end_then_the_ladder_continues(rt, outbox):
    start = rt.now
    case_id = open_overdue(rt, "acc-pause")
    until = start + timedelta(days=12)
    pause = {
        "action": "pause",
        "case_id": case_id,
        "until": until.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "reason": "hospital stay",
    }
    ops_at(rt, start + timedelta(days=2), pause)
    rt.advance(timedelta(days=13))

    sent = outbox.to("acc-pause")
    # the day-7 follow-up waited for the pause to end, then went out once
    assert [(s["channel"], (s["at"] - start).days) for s in sent] == [
        ("sms", 0),
        ("email", 0),
        ("sms", 12),
    ]
    assert case(case_id).status is CaseStatus.OPEN
