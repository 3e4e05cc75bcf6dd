"""The ops actions as the rest of Arrears sees them: their vocabulary, the plain classes
``domain.ops.parse_action`` builds, and the rules their fields obey (docs/ops.md). No pydantic
here: the schema is the pydantic models of ``domain.ops_models``, which call these rules;
``domain.ops`` validates with it and decides what each action changes.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from arrears.domain.record import Record
from arrears.domain.types import AfterRejection, CaseStatus, Channel

# --------------------------------------------------------------------------- vocabulary

# How far ahead an operator may pause a case or accept a promise: beyond this the
# case should be closed or put on a plan, not parked.
MAX_PAUSE = timedelta(days=90)
MAX_PROMISE_AHEAD = timedelta(days=90)
MAX_TEXT = 500  # notes and reasons; the timeline is an audit log, not a document store


class ActionName(StrEnum):
    RECORD_CALL_OUTCOME = "record_call_outcome"
    APPROVE_LITIGATION = "approve_litigation"
    REJECT_LITIGATION = "reject_litigation"
    PAUSE = "pause"
    RESUME = "resume"
    OPT_OUT = "opt_out"
    CEASE_COMMUNICATION = "cease_communication"
    CLOSE = "close"
    ADD_NOTE = "add_note"
    OFFER_PLAN = "offer_plan"  # issue 9: an agent offers (or agrees) a repayment plan
    RESOLVE_DISPUTE = "resolve_dispute"  # end a dispute: upheld (close) or rejected (resume)
    REPUBLISH = "republish"  # put a case's outbound events on the bus again (integrations.md)
    PLACE_WITH_AGENCY = "place_with_agency"  # hand the case to a collection agency
    RECALL_FROM_AGENCY = "recall_from_agency"  # take it back: the ladder resumes
    # a payment the borrower says was made: found (wait for the settlement) or not found
    RECONCILE_PAYMENT = "reconcile_payment"


class CallOutcome(StrEnum):
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    PROMISE_TO_PAY = "promise_to_pay"
    DISPUTE = "dispute"
    HARDSHIP = "hardship"
    REFUSED = "refused"
    PAID_CLAIMED = "paid_claimed"

    @property
    def reached_borrower(self) -> bool:
        """The agent spoke with the borrower: a telephone conversation about the debt,
        which starts the Reg F quiet period (12 CFR 1006.14(b)(2)(ii))."""
        return self not in (CallOutcome.NO_ANSWER, CallOutcome.WRONG_NUMBER)


class CloseReason(StrEnum):
    PAID_EXTERNALLY = "paid_externally"
    SETTLED = "settled"
    WRITTEN_OFF = "written_off"
    SOLD = "sold"


class DisputeResolution(StrEnum):
    UPHELD = "upheld"  # the borrower is right: the case closes (outcome dispute_upheld)
    REJECTED = "rejected"  # the debt stands: collection resumes at the current stage


class ReconcileOutcome(StrEnum):
    FOUND = "found"  # the money is on its way: the hold waits for the wallet's settlement
    NOT_FOUND = "not_found"  # no such payment: the hold ends, the ladder resumes


# Terminal status each closing reason leaves the case in.
CLOSE_STATUS: dict[CloseReason, CaseStatus] = {
    CloseReason.PAID_EXTERNALLY: CaseStatus.PAID,
    CloseReason.SETTLED: CaseStatus.RESOLVED,
    CloseReason.WRITTEN_OFF: CaseStatus.WRITTEN_OFF,
    CloseReason.SOLD: CaseStatus.CLOSED,
}


class WakeReason(StrEnum):
    """The subset of contracts.md's wake reasons that ops actions send."""

    AGENT_OUTCOME = "AGENT_OUTCOME"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    DISPUTE = "DISPUTE"
    PAUSE = "PAUSE"
    RESUME = "RESUME"
    OPT_OUT = "OPT_OUT"
    CLOSE = "CLOSE"
    PLAN_ACCEPTED = "PLAN_ACCEPTED"


# --------------------------------------------------------------------------- actions
# The schema is the pydantic models of ``domain.ops_models``, which call these rules; the
# classes below are what ``domain.ops.parse_action`` builds (pydantic-core, from that schema).

COMPILED_KEY = "ops_actions"  # the compiled data's entry for the schema (domain.compiled_data)
_CASE_ID = re.compile(r"^[^#\s]+#[0-9]+$")
_OPERATOR = re.compile(r"^[A-Za-z0-9._@+\-:/]{1,128}$")


def _case_id_shape(value: str) -> str:
    if not _CASE_ID.match(value):
        raise ValueError("must look like '<account_id>#<cycle>', e.g. 'acc-42#1'")
    return value


def _operator_shape(value: str) -> str:
    if not _OPERATOR.match(value):
        raise ValueError("must be your user name (letters, digits, . _ @ + - : /)")
    return value


def _no_float(value: Any) -> Any:
    # A JSON number like 500.1 is a binary float; money must be typed as a string.
    if isinstance(value, float):
        raise ValueError('write money as a string, e.g. "500.00"')
    return value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError('needs a UTC offset, e.g. "2026-12-01T00:00:00Z"')
    return value.astimezone(UTC)


def _comma_separated(value: Any) -> Any:
    """`--sequences 3,4` on the command line."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class _Action(Record):
    """Fields every action carries (extra keys are refused so a typo is an error)."""

    case_id: str
    operator: str


class RecordCallOutcome(_Action):
    """Record what an agent call gave (the case waits in the AGENT_CALL queue)."""

    action: Literal[ActionName.RECORD_CALL_OUTCOME]
    outcome: CallOutcome
    promise_date: date | None
    promise_amount: Decimal | None
    reason: str | None  # required for a dispute
    note: str | None

    def _fields_fit_outcome(self) -> RecordCallOutcome:
        promise = self.outcome is CallOutcome.PROMISE_TO_PAY
        if promise and (self.promise_date is None or self.promise_amount is None):
            raise ValueError("promise_to_pay needs promise_date and promise_amount")
        if not promise and (self.promise_date is not None or self.promise_amount is not None):
            raise ValueError("promise_date and promise_amount belong to promise_to_pay only")
        if self.promise_amount is not None:
            if self.promise_amount <= 0:
                raise ValueError("promise_amount must be more than zero")
            if self.promise_amount.as_tuple().exponent < -2:  # type: ignore[operator]
                raise ValueError("promise_amount has more than two decimal places")
        if self.outcome is CallOutcome.DISPUTE and not self.reason:
            raise ValueError("a dispute needs a reason (what the borrower disputes)")
        return self


class ApproveLitigation(_Action):
    """Approve litigation for a case waiting for a legal review."""

    action: Literal[ActionName.APPROVE_LITIGATION]
    approver: str
    reason: str


class RejectLitigation(_Action):
    """Reject litigation for a case waiting for a legal review, saying what happens next
    (without ``next_step``, the policy's ``legal_review.after_rejection``)."""

    action: Literal[ActionName.REJECT_LITIGATION]
    approver: str
    reason: str
    next_step: AfterRejection | None


class Pause(_Action):
    """Hold all collection activity until a time (at most 90 days ahead)."""

    action: Literal[ActionName.PAUSE]
    until: datetime
    reason: str | None


class Resume(_Action):
    """End a pause now; the case gets back the status it had before."""

    action: Literal[ActionName.RESUME]
    reason: str | None


class OptOut(_Action):
    """Stop one contact channel for the borrower."""

    action: Literal[ActionName.OPT_OUT]
    channel: Channel


class CeaseCommunication(_Action):
    """Stop every collection contact for the borrower (a cease request)."""

    action: Literal[ActionName.CEASE_COMMUNICATION]
    reason: str | None


class Close(_Action):
    """Close the case: paid externally, settled, written off or sold."""

    action: Literal[ActionName.CLOSE]
    reason: CloseReason
    note: str | None


class AddNote(_Action):
    """Add a note to the case timeline (allowed on closed cases too)."""

    action: Literal[ActionName.ADD_NOTE]
    note: str


class OfferPlan(_Action):
    """An agent's plan (docs/replies-and-plans.md): ``installments`` equal parts (default:
    the policy's offer) or everything on ``pay_by`` (a deferral). ``accepted``: the
    borrower agreed on the call, so the plan starts now; otherwise it is an offer the
    borrower accepts by replying."""

    action: Literal[ActionName.OFFER_PLAN]
    installments: int | None
    pay_by: date | None
    accepted: bool
    note: str | None

    def _one_kind(self) -> OfferPlan:
        if self.installments is not None and self.pay_by is not None:
            raise ValueError("give installments or pay_by (a deferral), not both")
        return self


class ResolveDispute(_Action):
    """End a dispute: ``upheld`` closes the case, ``rejected`` resumes collection."""

    action: Literal[ActionName.RESOLVE_DISPUTE]
    outcome: DisputeResolution
    reason: str  # what was found: the audit must say why the dispute ended this way
    note: str | None


class Republish(_Action):
    """Put the case's outbound events on the bus again, with their own ids and
    ``republished: true`` (all of them, or the ``sequences`` given); closed cases too."""

    action: Literal[ActionName.REPUBLISH]
    sequences: list[int] | None
    reason: str | None


class PlaceWithAgency(_Action):
    """Hand the case to a collection agency: Arrears stops all contact at once (one collector
    at a time) until ops recall it; the agency's case file goes to S3 (``case_file`` is
    set by Arrears, not typed in)."""

    action: Literal[ActionName.PLACE_WITH_AGENCY]
    agency: str
    reason: str | None
    case_file: str | None


class RecallFromAgency(_Action):
    """Take a placed case back: it returns to the ladder where it left it."""

    action: Literal[ActionName.RECALL_FROM_AGENCY]
    reason: str | None


class ReconcilePayment(_Action):
    """Say what the search for a claimed payment found (the PAYMENT_RECONCILIATION queue)."""

    action: Literal[ActionName.RECONCILE_PAYMENT]
    outcome: ReconcileOutcome
    reason: str  # what was checked: the audit must say why


OpsAction = (
    RecordCallOutcome
    | ApproveLitigation
    | RejectLitigation
    | Pause
    | Resume
    | OptOut
    | CeaseCommunication
    | Close
    | AddNote
    | OfferPlan
    | ResolveDispute
    | Republish
    | PlaceWithAgency
    | RecallFromAgency
    | ReconcilePayment
)
