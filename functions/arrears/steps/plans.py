"""What the escalation steps do about replies and repayment plans.

Called from ``steps/wake.py`` (wake-ups, deadlines), so it only carries one-line hooks:

- ``after_reply``: a ``{"wake": "REPLY"}`` from reply processing: hand the case to a human
  agent (distress, a request for a call or a plan) or put it on the hardship path;
- ``hold_on_plan``: an active plan holds escalation until its next installment's deadline
  (due instant + grace), not for a fixed review period;
- ``on_plan_payment``: a (partial) payment while on plan is matched to the installments;
- ``on_plan_deadline``: at that deadline, a short installment breaks the plan and
  escalation resumes at the stage the case was in (the first stage not yet done);
- ``settle_plan``: a case that closed (paid in full, resolved) completes its plan.

What a message says about plans (the offer's terms, the softer template) is in
``steps/plan_offers.py``, which the contact step imports without the reply machinery.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from arrears.domain.case import CaseRecord
from arrears.domain.holds import hold_for_plan
from arrears.domain.ladder import NextStep, Route, WaitingFor, plan_next, wait_until
from arrears.domain.plans import Plan, PlanStatus, check, close, record_paid
from arrears.domain.policy import Policy
from arrears.domain.ports import PlanStore
from arrears.domain.queues import QUEUE_REPLY_REVIEW
from arrears.domain.types import CaseStatus
from arrears.domain.wakes import ROUTE_AGENT, ROUTE_REVIEW
from arrears.steps.holds import hold_for_status
from arrears.steps.plan_offers import plan_summary
from arrears.steps.rescoring import rescore
from arrears.steps.unit_of_work import (
    UnitOfWork,
    case_view,
)

# Holds a reply never overrides (contact must stay stopped): dispute, payment in flight, pause.
_STRICT_HOLDS = frozenset({CaseStatus.DISPUTED, CaseStatus.PAYMENT_PENDING, CaseStatus.PAUSED})


def _plans(deps: UnitOfWork) -> PlanStore:
    if deps.plans is None:
        raise RuntimeError("this step needs the plan store (UnitOfWork.plans)")
    return deps.plans


# --------------------------------------------------------------------------- replies


def after_reply(
    deps: UnitOfWork, case: CaseRecord, policy: Policy, wake: dict[str, Any], now: datetime
) -> NextStep:
    if case.status in _STRICT_HOLDS:
        return hold_for_status(policy, case, now, wake, deps.plans).with_outcome(
            "hold", "reply_during_hold"
        )
    borrower = deps.load_borrower(case)
    if wake.get("route") == ROUTE_AGENT:
        deadline = now + timedelta(hours=policy.agent_call.outcome_deadline_hours)
        deps.record(
            case.case_id,
            "agent_task_opened",
            {"reason": wake.get("reason"), "intent": wake.get("intent"), "deadline": deadline},
            now,
        )
        return wait_until(
            Route.AGENT_CALL_OUTCOME, deadline, now, WaitingFor.AGENT_OUTCOME
        ).with_outcome("agent_task", str(wake.get("reason") or "reply"))
    if wake.get("route") == ROUTE_REVIEW:
        deadline = now + timedelta(hours=policy.agent_call.outcome_deadline_hours)
        deps.record(case.case_id, "reply_review_opened", {"deadline": deadline}, now)
        return (
            wait_until(Route.AGENT_CALL_OUTCOME, deadline, now, WaitingFor.AGENT_OUTCOME)
            .in_queue(QUEUE_REPLY_REVIEW)
            .with_outcome("reply_review", str(wake.get("reason") or "reply"))
        )
    if case.status is CaseStatus.ON_PLAN:
        return hold_on_plan(deps, case, policy, now)
    # hardship: the flag is on the borrower, so scoring chooses the hardship segment, whose
    # ladder starts with the plan offer (sent now, not at its day offset)
    segment = rescore(deps, case, borrower, policy, now, trigger="reply_hardship")
    if case.status is CaseStatus.PROMISED:
        return hold_for_status(policy, case, now, wake, deps.plans)
    view = case_view(case, borrower, segment=segment)
    return plan_next(policy, view, now, not_before=now).with_outcome("hardship", "reply")


# --------------------------------------------------------------------------- plans


def hold_on_plan(deps: UnitOfWork, case: CaseRecord, policy: Policy, now: datetime) -> NextStep:
    return hold_for_plan(policy, _plans(deps).get(case.case_id), now)


def on_plan_payment(deps: UnitOfWork, case: CaseRecord, policy: Policy, now: datetime) -> NextStep:
    store = _plans(deps)
    plan = store.get(case.case_id)
    if plan is None or plan.status is not PlanStatus.ACTIVE:
        return hold_on_plan(deps, case, policy, now)
    updated = record_paid(plan, case.balance, now)
    saved = store.save(case.case_id, updated)
    deps.record(case.case_id, "plan_payment", _progress(saved), now)
    if saved.status is PlanStatus.COMPLETED:
        deps.record(case.case_id, "plan_completed", plan_summary(saved), now)
        if case.balance < policy.resolve_below:
            closed = deps.close_case(case, CaseStatus.RESOLVED, "plan_completed", now)
            return NextStep(Route.THANK, outcome=closed.status.value.lower(), reason="plan")
        # the plan covered what was owed when it began; anything owed since is chased again
        case = deps.set_case(case.case_id, status=CaseStatus.OPEN)
        borrower = deps.load_borrower(case)
        return plan_next(policy, case_view(case, borrower), now).with_outcome(
            "resumed", "plan_completed_balance_left"
        )
    return hold_on_plan(deps, case, policy, now).with_outcome("on_plan", "installment_paid")


def on_plan_deadline(
    deps: UnitOfWork, case: CaseRecord, policy: Policy, now: datetime
) -> NextStep | None:
    """The plan's deadline passed; None when the case has no tracked plan (caller decides)."""
    store = _plans(deps)
    plan = store.get(case.case_id)
    if plan is None or plan.status is not PlanStatus.ACTIVE:
        return None
    plan = record_paid(plan, case.balance, now)  # in case a payment's wake was missed
    result = check(plan, now)
    if not result.broken:
        if result.plan != plan or plan.status is PlanStatus.COMPLETED:
            store.save(case.case_id, result.plan)
        return hold_on_plan(deps, case, policy, now)
    saved = store.save(case.case_id, result.plan)
    missed = result.missed
    deps.record(
        case.case_id,
        "plan_broken",
        {
            "plan_id": saved.plan_id,
            "installment": missed.number if missed else None,
            "amount": missed.amount if missed else None,
            "paid": missed.paid if missed else None,
            "resume_stage": saved.resume_stage,
        },
        now,
    )
    case = deps.set_case(case.case_id, status=CaseStatus.OPEN)
    borrower = deps.load_borrower(case)
    segment = rescore(deps, case, borrower, policy, now, trigger="plan_broken", broken_promises=1)
    view = case_view(case, borrower, segment=segment)
    return plan_next(policy, view, now).with_outcome("escalated", "plan_broken")


def settle_plan(deps: UnitOfWork, case: CaseRecord, now: datetime) -> None:
    """A closed case ends its plan: completed when paid or resolved, else withdrawn."""
    store = _plans(deps)
    plan = store.get(case.case_id)
    if plan is None or not plan.is_open:
        return
    if case.status in (CaseStatus.PAID, CaseStatus.RESOLVED) and plan.status is PlanStatus.ACTIVE:
        ended = record_paid(plan, case.balance, now)
        ended = close(ended, PlanStatus.COMPLETED, now)
        kind = "plan_completed"
    else:
        ended = close(plan, PlanStatus.WITHDRAWN, now)
        kind = "plan_withdrawn"
    saved = store.save(case.case_id, ended)
    deps.record(case.case_id, kind, plan_summary(saved), now)


def _progress(plan: Plan) -> dict[str, Any]:
    nxt = plan.next_unpaid()
    return {
        "plan_id": plan.plan_id,
        "status": plan.status.value,
        "paid_total": plan.paid_total,
        "total": plan.total,
        "installments_paid": sum(1 for i in plan.installments if i.short == 0),
        "next_installment": nxt.number if nxt else None,
        "next_due_date": nxt.due_date if nxt else None,
    }


# --------------------------------------------------------------------------- messages
