"""Repeats never act twice: duplicate and out-of-order events, stray wakes, retried steps."""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from datetime import timedelta

from arrears.domain.case import execution_name
from arrears.domain.types import CaseStatus
from escalation_support import (  # noqa: F401 - fixtures
    case,
    open_overdue,
    outbox,
    payment_event,
    post,
    rt,
    states_entered,
    timeline_kinds,
    wake,
)


def test_duplicate_and_out_of_order_events_change_nothing_twice(rt, outbox):
    # given a case that was paid on day 3
    case_id = open_overdue(rt, "acc-dup")
    rt.advance(timedelta(days=3))
    paid = post(rt, "acc-dup", "PAID", amount_paid="1250.00")
    entered_after_paid = states_entered(rt, case_id)
    sent_after_paid = len(outbox.to("acc-dup"))

    # when the same PAID event is delivered again, and a late OVERDUE with a lower sequence
    rt.put_event("wallet.payments", "PaymentStatusChanged", paid)
    late = payment_event("acc-dup", "OVERDUE", sequence=1, event_id="evt-late", occurred_at=rt.now)
    rt.put_event("wallet.payments", "PaymentStatusChanged", late)
    rt.advance(timedelta(days=30))

    # then one execution, one receipt, the case stays paid, and the late event is on record
    assert [e["name"] for e in rt.executions("EscalationStateMachine")].count(
        execution_name(case_id, 1)
    ) == 1
    assert states_entered(rt, case_id) == entered_after_paid
    assert len(outbox.to("acc-dup")) == sent_after_paid == 4  # reminder + receipt, 2 channels
    assert case(case_id).status is CaseStatus.PAID
    assert "event_ignored" in timeline_kinds(case_id)


def test_a_stray_approval_outside_legal_review_resumes_the_same_wait(rt, outbox):
    # given a case waiting for its reminder (day 1, an hour away: a wait too short to park)
    start = rt.now
    case_id = open_overdue(rt, "acc-stray")
    rt.advance(timedelta(minutes=30))

    # when something wakes it with an approval nobody asked for
    assert wake(rt, case_id, "APPROVED", approver="nobody")

    # then it goes back to the same wait, for the time that was left: no litigation, no early send
    entered = states_entered(rt, case_id)
    assert entered[-3:] == ["Handle wake-up", "Go to next step", "Wait until reminder is due"]
    assert outbox.to("acc-stray") == []
    rt.advance(timedelta(hours=1))
    reminder = outbox.to("acc-stray")[-1]
    assert reminder["at"] - start == timedelta(hours=1)
    assert case(case_id).status is CaseStatus.OPEN
    assert "Refer to litigation" not in states_entered(rt, case_id)


def test_a_retried_or_redriven_step_never_sends_twice(rt, outbox):
    # given a case whose reminder went out
    case_id = open_overdue(rt, "acc-retry")
    rt.advance(timedelta(hours=2))
    assert len(outbox.to("acc-retry")) == 2

    # when the same step runs again with the same input (a Lambda retry or a redrive)
    again = rt.invoke("arrears-contact", {"case_id": case_id, "stage": "reminder"})

    # then nothing is sent, and the step reports what the first attempt did (so it routes the
    # same way), says why nothing happened now, and where the case goes next
    assert len(outbox.to("acc-retry")) == 2
    assert again["outcome"] == "sent"
    assert "already_done" in again["reason"]
    assert again["route"] == "follow_up"


def test_a_repeated_receipt_step_thanks_once(rt, outbox):
    case_id = open_overdue(rt, "acc-receipt")
    rt.advance(timedelta(days=1))
    post(rt, "acc-receipt", "PAID", amount_paid="1250.00")
    assert outbox.channels("acc-receipt") == {"sms": 2, "email": 2}

    rt.invoke("arrears-contact", {"case_id": case_id, "op": "receipt"})

    assert outbox.channels("acc-receipt") == {"sms": 2, "email": 2}
