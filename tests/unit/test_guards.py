"""Workflow guards: an action runs only on an open, active case, and only once."""

from __future__ import annotations

import pytest
from arrears.domain.guards import Purpose, Verdict, may_act, may_start_stage
from arrears.domain.types import CaseStatus

KEY = "reminder#sms"


def test_an_open_case_may_send_a_reminder_not_yet_sent():
    result = may_act(CaseStatus.OPEN, KEY, frozenset())
    assert result.proceed
    assert result.verdict is Verdict.PROCEED


def test_a_retried_or_redriven_step_is_skipped():
    result = may_act(CaseStatus.OPEN, KEY, frozenset({KEY}))
    assert (result.verdict, result.reason) == (Verdict.SKIP, "already_done")


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (CaseStatus.PAYMENT_PENDING, "payment_pending"),
        (CaseStatus.DISPUTED, "disputed"),
        (CaseStatus.PAUSED, "paused"),
        (CaseStatus.PROMISED, "promise_to_pay_pending"),
        (CaseStatus.ON_PLAN, "on_payment_plan"),
    ],
)
def test_a_held_case_is_never_contacted(status, reason):
    result = may_act(status, KEY, frozenset())
    assert (result.verdict, result.reason) == (Verdict.HOLD, reason)
    assert may_start_stage(status).verdict is Verdict.HOLD


@pytest.mark.parametrize("status", [s for s in CaseStatus if s.is_terminal])
def test_a_terminal_case_gets_no_collection_action(status):
    assert may_act(status, KEY, frozenset()).verdict is Verdict.CLOSED
    assert may_start_stage(status).verdict is Verdict.CLOSED


@pytest.mark.parametrize("status", [CaseStatus.PAID, CaseStatus.RESOLVED])
def test_a_paid_case_gets_its_receipt_once(status):
    assert may_act(status, "receipt#sms", frozenset(), Purpose.RECEIPT).proceed
    again = may_act(status, "receipt#sms", frozenset({"receipt#sms"}), Purpose.RECEIPT)
    assert again.verdict is Verdict.SKIP


@pytest.mark.parametrize(
    "status", [CaseStatus.OPEN, CaseStatus.WRITTEN_OFF, CaseStatus.LITIGATION, CaseStatus.CLOSED]
)
def test_no_receipt_unless_paid_or_resolved(status):
    assert may_act(status, "receipt#sms", frozenset(), Purpose.RECEIPT).verdict is Verdict.SKIP
