"""The events Arrears consumes, validated. Contract: docs/events.md.

The rules (decimal-string amounts, minor units, currencies in use, time zone offsets,
E.164 phones, IANA zones) and the classes the rest of Arrears sees are in
``domain.event_types``; the schema is written once, as pydantic models
(``domain.event_models``). This module validates and parses: pydantic-core validators of
the models' own core schemas, aimed at the plain classes. The Lambda assets ship those
schemas in the compiled data (``domain.datafile``, written when the asset is built), so a
function validating events imports pydantic-core but never pydantic; a checkout derives
them from the models on first use. Either way the same pydantic-core code validates the
same schema, with the same messages.

Error messages never repeat the rejected value: they end up in DLQ message attributes
and logs, and a rejected value may be a phone number or an e-mail address.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

from arrears import constants as c
from arrears.domain import core_schema
from arrears.domain.errors import InvalidEvent
from arrears.domain.event_types import (
    MAX_REPLY_CHARS as MAX_REPLY_CHARS,
)
from arrears.domain.event_types import (
    AccountDetail,
    BorrowerDetail,
    BorrowerReplied,
    CreditLineAcknowledged,
    Envelope,
    KnowledgeCheckDetail,
    PaymentStatusChanged,
    Record,
    currencies_in_use,
    minor_units,
)

__all__ = [
    "ROUTES",
    "AccountDetail",
    "BorrowerDetail",
    "BorrowerReplied",
    "CreditLineAcknowledged",
    "Envelope",
    "Inbound",
    "KnowledgeCheckDetail",
    "PaymentStatusChanged",
    "currencies_in_use",
    "describe",
    "minor_units",
    "parse_borrower_replied",
    "parse_detail",
    "parse_envelope",
    "parse_payment_status",
]

if TYPE_CHECKING:  # pydantic-core loads with the first event validated, not with the module
    from pydantic_core import SchemaValidator, ValidationError

COMPILED_KEY = "events"  # the compiled data's entry for the schemas (domain.compiled_data)
R = TypeVar("R", bound=Record)


# --------------------------------------------------------------------------- validators


@cache
def _validators() -> dict[str, SchemaValidator]:
    """One validator per top-level class: from the asset's compiled schemas, else derived
    from the pydantic models (a checkout, the local runtime, the tests)."""
    from pydantic_core import SchemaValidator

    return {
        name: SchemaValidator(schema)
        for name, schema in core_schema.schemas(COMPILED_KEY, _derived).items()
    }


def _derived() -> dict[str, Any]:
    from arrears.domain.event_models import core_schemas

    return dict(core_schemas())


def _validated(kind: type[R], data: Any, reason: str = "schema_validation") -> R:
    """``data`` as a valid ``kind``; ``InvalidEvent(reason)`` describing why if it is not one."""
    validator = _validators()[kind.__name__]
    from pydantic_core import ValidationError  # loaded by the validators

    try:
        return cast(R, validator.validate_python(data))
    except ValidationError as error:
        raise InvalidEvent(reason, describe(error)) from error


# --------------------------------------------------------------------------- parsing

Inbound = PaymentStatusChanged | BorrowerReplied | CreditLineAcknowledged
ROUTES: dict[tuple[str, str], type[Inbound]] = {
    (c.SOURCE_PAYMENTS, c.DETAIL_PAYMENT_STATUS): PaymentStatusChanged,
    (c.SOURCE_MESSAGING, c.DETAIL_BORROWER_REPLIED): BorrowerReplied,
    (c.SOURCE_WALLET_CREDIT, c.DETAIL_CREDIT_LINE_ACK): CreditLineAcknowledged,
}


def describe(error: ValidationError) -> str:
    """Readable, value-free summary: `amount_due: must be a decimal string ...; currency: ...`."""
    parts = []
    for problem in error.errors(include_input=False, include_url=False):
        where = ".".join(str(p) for p in problem["loc"]) or "event"
        message = problem["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def parse_envelope(body: Any) -> Envelope:
    if not isinstance(body, Mapping):
        raise InvalidEvent("not_an_event", "the message body is not a JSON object")
    return _validated(Envelope, dict(body), "bad_envelope")


def parse_detail(envelope: Envelope) -> Inbound:
    model = ROUTES.get((envelope.source, envelope.detail_type))
    if model is None:
        raise InvalidEvent(
            "unknown_event_type",
            f"no route for source={envelope.source[:64]} detail-type={envelope.detail_type[:64]}",
        )
    return _validated(model, envelope.detail)


def parse_payment_status(detail: Mapping[str, Any]) -> PaymentStatusChanged:
    return _validated(PaymentStatusChanged, dict(detail))


def parse_borrower_replied(detail: Mapping[str, Any]) -> BorrowerReplied:
    return _validated(BorrowerReplied, dict(detail))
