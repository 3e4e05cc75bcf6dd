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

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Annotated

from arrears.domain.datafile import Check

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
DAYS_PER_YEAR = Decimal(365)


def _money_is_text(value: object) -> object:
    # YAML reads 5.00 as a float; money must be written as a string to stay exact
    if isinstance(value, float):
        raise ValueError('write money as a quoted string, e.g. "5.00"')
    return value


# an amount in a policy file: a quoted string, never a YAML float
PolicyMoney = Annotated[Decimal, Check(_money_is_text, before=True)]


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


@dataclass(frozen=True)
class StatedSplit:
    """The producer's split of one obligation's amount due, as its latest event sent it."""

    amount_due: Decimal
    principal: Decimal
    interest: Decimal
    fees: Decimal

    @classmethod
    def parse(cls, parts: Mapping[str, object]) -> StatedSplit:
        """From stored decimal strings (the case item, the audit of an event)."""
        names = ("amount_due", "principal", "interest", "fees")
        return cls(**{name: Decimal(str(parts[name])) for name in names})

    def outstanding(self, owed: Decimal) -> Breakdown:
        """What is left of the split when ``owed`` is still outstanding: what was paid
        is taken from fees first, then interest, then principal (the usual order; a
        producer that allocates otherwise sends its own split with the next event)."""
        paid = max(self.amount_due - owed, ZERO)
        parts = []
        for part in (self.fees, self.interest, self.principal):
            taken = min(part, paid)
            parts.append(part - taken)
            paid -= taken
        fees, interest, principal = parts
        # more owed than the split knows of (never from ingest): the rest is principal, so
        # the breakdown always adds up to what is owed
        principal += max(owed - self.amount_due, ZERO)
        return Breakdown.of(principal, interest, fees)


def case_breakdown(
    obligations: Mapping[str, Decimal],
    stated: Mapping[str, StatedSplit],
    days_past_due: int,
    policy: ChargePolicy | None = None,
    caps: ChargeCaps | None = None,
) -> Breakdown:
    """A case's breakdown: each obligation from the producer's split when it sent one,
    else its outstanding amount as principal with the policy's charges on top."""
    total = Breakdown.of(ZERO, ZERO, ZERO)
    for obligation, owed in sorted(obligations.items()):
        split = stated.get(obligation)
        part = split.outstanding(owed) if split else breakdown(owed, days_past_due, policy, caps)
        total = Breakdown.of(
            total.principal + part.principal,
            total.interest + part.interest,
            total.late_fees + part.late_fees,
        )
    return total


@dataclass(frozen=True)
class Itemization:
    """What changed since the itemization date (12 CFR 1006.34(c)(2)(vi)-(viii))."""

    interest: Decimal
    fees: Decimal
    credits: Decimal  # interest or fees the producer has since taken off


def itemize_since(
    obligations: Mapping[str, Decimal],
    stated: Mapping[str, StatedSplit],
    stated_at_start: Mapping[str, StatedSplit],
    days_past_due: int,
    policy: ChargePolicy | None = None,
    caps: ChargeCaps | None = None,
) -> Itemization:
    """Interest and fees added since the itemization date: for an obligation the producer
    splits, the growth of its stated interest and fees since the first split (a fall is a
    credit); for the others, the policy's charges, all of which accrue after the date."""
    interest = fees = credits = ZERO
    for obligation, owed in sorted(obligations.items()):
        split = stated.get(obligation)
        if split is None:
            part = breakdown(owed, days_past_due, policy, caps)
            interest, fees = interest + part.interest, fees + part.late_fees
            continue
        start = stated_at_start.get(obligation, split)
        interest_change = split.interest - start.interest
        fee_change = split.fees - start.fees
        interest += max(interest_change, ZERO)
        fees += max(fee_change, ZERO)
        credits += max(-interest_change, ZERO) + max(-fee_change, ZERO)
    return Itemization(interest=interest, fees=fees, credits=credits)
