"""Late fees and interest on an overdue amount, by policy, capped per jurisdiction.

All arithmetic is `Decimal`. Each component is rounded to the cent once (half up), and the
total is the sum of the rounded components, so a breakdown printed in a letter always adds
up to the total to the cent.

Simple (not compound) interest accrues per day past due at the policy's annual rate on a
365-day basis; one late fee applies once the grace days have passed. The jurisdiction caps
clamp the rate, the fee and the total charges. The cap figures below are conservative
examples to configure per portfolio with counsel, not legal advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import BeforeValidator

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
DAYS_PER_YEAR = Decimal(365)


def _money_is_text(value: object) -> object:
    # YAML reads 5.00 as a float; money must be written as a string to stay exact
    if isinstance(value, float):
        raise ValueError('write money as a quoted string, e.g. "5.00"')
    return value


# an amount in a policy file: a quoted string, never a YAML float
PolicyMoney = Annotated[Decimal, BeforeValidator(_money_is_text)]


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _ceiling_cents(value: Decimal) -> Decimal:
    """A ceiling rounds down, so a rounded charge never exceeds the exact cap."""
    return value.quantize(CENT, rounding=ROUND_DOWN)


@dataclass(frozen=True)
class Breakdown:
    principal: Decimal
    interest: Decimal
    late_fees: Decimal
    total: Decimal

    def __post_init__(self) -> None:
        if self.principal + self.interest + self.late_fees != self.total:
            raise ValueError("breakdown components do not add up to the total")

    @classmethod
    def of(cls, principal: Decimal, interest: Decimal, late_fees: Decimal) -> Breakdown:
        p, i, f = to_cents(principal), to_cents(interest), to_cents(late_fees)
        return cls(principal=p, interest=i, late_fees=f, total=p + i + f)

    @classmethod
    def principal_only(cls, amount: Decimal) -> Breakdown:
        """The case balance when the policy charges nothing on top."""
        return cls.of(amount, ZERO, ZERO)


@dataclass(frozen=True)
class ChargePolicy:
    """What the lender's policy charges on an overdue amount."""

    annual_interest_rate: Decimal = ZERO  # 0.12 = 12 % a year, simple, per day past due
    late_fee_flat: Decimal = ZERO  # charged once, after grace_days
    late_fee_rate: Decimal = ZERO  # of principal, added to the flat part
    grace_days: int = 0


@dataclass(frozen=True)
class ChargeCaps:
    """Ceilings a jurisdiction puts on charges. None = no ceiling of that kind."""

    max_annual_interest_rate: Decimal | None = None
    max_late_fee: Decimal | None = None
    max_late_fee_rate: Decimal | None = None  # of principal
    max_total_charges_rate: Decimal | None = None  # interest + fees, of principal


# Example ceilings by borrower country; configure for the real portfolio with counsel.
JURISDICTION_CAPS: dict[str, ChargeCaps] = {
    # US: a flat late-fee ceiling in the spirit of Reg Z's card safe harbour; state usury
    # limits vary, 36 % APR is the common consumer-credit line (MLA, many states).
    "US": ChargeCaps(max_annual_interest_rate=Decimal("0.36"), max_late_fee=Decimal("32.00")),
    # CN: courts do not protect rates above four times the one-year LPR (~3 % -> 12 %);
    # interest, penalty and fees together are held to that line.
    "CN": ChargeCaps(
        max_annual_interest_rate=Decimal("0.12"), max_total_charges_rate=Decimal("0.12")
    ),
    # GB: high-cost short-term credit total cost cap (charges never exceed the principal)
    # and a GBP 15 default-fee cap.
    "GB": ChargeCaps(max_late_fee=Decimal("15.00"), max_total_charges_rate=Decimal("1.00")),
}
NO_CAPS = ChargeCaps()


def caps_for(country: str | None) -> ChargeCaps:
    return JURISDICTION_CAPS.get((country or "").upper(), NO_CAPS)


def _min(value: Decimal, ceiling: Decimal | None) -> Decimal:
    return value if ceiling is None else min(value, ceiling)


def breakdown(
    principal: Decimal,
    days_past_due: int,
    policy: ChargePolicy | None = None,
    caps: ChargeCaps | None = None,
) -> Breakdown:
    """Principal, interest and late fees after `days_past_due` days, capped, to the cent."""
    if principal < 0:
        raise ValueError("principal must not be negative")
    if principal != to_cents(principal):
        raise ValueError("principal must be in whole cents")
    policy = policy or ChargePolicy()
    caps = caps or NO_CAPS
    days = max(days_past_due, 0)

    rate = _min(policy.annual_interest_rate, caps.max_annual_interest_rate)
    interest = to_cents(principal * rate * days / DAYS_PER_YEAR)

    late_fee = ZERO
    if days > policy.grace_days:
        late_fee = policy.late_fee_flat + principal * policy.late_fee_rate
        late_fee = to_cents(_min(late_fee, caps.max_late_fee))
        if caps.max_late_fee_rate is not None:
            late_fee = min(late_fee, _ceiling_cents(principal * caps.max_late_fee_rate))

    if caps.max_total_charges_rate is not None:
        # fees are fixed by contract; interest gives way first, then the fee itself
        room = _ceiling_cents(principal * caps.max_total_charges_rate)
        late_fee = min(late_fee, room)
        interest = min(interest, room - late_fee)

    return Breakdown.of(principal, interest, late_fee)
