"""Late fees and interest: Decimal, capped per jurisdiction, adding up to the cent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from arrears.domain.balance import (
    Breakdown,
    ChargeCaps,
    ChargePolicy,
    breakdown,
    caps_for,
)
from hypothesis import given, settings
from hypothesis import strategies as st

CENT = Decimal("0.01")
principals = st.decimals(min_value=0, max_value=Decimal("10000000"), places=2)
rates = st.decimals(min_value=0, max_value=Decimal("2"), places=4)
fees = st.decimals(min_value=0, max_value=Decimal("500"), places=2)
optional_caps = st.one_of(st.none(), st.decimals(min_value=0, max_value=Decimal("1"), places=4))


@settings(max_examples=300, deadline=None)
@given(
    principal=principals,
    days=st.integers(min_value=-5, max_value=2000),
    rate=rates,
    flat=fees,
    fee_rate=st.decimals(min_value=0, max_value=Decimal("0.2"), places=4),
    grace=st.integers(min_value=0, max_value=30),
    max_rate=optional_caps,
    max_fee=st.one_of(st.none(), fees),
    max_fee_rate=optional_caps,
    max_total=optional_caps,
)
def test_breakdown_adds_up_to_the_cent_and_respects_every_cap(
    principal: Decimal,
    days: int,
    rate: Decimal,
    flat: Decimal,
    fee_rate: Decimal,
    grace: int,
    max_rate: Decimal | None,
    max_fee: Decimal | None,
    max_fee_rate: Decimal | None,
    max_total: Decimal | None,
) -> None:
    policy = ChargePolicy(rate, flat, fee_rate, grace)
    caps = ChargeCaps(max_rate, max_fee, max_fee_rate, max_total)
    # When charges are computed
    result = breakdown(principal, days, policy, caps)
    # Then every part is whole cents, non-negative, and the parts sum to the total exactly
    for part in (result.principal, result.interest, result.late_fees, result.total):
        assert part == part.quantize(CENT) and part >= 0
    assert result.principal + result.interest + result.late_fees == result.total
    assert result.principal == principal
    # and no cap is exceeded
    if max_fee is not None:
        assert result.late_fees <= max_fee
    if max_fee_rate is not None:
        assert result.late_fees <= principal * max_fee_rate
    if max_total is not None:
        assert result.interest + result.late_fees <= principal * max_total
    if max_rate is not None and days > 0:
        assert result.interest <= principal * max_rate * days / 365 + Decimal("0.005")
    if days <= grace:
        assert result.late_fees == 0


@settings(max_examples=100, deadline=None)
@given(principal=principals, days=st.integers(min_value=0, max_value=1000))
def test_charges_never_fall_as_days_pass(principal: Decimal, days: int) -> None:
    policy = ChargePolicy(Decimal("0.18"), Decimal("25"), Decimal("0.01"), grace_days=5)
    caps = caps_for("CN")
    assert (
        breakdown(principal, days + 1, policy, caps).total
        >= breakdown(principal, days, policy, caps).total
    )


def test_worked_example_us() -> None:
    # Given $1,250.00, 30 days late, 24 % a year, a $40 fee after 10 days, US caps
    policy = ChargePolicy(Decimal("0.24"), Decimal("40.00"), grace_days=10)
    result = breakdown(Decimal("1250.00"), 30, policy, caps_for("US"))
    # Then interest is 1250 * 0.24 * 30 / 365 = 24.657... -> 24.66; the fee is capped at 32
    assert result == Breakdown(
        Decimal("1250.00"), Decimal("24.66"), Decimal("32.00"), Decimal("1306.66")
    )


def test_cn_total_charges_are_held_to_the_cap_interest_gives_way_first() -> None:
    # Given 36 % a year (capped to 12 %) for 400 days and a 100 fee, on 1000.00
    policy = ChargePolicy(Decimal("0.36"), Decimal("100.00"))
    result = breakdown(Decimal("1000.00"), 400, policy, caps_for("cn"))
    # Then fees + interest stop at 12 % of principal: fee 100.00, interest 20.00
    assert (result.late_fees, result.interest, result.total) == (
        Decimal("100.00"),
        Decimal("20.00"),
        Decimal("1120.00"),
    )


def test_no_policy_means_principal_only_and_unknown_country_means_no_caps() -> None:
    assert breakdown(Decimal("0.01"), 99) == Breakdown.principal_only(Decimal("0.01"))
    assert caps_for("ZZ") == ChargeCaps() and caps_for(None) == ChargeCaps()


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        breakdown(Decimal("-1.00"), 3)
    with pytest.raises(ValueError, match="whole cents"):
        breakdown(Decimal("1.005"), 3)
    with pytest.raises(ValueError, match="add up"):
        Breakdown(Decimal("1.00"), Decimal("0.10"), Decimal("0"), Decimal("1.11"))


# ------------------------------------------------------------ stated splits and charges


def test_a_payment_is_taken_from_fees_then_interest_then_principal() -> None:
    from arrears.domain.balance import StatedSplit

    split = StatedSplit(Decimal("1250.00"), Decimal("1200.00"), Decimal("30.00"), Decimal("20.00"))
    assert split.outstanding(Decimal("1250.00")) == Breakdown.of(
        Decimal("1200.00"), Decimal("30.00"), Decimal("20.00")
    )
    # 35.00 paid: the 20.00 fee, then 15.00 of the interest
    assert split.outstanding(Decimal("1215.00")) == Breakdown.of(
        Decimal("1200.00"), Decimal("15.00"), Decimal("0.00")
    )
    # 100.00 paid: fee and interest gone, 50.00 off the principal
    assert split.outstanding(Decimal("1150.00")) == Breakdown.of(
        Decimal("1150.00"), Decimal("0.00"), Decimal("0.00")
    )


def test_a_case_breakdown_uses_the_producers_split_else_the_policys_charges() -> None:
    from arrears.domain.balance import ChargePolicy, StatedSplit, case_breakdown

    split = StatedSplit(Decimal("100.00"), Decimal("90.00"), Decimal("4.00"), Decimal("6.00"))
    charges = ChargePolicy(annual_interest_rate=Decimal("0.365"), late_fee_flat=Decimal("5.00"))
    total = case_breakdown(
        {"inst-1": Decimal("100.00"), "inst-2": Decimal("200.00")},
        {"inst-1": split},
        days_past_due=10,
        policy=charges,
    )
    # inst-1 as the producer split it; inst-2 as principal with 10 days at 36.5 % and the fee
    assert total == Breakdown.of(Decimal("290.00"), Decimal("6.00"), Decimal("11.00"))
    # with no charges in the policy, the case balance is all principal (the default)
    plain = case_breakdown({"inst-2": Decimal("200.00")}, {}, days_past_due=10)
    assert plain == Breakdown.principal_only(Decimal("200.00"))


def test_a_split_always_adds_up_to_what_is_owed() -> None:
    from arrears.domain.balance import StatedSplit

    split = StatedSplit(Decimal("100.00"), Decimal("90.00"), Decimal("4.00"), Decimal("6.00"))
    for owed in ("0.00", "3.00", "95.00", "100.00", "120.00"):
        assert split.outstanding(Decimal(owed)).total == Decimal(owed)
