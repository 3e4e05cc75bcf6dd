"""A claimed payment in the pure domain: the hold that lists it for ops, and what ops'
``reconcile_payment`` changes (found, not found, refused)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from arrears.domain.case import CaseRecord
from arrears.domain.holds import hold_for_status
from arrears.domain.ladder import Route, WaitingFor, route_for_waiting
from arrears.domain.ops import NoClaimedPayment, parse_action, plan_action
from arrears.domain.policy import load_policy
from arrears.domain.queues import QUEUE_PAYMENT_RECONCILIATION
from arrears.domain.reconciliation import claim
from arrears.domain.types import CaseStatus, Stage

from tests.support.cases import a_case

NOW = datetime(2026, 11, 12, 3, 0, tzinfo=UTC)
POLICY = load_policy()


def claimed(**changes: Any) -> CaseRecord:
    fields = claim(NOW - timedelta(hours=2), POLICY.grace.payment_pending_hours)
    listed = {"queue": QUEUE_PAYMENT_RECONCILIATION, "queue_due_at": fields["reconcile_by"]}
    return replace(
        a_case(stage=Stage.REMINDER, task_token="tok", waiting_for="payment_reconciliation"),
        **(fields | listed | changes),
    )


def reconcile(outcome: str, case: CaseRecord) -> Any:
    raw = {
        "action": "reconcile_payment",
        "case_id": case.case_id,
        "operator": "li.wei",
        "outcome": outcome,
        "reason": "checked the wallet",
    }
    return plan_action(parse_action(raw), case, NOW)


def test_a_claim_holds_for_the_grace_window_and_lists_the_case_for_ops() -> None:
    fields = claim(NOW, 72)
    assert fields["status"] is CaseStatus.PAYMENT_PENDING
    assert fields["reconcile_by"] - fields["pending_since"] == timedelta(hours=72)
    out = hold_for_status(POLICY, claimed(), NOW).as_output()
    assert out["route"] == Route.RECONCILE_HOLD == "reconcile_hold"
    assert out["queue"] == QUEUE_PAYMENT_RECONCILIATION
    assert out["waiting_for"] == WaitingFor.PAYMENT_RECONCILIATION
    assert out["wait_until"] == claimed().reconcile_by.isoformat()  # type: ignore[union-attr]
    # an interrupted wait comes back to the listed hold, not the plain one
    assert route_for_waiting("payment_reconciliation") is Route.RECONCILE_HOLD


def test_money_the_wallet_reported_pending_is_held_without_a_listing() -> None:
    wallet = claimed(reconcile_by=None, queue=None, queue_due_at=None)
    out = hold_for_status(POLICY, wallet, NOW).as_output()
    assert (out["route"], out["queue"]) == ("hold", "")


def test_found_restarts_the_hold_for_the_settlement_and_leaves_the_queue() -> None:
    plan = reconcile("found", claimed())
    assert plan.case.set == {"pending_since": "2026-11-12T03:00:00Z"}
    assert set(plan.case.remove) == {"reconcile_by", "queue", "queue_due_at"}
    assert plan.wake == {"wake": "RESUME", "reason": "payment_found"}
    assert plan.timeline_kind == "payment_found"
    assert plan.timeline_detail["reason"] == "checked the wallet"
    assert plan.timeline_detail["operator"] == "li.wei"


def test_not_found_ends_the_hold_and_gives_back_the_status_before_the_claim() -> None:
    plan = reconcile("not_found", claimed(resume_status=CaseStatus.PROMISED))
    assert plan.case.set == {"status": "PROMISED"}
    assert {"reconcile_by", "pending_since", "resume_status", "queue"} <= set(plan.case.remove)
    assert plan.wake == {"wake": "RESUME", "reason": "payment_not_found"}
    assert reconcile("not_found", claimed()).case.set == {"status": "OPEN"}


def test_nothing_to_reconcile_is_refused() -> None:
    with pytest.raises(NoClaimedPayment):
        reconcile("found", claimed(reconcile_by=None))
    with pytest.raises(NoClaimedPayment):
        reconcile("not_found", claimed(status=CaseStatus.OPEN))
