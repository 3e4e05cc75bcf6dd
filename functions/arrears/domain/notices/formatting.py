"""Locale-aware formatting of amounts, dates and instants (babel), in one place."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_timezone_gmt
from babel.numbers import format_currency, get_currency_precision


@cache
def babel_locale(tag: str) -> Locale:
    """Parse a BCP 47 tag ("zh-CN", "en_US", "en") into a babel Locale."""
    return Locale.parse(tag.replace("_", "-"), sep="-")


@lru_cache(maxsize=4096)  # a letter prints the same few amounts several times
def money(amount: Decimal, currency: str, locale: str) -> str:
    # rounded to the currency's digits here (half up, like every amount Arrears computes);
    # an amount that rounds to nothing is printed as nothing, never as "-$0.00"
    amount = amount.quantize(Decimal(1).scaleb(-get_currency_precision(currency)), ROUND_HALF_UP)
    if amount == 0:
        amount = abs(amount)
    # decimal_quantization keeps the currency's own digits (2 for USD/CNY, 0 for JPY)
    return format_currency(amount, currency, locale=babel_locale(locale))


@lru_cache(maxsize=1024)
def long_date(value: date, locale: str) -> str:
    return format_date(value, format="long", locale=babel_locale(locale))


def local_datetime(value: datetime, timezone: str | None, locale: str) -> str:
    """An instant in the borrower's local time, with the zone shown so nobody guesses."""
    zone = ZoneInfo(timezone) if timezone else UTC
    local = value.astimezone(zone)
    loc = babel_locale(locale)
    day = format_date(local.date(), format="long", locale=loc)
    clock = format_time(local, format="short", tzinfo=zone, locale=loc)
    return f"{day} {clock} ({get_timezone_gmt(local, locale=loc)})"
