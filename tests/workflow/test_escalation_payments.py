"""Payment news while a case escalates: pending, failed, partial, below threshold, written off."""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from datetime import timedelta

from arrears.domain.types import CaseStatus, Stage
from escalation_support import (  # noqa: F401 - fixtures
    THANKED,
    case,
    open_overdue,
    outbox,
    post_at,
    rt,
    states_entered,
    timeline_kinds,
    transitions,
)

HOLD = "Hold: payment pending, promise, dispute or pause"


def test_payment_pending_pauses_escalation_then_paid_is_thanked(rt, outbox):
    # given a case reminded on day 1, whose money is in flight from day 2
    start = rt.now
    case_id = open_overdue(rt, "acc-pend-paid")
    post_at(rt, start + timedelta(days=2), "acc-pend-paid", "PAYMENT_PENDING")
    # when the payment settles on day 4 (within the 72 h grace window)
    post_at(rt, start + timedelta(days=4), "acc-pend-paid", "PAID", amount_paid="1250.00")
    rt.advance(timedelta(days=30))

    # then escalation held while the money moved, and the borrower was thanked, never chased
    entered = states_entered(rt, case_id)
    assert HOLD in entered
    assert entered[-3:] == THANKED
    assert "Send follow-up reminder" not in entered
    sent = outbox.to("acc-pend-paid")
    assert [s["at"] - start for s in sent] == [timedelta(hours=1)] * 2 + [timedelta(days=4)] * 2
    assert case(case_id).status is CaseStatus.PAID
    assert transitions(rt, case_id) <= 14


def test_payment_failed_resumes_the_ladder_where_it_stood(rt, outbox):
    # given a case whose pending payment fails on day 3
    start = rt.now
    case_id = open_overdue(rt, "acc-pend-fail")
    post_at(rt, start + timedelta(days=2), "acc-pend-fail", "PAYMENT_PENDING")
    post_at(rt, start + timedelta(days=3), "acc-pend-fail", "PAYMENT_FAILED")
    rt.advance(timedelta(days=8))

    # then the reminder is not repeated and the follow-up goes out on its planned day 7
    sent = outbox.to("acc-pend-fail")
    assert [(s["channel"], (s["at"] - start).days) for s in sent] == [
        ("sms", 0),
        ("email", 0),
        ("sms", 6),
    ]
    resumed = case(case_id)
    assert resumed.status is CaseStatus.OPEN
    assert resumed.stage is Stage.FOLLOW_UP
    assert states_entered(rt, case_id).count("Send reminder") == 1


def test_pending_without_news_resumes_after_the_grace_window(rt, outbox):
    start = rt.now
    case_id = open_overdue(rt, "acc-pend-silent")
    post_at(rt, start + timedelta(days=5), "acc-pend-silent", "PAYMENT_PENDING")
    rt.advance(timedelta(days=9))

    # the follow-up due on day 7 waited for the 72 h grace to end (day 8), then went out
    follow_up = outbox.to("acc-pend-silent")[-1]
    assert timedelta(days=8) <= follow_up["at"] - start < timedelta(days=8, minutes=1)
    assert "payment_grace_expired" in timeline_kinds(case_id)
    assert case(case_id).status is CaseStatus.OPEN


def test_partial_payment_rescores_and_continues_from_the_current_stage(rt, outbox):
    # given a case past its reminder and follow-up
    start = rt.now
    case_id = open_overdue(rt, "acc-partial")
    # when most of it is paid on day 9
    post_at(
        rt,
        start + timedelta(days=9),
        "acc-partial",
        "PARTIALLY_PAID",
        amount_due="1250.00",
        amount_paid="1000.00",
    )
    rt.advance(timedelta(days=14))

    # then the case was re-scored, and the ladder continued at the agent call (not the start)
    kinds = timeline_kinds(case_id)
    assert kinds.count("segment_chosen") == 2
    entered = states_entered(rt, case_id)
    assert entered.count("Send reminder") == 1
    assert entered.count("Send follow-up reminder") == 1
    assert "Request agent call" in entered
    current = case(case_id)
    assert current.balance == 250
    assert current.stage is Stage.AGENT_CALL
    assert current.queue == "AGENT_CALL"


def test_partial_payment_leaving_less_than_the_threshold_resolves_the_case(rt, outbox):
    start = rt.now
    case_id = open_overdue(rt, "acc-cents")
    post_at(
        rt,
        start + timedelta(days=3),
        "acc-cents",
        "PARTIALLY_PAID",
        amount_due="1250.00",
        amount_paid="1248.00",
    )
    rt.advance(timedelta(days=30))

    resolved = case(case_id)
    assert resolved.status is CaseStatus.RESOLVED
    assert states_entered(rt, case_id)[-3:] == THANKED
    # the reminder, then a receipt; nothing chases the remaining 2.00
    assert outbox.channels("acc-cents") == {"sms": 2, "email": 2}


def test_written_off_closes_without_any_further_contact(rt, outbox):
    start = rt.now
    case_id = open_overdue(rt, "acc-woff")
    post_at(rt, start + timedelta(days=3), "acc-woff", "WRITTEN_OFF")
    rt.advance(timedelta(days=60))

    assert case(case_id).status is CaseStatus.WRITTEN_OFF
    # the case was parked until its follow-up: the write-off resumed it, and its first step
    # closed it
    assert states_entered(rt, case_id)[-3:] == [
        "Assess risk and plan",
        "Go to next step",
        "Case closed",
    ]
    assert outbox.channels("acc-woff") == {"sms": 1, "email": 1}  # the day-1 reminder only
