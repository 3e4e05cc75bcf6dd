"""The event contract as pydantic models: the one statement of its schema (docs/events.md).

Each model's fields, bounds and rules are written here once; the rules themselves are the
functions of ``domain.event_types``. Arrears never validates with these classes directly: the
validators of ``domain.events`` run the models' own pydantic-core schemas, aimed at that
module's plain classes (:func:`core_schemas`). The asset build writes those schemas into
the compiled data, so a Lambda function validates events without importing pydantic; a
checkout derives them here on first use.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    model_validator,
)
from pydantic_core import CoreSchema

from arrears.domain import event_types as ev
from arrears.domain.core_schema import aimed
from arrears.domain.types import Channel, PaymentStatus

Amount = Annotated[ev.Decimal, BeforeValidator(ev._decimal_text)]
Ratio = Annotated[ev.Decimal, BeforeValidator(ev._ratio_text)]
IsoDate = Annotated[ev.date, BeforeValidator(ev._text_only)]
UtcDatetime = Annotated[ev.datetime, BeforeValidator(ev._text_only), AfterValidator(ev._to_utc)]
Identifier = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(ev._identifier)]
Sequence_ = Annotated[StrictInt, Field(ge=0, le=ev._MAX_SEQUENCE)]
Count = Annotated[StrictInt, Field(ge=0, le=10_000)]
CaseId = Annotated[str, Field(min_length=3, max_length=140), AfterValidator(ev._case_id)]


class _Strict(BaseModel):
    # defer_build: the schema is built when core_schemas asks for it, not on import
    model_config = ConfigDict(
        extra="ignore",
        frozen=True,
        str_strip_whitespace=False,
        hide_input_in_errors=True,
        defer_build=True,
    )


class KnowledgeCheckDetail(_Strict):
    kind: Literal["birth_year", "account_last4"]
    salt: Annotated[str, Field(min_length=16, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]
    hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class BorrowerDetail(_Strict):
    name: Annotated[str, Field(max_length=200)] = ""
    phone: Annotated[str, AfterValidator(ev._e164)] | None = None
    email: Annotated[str, AfterValidator(ev._email)] | None = None
    locale: Annotated[str, Field(max_length=35), AfterValidator(ev._locale)] = "en-US"
    timezone: Annotated[str, Field(max_length=64), AfterValidator(ev._timezone)] | None = None
    country: Annotated[str, AfterValidator(ev._country)]
    knowledge_check: KnowledgeCheckDetail | None = None


class AccountDetail(_Strict):
    credit_limit: Amount | None = None
    opened_at: IsoDate | None = None
    prior_delinquencies: Count | None = None
    prior_cures: Count | None = None
    on_time_payment_ratio: Ratio | None = None


class PaymentStatusChanged(_Strict):
    event_id: Identifier
    account_id: Identifier
    obligation_id: Identifier
    status: PaymentStatus
    amount_due: Amount
    amount_paid: Amount
    currency: Annotated[str, AfterValidator(ev._currency)]
    due_date: IsoDate
    occurred_at: UtcDatetime
    sequence: Sequence_
    borrower: BorrowerDetail
    account: AccountDetail | None = None
    principal: Amount | None = None
    interest: Amount | None = None
    fees: Amount | None = None

    @model_validator(mode="after")
    def _amounts_fit_currency(self) -> Self:
        # the same function the validators call on the plain class (same attributes)
        ev.PaymentStatusChanged._amounts_fit_currency(self)  # type: ignore[arg-type]
        return self


class BorrowerReplied(_Strict):
    account_id: Identifier
    channel: Literal[Channel.SMS, Channel.EMAIL]
    text: str
    received_at: UtcDatetime
    event_id: Identifier | None = None
    truncated: bool = False

    @model_validator(mode="before")
    @classmethod
    def _cut_long_text(cls, data: Any) -> Any:
        return ev.BorrowerReplied._cut_long_text(data)


class CreditLineAcknowledged(_Strict):
    event_id: Identifier
    case_id: CaseId
    sequence: int = Field(ge=1, strict=True)
    action: Literal["freeze", "reduce", "restore"]
    result: Literal["applied", "refused"]
    occurred_at: UtcDatetime


class Envelope(_Strict):
    id: Annotated[str, Field(max_length=256)] | None = None
    source: Annotated[str, Field(min_length=1, max_length=256)]
    detail_type: Annotated[str, Field(min_length=1, max_length=256, alias="detail-type")]
    time: str | None = None
    detail: dict[str, Any]


MODELS: dict[type[BaseModel], type[Any]] = {
    KnowledgeCheckDetail: ev.KnowledgeCheckDetail,
    BorrowerDetail: ev.BorrowerDetail,
    AccountDetail: ev.AccountDetail,
    PaymentStatusChanged: ev.PaymentStatusChanged,
    BorrowerReplied: ev.BorrowerReplied,
    CreditLineAcknowledged: ev.CreditLineAcknowledged,
    Envelope: ev.Envelope,
}


def core_schemas() -> dict[str, CoreSchema]:
    """The core schema of each top-level event class (``events.VALIDATED``), aimed at the
    plain classes: what ``domain.events`` validates with, and the asset ships."""
    models = {plain: model for model, plain in MODELS.items()}
    schemas = {}
    for plain in ev.VALIDATED:
        model = models[plain]
        model.model_rebuild()
        schemas[plain.__name__] = aimed(model.__pydantic_core_schema__, MODELS)
    return schemas
