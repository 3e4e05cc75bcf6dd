"""The events Arrears consumes, as the rest of Arrears sees them, and the rules their
fields obey (docs/events.md). No pydantic here: the schema is the pydantic models of
``domain.event_models``, which call these rules; ``domain.events`` validates with them.

Validation is strict where a lenient parse would be dangerous: amounts only as decimal
strings (a JSON number may already have lost precision, so it is refused, not converted),
no negative amounts, no more decimals than the currency has minor units, currencies that
are legal tender somewhere today (CLDR data via babel), timezone-aware timestamps,
E.164 phone numbers (phonenumbers), IANA time zones (zoneinfo), and integer sequences.
Unknown extra fields are ignored so producers can add fields without breaking Arrears.

Error messages never repeat the rejected value: they end up in DLQ message attributes
and logs, and a rejected value may be a phone number or an e-mail address.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from typing import Any, Literal

from arrears.domain import datafile
from arrears.domain.currency import minor_units as minor_units  # re-exported
from arrears.domain.record import Record as Record  # re-exported
from arrears.domain.types import Channel, PaymentStatus

# A reply is untrusted free text; longer ones are cut (and flagged) rather than rejected.
MAX_REPLY_CHARS = 2000

_DECIMAL_TEXT = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_IDENTIFIER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/@-]*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MAX_SEQUENCE = 2**63 - 1

# --------------------------------------------------------------------------- field rules


def _decimal_text(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError('must be a decimal string such as "1250.00", not a JSON number')
    if len(value) > 32 or not _DECIMAL_TEXT.match(value):
        raise ValueError('must be a non-negative decimal string such as "1250.00"')
    try:
        return Decimal(value)
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only valid text
        raise ValueError("is not a decimal number") from error


def _ratio_text(value: Any) -> Decimal:
    ratio = _decimal_text(value)
    if ratio > 1:
        raise ValueError("must be between 0 and 1")
    return ratio


def _text_only(value: Any) -> Any:
    """Dates and times must arrive as ISO 8601 text, not as numbers (epoch guessing)."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 string")
    return value


def _to_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("must carry a time zone offset, e.g. 2026-11-02T01:00:00Z")
    return moment.astimezone(UTC)


def _identifier(value: str) -> str:
    if not _IDENTIFIER.match(value):
        raise ValueError(
            "may contain only letters, digits and . _ : / @ - and must start with a letter or digit"
        )
    return value


TERRITORIES_KEY = "territories"  # the compiled data's entry (domain.compiled_data)


def territory_data() -> dict[str, list[Any]]:
    """From CLDR (babel): the ISO 3166-1 alpha-2 codes (``codes``), and every currency that
    is or was legal tender in one of them, with the first and last day it was
    (``tender``: ``[code, from, to]``, ISO dates, null where open). The asset ships it
    compiled, so a function validating a country or a currency reads neither the English
    locale data nor every territory's currency history."""
    from babel import Locale
    from babel.numbers import get_territory_currencies

    codes = sorted(
        t for t in Locale("en").territories if isinstance(t, str) and len(t) == 2 and t.isalpha()
    )
    tender = set()
    for territory in codes:
        for found in get_territory_currencies(territory, date.min, date.max, include_details=True):
            first, last = found["from"], found["to"]
            tender.add((found["currency"], first and first.isoformat(), last and last.isoformat()))
    return {"codes": codes, "tender": [list(row) for row in sorted(tender, key=str)]}


@cache
def _territories() -> dict[str, list[Any]]:
    compiled = datafile.compiled()
    if compiled is not None and TERRITORIES_KEY in compiled:
        return dict(compiled[TERRITORIES_KEY])
    return territory_data()  # a checkout: from babel


@cache
def _country_codes() -> frozenset[str]:
    return frozenset(_territories()["codes"])


@lru_cache(maxsize=4)
def _currencies_in_use(on: date) -> frozenset[str]:
    day = on.isoformat()
    return frozenset(
        code
        for code, first, last in _territories()["tender"]
        if (first is None or first <= day) and (last is None or last >= day)
    )


def currencies_in_use() -> frozenset[str]:
    """ISO 4217 codes that are legal tender in some territory today (CLDR, via babel)."""
    return _currencies_in_use(datetime.now(UTC).date())


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError("must be a three-letter upper-case ISO 4217 code")
    if value not in currencies_in_use():
        raise ValueError(f"{value} is not an ISO 4217 currency in use")
    return value


def _check_minor_units(amount: Decimal, currency: str, field_name: str) -> None:
    """Refuse fractions of the minor unit (12.345 CNY); trailing zeros (1250.00 JPY) are
    harmless, since the value is still a whole number of minor units."""
    places = minor_units(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(
            f"{field_name} has a fraction of the minor unit: {currency} has {places} decimal places"
        )


def _e164(value: str) -> str:
    if not re.fullmatch(r"\+[1-9][0-9]{1,14}", value):
        raise ValueError("must be an E.164 number: + and country code, digits only")
    import phonenumbers  # only the handlers that validate events with phones load its metadata

    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as error:
        raise ValueError("is not a parseable phone number") from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError("is not a valid phone number for its country code")
    return value


def _email(value: str) -> str:
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("is not an e-mail address")
    return value


def _timezone(value: str) -> str:
    # zoneinfo (and the sysconfig it reads its search path from) loads with the first event
    # that names a time zone, not with every ingest cold start
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError("is not an IANA time zone name such as Asia/Shanghai") from error
    return value


def _locale(value: str) -> str:
    from babel import Locale, UnknownLocaleError  # with the first event that names a locale

    try:
        Locale.parse(value, sep="-")
    except (UnknownLocaleError, ValueError, TypeError) as error:
        raise ValueError("is not a BCP 47 locale such as zh-CN") from error
    return value


def _country(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{2}", value) or value not in _country_codes():
        raise ValueError("is not an ISO 3166-1 alpha-2 country code such as CN")
    return value


def _case_id(value: str) -> str:
    account, _, cycle = value.rpartition("#")
    if not account or not cycle.isdigit() or int(cycle) < 1:
        raise ValueError("must be a case id: <account_id>#<cycle>")
    _identifier(account)
    return value


# --------------------------------------------------------------------------- classes


class KnowledgeCheckDetail(Record):
    """The lender's knowledge check for the portal (docs/portal.md): the kind of question
    and ``sha256(salt + ":" + answer)``; the answer itself is never sent."""

    kind: Literal["birth_year", "account_last4"]
    salt: str
    hash: str


class BorrowerDetail(Record):
    """Contact data sent with every payment event. Holds PII: never log it."""

    name: str
    phone: str | None
    email: str | None
    locale: str
    timezone: str | None
    country: str
    # optional: without it the portal shows nothing beyond the creditor's name
    knowledge_check: KnowledgeCheckDetail | None

    @property
    def channels(self) -> frozenset[Channel]:
        """Channels the event makes verified (docs/events.md).

        A phone verifies SMS and the agent's call to that number; letters go to the postal
        address the lender holds on record (it addresses LetterReadyForDispatch itself), so
        Arrears never learns an address and the letter channel is always the borrower's own.
        """
        present = {Channel.LETTER}
        if self.phone:
            present |= {Channel.SMS, Channel.CALL}
        if self.email:
            present.add(Channel.EMAIL)
        return frozenset(present)


class AccountDetail(Record):
    """Optional facts about the credit account, inputs to risk scoring."""

    credit_limit: Decimal | None
    opened_at: date | None
    prior_delinquencies: int | None
    prior_cures: int | None
    on_time_payment_ratio: Decimal | None


class PaymentStatusChanged(Record):
    event_id: str
    account_id: str
    obligation_id: str
    status: PaymentStatus
    amount_due: Decimal
    amount_paid: Decimal
    currency: str
    due_date: date
    occurred_at: datetime
    sequence: int
    borrower: BorrowerDetail
    account: AccountDetail | None
    # the producer's own split of amount_due, when it sends one (all three, adding up)
    principal: Decimal | None
    interest: Decimal | None
    fees: Decimal | None

    def _amounts_fit_currency(self) -> PaymentStatusChanged:
        """The model's check across fields (``event_models``), once the fields are valid."""
        _check_minor_units(self.amount_due, self.currency, "amount_due")
        _check_minor_units(self.amount_paid, self.currency, "amount_paid")
        if self.account and self.account.credit_limit is not None:
            _check_minor_units(self.account.credit_limit, self.currency, "account.credit_limit")
        parts = {"principal": self.principal, "interest": self.interest, "fees": self.fees}
        given = {name: value for name, value in parts.items() if value is not None}
        if given and len(given) != len(parts):
            missing = sorted(set(parts) - set(given))
            raise ValueError(f"a breakdown needs principal, interest and fees; missing {missing}")
        if given:
            for name, value in given.items():
                _check_minor_units(value, self.currency, name)
            if sum(given.values()) != self.amount_due:
                raise ValueError("principal + interest + fees must equal amount_due")
        return self

    @property
    def outstanding(self) -> Decimal:
        """What is still owed on this obligation (an overpayment counts as nothing owed)."""
        return max(self.amount_due - self.amount_paid, Decimal(0))


class BorrowerReplied(Record):
    account_id: str
    channel: Literal[Channel.SMS, Channel.EMAIL]
    text: str
    received_at: datetime
    # not in the DESIGN.md contract, accepted when a producer sends them
    event_id: str | None
    truncated: bool

    @classmethod
    def _cut_long_text(cls, data: Any) -> Any:
        """The model's check before its fields: a long reply is cut and flagged."""
        text = data.get("text") if isinstance(data, dict) else None
        if isinstance(text, str) and len(text) > MAX_REPLY_CHARS:
            return {**data, "text": text[:MAX_REPLY_CHARS], "truncated": True}
        return data


class CreditLineAcknowledged(Record):
    """The wallet's answer to a CreditLineActionRequested (source ``wallet.credit``)."""

    event_id: str
    case_id: str
    sequence: int  # the request's outbound sequence number
    action: Literal["freeze", "reduce", "restore"]
    result: Literal["applied", "refused"]
    occurred_at: datetime

    def problem_with(self, requests: list[tuple[int, str]]) -> tuple[str, str] | None:
        """Why the acknowledgement cannot be taken, given the case's credit line requests
        as (sequence, action), or None. Reasons name no value from the event."""
        if not requests:
            return "unknown_request", "the case has no credit line request"
        by_sequence = dict(requests)
        if self.sequence not in by_sequence:
            return "unknown_request", "no credit line request has that sequence"
        if by_sequence[self.sequence] != self.action:
            return "action_mismatch", "the action differs from the request's"
        if self.sequence < max(by_sequence):
            return "stale_sequence", "a later credit line request supersedes it"
        return None


class Envelope(Record):
    """The EventBridge event as SQS delivers it (only what routing needs)."""

    id: str | None
    source: str
    detail_type: str
    time: str | None
    detail: dict[str, Any]


# the classes validated at the top, each with its own validator (``domain.events``)
VALIDATED: tuple[type[Record], ...] = (
    PaymentStatusChanged,
    BorrowerReplied,
    CreditLineAcknowledged,
    Envelope,
)
