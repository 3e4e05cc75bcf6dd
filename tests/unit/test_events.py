"""Validation of the events Arrears consumes (arrears.domain.events, docs/events.md)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from arrears import constants as c
from arrears.domain import datafile, event_types
from arrears.domain.compiled_data import write_compiled
from arrears.domain.errors import InvalidEvent
from arrears.domain.events import (
    MAX_REPLY_CHARS,
    BorrowerReplied,
    PaymentStatusChanged,
    currencies_in_use,
    minor_units,
    parse_borrower_replied,
    parse_detail,
    parse_envelope,
    parse_payment_status,
)
from arrears.domain.types import Channel, PaymentStatus
from babel import Locale
from babel.numbers import get_territory_currencies
from hypothesis import given
from hypothesis import strategies as st

PHONE = "+8613800000000"
EMAIL = "li.wei@example.cn"


def payment(**overrides: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "event_id": "evt-0001",
        "account_id": "acc-42",
        "obligation_id": "loan-7/inst-3",
        "status": "OVERDUE",
        "amount_due": "1250.00",
        "amount_paid": "0.00",
        "currency": "CNY",
        "due_date": "2026-11-01",
        "occurred_at": "2026-11-02T01:00:00Z",
        "sequence": 12,
        "borrower": {
            "name": "李伟",
            "phone": PHONE,
            "email": EMAIL,
            "locale": "zh-CN",
            "timezone": "Asia/Shanghai",
            "country": "CN",
        },
    }
    detail.update(overrides)
    return detail


def with_borrower(**overrides: Any) -> dict[str, Any]:
    detail = payment()
    detail["borrower"] = {**detail["borrower"], **overrides}
    return detail


def rejection(detail: dict[str, Any]) -> InvalidEvent:
    with pytest.raises(InvalidEvent) as caught:
        parse_payment_status(detail)
    return caught.value


# --------------------------------------------------------------------------- accepted


def test_the_design_example_parses_into_exact_types() -> None:
    # given the example event of DESIGN.md, with the optional account block
    detail = payment(
        account={
            "credit_limit": "5000.00",
            "opened_at": "2024-01-01",
            "prior_delinquencies": 1,
            "prior_cures": 1,
            "on_time_payment_ratio": "0.92",
        }
    )
    # when it is parsed
    event = parse_payment_status(detail)
    # then amounts are exact decimals, time is aware UTC, channels are the ones present
    assert event.status is PaymentStatus.OVERDUE
    assert event.amount_due == Decimal("1250.00") and isinstance(event.amount_due, Decimal)
    assert event.outstanding == Decimal("1250.00")
    assert event.occurred_at == datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    assert event.borrower.channels == frozenset(
        {Channel.SMS, Channel.CALL, Channel.EMAIL, Channel.LETTER}
    )
    assert event.account is not None
    assert event.account.on_time_payment_ratio == Decimal("0.92")
    assert event.account.prior_cures == 1


def test_an_offset_timestamp_is_converted_to_utc() -> None:
    event = parse_payment_status(payment(occurred_at="2026-11-02T09:00:00+08:00"))
    assert event.occurred_at == datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    assert event.occurred_at.tzinfo is UTC


def test_unknown_extra_fields_are_ignored_for_forward_compatibility() -> None:
    event = parse_payment_status(payment(channel_hint="app", schema_version=3))
    assert event.event_id == "evt-0001"


def test_contact_fields_are_optional_and_absent_channels_are_not_claimed() -> None:
    detail = payment()
    detail["borrower"] = {"country": "CN", "email": EMAIL}
    event = parse_payment_status(detail)
    assert event.borrower.phone is None
    # no phone: neither SMS nor a call; letters go to the lender's address of record
    assert event.borrower.channels == frozenset({Channel.EMAIL, Channel.LETTER})


@pytest.mark.parametrize(
    ("currency", "amount"),
    [("JPY", "1250"), ("JPY", "1250.00"), ("BHD", "12.345"), ("CNY", "0.5"), ("CNY", "1.230")],
)
def test_amounts_within_the_currency_minor_units_are_accepted(currency: str, amount: str) -> None:
    event = parse_payment_status(payment(currency=currency, amount_due=amount))
    assert event.amount_due == Decimal(amount)


def test_minor_units_come_from_cldr() -> None:
    assert (minor_units("JPY"), minor_units("CNY"), minor_units("BHD")) == (0, 2, 3)


def test_overpayment_leaves_nothing_outstanding_rather_than_a_negative_balance() -> None:
    event = parse_payment_status(payment(status="PAID", amount_due="10.00", amount_paid="12.00"))
    assert event.outstanding == Decimal(0)


# --------------------------------------------------------------------------- rejected


@pytest.mark.parametrize(
    ("overrides", "field", "phrase"),
    [
        ({"amount_due": 1250.0}, "amount_due", "not a JSON number"),
        ({"amount_due": 1250}, "amount_due", "not a JSON number"),
        ({"amount_paid": "-1.00"}, "amount_paid", "non-negative"),
        ({"amount_due": "1e3"}, "amount_due", "decimal string"),
        ({"amount_due": "NaN"}, "amount_due", "decimal string"),
        ({"amount_due": "1,250.00"}, "amount_due", "decimal string"),
        ({"amount_due": "12.345"}, "amount_due", "CNY has 2"),
        ({"currency": "JPY", "amount_due": "1250.5"}, "amount_due", "JPY has 0"),
        ({"currency": "JPY", "amount_paid": "0.01"}, "amount_paid", "JPY has 0"),
        ({"currency": "ABC"}, "currency", "ISO 4217"),
        ({"currency": "DEM"}, "currency", "ISO 4217"),  # no longer legal tender
        ({"currency": "XXX"}, "currency", "ISO 4217"),  # "no currency"
        ({"currency": "cny"}, "currency", "upper-case"),
        ({"status": "LATE"}, "status", "OVERDUE"),
        ({"status": "overdue"}, "status", "OVERDUE"),
        ({"sequence": "12"}, "sequence", "integer"),
        ({"sequence": 12.0}, "sequence", "integer"),
        ({"sequence": True}, "sequence", "integer"),
        ({"sequence": -1}, "sequence", "greater than or equal"),
        ({"occurred_at": "2026-11-02T01:00:00"}, "occurred_at", "time zone offset"),
        ({"occurred_at": 1793581200}, "occurred_at", "ISO 8601"),
        ({"due_date": "01/11/2026"}, "due_date", "date"),
        ({"event_id": ""}, "event_id", "at least 1"),
        ({"account_id": "acc 42"}, "account_id", "only letters"),
        ({"account_id": "acc#42"}, "account_id", "only letters"),
    ],
)
def test_each_rule_rejects_with_a_readable_message(
    overrides: dict[str, Any], field: str, phrase: str
) -> None:
    error = rejection(payment(**overrides))
    assert error.reason == "schema_validation"
    assert field in error.detail
    assert phrase in error.detail


@pytest.mark.parametrize(
    "missing",
    ["event_id", "account_id", "obligation_id", "status", "amount_due", "amount_paid",
     "currency", "due_date", "occurred_at", "sequence", "borrower"],
)  # fmt: skip
def test_every_required_field_is_required(missing: str) -> None:
    detail = payment()
    del detail[missing]
    error = rejection(detail)
    assert f"{missing}: Field required" in error.detail


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": "13800000000"}, "borrower.phone"),  # national format, not E.164
        ({"phone": "+86 138 0000 0000"}, "borrower.phone"),
        ({"phone": "+8612345"}, "borrower.phone"),  # not a valid Chinese number
        ({"email": "not-an-address"}, "borrower.email"),
        ({"timezone": "Mars/Olympus_Mons"}, "borrower.timezone"),
        ({"timezone": "../../etc/passwd"}, "borrower.timezone"),
        ({"locale": "xx-!!"}, "borrower.locale"),
        ({"country": "XZ"}, "borrower.country"),
        ({"country": "cn"}, "borrower.country"),
    ],
)
def test_contact_data_is_validated(overrides: dict[str, Any], field: str) -> None:
    error = rejection(with_borrower(**overrides))
    assert field in error.detail


def test_error_messages_never_repeat_the_rejected_value() -> None:
    # given contact data that is wrong in ways that would leak PII if echoed
    detail = with_borrower(phone="+8612345", email="secret-person@@example")
    # when it is rejected
    error = rejection(detail)
    # then the message names the fields but not their values
    assert "borrower.phone" in error.detail and "borrower.email" in error.detail
    assert "+8612345" not in error.detail and "secret-person" not in error.detail


def test_all_problems_are_reported_at_once() -> None:
    error = rejection(payment(amount_due=1.5, currency="ABC", status="LATE"))
    assert all(name in error.detail for name in ("amount_due", "currency", "status"))


def test_account_block_is_validated() -> None:
    error = rejection(payment(account={"credit_limit": 5000, "on_time_payment_ratio": "1.5"}))
    assert "account.credit_limit" in error.detail
    assert "account.on_time_payment_ratio" in error.detail


def test_currency_list_comes_from_a_library_and_is_broad() -> None:
    codes = currencies_in_use()
    assert {"CNY", "USD", "EUR", "JPY", "HKD", "XOF"} <= codes
    assert len(codes) > 140


def _clear_territory_caches() -> None:
    for cached in (event_types._territories, event_types._country_codes):
        cached.cache_clear()
    event_types._currencies_in_use.cache_clear()
    datafile.compiled.cache_clear()


def test_the_assets_compiled_territories_answer_as_babel_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the compiled data an asset ships (countries and currency histories from CLDR)
    target = tmp_path / "compiled.json"
    write_compiled(target)
    monkeypatch.setattr(datafile, "COMPILED_FILE", target)
    _clear_territory_caches()
    try:
        assert event_types._territories() == json.loads(target.read_text())["territories"]
        # then the countries and the currencies in use on a day are babel's own answers
        territories = [
            t
            for t in Locale("en").territories
            if isinstance(t, str) and len(t) == 2 and t.isalpha()
        ]
        assert event_types._country_codes() == frozenset(territories)
        for on in (date(1999, 1, 1), date(2001, 6, 1), date(2024, 4, 8), datetime.now(UTC).date()):
            expected = {code for t in territories for code in get_territory_currencies(t, on)}
            assert event_types._currencies_in_use(on) == expected, on
        # and a country check reads them
        assert parse_payment_status(payment(borrower={"country": "CN"})).borrower is not None
        with pytest.raises(InvalidEvent):
            parse_payment_status(payment(borrower={"country": "XY"}))
    finally:
        _clear_territory_caches()


@given(
    units=st.integers(min_value=0, max_value=10**12),
    cents=st.integers(min_value=0, max_value=99),
)
def test_any_two_place_decimal_string_round_trips_exactly(units: int, cents: int) -> None:
    text = f"{units}.{cents:02d}"
    event = parse_payment_status(payment(amount_due=text))
    assert format(event.amount_due, "f") == text


@given(amount=st.floats(allow_nan=True, allow_infinity=True))
def test_no_float_is_ever_accepted_as_an_amount(amount: float) -> None:
    with pytest.raises(InvalidEvent):
        parse_payment_status(payment(amount_due=amount))


# --------------------------------------------------------------------------- replies


def test_a_reply_parses_and_long_text_is_cut_and_flagged() -> None:
    reply = parse_borrower_replied(
        {
            "account_id": "acc-42",
            "channel": "sms",
            "text": "我已还款" * 1000,
            "received_at": "2026-11-03T02:00:00Z",
        }
    )
    assert reply.channel is Channel.SMS
    assert len(reply.text) == MAX_REPLY_CHARS and reply.truncated


@pytest.mark.parametrize("channel", ["letter", "call", "whatsapp"])
def test_a_reply_only_comes_by_sms_or_email(channel: str) -> None:
    with pytest.raises(InvalidEvent, match="channel"):
        parse_borrower_replied(
            {
                "account_id": "a",
                "channel": channel,
                "text": "hi",
                "received_at": "2026-11-03T02:00:00Z",
            }
        )


# --------------------------------------------------------------------------- envelope


def envelope(source: str, detail_type: str, detail: Any) -> dict[str, Any]:
    return {"id": "eb-1", "source": source, "detail-type": detail_type, "detail": detail}


def test_the_envelope_routes_by_source_and_detail_type() -> None:
    payment_event = parse_detail(
        parse_envelope(envelope(c.SOURCE_PAYMENTS, c.DETAIL_PAYMENT_STATUS, payment()))
    )
    reply_body = {
        "account_id": "a",
        "channel": "email",
        "text": "ok",
        "received_at": "2026-11-03T02:00:00Z",
    }
    reply = parse_detail(
        parse_envelope(envelope(c.SOURCE_MESSAGING, c.DETAIL_BORROWER_REPLIED, reply_body))
    )
    assert isinstance(payment_event, PaymentStatusChanged)
    assert isinstance(reply, BorrowerReplied)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ([1, 2], "not_an_event"),
        ("text", "not_an_event"),
        ({"source": "wallet.payments", "detail": {}}, "bad_envelope"),
        (envelope(c.SOURCE_PAYMENTS, "Something", {}), "unknown_event_type"),
        (envelope("someone.else", c.DETAIL_PAYMENT_STATUS, {}), "unknown_event_type"),
        (envelope(c.SOURCE_PAYMENTS, c.DETAIL_PAYMENT_STATUS, []), "bad_envelope"),
    ],
)
def test_bad_envelopes_are_rejected_with_a_reason(body: Any, reason: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_detail(parse_envelope(copy.deepcopy(body)))
    assert caught.value.reason == reason


# ------------------------------------------------------------------ amount breakdown


def test_a_breakdown_of_the_amount_due_is_accepted_when_it_adds_up() -> None:
    event = parse_payment_status(
        payment(principal="1200.00", interest="30.00", fees="20.00", amount_due="1250.00")
    )
    assert (event.principal, event.interest, event.fees) == (
        Decimal("1200.00"),
        Decimal("30.00"),
        Decimal("20.00"),
    )


@pytest.mark.parametrize(
    ("breakdown", "phrase"),
    [
        ({"principal": "1200.00", "interest": "30.00", "fees": "10.00"}, "must equal amount_due"),
        ({"principal": "1250.00"}, "missing ['fees', 'interest']"),
        ({"principal": "1200.00", "interest": 30.0, "fees": "20.00"}, "not a JSON number"),
        ({"principal": "1200.001", "interest": "30.00", "fees": "19.999"}, "CNY has 2"),
    ],
)
def test_a_breakdown_that_does_not_add_up_or_is_partial_is_rejected(
    breakdown: dict[str, Any], phrase: str
) -> None:
    error = rejection(payment(**breakdown))
    assert error.reason == "schema_validation"
    assert phrase in error.detail
