"""Operations actions: what ops staff may do to a case, and what each one changes.

An ops action arrives as the JSON input of the ops-action state machine (pasted in the
Step Functions console, sent by `arrears ops ...`, or an `ops_action` line of an events
file). This module is pure: it parses that input into one typed action (``parse_action``:
a class of ``domain.ops_actions``, validated by pydantic-core with the schema of the models
in ``domain.ops_models``, compiled into the Lambda asset) and decides, against the current
case, what the action changes (``plan_action``). It
raises a named error with a readable message when the input or the case does not allow
the action; the caller then changes nothing.

The plan is data (case field changes, borrower changes, the wake-up sent to the waiting
case execution, the audit entry), so the adapter can write it in one conditional
transaction and the tests can check it without AWS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from arrears.domain import core_schema
from arrears.domain.case import CaseRecord, iso_utc
from arrears.domain.errors import ArrearsError, CaseClosed, CaseNotFound
from arrears.domain.ops_actions import (
    CLOSE_STATUS,
    COMPILED_KEY,
    MAX_PAUSE,
    MAX_PROMISE_AHEAD,
    MAX_TEXT,
    ActionName,
    AddNote,
    ApproveLitigation,
    CallOutcome,
    CeaseCommunication,
    Close,
    CloseReason,
    DisputeResolution,
    OfferPlan,
    OpsAction,
    OptOut,
    Pause,
    PlaceWithAgency,
    RecallFromAgency,
    ReconcileOutcome,
    ReconcilePayment,
    RecordCallOutcome,
    RejectLitigation,
    Republish,
    ResolveDispute,
    Resume,
    WakeReason,
)
from arrears.domain.queues import (
    DECISION_QUEUES,
    QUEUE_AGENCY_PLACEMENT,
    QUEUE_AGENT_CALL,
    QUEUE_PAYMENT_RECONCILIATION,
    QUEUE_REPLY_REVIEW,
    QUEUE_STUCK,
    WAITING_FOR_QUEUE,
)
from arrears.domain.types import CaseStatus, Channel, Stage

if TYPE_CHECKING:  # pydantic-core loads with the first action validated
    from pydantic_core import SchemaSerializer, SchemaValidator, ValidationError

# the actions' vocabulary and classes are defined in domain.ops_actions
__all__ = [
    "ACTION_NAMES",
    "AGENCY_HOLD",
    "CLOSE_STATUS",
    "COMPILED_KEY",
    "MAX_PAUSE",
    "MAX_PROMISE_AHEAD",
    "MAX_TEXT",
    "ActionName",
    "AddNote",
    "AgencyPlacement",
    "Applied",
    "ApproveLitigation",
    "BorrowerChanges",
    "CallOutcome",
    "CaseAlreadyPaused",
    "CaseChanges",
    "CaseNotDisputed",
    "CaseNotInLegalReview",
    "CaseNotPaused",
    "CaseSnapshot",
    "CeaseCommunication",
    "Close",
    "CloseReason",
    "DisputeResolution",
    "InvalidOpsAction",
    "NoClaimedPayment",
    "NothingToRepublish",
    "OfferPlan",
    "OpsAction",
    "OpsFacts",
    "OpsPlan",
    "OptOut",
    "Pause",
    "PlaceWithAgency",
    "RecallFromAgency",
    "ReconcileOutcome",
    "ReconcilePayment",
    "RecordCallOutcome",
    "RejectLitigation",
    "Republish",
    "ResolveDispute",
    "Resume",
    "WakeReason",
    "dump_action",
    "parse_action",
    "plan_action",
]

# --------------------------------------------------------------------------- errors
# Names are the `Error` an operator sees on the failed ops execution: keep them plain.


class InvalidOpsAction(ArrearsError):
    """The console input is not a valid ops action (unknown action, missing/bad field)."""


class CaseNotInLegalReview(ArrearsError):
    """Approve/reject litigation for a case that is not waiting for a legal review."""


class CaseNotPaused(ArrearsError):
    """Resume for a case that is not paused."""


class CaseAlreadyPaused(ArrearsError):
    """Pause for a case that is already paused (resume it first, or leave it)."""


class CaseNotDisputed(ArrearsError):
    """Resolve a dispute on a case that is not disputed."""


class AgencyPlacement(ArrearsError):
    """Place a case that is already placed (or paused), or recall one that is not placed."""


class NoClaimedPayment(ArrearsError):
    """Reconcile a payment on a case that has no claimed payment waiting to be found."""


class NothingToRepublish(ArrearsError):
    """Republish on a case without outbound events, or naming sequences it does not have."""


@cache
def _schema() -> Any:
    """The actions' core schema (one tagged union), built on first use: only the ops and
    portal functions validate actions, and many handlers import this module."""
    return core_schema.schemas(COMPILED_KEY, _derived)[COMPILED_KEY]


def _derived() -> dict[str, Any]:
    from arrears.domain.ops_models import core_schemas

    return dict(core_schemas())


@cache
def _validator() -> SchemaValidator:
    from pydantic_core import SchemaValidator

    return SchemaValidator(_schema())


@cache
def _serializer() -> SchemaSerializer:
    from pydantic_core import SchemaSerializer

    return SchemaSerializer(_schema())


ACTION_NAMES = tuple(name.value for name in ActionName)


def parse_action(raw: object) -> OpsAction:
    """Console input -> one typed action, or ``InvalidOpsAction`` saying what is wrong."""
    if not isinstance(raw, dict):
        raise InvalidOpsAction("the input must be a JSON object with an 'action' field")
    name = raw.get("action")
    if name is None:
        raise InvalidOpsAction(f"missing 'action'; one of: {', '.join(ACTION_NAMES)}")
    if name not in ACTION_NAMES:
        raise InvalidOpsAction(f"unknown action {name!r}; one of: {', '.join(ACTION_NAMES)}")
    validator = _validator()
    from pydantic_core import ValidationError

    try:
        action: OpsAction = validator.validate_python(raw)
    except ValidationError as exc:
        raise InvalidOpsAction(f"{name}: {_readable(exc)}") from None
    return action


def dump_action(action: OpsAction) -> dict[str, Any]:
    """``action`` as the JSON the state machine carries (fields that are None left out),
    which ``parse_action`` reads back: the schema's own serializer (pydantic-core)."""
    dumped: dict[str, Any] = _serializer().to_python(action, mode="json", exclude_none=True)
    return dumped


def _readable(exc: ValidationError) -> str:
    """pydantic-core's errors as one line an operator can act on (no echo of the input value)."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        # drop the discriminator tag pydantic puts first in the location
        location = ".".join(str(part) for part in error["loc"][1:])
        message = error["msg"].removeprefix("Value error, ")
        message = message[:1].lower() + message[1:]
        if error["type"] == "missing":
            problems.append(f"missing field '{location}'")
        elif error["type"] == "extra_forbidden":
            problems.append(f"unexpected field '{location}'")
        elif location:
            problems.append(f"'{location}' {message}")
        else:
            problems.append(message)
    return "; ".join(problems)


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class CaseChanges:
    """Attribute writes on the case item: `set` values are plain JSON-able scalars."""

    set: dict[str, str] = field(default_factory=dict)
    remove: tuple[str, ...] = ()


@dataclass(frozen=True)
class BorrowerChanges:
    opt_out: Channel | None = None
    cease_communication: bool = False
    add_flags: frozenset[str] = frozenset()
    # channels no longer verified (the gate blocks an unverified channel)
    unverify: frozenset[Channel] = frozenset()

    @property
    def any(self) -> bool:
        return (
            self.opt_out is not None
            or self.cease_communication
            or bool(self.add_flags)
            or bool(self.unverify)
        )


@dataclass(frozen=True)
class OpsPlan:
    """What one action does.

    The adapter writes it in one transaction, conditioned on the case being as it was read
    (same version, same task token), so it never lands on a case that moved in between.
    """

    action: OpsAction
    case: CaseChanges
    borrower: BorrowerChanges
    wake: dict[str, str] | None  # SendTaskSuccess output for the waiting execution
    timeline_kind: str
    timeline_detail: dict[str, str]


@dataclass(frozen=True)
class OpsFacts:
    """Case attributes only ops actions write (not part of ``CaseRecord``)."""

    status_before_pause: CaseStatus | None = None
    paused_until: datetime | None = None


def plan_action(
    action: OpsAction, case: CaseRecord | None, now: datetime, facts: OpsFacts | None = None
) -> OpsPlan:
    """Decide what ``action`` changes on ``case`` at ``now``; raise a named error to refuse.

    Pure: the same inputs give the same plan, and a refusal means nothing may change.
    """
    facts = facts or OpsFacts()
    if case is None:
        raise CaseNotFound(f"no case {action.case_id!r}; check the id (format acc-42#1)")
    if case.status.is_terminal and not isinstance(action, (AddNote, Republish)):
        raise CaseClosed(
            f"case {case.case_id} is closed ({case.status.value}); {action.action} is not "
            "allowed on a closed case (add_note still is)"
        )
    planner = _PLANNERS[ActionName(action.action)]
    return planner(action, case, now, facts)


def _waiting(case: CaseRecord) -> bool:
    """An execution waits on the case, or the case is parked (domain/parking.py): its
    resumed execution takes the wake the action sends."""
    return bool(case.task_token) or case.parked is not None


def _waits_for(case: CaseRecord, queue: str) -> bool:
    """A human task of this kind is open on the case (queue set while it waits)."""
    return case.queue == queue or case.waiting_for == WAITING_FOR_QUEUE[queue]


def _detail(action: OpsAction, **extra: str) -> dict[str, str]:
    detail = {"action": action.action, "operator": action.operator}
    detail.update({key: value for key, value in extra.items() if value})
    return detail


def _clear_queue(case: CaseRecord, queue: str) -> tuple[str, ...]:
    return ("queue", "queue_due_at") if case.queue == queue else ()


def _plan_call_outcome(action: Any, case: CaseRecord, now: datetime, facts: OpsFacts) -> OpsPlan:
    act: RecordCallOutcome = action
    outcome = act.outcome
    sets = {"last_call_outcome": outcome.value, "last_call_at": iso_utc(now)}
    status = case.status
    add_flags: frozenset[str] = frozenset()
    unverify: frozenset[Channel] = frozenset()
    wake: dict[str, str] = {"wake": WakeReason.AGENT_OUTCOME.value, "outcome": outcome.value}
    if outcome is CallOutcome.PROMISE_TO_PAY:
        assert act.promise_date is not None and act.promise_amount is not None
        today = now.astimezone(UTC).date()
        if act.promise_date < today:
            raise InvalidOpsAction(f"promise_date {act.promise_date} is in the past")
        if act.promise_date > today + MAX_PROMISE_AHEAD:
            raise InvalidOpsAction(
                f"promise_date more than {MAX_PROMISE_AHEAD.days} days ahead: offer a plan instead"
            )
        if act.promise_amount > case.balance:
            raise InvalidOpsAction(
                f"promise_amount {act.promise_amount} is more than the balance {case.balance}"
            )
        status = CaseStatus.PROMISED
        sets |= {
            "promise_date": act.promise_date.isoformat(),
            "promise_amount": str(act.promise_amount),
        }
        wake |= {"promise_date": sets["promise_date"], "promise_amount": sets["promise_amount"]}
    elif outcome is CallOutcome.DISPUTE:
        status = CaseStatus.DISPUTED
        sets["dispute_reason"] = act.reason or ""
        wake |= {"wake": WakeReason.DISPUTE.value}
    elif outcome is CallOutcome.HARDSHIP:
        add_flags = frozenset({"hardship"})
    elif outcome is CallOutcome.WRONG_NUMBER:
        # the number on file reaches someone else: calling or texting it again would tell a
        # third party about the debt, so the phone's channels stop being verified (the gate
        # then blocks them) until a confirmed number arrives
        add_flags = frozenset({"wrong_number"})
        unverify = frozenset({Channel.CALL, Channel.SMS})
    if status is not case.status:
        sets["status"] = status.value
    return OpsPlan(
        action=act,
        case=CaseChanges(set=sets, remove=_clear_queue(case, QUEUE_AGENT_CALL)),
        borrower=BorrowerChanges(add_flags=add_flags, unverify=unverify),
        wake=wake if _waiting(case) else None,
        timeline_kind="agent_outcome",
        timeline_detail=_detail(
            act,
            outcome=outcome.value,
            promise_date=sets.get("promise_date", ""),
            promise_amount=sets.get("promise_amount", ""),
            reason=act.reason or "",
            note=act.note or "",
        ),
    )


def _plan_litigation(action: Any, case: CaseRecord, now: datetime, facts: OpsFacts) -> OpsPlan:
    act: ApproveLitigation | RejectLitigation = action
    if not any(_waits_for(case, queue) for queue in DECISION_QUEUES):
        raise CaseNotInLegalReview(
            f"case {case.case_id} is not waiting for a legal review (stage {case.stage.value}, "
            f"status {case.status.value}); litigation is approved or rejected only then"
        )
    approved = isinstance(act, ApproveLitigation)
    decision = "approved" if approved else "rejected"
    reason = WakeReason.APPROVED if approved else WakeReason.REJECTED
    sets = {
        "litigation_decision": decision,
        "litigation_approver": act.approver,
        "litigation_decided_at": iso_utc(now),
    }
    chosen = act.next_step if isinstance(act, RejectLitigation) else None
    next_step = chosen.value if chosen else ""
    wake = {"wake": reason.value, "approver": act.approver}
    if next_step:
        wake["next_step"] = next_step
    clear = ("queue", "queue_due_at") if case.queue in DECISION_QUEUES else ()
    return OpsPlan(
        action=act,
        case=CaseChanges(set=sets, remove=clear),
        borrower=BorrowerChanges(),
        wake=wake if _waiting(case) else None,
        timeline_kind="approval",
        timeline_detail=_detail(
            act, decision=decision, approver=act.approver, reason=act.reason, next_step=next_step
        ),
    )


def _plan_pause(action: Any, case: CaseRecord, now: datetime, facts: OpsFacts) -> OpsPlan:
    act: Pause = action
    if case.status is CaseStatus.PAUSED:
        raise CaseAlreadyPaused(f"case {case.case_id} is already paused; resume it first")
    if act.until <= now:
        raise InvalidOpsAction(f"'until' {iso_utc(act.until)} is not in the future")
    if act.until > now + MAX_PAUSE:
        raise InvalidOpsAction(
            f"'until' is more than {MAX_PAUSE.days} days ahead; close the case or offer a plan"
        )
    until = iso_utc(act.until)
    sets = {
        "status": CaseStatus.PAUSED.value,
        "paused_until": until,
        "status_before_pause": case.status.value,
    }
    return OpsPlan(
        action=act,
        case=CaseChanges(set=sets),
        borrower=BorrowerChanges(),
        wake={"wake": WakeReason.PAUSE.value, "until": until} if _waiting(case) else None,
        timeline_kind="paused",
        timeline_detail=_detail(act, until=until, reason=act.reason or ""),
    )


def _plan_resume(action: Any, case: CaseRecord, now: datetime, facts: OpsFacts) -> OpsPlan:
    act: Resume = action
    if _waits_for(case, QUEUE_STUCK):
        return _plan_resume_stuck(act, case)
    if case.queue == QUEUE_REPLY_REVIEW:
        return _plan_reply_reviewed(act)
    if case.status is not CaseStatus.PAUSED:
        raise CaseNotPaused(f"case {case.case_id} is not paused (status {case.status.value})")
    # back to what it was (a promise or a pending payment still holds), never to terminal
    restored = facts.status_before_pause or CaseStatus.OPEN
    if restored.is_terminal or restored is CaseStatus.PAUSED:
        restored = CaseStatus.OPEN
    return OpsPlan(
        action=act,
        case=CaseChanges(
            set={"status": restored.value}, remove=("paused_until", "status_before_pause")
        ),
        borrower=BorrowerChanges(),
        wake={"wake": WakeReason.RESUME.value} if _waiting(case) else None,
        timeline_kind="resumed",
        timeline_detail=_detail(act, reason=act.reason or ""),
    )


def _plan_resume_stuck(act: Resume, case: CaseRecord) -> OpsPlan:
    """A step failed after its retries and the case waits in STUCK: ops fixed the cause.

    The wake re-plans from the case as it stands, so what was sent is not sent again (the
    contact ledger and ``done_actions`` say so) and an undecided stage is tried again.
    """
    return OpsPlan(
        action=act,
        case=CaseChanges(set={}, remove=("queue", "queue_due_at", "needs_attention")),
        borrower=BorrowerChanges(),
        wake={"wake": WakeReason.RESUME.value, "reason": "stuck_resumed"},
        timeline_kind="resumed",
        timeline_detail=_detail(act, reason=act.reason or "", was="stuck"),
    )


def _plan_reply_reviewed(act: Resume) -> OpsPlan:
    """A person read the reply no rule understood and did what it asked (an opt-out, a
    plan, a note): escalation goes on from the case as it stands."""
    return OpsPlan(
        action=act,
        case=CaseChanges(set={}, remove=("queue", "queue_due_at")),
        borrower=BorrowerChanges(),
        wake={"wake": WakeReason.RESUME.value, "reason": "reply_reviewed"},
        timeline_kind="reply_reviewed",
        timeline_detail=_detail(act, reason=act.reason or ""),
    )


def _plan_opt_out(action: Any, case: CaseRecord, now: datetime, facts: OpsFacts) -> OpsPlan:
    act: OptOut = action
    return OpsPlan(
        action=act,
        case=CaseChanges(),
        borrower=BorrowerChanges(opt_out=act.channel),
        wake={"wake": WakeReason.OPT_OUT.value, "channel": act.channel.value}
        if _waiting(case)
        else None,
        timeline_kind="opted_out",
        timeline_detail=_detail(act, channel=act.channel.value),
    )


def _plan_cease(action: Any, case: CaseRecord, now: datetime, facts: OpsFacts) -> OpsPlan:
    act: CeaseCommunication = action
    return OpsPlan(
        action=act,
        case=CaseChanges(),
        borrower=BorrowerChanges(cease_communication=True),
        wake={"wake": WakeReason.OPT_OUT.value, "channel": "all"} if _waiting(case) else None,
        timeline_kind="cease_communication",
        timeline_detail=_detail(act, reason=act.reason or ""),
    )


def _plan_close(action: Any, case: CaseRecord, now: datetime, facts: OpsFacts) -> OpsPlan:
    act: Close = action
    status = CLOSE_STATUS[act.reason]
    sets = {
        "status": status.value,
        "stage": Stage.CLOSED.value,
        "outcome": act.reason.value,
        "closed_at": iso_utc(now),
    }
    return OpsPlan(
        action=act,
        case=CaseChanges(set=sets, remove=("queue", "queue_due_at")),
        borrower=BorrowerChanges(),
        wake={"wake": WakeReason.CLOSE.value, "outcome": act.reason.value}
        if _waiting(case)
        else None,
        timeline_kind="case_closed",
        timeline_detail=_detail(act, outcome=act.reason.value, note=act.note or ""),
    )


def _plan_note(action: Any, case: CaseRecord, now: datetime, facts: OpsFacts) -> OpsPlan:
    act: AddNote = action
    return OpsPlan(
        action=act,
        case=CaseChanges(),
        borrower=BorrowerChanges(),
        wake=None,  # a note never moves the case
        timeline_kind="note",
        timeline_detail=_detail(act, note=act.note),
    )


def _plan_republish(action: Any, case: CaseRecord, now: datetime, facts: OpsFacts) -> OpsPlan:
    act: Republish = action
    if case.out_seq == 0:
        raise NothingToRepublish(f"case {case.case_id} has no outbound events yet")
    unknown = [n for n in act.sequences or () if not 1 <= n <= case.out_seq]
    if unknown:
        raise NothingToRepublish(
            f"case {case.case_id} has outbound events 1 to {case.out_seq}; "
            f"no {', '.join(str(n) for n in unknown)}"
        )
    wanted = act.sequences or list(range(1, case.out_seq + 1))
    return OpsPlan(
        action=act,
        case=CaseChanges(),
        borrower=BorrowerChanges(),
        wake=None,  # the case does not move
        timeline_kind="outbound_republished",
        timeline_detail=_detail(
            act, sequences=",".join(str(n) for n in wanted), reason=act.reason or ""
        ),
    )


# a placement holds the case (as a pause) until ops recall it; the hold is renewed at its end
AGENCY_HOLD = timedelta(days=365)


def _plan_place_with_agency(
    action: Any, case: CaseRecord, now: datetime, facts: OpsFacts
) -> OpsPlan:
    act: PlaceWithAgency = action
    if case.agency:
        raise AgencyPlacement(f"case {case.case_id} is already placed with {case.agency}")
    if case.status is CaseStatus.PAUSED:
        raise AgencyPlacement(f"case {case.case_id} is paused; resume it first")
    until = iso_utc(now + AGENCY_HOLD)
    sets = {
        "status": CaseStatus.PAUSED.value,
        "paused_until": until,
        "status_before_pause": case.status.value,
        "agency": act.agency,
    }
    if act.case_file:
        sets["agency_file"] = act.case_file
    return OpsPlan(
        action=act,
        case=CaseChanges(set=sets, remove=_clear_queue(case, QUEUE_AGENCY_PLACEMENT)),
        borrower=BorrowerChanges(),
        wake={"wake": WakeReason.PAUSE.value, "until": until} if _waiting(case) else None,
        timeline_kind="placed_with_agency",
        timeline_detail=_detail(act, agency=act.agency, case_file=act.case_file or ""),
    )


def _plan_recall_from_agency(
    action: Any, case: CaseRecord, now: datetime, facts: OpsFacts
) -> OpsPlan:
    act: RecallFromAgency = action
    if not case.agency:
        raise AgencyPlacement(f"case {case.case_id} is not placed with an agency")
    restored = facts.status_before_pause or CaseStatus.OPEN
    if restored.is_terminal or restored is CaseStatus.PAUSED:
        restored = CaseStatus.OPEN
    return OpsPlan(
        action=act,
        case=CaseChanges(
            set={"status": restored.value},
            remove=("paused_until", "status_before_pause", "agency"),
        ),
        borrower=BorrowerChanges(),
        wake={"wake": WakeReason.RESUME.value} if _waiting(case) else None,
        timeline_kind="recalled_from_agency",
        timeline_detail=_detail(act, agency=case.agency, reason=act.reason or ""),
    )


def _plan_offer_plan(action: Any, case: CaseRecord, now: datetime, facts: OpsFacts) -> OpsPlan:
    """Issue 9: store the plan on the case (``plan``, the same map form replies use, here as
    JSON text: the ops transaction writes strings); accepted -> ON_PLAN and wake."""
    import json

    from arrears.domain import plans as p
    from arrears.domain.currency import minor_units
    from arrears.domain.policy import policy_by_version

    act: OfferPlan = action
    if case.status in (CaseStatus.DISPUTED, CaseStatus.PAYMENT_PENDING, CaseStatus.ON_PLAN):
        raise InvalidOpsAction(
            f"case {case.case_id} is {case.status.value}: no plan while it is "
            "disputed, a payment is in flight, or a plan already runs"
        )
    policy = policy_by_version(case.policy_version).plans
    places = minor_units(case.currency)
    plan_id = f"{case.case_id}#plan-{now.astimezone(UTC).strftime('%Y%m%dT%H%M%S')}"
    common: dict[str, Any] = {
        "plan_id": plan_id,
        "balance": case.balance,
        "currency": case.currency,
        "places": places,
        "policy": policy,
        "now": now,
        "timezone": None,  # the ops snapshot has no borrower zone: UTC calendar dates
        "source": f"agent:{act.operator}",
    }
    try:
        if act.pay_by is not None:
            plan = p.deferral(pay_by=act.pay_by, **common)
        else:
            count = act.installments or p.installment_count(case.balance, policy)
            plan = p.offer_installments(count=count, **common)
        if act.accepted:
            plan = p.accept(
                plan,
                balance=case.balance,
                places=places,
                policy=policy,
                now=now,
                resume_stage=case.stage.value,
            )
    except p.PlanError as error:
        raise InvalidOpsAction(f"offer_plan: {error}") from None
    sets = {"plan": json.dumps(p.to_item(plan))}
    if act.accepted:
        sets["status"] = CaseStatus.ON_PLAN.value
    waking = act.accepted and _waiting(case)
    return OpsPlan(
        action=act,
        case=CaseChanges(
            set=sets, remove=_clear_queue(case, QUEUE_AGENT_CALL) if act.accepted else ()
        ),
        borrower=BorrowerChanges(),
        wake={"wake": WakeReason.PLAN_ACCEPTED.value, "plan_id": plan_id} if waking else None,
        timeline_kind="plan_accepted" if act.accepted else "plan_offered",
        timeline_detail=_detail(
            act,
            plan_id=plan_id,
            kind=plan.kind.value,
            installments=str(len(plan.installments)),
            amounts=",".join(format(i.amount, "f") for i in plan.installments),
            first_due_date=plan.installments[0].due_date.isoformat(),
            note=act.note or "",
        ),
    )


def _plan_resolve_dispute(action: Any, case: CaseRecord, now: datetime, facts: OpsFacts) -> OpsPlan:
    act: ResolveDispute = action
    if case.status is not CaseStatus.DISPUTED:
        raise CaseNotDisputed(
            f"case {case.case_id} is not disputed (status {case.status.value}); "
            "only a disputed case can have its dispute resolved"
        )
    resolution = act.outcome.value
    sets = {"dispute_resolution": resolution, "dispute_resolved_at": iso_utc(now)}
    remove: tuple[str, ...] = ()
    wake: dict[str, str]
    if act.outcome is DisputeResolution.UPHELD:
        sets |= {
            "status": CaseStatus.CLOSED.value,
            "stage": Stage.CLOSED.value,
            "outcome": "dispute_upheld",
            "closed_at": iso_utc(now),
        }
        remove = ("queue", "queue_due_at")
        wake = {"wake": WakeReason.CLOSE.value, "outcome": "dispute_upheld"}
        kind = "case_closed"
    else:
        # the debt stands: back to OPEN, the ladder continues at the stage it had reached
        sets["status"] = CaseStatus.OPEN.value
        wake = {"wake": WakeReason.RESUME.value, "reason": "dispute_rejected"}
        kind = "dispute_resolved"
    return OpsPlan(
        action=act,
        case=CaseChanges(set=sets, remove=remove),
        borrower=BorrowerChanges(),
        wake=wake if _waiting(case) else None,
        timeline_kind=kind,
        timeline_detail=_detail(
            act,
            resolution=resolution,
            outcome="dispute_upheld" if act.outcome is DisputeResolution.UPHELD else "",
            reason=act.reason,
            note=act.note or "",
        ),
    )


def _plan_reconcile_payment(
    action: Any, case: CaseRecord, now: datetime, facts: OpsFacts
) -> OpsPlan:
    """Ops looked for a payment the borrower says was made (domain/reconciliation.py).

    found: the hold starts again for the grace window from now and waits for the wallet's
    settlement (a PAID event closes the case); not found: the hold ends, the case gets back
    the status it had before the claim and the ladder resumes. Either way it leaves the
    queue."""
    act: ReconcilePayment = action
    if case.reconcile_by is None or case.status is not CaseStatus.PAYMENT_PENDING:
        raise NoClaimedPayment(
            f"case {case.case_id} has no claimed payment waiting to be found "
            f"(status {case.status.value}); it was reconciled, settled or its hold ended"
        )
    remove: tuple[str, ...] = ("reconcile_by", *_clear_queue(case, QUEUE_PAYMENT_RECONCILIATION))
    if act.outcome is ReconcileOutcome.FOUND:
        sets = {"pending_since": iso_utc(now)}
        kind, why = "payment_found", "payment_found"
    else:
        restored = case.resume_status or CaseStatus.OPEN
        if restored.is_terminal or restored is CaseStatus.PAYMENT_PENDING:
            restored = CaseStatus.OPEN
        sets = {"status": restored.value}
        remove = (*remove, "pending_since", "resume_status")
        kind, why = "payment_not_found", "payment_not_found"
    return OpsPlan(
        action=act,
        case=CaseChanges(set=sets, remove=remove),
        borrower=BorrowerChanges(),
        wake={"wake": WakeReason.RESUME.value, "reason": why} if _waiting(case) else None,
        timeline_kind=kind,
        timeline_detail=_detail(
            act,
            outcome=act.outcome.value,
            reason=act.reason,
            claimed_until=iso_utc(case.reconcile_by),
            status=sets.get("status", ""),
        ),
    )


_PLANNERS = {
    ActionName.RECONCILE_PAYMENT: _plan_reconcile_payment,
    ActionName.PLACE_WITH_AGENCY: _plan_place_with_agency,
    ActionName.RECALL_FROM_AGENCY: _plan_recall_from_agency,
    ActionName.REPUBLISH: _plan_republish,
    ActionName.RECORD_CALL_OUTCOME: _plan_call_outcome,
    ActionName.APPROVE_LITIGATION: _plan_litigation,
    ActionName.REJECT_LITIGATION: _plan_litigation,
    ActionName.PAUSE: _plan_pause,
    ActionName.RESUME: _plan_resume,
    ActionName.OPT_OUT: _plan_opt_out,
    ActionName.CEASE_COMMUNICATION: _plan_cease,
    ActionName.CLOSE: _plan_close,
    ActionName.ADD_NOTE: _plan_note,
    ActionName.OFFER_PLAN: _plan_offer_plan,
    ActionName.RESOLVE_DISPUTE: _plan_resolve_dispute,
}


# ------------------------------------------------------------------ the ops store's records


@dataclass(frozen=True)
class CaseSnapshot:
    case: CaseRecord | None
    facts: OpsFacts
    last_ops_execution: str | None = None
    last_ops_result: dict[str, Any] | None = None  # what that execution applied (Applied)


@dataclass(frozen=True)
class Applied:
    """The outcome of writing one plan: what to wake (with which token) and what to audit."""

    task_token: str | None
    wake: dict[str, str] | None
    timeline_kind: str
    timeline_detail: dict[str, str]
    applied_at: str  # ISO UTC micro: the audit line's time, stable across retries
    repeated: bool = False  # this execution had applied it already (a retried invocation)

    def stored(self) -> str:
        return json.dumps(
            {
                "wake": self.wake,
                "timeline_kind": self.timeline_kind,
                "timeline_detail": self.timeline_detail,
                "applied_at": self.applied_at,
            }
        )
