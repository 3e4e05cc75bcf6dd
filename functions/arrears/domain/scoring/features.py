"""What the scorer knows about a case at collection time, and the characteristics derived from it.

`Features` is what callers build (from the case, the borrower and the optional `account`
block of PaymentStatusChanged). `characteristic_values` turns it into the values the
scorecard bins. The fitting tool calls the same function on every historical row, so the
model is trained on exactly what it will see in production.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

Number = int | float | Decimal


class Sentiment(StrEnum):
    """Sentiment of the borrower's latest reply (None when the borrower has not replied)."""

    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"
    MIXED = "mixed"


class ReachabilityState(StrEnum):
    """Derived characteristic: which of the automated channels still reach the borrower."""

    REACHABLE = "reachable"
    EMAIL_BOUNCED = "email_bounced"
    SMS_FAILED = "sms_failed"
    BOTH_FAILED = "both_failed"


@dataclass(frozen=True)
class Reachability:
    email_bounced: bool = False
    sms_failed: bool = False

    @property
    def state(self) -> ReachabilityState:
        if self.email_bounced and self.sms_failed:
            return ReachabilityState.BOTH_FAILED
        if self.email_bounced:
            return ReachabilityState.EMAIL_BOUNCED
        if self.sms_failed:
            return ReachabilityState.SMS_FAILED
        return ReachabilityState.REACHABLE


@dataclass(frozen=True)
class Features:
    """Inputs to one score. Any field may be None: a missing value falls in its own bin."""

    days_past_due: int | None = None
    amount_overdue: Decimal | None = None
    credit_limit: Decimal | None = None
    prior_delinquencies: int | None = None
    prior_cures: int | None = None
    on_time_payment_ratio: Number | None = None  # 0..1 share of instalments paid on time
    tenure_months: int | None = None
    broken_promises: int | None = 0  # promises to pay not kept during this case
    reachability: Reachability = field(default_factory=Reachability)
    sentiment: Sentiment | str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Features:
        """Build from a loose mapping (a CSV row, the event's `account` block, a test dict).

        Accepts decimal strings, empty strings as missing, and reachability either nested
        (`{"reachability": {"email_bounced": true}}`) or flat (`email_bounced`, `sms_failed`).
        """
        reach = data.get("reachability")
        if isinstance(reach, Reachability):
            reachability = reach
        else:
            reachability = _to_reachability(reach if isinstance(reach, Mapping) else data)
        sentiment = data.get("sentiment")
        return cls(
            days_past_due=_to_int(data.get("days_past_due")),
            amount_overdue=_to_decimal(data.get("amount_overdue")),
            credit_limit=_to_decimal(data.get("credit_limit")),
            prior_delinquencies=_to_int(data.get("prior_delinquencies")),
            prior_cures=_to_int(data.get("prior_cures")),
            on_time_payment_ratio=_to_decimal(data.get("on_time_payment_ratio")),
            tenure_months=_to_int(data.get("tenure_months")),
            broken_promises=_to_int(data.get("broken_promises")),
            reachability=reachability,
            sentiment=parse_sentiment(sentiment),
        )


def tenure_months(opened_at: date, as_of: date) -> int:
    """Whole months from account opening to `as_of` (0 for an account opened this month)."""
    months = (as_of.year - opened_at.year) * 12 + (as_of.month - opened_at.month)
    if as_of.day < opened_at.day:
        months -= 1
    return max(months, 0)


def parse_sentiment(value: object) -> Sentiment | None:
    """Sentiment from a reply classifier's label; unknown or empty labels count as missing."""
    if value is None or isinstance(value, Sentiment):
        return value
    text = str(value).strip().lower()
    try:
        return Sentiment(text)
    except ValueError:
        return None


# Characteristic names a scorecard may use, with the kind of bins each needs.
NUMERIC_CHARACTERISTICS = (
    "days_past_due",
    "amount_overdue",
    "overdue_to_limit_ratio",
    "prior_delinquencies",
    "prior_cures",
    "on_time_payment_ratio",
    "tenure_months",
    "broken_promises",
    "prior_cure_rate",  # cures / delinquencies; missing (its own bin) when never delinquent
)
CATEGORICAL_CHARACTERISTICS = {
    "reachability": tuple(s.value for s in ReachabilityState),
    "sentiment": tuple(s.value for s in Sentiment),
}
CHARACTERISTICS = NUMERIC_CHARACTERISTICS + tuple(CATEGORICAL_CHARACTERISTICS)


def characteristic_values(features: Features) -> dict[str, float | str | None]:
    """The value of every known characteristic; None means missing (the missing bin)."""
    amount = _to_float(features.amount_overdue)
    limit = _to_float(features.credit_limit)
    delinquencies = _to_float(features.prior_delinquencies)
    cures = _to_float(features.prior_cures)
    ratio = amount / limit if amount is not None and limit is not None and limit > 0 else None
    cure_rate = None
    if delinquencies is not None and delinquencies > 0 and cures is not None:
        cure_rate = min(cures / delinquencies, 1.0)
    reachability = features.reachability
    if not isinstance(reachability, Reachability):  # a caller passed a dict or None
        reachability = _to_reachability(reachability)
    sentiment = parse_sentiment(features.sentiment)
    return {
        "days_past_due": _to_float(features.days_past_due),
        "amount_overdue": amount,
        "overdue_to_limit_ratio": ratio,
        "prior_delinquencies": delinquencies,
        "prior_cures": cures,
        "on_time_payment_ratio": _to_float(features.on_time_payment_ratio),
        "tenure_months": _to_float(features.tenure_months),
        "broken_promises": _to_float(features.broken_promises),
        "prior_cure_rate": cure_rate,
        "reachability": reachability.state.value,
        "sentiment": sentiment.value if sentiment is not None else None,
    }


def _to_reachability(value: object) -> Reachability:
    if isinstance(value, Mapping):
        return Reachability(
            email_bounced=_to_bool(value.get("email_bounced")),
            sms_failed=_to_bool(value.get("sms_failed")),
        )
    return Reachability()


def _to_float(value: object) -> float | None:
    """Numbers, Decimals and numeric strings; None, blanks and NaN are missing."""
    if _is_blank(value):
        return None
    if isinstance(value, float):
        return None if math.isnan(value) else value
    try:
        result = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(result) else result


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _to_int(value: object) -> int | None:
    if _is_blank(value):
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.lstrip("-").isdigit():  # the common case, without a Decimal round trip
        return int(text)
    return int(Decimal(text))


def _to_decimal(value: object) -> Decimal | None:
    if _is_blank(value):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def _to_bool(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "y"}
    return bool(value)
