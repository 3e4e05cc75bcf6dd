"""Currency facts the domain needs everywhere (CLDR data, via babel): kept apart from the
event contract (``domain.events``), whose pydantic models only ingest needs."""

from __future__ import annotations

from functools import cache


@cache
def minor_units(currency: str) -> int:
    """Decimal places of the currency's minor unit (JPY 0, CNY 2, BHD 3)."""
    # babel loads on the first amount a function handles: most cold starts handle none
    # (its import is a tenth of the Powertools baseline)
    from babel.numbers import get_currency_precision

    return int(get_currency_precision(currency))
