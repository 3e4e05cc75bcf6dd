"""Where a case that cannot escalate goes: a hold (which wait, until when), or the end.

A case that is payment-pending, promised, disputed, paused or on a plan waits instead of
escalating; each hold has a deadline, re-checked when it passes (docs/escalation.md).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from arrears.domain.case import CaseRecord
from arrears.domain.ladder import NextStep, Route, WaitingFor, hold, planned_time
from arrears.domain.plans import Plan, PlanStatus
from arrears.domain.policy import Policy
from arrears.domain.types import CaseStatus


def hold_for_status(
    policy: Policy,
    case: CaseRecord,
    now: datetime,
    wake: dict[str, Any] | None = None,
    plan: Plan | None = None,
) -> NextStep:
    """The hold a holding status calls for, with its deadline (re-checked when it passes).
    ``plan``: the case's repayment plan, for an ON_PLAN case."""
    wake = wake or {}
    status = case.status
    if status is CaseStatus.PAYMENT_PENDING:
        since = case.pending_since or now
        until = since + timedelta(hours=policy.grace.payment_pending_hours)
        if case.reconcile_by is not None:
            # the borrower says it is paid and nobody has found it yet: ops are to look
            # for it (the PAYMENT_RECONCILIATION queue) while contact holds
            return hold(WaitingFor.PAYMENT_RECONCILIATION, max(case.reconcile_by, now), now)
        return hold(WaitingFor.PAYMENT_SETTLEMENT, max(until, now), now)
    if status is CaseStatus.PROMISED:
        promised = _date(wake.get("promise_date"))
        if promised is None:
            until = now + timedelta(days=policy.grace.promise_days)
        else:
            until = planned_time(policy, promised, policy.grace.promise_days, None)
        return hold(WaitingFor.PROMISED_PAYMENT, until, now)
    if status is CaseStatus.DISPUTED:
        return hold(
            WaitingFor.DISPUTE_RESOLUTION,
            now + timedelta(days=policy.holds.dispute_review_days),
            now,
        )
    if status is CaseStatus.PAUSED:
        until_text = wake.get("until")
        until = (
            datetime.fromisoformat(until_text.replace("Z", "+00:00"))
            if isinstance(until_text, str) and until_text
            else now + timedelta(days=policy.holds.pause_default_days)
        )
        return hold(WaitingFor.PAUSE_END, until, now)
    if status is CaseStatus.ON_PLAN:
        return hold_for_plan(policy, plan, now)
    raise ValueError(f"status {status.value} is not a holding status")


def hold_for_plan(policy: Policy, plan: Plan | None, now: datetime) -> NextStep:
    """On plan: until the next installment's deadline (due instant + grace)."""
    deadline = plan.missed_deadline() if plan and plan.status is PlanStatus.ACTIVE else None
    if deadline is None:
        # on plan without a tracked schedule (set by hand): the policy's review period
        return hold(
            WaitingFor.PLAN_REVIEW, now + timedelta(days=policy.holds.plan_review_days), now
        )
    nxt = plan.next_unpaid() if plan else None
    reason = f"installment {nxt.number} of {len(plan.installments)}" if nxt and plan else ""
    return hold(WaitingFor.PLAN_REVIEW, deadline, now, reason)


def _date(value: Any) -> date | None:
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def closed_route(case: CaseRecord) -> NextStep:
    """A closed case's execution ends: thanked when paid or resolved, else just closed."""
    outcome, reason = case.status.value.lower(), case.outcome or ""
    if case.status in (CaseStatus.PAID, CaseStatus.RESOLVED):
        return NextStep(Route.THANK, outcome=outcome, reason=reason)
    return NextStep(Route.CLOSED, outcome=outcome, reason=reason)
