"""Paid after the first reminder: woken at once, thanked, nothing else ever sent."""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from datetime import timedelta

from arrears.domain.types import CaseStatus
from escalation_support import (  # noqa: F401 - fixtures
    case,
    open_overdue,
    outbox,
    post_at,
    rt,
    states_entered,
    timeline_kinds,
    transitions,
)


def test_paid_after_first_reminder_is_thanked_and_never_chased(rt, outbox):
    # given a standard case whose reminder (SMS + email) goes out on day 1
    opened = rt.now
    case_id = open_overdue(rt, "acc-paid")
    rt.advance(timedelta(days=2))
    assert outbox.channels("acc-paid") == {"sms": 1, "email": 1}

    # when the borrower pays in full on day 3
    post_at(rt, opened + timedelta(days=3), "acc-paid", "PAID", amount_paid="1250.00")
    rt.advance(timedelta(days=90))

    # then the parked case was resumed at once and ended with a thank-you
    entered = states_entered(rt, case_id)
    assert entered == [
        "Assess risk and plan",
        "Go to next step",
        "Wait until reminder is due",
        "Send reminder",
        "Go to next step",
        "Park until the next stage is due",  # the follow-up is 6 days away
        "Assess risk and plan",  # the payment resumed the case and handled its wake
        "Go to next step",
        "Thank borrower for payment",
        "Go to next step",
        "Case closed",
    ]
    # and only the receipt followed the reminder: nothing else, ever, for this cycle
    assert outbox.channels("acc-paid") == {"sms": 2, "email": 2}
    receipt = outbox.to("acc-paid")[-1]
    assert receipt["at"] == opened + timedelta(days=3)
    assert "1,250" in receipt["body"] or "1250" in receipt["body"]
    assert case(case_id).status is CaseStatus.PAID
    kinds = timeline_kinds(case_id)
    assert kinds.count("contact_sent") == 4
    # and the efficiency target holds: <= 12 state transitions
    assert transitions(rt, case_id) <= 12
