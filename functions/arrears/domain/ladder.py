"""Planning the escalation ladder: pure functions, no AWS, no clock of their own.

Given the policy, what we know about a case and `now`, decide where the execution goes next
(`Route`, one per target in the state machine's "Go to next step" Choice), when (an absolute
time and the seconds to wait, which feed `TimeoutSecondsPath`), and what the wait is for.

Progress is the case's `done_actions` set ("<stage>#<channel>"): a stage is passed once an
action of it has been decided (sent or blocked; a deferral is not a decision). So
"resume at the current stage" after a partial payment, a failed payment or a broken promise
is simply "the first stage on the (possibly new) segment's ladder that is not passed yet",
and a changed segment never repeats or skips what really happened.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from arrears.domain.policy import LegalReview, Policy, StageStep
from arrears.domain.types import AfterRejection, Stage

# Step Functions caps a task timeout at the execution's one-year lifetime; stay well under.
MAX_WAIT_SECONDS = 300 * 24 * 3600
# The key under which non-channel decisions (legal review opened) are recorded.
REVIEW_ACTION = "review"


class Route(StrEnum):
    """Where "Go to next step" sends the execution (one Choice rule per value)."""

    PRE_DUE = Stage.PRE_DUE.value
    PLAN_OFFER = Stage.PLAN_OFFER.value
    REMINDER = Stage.REMINDER.value
    FOLLOW_UP = Stage.FOLLOW_UP.value
    AGENT_CALL = Stage.AGENT_CALL.value
    DEMAND_LETTER = Stage.DEMAND_LETTER.value
    LAWYER_LETTER = Stage.LAWYER_LETTER.value
    LEGAL_REVIEW = Stage.LEGAL_REVIEW.value
    AGENT_CALL_OUTCOME = "agent_call_outcome"  # wait for the agent's recorded outcome
    LEGAL_REVIEW_DECISION = "legal_review_decision"  # wait for the approver
    LEGAL_REVIEW_ALERT = "legal_review_alert"  # the approver is late: alert ops, keep waiting
    HOLD = "hold"  # payment pending, promise, dispute, pause, plan, not yet overdue
    # a payment the borrower says was made: held as HOLD, and listed for ops to reconcile
    RECONCILE_HOLD = "reconcile_hold"
    THANK = "thank"  # paid / resolved: receipt, then close
    RECEIPT_LATER = "receipt_later"  # the gate deferred the receipt: a plain Wait, then again
    LITIGATION = "litigation"  # approved by a human in legal review
    CLOSED = "closed"
    # a parked case resumed when its stage is due: straight to the stage's action
    # (domain/parking.py), its wait having been spent with no execution open
    ACT_PRE_DUE = "act_pre_due"
    ACT_PLAN_OFFER = "act_plan_offer"
    ACT_REMINDER = "act_reminder"
    ACT_FOLLOW_UP = "act_follow_up"
    ACT_AGENT_CALL = "act_agent_call"
    ACT_DEMAND_LETTER = "act_demand_letter"
    ACT_LAWYER_LETTER = "act_lawyer_letter"
    ACT_LEGAL_REVIEW = "act_legal_review"


STAGE_ROUTES = frozenset(
    {
        Route.PRE_DUE,
        Route.PLAN_OFFER,
        Route.REMINDER,
        Route.FOLLOW_UP,
        Route.AGENT_CALL,
        Route.DEMAND_LETTER,
        Route.LAWYER_LETTER,
        Route.LEGAL_REVIEW,
    }
)


def act_route(stage_route: Route) -> Route:
    """The route straight to a stage's action (a resumed parked case whose stage is due)."""
    if stage_route not in STAGE_ROUTES:
        raise ValueError(f"{stage_route} is not a stage's wait")
    return Route(f"act_{stage_route.value}")


class WaitingFor(StrEnum):
    """Stored on the case while the execution waits, so ingest and ops know what it waits for."""

    AGENT_OUTCOME = "agent_outcome"
    LEGAL_DECISION = "legal_decision"
    PAYMENT_SETTLEMENT = "payment_settlement"
    PAYMENT_RECONCILIATION = "payment_reconciliation"  # a claimed payment ops look for
    PROMISED_PAYMENT = "promised_payment"
    DISPUTE_RESOLUTION = "dispute_resolution"
    PAUSE_END = "pause_end"
    PLAN_REVIEW = "plan_review"
    OVERDUE = "overdue"


def stage_waiting_for(stage: Stage | Route) -> str:
    """The waiting_for value of a stage's own wait ("reminder_due")."""
    return f"{stage}_due"


def route_for_waiting(waiting_for: str | None) -> Route | None:
    """Which route re-enters the wait a case was in (used to resume an interrupted wait)."""
    if not waiting_for:
        return None
    if waiting_for.endswith("_due"):
        try:
            return Route(waiting_for.removesuffix("_due"))
        except ValueError:
            return None
    return {
        WaitingFor.AGENT_OUTCOME.value: Route.AGENT_CALL_OUTCOME,
        WaitingFor.LEGAL_DECISION.value: Route.LEGAL_REVIEW_DECISION,
        WaitingFor.PAYMENT_RECONCILIATION.value: Route.RECONCILE_HOLD,
    }.get(waiting_for, Route.HOLD)


@dataclass(frozen=True)
class NextStep:
    """What a handler tells the state machine; `as_output()` is the Lambda's return value."""

    route: Route
    wait_until: datetime | None = None
    wait_seconds: int = 1
    waiting_for: str = ""
    outcome: str = ""
    reason: str = ""
    # the work queue a person's task is listed in while the case waits for it
    queue: str = ""

    def as_output(self) -> dict[str, Any]:
        # Every key is always present: the ASL ResultSelector reads each one.
        return {
            "route": self.route.value,
            "next_wait_seconds": self.wait_seconds,
            "wait_until": self.wait_until.isoformat() if self.wait_until else "",
            "waiting_for": self.waiting_for,
            "outcome": self.outcome,
            "reason": self.reason,
            "queue": self.queue or _DEFAULT_QUEUE.get(self.route, ""),
        }

    def with_outcome(self, outcome: str, reason: str = "") -> NextStep:
        return replace(self, outcome=outcome, reason=reason)

    def in_queue(self, queue: str) -> NextStep:
        return replace(self, queue=queue)


# "Wait for agent call outcome" lists the case in the step's queue: an agent's call unless
# the step names another person's task (a reply to review)
_DEFAULT_QUEUE = {
    Route.AGENT_CALL_OUTCOME: "AGENT_CALL",
    Route.RECONCILE_HOLD: "PAYMENT_RECONCILIATION",  # the hold lists it for ops
}


@dataclass(frozen=True)
class CaseView:
    """What planning needs to know about a case, and nothing more."""

    segment: str
    due_date: date
    done_actions: frozenset[str] = frozenset()
    timezone: str | None = None  # the borrower's IANA zone; None plans in UTC
    overdue: bool = True  # False while the account is only DUE_SOON


def action_key(stage: Stage | str, channel: str) -> str:
    return f"{Stage(stage).value}#{channel}"


def step_action_keys(step: StageStep) -> tuple[str, ...]:
    if not step.channels:
        return (action_key(step.stage, REVIEW_ACTION),)
    return tuple(action_key(step.stage, channel.value) for channel in step.channels)


def stage_passed(step: StageStep, done_actions: frozenset[str]) -> bool:
    """A stage happened once any of its actions was decided (sent or blocked).

    "Any", not "every": after a re-score moves the case to another segment, whose ladder
    may use other channels for the same stage, the stage is not repeated on a new channel.
    A channel still deferred when the step ran again is finished by the step's own retry.
    """
    prefix = f"{step.stage.value}#"
    return any(key.startswith(prefix) for key in done_actions)


def next_ladder_step(policy: Policy, case: CaseView) -> StageStep | None:
    """The first stage of the case's segment ladder that is not passed yet."""
    for step in policy.segment(case.segment).ladder:
        if not stage_passed(step, case.done_actions):
            return step
    return None


def wait_seconds(until: datetime, now: datetime) -> int:
    """Whole seconds from now to until, at least 1 (a task timeout must be positive)."""
    seconds = math.ceil((until - now).total_seconds())
    return max(1, min(seconds, MAX_WAIT_SECONDS))


def local_zone(timezone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(timezone) if timezone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def planned_time(policy: Policy, due_date: date, day: int, timezone: str | None) -> datetime:
    """`day` days after the due date, at the policy's preferred local hour, in UTC."""
    local = datetime.combine(
        due_date + timedelta(days=day), time(policy.preferred_local_hour), local_zone(timezone)
    )
    return local.astimezone(UTC)


def wait_until(route: Route, until: datetime, now: datetime, waiting_for: str) -> NextStep:
    until = max(until, now)
    return NextStep(route, until, wait_seconds(until, now), waiting_for)


def plan_next(
    policy: Policy, case: CaseView, now: datetime, not_before: datetime | None = None
) -> NextStep:
    """Where the case goes next and when; `not_before` pushes the planned time later."""
    if not case.overdue:
        return _plan_before_due(policy, case, now)
    step = next_ladder_step(policy, case)
    if step is None:
        # Every stage decided: a debt never leaves collection without a person's decision
        return await_decision(policy, now).with_outcome("decision_needed", "ladder_complete")
    due = planned_time(policy, case.due_date, step.day, case.timezone)
    if not_before is not None:
        due = max(due, not_before)
    return wait_until(Route(step.stage.value), due, now, stage_waiting_for(step.stage))


# letters that give the borrower a deadline to pay or reply: the next step of the ladder
# never comes before that deadline has passed
DEADLINE_LETTERS = frozenset({"demand_letter", "lawyer_letter"})


def after_letter_deadline(
    policy: Policy, step: StageStep, sent_on: date, response_days: int, timezone: str | None
) -> datetime | None:
    """The earliest the step after ``step``'s letter may come: the day after the letter's
    deadline, at the policy's preferred local hour (None: the letter sets no deadline)."""
    if (step.letter or step.stage.value) not in DEADLINE_LETTERS:
        return None
    return planned_time(policy, sent_on, response_days + 1, timezone)


def await_decision(policy: Policy, now: datetime) -> NextStep:
    """Wait for a person's decision on the case (legal review and the queues after it)."""
    deadline = now + timedelta(days=policy.legal_review.decision_deadline_days)
    return wait_until(Route.LEGAL_REVIEW_DECISION, deadline, now, WaitingFor.LEGAL_DECISION)


def rejection_next_step(
    chosen: str | None, review: LegalReview, balance: Decimal
) -> tuple[AfterRejection, str]:
    """What a rejected litigation leads to, and why: the approver's choice, else the
    policy's; the policy writes off only at or below its ceiling, else a person decides."""
    if chosen:
        return AfterRejection(chosen), "chosen_by_approver"
    step = review.after_rejection
    ceiling = review.write_off_ceiling
    if step is AfterRejection.WRITE_OFF and (ceiling is None or balance > ceiling):
        return AfterRejection.HOLD, "above_write_off_ceiling"
    return step, "policy_default"


def plan_resume(policy: Policy, case: CaseView, now: datetime) -> NextStep:
    """Continue at the current stage after a payment event, with a quiet period first."""
    quiet_until = now + timedelta(hours=policy.grace.after_payment_hours)
    return plan_next(policy, case, now, not_before=quiet_until)


def plan_retry(stage: Stage, not_before: datetime, now: datetime) -> NextStep:
    """A deferred contact: back to the same stage's wait until the gate allows it."""
    return wait_until(Route(stage.value), not_before, now, stage_waiting_for(stage))


def pre_due_eligible(policy: Policy, segment: str) -> bool:
    return segment in policy.pre_due.segments


def pre_due_step(policy: Policy) -> StageStep:
    """The early-warning reminder, shaped like a ladder step for the contact handler."""
    return StageStep(
        stage=Stage.PRE_DUE,
        day=0,
        channels=policy.pre_due.channels,
        template=policy.pre_due.template,
        letter=None,
    )


def _plan_before_due(policy: Policy, case: CaseView, now: datetime) -> NextStep:
    if pre_due_eligible(policy, case.segment) and not stage_passed(
        pre_due_step(policy), case.done_actions
    ):
        send_at = planned_time(
            policy, case.due_date, -policy.pre_due.days_before_due, case.timezone
        )
        return wait_until(Route.PRE_DUE, send_at, now, stage_waiting_for(Stage.PRE_DUE))
    return hold_until_overdue(policy, case, now)


def hold_until_overdue(policy: Policy, case: CaseView, now: datetime) -> NextStep:
    """Before the due date: wait for the payment or the OVERDUE event, with a deadline."""
    day_after_due = datetime.combine(
        case.due_date + timedelta(days=1), time(0), local_zone(case.timezone)
    ).astimezone(UTC)
    until = day_after_due + timedelta(hours=policy.holds.overdue_check_hours)
    return wait_until(Route.HOLD, until, now, WaitingFor.OVERDUE.value)


def hold(waiting_for: WaitingFor, until: datetime, now: datetime, reason: str = "") -> NextStep:
    route = Route.RECONCILE_HOLD if waiting_for is WaitingFor.PAYMENT_RECONCILIATION else Route.HOLD
    step = wait_until(route, until, now, waiting_for.value)
    return step.with_outcome("hold", reason or waiting_for.value)
