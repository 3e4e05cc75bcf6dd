"""Escalation step "Handle wake-up" (and the two human-decision steps around legal review).

A waiting execution wakes for one of three reasons, and this step turns each into a route
for the "Go to next step" Choice:

- ingest or an ops action sent ``{"wake": REASON, ...}`` with the task token on the case;
- the wait's deadline passed (``{"Error": "States.Timeout"}``): a hold's grace window, an
  agent's or an approver's deadline;
- the wait found the case already closed, or a wake parked on it (its conditional write
  failed): a wake that arrived while no execution waited (``steps/waking.py``) is
  taken from the case here and handled exactly as if it had woken the wait.

Ingest and ops have already written the case change that caused the wake (status, balance,
promise, pause); this step decides what the escalation does about it, and writes only what
belongs to the escalation (stage, segment, re-opened status after a grace window).

``pending`` is the plan the interrupted wait was following (``$.next``): an event that does
not change the plan (an opt-out, a repeated or out-of-order wake) resumes that same wait for
the time that was left, so nothing happens twice and nothing is skipped.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger

from arrears import constants as c
from arrears.domain import wakes
from arrears.domain.case import BorrowerRecord, CaseRecord, parse_iso_utc
from arrears.domain.guards import hold_reason
from arrears.domain.holds import closed_route
from arrears.domain.ladder import (
    NextStep,
    Route,
    WaitingFor,
    await_decision,
    plan_next,
    plan_resume,
    rejection_next_step,
    route_for_waiting,
    wait_until,
)
from arrears.domain.policy import Policy
from arrears.domain.queues import (
    QUEUE_AGENCY_PLACEMENT,
    QUEUE_LEGAL_REVIEW,
    QUEUE_LEGAL_REVIEW_ESCALATED,
    QUEUE_LITIGATION_REJECTED,
    QUEUE_REPLY_REVIEW,
)
from arrears.domain.scoring.segments import HARDSHIP_FLAG, Segment
from arrears.domain.types import AfterRejection, CaseStatus, Stage
from arrears.domain.wakes import RECHECK, Meaning
from arrears.steps import plans as plan_steps
from arrears.steps.holds import hold_for_status
from arrears.steps.rescoring import rescore
from arrears.steps.unit_of_work import (
    UnitOfWork,
    case_view,
    count,
    is_overdue,
    policy_of,
)

logger = Logger(service=c.SERVICE_NAME)

ALERT_ACTION = "alert"  # done_actions "legal_review#alert<n>": how often ops were alerted


# ------------------------------------------------------------------------------ wake-ups


def handle_wake(
    deps: UnitOfWork, case_id: str, wake: dict[str, Any], pending: dict[str, Any]
) -> dict[str, Any]:
    now = deps.clock()
    reason = wakes.reason_for(wake)
    waiting = str(pending.get("waiting_for") or "") or _waiting_of(pending)
    if waiting == WaitingFor.LEGAL_DECISION:  # the legal review's answers need no borrower
        case = deps.load_case(case_id)
    else:
        deps, case = deps.load_case_and_borrower(case_id)
    # what the wake changes and the audit lines saying so (wake_handled last): one write
    with deps.writing(case) as step:
        # the wait could not start because a wake was parked while no execution waited
        # (steps/waking.py): act on that wake now, as if it had woken the wait
        parked = step.take_parked_wake() if reason == RECHECK else None
        if parked is not None:
            wake, reason = parked, wakes.reason_for(parked)
        nxt = _decide(step, case, reason, wake, pending, waiting, now)
        step.record(
            case_id,
            "wake_handled",
            {
                "wake": reason,
                "parked": True if parked is not None else None,
                "waiting_for": waiting,
                "agent_outcome": wake.get("outcome"),
                "route": nxt.route,
                "outcome": nxt.outcome,
                "reason": nxt.reason,
            },
            now,
        )
    count("WakeHandled", wake=reason, route=nxt.route.value)
    if nxt.route in (Route.THANK, Route.CLOSED, Route.LITIGATION):
        count("CaseResolved", outcome=nxt.outcome or "closed")
    logger.info("wake handled", extra={"wake": reason, "route": nxt.route})
    return nxt.as_output()


def _waiting_of(pending: dict[str, Any]) -> str:
    route = str(pending.get("route") or "")
    if route == Route.AGENT_CALL_OUTCOME:
        return WaitingFor.AGENT_OUTCOME.value
    if route in (Route.LEGAL_REVIEW_DECISION, Route.LEGAL_REVIEW_ALERT):
        return WaitingFor.LEGAL_DECISION.value
    return f"{route}_due" if route else ""


def _decide(
    deps: UnitOfWork,
    case: CaseRecord,
    reason: str,
    wake: dict[str, Any],
    pending: dict[str, Any],
    waiting: str,
    now: datetime,
) -> NextStep:
    policy = policy_of(case)
    match wakes.meaning(reason, waiting, case.status.is_terminal):
        case Meaning.CLOSED_ALREADY:
            plan_steps.settle_plan(deps, case, now)  # a closed case ends its plan
            if case.queue:  # closed while listed (a payment settled a claimed one)
                deps.repos.cases.clear_queue(case.case_id)
            return closed_route(case)
        case Meaning.PAID:  # ingest normally closed it already; close it if not
            return closed_route(deps.close_case(case, CaseStatus.PAID, "paid", now))
        case Meaning.WRITTEN_OFF | Meaning.CLOSE:
            status = CaseStatus.WRITTEN_OFF if reason == "WRITTEN_OFF" else CaseStatus.CLOSED
            outcome = str(wake.get("outcome") or reason.lower())
            return closed_route(deps.close_case(case, status, outcome, now))
        case Meaning.PARTIAL_PAYMENT:
            return _partial_payment(deps, case, policy, now)
        case Meaning.AGENT_OUTCOME:
            return _agent_outcome(deps, case, policy, wake, now)
        case Meaning.NOT_AWAITED:
            outcome = f"{'approval' if reason == 'APPROVED' else 'rejection'}_not_awaited"
            return _resume_pending(policy, case, deps, pending, now, outcome)
        case Meaning.APPROVED:
            approver = str(wake.get("approver", ""))
            return NextStep(Route.LITIGATION, outcome="approved", reason=approver)
        case Meaning.REJECTED:
            return _after_rejection(deps, case, policy, wake, now)
        case Meaning.DEADLINE:
            return _deadline_passed(deps, case, policy, waiting, pending, now)
        case Meaning.REPLY:  # a borrower reply that re-routes the case
            return plan_steps.after_reply(deps, case, policy, wake, now)
        case Meaning.STATUS_NEWS:
            return _follow_status(deps, case, policy, reason, wake, now)
    # opt-out, recheck, anything unknown: the plan does not change; the gate sees the opt-out
    return _resume_pending(policy, case, deps, pending, now, reason.lower())


def _person_did_not_act(
    deps: UnitOfWork, case: CaseRecord, policy: Policy, borrower: BorrowerRecord, now: datetime
) -> NextStep:
    """An agent call or a reply review passed its deadline unworked: the ladder goes on, and
    a borrower who told of hardship meanwhile goes on on the hardship ladder (its plan offer
    first, from now), so the hardship is acted on even when nobody took the task."""
    review = case.queue == QUEUE_REPLY_REVIEW
    if case.queue:
        deps.set_case(case.case_id, queue=None, queue_due_at=None)
    if review:
        deps.record(case.case_id, "reply_review_expired", {}, now)
    else:
        deps.record(case.case_id, "agent_call_expired", {"stage": Stage.AGENT_CALL}, now)
    reason = "reply_review_deadline" if review else "agent_outcome_deadline"
    if HARDSHIP_FLAG in borrower.flags and case.segment != Segment.HARDSHIP:
        segment = rescore(deps, case, borrower, policy, now, trigger="hardship_unanswered")
        view = case_view(case, borrower, segment=segment)
        return plan_next(policy, view, now, not_before=now).with_outcome("hardship", reason)
    return plan_next(policy, case_view(case, borrower), now).with_outcome("moved_on", reason)


def _follow_status(
    deps: UnitOfWork,
    case: CaseRecord,
    policy: Policy,
    reason: str,
    wake: dict[str, Any],
    now: datetime,
) -> NextStep:
    """Ingest/ops already set the status; hold while it holds, else continue the ladder."""
    if reason == "PLAN_ACCEPTED" and case.status is not CaseStatus.ON_PLAN:
        case = deps.set_case(case.case_id, status=CaseStatus.ON_PLAN)
    if case.status is CaseStatus.ON_PLAN:  # hold until the next installment's deadline
        return plan_steps.hold_on_plan(deps, case, policy, now)
    if hold_reason(case.status):
        return hold_for_status(policy, case, now, wake, deps.plans)
    borrower = deps.load_borrower(case)
    view = case_view(case, borrower)
    if reason == "PAYMENT_FAILED":
        return plan_resume(policy, view, now).with_outcome("resumed", "payment_failed")
    return plan_next(policy, view, now).with_outcome("resumed", reason.lower())


def _partial_payment(deps: UnitOfWork, case: CaseRecord, policy: Policy, now: datetime) -> NextStep:
    if case.status is CaseStatus.ON_PLAN:  # match the payment to the installments
        return plan_steps.on_plan_payment(deps, case, policy, now)
    if case.balance < policy.resolve_below:
        closed = deps.close_case(case, CaseStatus.RESOLVED, "resolved_below_threshold", now)
        return closed_route(closed)
    borrower = deps.load_borrower(case)
    segment = rescore(deps, case, borrower, policy, now, trigger="partial_payment")
    if hold_reason(case.status):
        return hold_for_status(policy, case, now, plans=deps.plans)
    view = case_view(case, borrower, segment=segment)
    return plan_resume(policy, view, now).with_outcome("resumed", "partial_payment")


def _agent_outcome(
    deps: UnitOfWork, case: CaseRecord, policy: Policy, wake: dict[str, Any], now: datetime
) -> NextStep:
    outcome = str(wake.get("outcome") or "")
    borrower = deps.load_borrower(case)
    if outcome == "paid_claimed" and case.status is CaseStatus.OPEN:
        # the borrower says it is paid: treat it as money in flight for the grace window
        case = deps.set_case(case.case_id, status=CaseStatus.PAYMENT_PENDING, pending_since=now)
    if outcome == "hardship" or "hardship" in borrower.flags:
        segment = rescore(deps, case, borrower, policy, now, trigger="agent_outcome")
        view = case_view(case, borrower, segment=segment)
        if hold_reason(case.status):
            return hold_for_status(policy, case, now, wake, deps.plans)
        return plan_next(policy, view, now, not_before=now).with_outcome("hardship", outcome)
    if hold_reason(case.status):  # promise, dispute, paid claimed
        return hold_for_status(policy, case, now, wake, deps.plans).with_outcome("hold", outcome)
    # no answer, wrong number, refused: the ladder moves on at its planned time
    return plan_next(policy, case_view(case, borrower), now).with_outcome("moved_on", outcome)


def _deadline_passed(
    deps: UnitOfWork,
    case: CaseRecord,
    policy: Policy,
    waiting: str,
    pending: dict[str, Any],
    now: datetime,
) -> NextStep:
    if waiting == WaitingFor.LEGAL_DECISION:
        return _legal_review_overdue(deps, case, policy, now)
    borrower = deps.load_borrower(case)
    if waiting == WaitingFor.AGENT_OUTCOME:
        return _person_did_not_act(deps, case, policy, borrower, now)
    if waiting == WaitingFor.OVERDUE:
        if not is_overdue(case):
            # no OVERDUE arrived after the due date: never chase an unconfirmed debt
            closed = deps.close_case(case, CaseStatus.CLOSED, "not_overdue", now)
            return closed_route(closed)
        return plan_next(policy, case_view(case, borrower), now).with_outcome("overdue")
    # a hold's grace window ended: re-check the status that held the case
    status = case.status
    if status is CaseStatus.PAYMENT_PENDING:
        deps.record(case.case_id, "payment_grace_expired", {}, now)
        if case.reconcile_by is not None:
            # nobody found the claimed payment in time: it leaves the reconciliation queue
            # and collection resumes (ops may still find it: a PAID event closes the case)
            deps.record(
                case.case_id,
                "payment_reconciliation_expired",
                {"reconcile_by": case.reconcile_by, "queue": case.queue},
                now,
            )
        case = deps.set_case(
            case.case_id,
            status=CaseStatus.OPEN,
            pending_since=None,
            reconcile_by=None,
            queue=None,
            queue_due_at=None,
        )
        return plan_next(policy, case_view(case, borrower), now).with_outcome(
            "resumed", "payment_not_settled"
        )
    if status is CaseStatus.PROMISED:
        deps.record(case.case_id, "promise_broken", {}, now)
        case = deps.set_case(case.case_id, status=CaseStatus.OPEN)
        segment = rescore(
            deps, case, borrower, policy, now, trigger="promise_broken", broken_promises=1
        )
        view = case_view(case, borrower, segment=segment)
        return plan_next(policy, view, now).with_outcome("escalated", "promise_broken")
    if status is CaseStatus.PAUSED and case.agency:
        # placed with an agency: it collects until ops recall the case (one collector)
        return hold_for_status(policy, case, now, plans=deps.plans).with_outcome(
            "hold", "placed_with_agency"
        )
    if status is CaseStatus.PAUSED:
        case = deps.set_case(case.case_id, status=CaseStatus.OPEN)
        return plan_next(policy, case_view(case, borrower), now).with_outcome(
            "resumed", "pause_ended"
        )
    if status is CaseStatus.ON_PLAN:  # a missed installment breaks the plan
        on_plan = plan_steps.on_plan_deadline(deps, case, policy, now)
        if on_plan is not None:
            return on_plan
    if status in (CaseStatus.DISPUTED, CaseStatus.ON_PLAN):
        # contact stays stopped until ops resolve the dispute / while the plan runs
        return hold_for_status(policy, case, now, plans=deps.plans).with_outcome(
            "hold", f"{status.value} review"
        )
    return plan_next(policy, case_view(case, borrower), now).with_outcome("resumed", "hold_ended")


def _legal_review_overdue(
    deps: UnitOfWork, case: CaseRecord, policy: Policy, now: datetime
) -> NextStep:
    """The decision is late: alert ops and wait again; after the policy's alerts the review
    escalates to a manager's queue. It never closes by itself, and never litigates."""
    alerts = sum(
        1 for key in case.done_actions if key.startswith(f"{Stage.LEGAL_REVIEW}#{ALERT_ACTION}")
    )
    escalate = case.decision_queue is None and alerts >= policy.legal_review.max_alerts
    # gathered with the audit lines: a retried step that finds this alert done writes none
    deps.mark_done(case.case_id, f"{Stage.LEGAL_REVIEW}#{ALERT_ACTION}{alerts + 1}")
    queue = QUEUE_LEGAL_REVIEW_ESCALATED if escalate else case.decision_queue
    deps.record(
        case.case_id,
        "legal_review_overdue",
        {"alert": alerts + 1, "queue": queue or QUEUE_LEGAL_REVIEW},
        now,
    )
    if escalate:
        deps.set_case(case.case_id, decision_queue=queue)
        deps.record(case.case_id, "legal_review_escalated", {"queue": queue}, now)
    why = f"escalated to {queue}" if escalate else f"alert {alerts + 1}"
    return wait_until(
        Route.LEGAL_REVIEW_ALERT,
        now + timedelta(days=policy.legal_review.decision_deadline_days),
        now,
        WaitingFor.LEGAL_DECISION,
    ).with_outcome("escalated" if escalate else "alerted", why)


def _after_rejection(
    deps: UnitOfWork, case: CaseRecord, policy: Policy, wake: dict[str, Any], now: datetime
) -> NextStep:
    """Litigation rejected: the debt goes where the rejection (or the policy) says."""
    chosen = str(wake.get("next_step") or "") or None
    step, why = rejection_next_step(chosen, policy.legal_review, case.balance)
    detail = {"next_step": step.value, "why": why, "approver": wake.get("approver")}
    deps.record(case.case_id, "litigation_rejected", detail, now)
    if step is AfterRejection.WRITE_OFF:
        closed = deps.close_case(
            case, CaseStatus.WRITTEN_OFF, "written_off_after_legal_review", now
        )
        return closed_route(closed).with_outcome("rejected", step.value)
    if step is AfterRejection.CONTINUE_LADDER:
        nxt = plan_next(policy, case_view(case, deps.load_borrower(case)), now)
        if nxt.route is not Route.LEGAL_REVIEW_DECISION:
            return nxt.with_outcome("rejected", step.value)
        # nothing left on the ladder: held for a person, as with hold
    queue = (
        QUEUE_AGENCY_PLACEMENT
        if step is AfterRejection.PLACE_WITH_AGENCY
        else QUEUE_LITIGATION_REJECTED
    )
    deps.set_case(case.case_id, decision_queue=queue)
    return await_decision(policy, now).with_outcome("rejected", step.value)


def _resume_pending(
    policy: Policy,
    case: CaseRecord,
    deps: UnitOfWork,
    pending: dict[str, Any],
    now: datetime,
    why: str,
) -> NextStep:
    """Go back to the interrupted wait for the time it had left."""
    route = route_for_waiting(str(pending.get("waiting_for") or "")) or _route(pending)
    until_text = str(pending.get("wait_until") or "")
    if route is not None and until_text:
        if route in (Route.LEGAL_REVIEW_ALERT,):
            route = Route.LEGAL_REVIEW_DECISION
        waiting = str(pending.get("waiting_for") or "")
        return wait_until(route, parse_iso_utc(until_text), now, waiting).with_outcome(
            "unchanged", why
        )
    borrower = deps.load_borrower(case)
    if hold_reason(case.status):
        return hold_for_status(policy, case, now, plans=deps.plans)
    return plan_next(policy, case_view(case, borrower), now).with_outcome("unchanged", why)


def _route(pending: dict[str, Any]) -> Route | None:
    try:
        return Route(str(pending.get("route") or ""))
    except ValueError:
        return None
