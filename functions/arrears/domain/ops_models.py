"""The ops actions as pydantic models: the one statement of their schema (docs/ops.md).

Each action's fields, bounds and rules are written here once; the rules themselves are the
functions and methods of ``domain.ops``. Arrears never validates with these classes
directly: ``domain.ops.parse_action`` runs their own pydantic-core schema (one tagged union
of the fifteen actions), aimed at that module's plain classes (:func:`core_schemas`). The
asset build writes that schema into the compiled data, so the ops and portal functions
validate actions without importing pydantic; a checkout derives it here on first use. The
command line (``arrears ops``) reads its flags from these models.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    model_validator,
)
from pydantic_core import CoreSchema

from arrears.domain import ops_actions as actions
from arrears.domain.core_schema import aimed
from arrears.domain.ops_actions import (
    MAX_TEXT,
    ActionName,
    CallOutcome,
    CloseReason,
    DisputeResolution,
    ReconcileOutcome,
)
from arrears.domain.types import AfterRejection, Channel

Text = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
Approver = Annotated[str, Field(min_length=1, max_length=128)]
AgencyName = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._&-]*$")
]


class _Action(BaseModel):
    """Fields every action carries. Extra keys are refused so a typo is an error, not ignored."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, defer_build=True
    )

    case_id: Annotated[str, AfterValidator(actions._case_id_shape)]
    operator: Annotated[str, AfterValidator(actions._operator_shape)]


class RecordCallOutcome(_Action):
    """Record what an agent call gave (the case waits in the AGENT_CALL queue)."""

    action: Literal[ActionName.RECORD_CALL_OUTCOME]
    outcome: CallOutcome
    promise_date: date | None = None
    promise_amount: Annotated[Decimal | None, BeforeValidator(actions._no_float)] = None
    reason: Text | None = None  # required for a dispute
    note: Text | None = None

    @model_validator(mode="after")
    def _fields_fit_outcome(self) -> Self:
        # the same function the validator calls on the plain class (same attributes)
        actions.RecordCallOutcome._fields_fit_outcome(self)  # type: ignore[arg-type]
        return self


class ApproveLitigation(_Action):
    """Approve litigation for a case waiting for a legal review."""

    action: Literal[ActionName.APPROVE_LITIGATION]
    approver: Approver
    reason: Text


class RejectLitigation(_Action):
    """Reject litigation for a case waiting for a legal review, saying what happens next
    (without ``next_step``, the policy's ``legal_review.after_rejection``)."""

    action: Literal[ActionName.REJECT_LITIGATION]
    approver: Approver
    reason: Text
    next_step: AfterRejection | None = None


class Pause(_Action):
    """Hold all collection activity until a time (at most 90 days ahead)."""

    action: Literal[ActionName.PAUSE]
    until: Annotated[datetime, AfterValidator(actions._aware)]
    reason: Text | None = None


class Resume(_Action):
    """End a pause now; the case gets back the status it had before."""

    action: Literal[ActionName.RESUME]
    reason: Text | None = None


class OptOut(_Action):
    """Stop one contact channel for the borrower."""

    action: Literal[ActionName.OPT_OUT]
    channel: Channel


class CeaseCommunication(_Action):
    """Stop every collection contact for the borrower (a cease request)."""

    action: Literal[ActionName.CEASE_COMMUNICATION]
    reason: Text | None = None


class Close(_Action):
    """Close the case: paid externally, settled, written off or sold."""

    action: Literal[ActionName.CLOSE]
    reason: CloseReason
    note: Text | None = None


class AddNote(_Action):
    """Add a note to the case timeline (allowed on closed cases too)."""

    action: Literal[ActionName.ADD_NOTE]
    note: Text


class OfferPlan(_Action):
    """An agent's plan (docs/replies-and-plans.md): ``installments`` equal parts (default:
    the policy's offer) or everything on ``pay_by`` (a deferral). ``accepted``: the
    borrower agreed on the call, so the plan starts now; otherwise it is an offer the
    borrower accepts by replying."""

    action: Literal[ActionName.OFFER_PLAN]
    installments: int | None = Field(default=None, ge=1, le=36)
    pay_by: date | None = None
    accepted: bool = False
    note: Text | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        actions.OfferPlan._one_kind(self)  # type: ignore[arg-type]
        return self


class ResolveDispute(_Action):
    """End a dispute: ``upheld`` closes the case, ``rejected`` resumes collection."""

    action: Literal[ActionName.RESOLVE_DISPUTE]
    outcome: DisputeResolution
    reason: Text  # what was found: the audit must say why the dispute ended this way
    note: Text | None = None


class Republish(_Action):
    """Put the case's outbound events on the bus again, with their own ids and
    ``republished: true`` (all of them, or the ``sequences`` given); closed cases too."""

    action: Literal[ActionName.REPUBLISH]
    sequences: Annotated[
        list[int] | None,
        Field(min_length=1, max_length=500),
        BeforeValidator(actions._comma_separated),
    ] = None
    reason: Text | None = None


class PlaceWithAgency(_Action):
    """Hand the case to a collection agency: Arrears stops all contact at once (one collector
    at a time) until ops recall it; the agency's case file goes to S3 (``case_file`` is
    set by Arrears, not typed in)."""

    action: Literal[ActionName.PLACE_WITH_AGENCY]
    agency: AgencyName
    reason: Text | None = None
    case_file: str | None = Field(default=None, pattern=r"^agency/[A-Za-z0-9/._#-]+\.json$")


class RecallFromAgency(_Action):
    """Take a placed case back: it returns to the ladder where it left it."""

    action: Literal[ActionName.RECALL_FROM_AGENCY]
    reason: Text | None = None


class ReconcilePayment(_Action):
    """Say what the search for a claimed payment found (the PAYMENT_RECONCILIATION queue)."""

    action: Literal[ActionName.RECONCILE_PAYMENT]
    outcome: ReconcileOutcome
    reason: Text  # what was checked: the audit must say why


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

# each model and the plain class of domain.ops its schema builds
MODELS: dict[type[BaseModel], type[Any]] = {
    model: getattr(actions, model.__name__) for model in (_Action, *get_args(OpsAction))
}


def action_models() -> dict[str, type[BaseModel]]:
    """Each action's model, by its name (``record_call_outcome``: RecordCallOutcome, ...)."""
    return {
        get_args(model.model_fields["action"].annotation)[0].value: model
        for model in get_args(OpsAction)
    }


def core_schemas() -> dict[str, CoreSchema]:
    """The actions' core schema, aimed at the plain classes: what ``domain.ops`` validates
    and serializes with, and the asset ships."""
    union = TypeAdapter[Any](Annotated[OpsAction, Field(discriminator="action")])
    return {actions.COMPILED_KEY: aimed(union.core_schema, MODELS)}
