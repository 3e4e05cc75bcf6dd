"""Currency facts the domain needs everywhere (CLDR data, via babel): kept apart from the
event contract (``domain.events``), whose pydantic models only ingest needs."""

from __future__ import annotations

from babel.numbers import get_currency_precision


def minor_units(currency: str) -> int:
    """Decimal places of the currency's minor unit (JPY 0, CNY 2, BHD 3)."""
    return int(get_currency_precision(currency))
