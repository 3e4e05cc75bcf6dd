"""Repayment plans (domain.plans): exact schedules, payment matching, missed installments."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from arrears.domain.plans import (
    InstallmentStatus,
    Plan,
    PlanError,
    PlanKind,
    PlanPolicy,
    PlanStatus,
    accept,
    build_schedule,
    check,
    deferral,
    end_of_local_day,
    from_item,
    installment_count,
    offer_for_hardship,
    record_paid,
    split_amount,
    to_item,
)
from hypothesis import given
from hypothesis import strategies as st

NOW = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
POLICY = PlanPolicy()


# --------------------------------------------------------------------------- splitting


@given(
    cents=st.integers(min_value=1, max_value=10**12),
    count=st.integers(min_value=1, max_value=36),
    places=st.sampled_from([0, 2, 3]),
)
def test_installments_sum_exactly_to_the_balance(cents: int, count: int, places: int) -> None:
    total = Decimal(cents).scaleb(-places)
    quantum = Decimal(1).scaleb(-places)
    if total / count < quantum:
        with pytest.raises(PlanError):
            split_amount(total, count, places)
        return
    amounts = split_amount(total, count, places)
    assert len(amounts) == count
    assert sum(amounts, Decimal(0)) == total  # exact, not approximately
    assert all(a > 0 and a == a.quantize(quantum) for a in amounts)
    # every installment but the last is the same; the last carries the remainder cents
    assert len(set(amounts[:-1])) <= 1
    assert Decimal(0) <= amounts[-1] - amounts[0] < quantum * count


@pytest.mark.parametrize(
    ("total", "count", "expected"),
    [
        ("100.00", 3, ("33.33", "33.33", "33.34")),
        ("1250.00", 6, ("208.33", "208.33", "208.33", "208.33", "208.33", "208.35")),
        ("10", 3, ("3", "3", "4")),  # JPY: no minor unit
        ("0.05", 5, ("0.01", "0.01", "0.01", "0.01", "0.01")),
    ],
)
def test_remainder_goes_on_the_last_installment(total: str, count: int, expected: tuple) -> None:
    places = 0 if "." not in total else 2
    assert split_amount(Decimal(total), count, places) == tuple(Decimal(e) for e in expected)


@pytest.mark.parametrize(
    ("total", "count"), [("0.00", 2), ("-5.00", 2), ("0.03", 4), ("10.001", 2), ("10.00", 0)]
)
def test_impossible_splits_are_refused(total: str, count: int) -> None:
    with pytest.raises(PlanError):
        split_amount(Decimal(total), count, 2)


# --------------------------------------------------------------------------- dates


def test_due_dates_are_local_and_due_instants_utc() -> None:
    # given a Shanghai borrower: a local due date ends at local midnight = 16:00 UTC before
    schedule = build_schedule(
        Decimal("300.00"), 3, date(2026, 11, 10), 30, timezone="Asia/Shanghai"
    )
    assert [i.due_date for i in schedule] == [
        date(2026, 11, 10),
        date(2026, 12, 10),
        date(2027, 1, 9),
    ]
    assert schedule[0].due_at == datetime(2026, 11, 10, 16, 0, tzinfo=UTC)
    assert all(i.due_at.tzinfo is UTC for i in schedule)


def test_end_of_local_day_follows_daylight_saving() -> None:
    # New York: EDT (UTC-4) until 1 Nov 2026, EST (UTC-5) after
    assert end_of_local_day(date(2026, 10, 30), "America/New_York") == datetime(
        2026, 10, 31, 4, 0, tzinfo=UTC
    )
    assert end_of_local_day(date(2026, 11, 5), "America/New_York") == datetime(
        2026, 11, 6, 5, 0, tzinfo=UTC
    )


# --------------------------------------------------------------------------- offers


@pytest.mark.parametrize(
    ("balance", "count"), [("1250.00", 6), ("120.00", 2), ("49.99", 1), ("300.00", 6)]
)
def test_offer_size_follows_the_policy(balance: str, count: int) -> None:
    assert installment_count(Decimal(balance), POLICY) == count


def test_hardship_offer_starts_after_first_due_days_in_local_time() -> None:
    offer = _offer("1250.00")
    assert offer.status is PlanStatus.OFFERED and offer.kind is PlanKind.INSTALLMENTS
    assert offer.installments[0].due_date == date(2026, 11, 10)
    assert sum((i.amount for i in offer.installments), Decimal(0)) == Decimal("1250.00")


def test_small_balance_gets_a_deferral() -> None:
    offer = _offer("40.00")
    assert offer.kind is PlanKind.DEFERRAL and len(offer.installments) == 1


def test_deferral_is_limited_by_policy() -> None:
    kwargs = dict(
        plan_id="p",
        balance=Decimal("500.00"),
        currency="CNY",
        places=2,
        policy=POLICY,
        now=NOW,
        timezone="Asia/Shanghai",
    )
    plan = deferral(pay_by=date(2026, 12, 1), **kwargs)  # type: ignore[arg-type]
    assert plan.installments[0].amount == Decimal("500.00")
    with pytest.raises(PlanError, match="at most 60 days"):
        deferral(pay_by=date(2027, 3, 1), **kwargs)  # type: ignore[arg-type]
    with pytest.raises(PlanError, match="after today"):
        deferral(pay_by=date(2026, 11, 3), **kwargs)  # type: ignore[arg-type]


def test_acceptance_remakes_the_schedule_for_todays_balance() -> None:
    # given an offer made for 1250.00, of which 250.00 was paid before the yes, 5 days later
    later = NOW + timedelta(days=5)
    plan = _accepted("1250.00", balance="1000.00", at=later)
    assert plan.status is PlanStatus.ACTIVE and plan.resume_stage == "follow_up"
    assert plan.total == Decimal("1000.00")
    assert sum((i.amount for i in plan.installments), Decimal(0)) == Decimal("1000.00")
    assert plan.installments[0].due_date == date(2026, 11, 15)  # 7 days after the yes


def test_an_expired_or_used_offer_cannot_be_accepted() -> None:
    with pytest.raises(PlanError, match="expired"):
        _accepted("1250.00", at=NOW + timedelta(days=15))
    active = _accepted("1250.00")
    with pytest.raises(PlanError, match="not an open offer"):
        accept(
            active, balance=Decimal("1250.00"), places=2, policy=POLICY, now=NOW, resume_stage=None
        )


# --------------------------------------------------------------------------- payments


def test_payments_fill_installments_in_order_and_overpayment_rolls_forward() -> None:
    plan = _accepted("300.00")  # 6 x 50.00
    # when 120.00 has been paid in total (the balance fell from 300.00 to 180.00)
    paid = record_paid(plan, Decimal("180.00"), NOW)
    assert [i.paid for i in paid.installments[:4]] == [
        Decimal("50.00"),
        Decimal("50.00"),
        Decimal("20.00"),
        Decimal("0.00"),
    ]
    assert [i.status for i in paid.installments[:4]] == [
        InstallmentStatus.PAID,
        InstallmentStatus.PAID,
        InstallmentStatus.PARTIALLY_PAID,
        InstallmentStatus.DUE,
    ]
    assert paid.status is PlanStatus.ACTIVE
    # a repeated event with the same balance changes nothing
    assert record_paid(paid, Decimal("180.00"), NOW) == paid


def test_paying_everything_completes_the_plan() -> None:
    plan = _accepted("300.00")
    done = record_paid(plan, Decimal("0.00"), NOW)
    assert done.status is PlanStatus.COMPLETED and done.ended_at == NOW
    assert all(i.status is InstallmentStatus.PAID for i in done.installments)


@given(
    cents=st.integers(min_value=5000, max_value=10**8),
    payments=st.lists(st.integers(min_value=0, max_value=10**8), max_size=8),
)
def test_paid_amounts_never_exceed_installments_and_add_up(cents: int, payments: list[int]) -> None:
    balance = Decimal(cents).scaleb(-2)
    plan = _accepted(format(balance, "f"))
    paid_so_far = Decimal(0)
    for amount in payments:
        paid_so_far = min(balance, paid_so_far + Decimal(amount).scaleb(-2))
        plan = record_paid(plan, balance - paid_so_far, NOW)
        assert all(Decimal(0) <= i.paid <= i.amount for i in plan.installments)
        assert plan.paid_total == paid_so_far
    assert (plan.status is PlanStatus.COMPLETED) == (paid_so_far == balance)


# --------------------------------------------------------------------------- missed


def test_missed_installment_breaks_the_plan_only_after_grace() -> None:
    plan = _accepted("300.00")
    first = plan.installments[0]
    deadline = first.due_at + timedelta(days=POLICY.grace_days)
    # before the grace ends: not broken, look again at the deadline
    early = check(plan, deadline - timedelta(seconds=1))
    assert not early.broken and early.next_deadline == deadline
    # at the deadline, still unpaid: broken at installment 1
    late = check(plan, deadline)
    assert late.broken and late.missed is not None and late.missed.number == 1
    assert late.plan.status is PlanStatus.BROKEN
    assert late.plan.installments[0].status is InstallmentStatus.MISSED


def test_a_paid_installment_moves_the_deadline_to_the_next_one() -> None:
    plan = record_paid(_accepted("300.00"), Decimal("250.00"), NOW)  # first one paid
    second = plan.installments[1]
    result = check(plan, plan.installments[0].due_at + timedelta(days=10))
    assert not result.broken
    assert result.next_deadline == second.due_at + timedelta(days=POLICY.grace_days)


# --------------------------------------------------------------------------- storage


def test_the_stored_form_round_trips() -> None:
    plan = record_paid(_accepted("1250.00"), Decimal("1000.00"), NOW)
    item = to_item(plan)
    assert item["installments"][0]["amount"] == "208.33"
    assert isinstance(item["installments"][0]["due_at"], str)
    assert from_item(item) == plan


# --------------------------------------------------------------------------- builders


def _offer(balance: str) -> Plan:
    return offer_for_hardship(
        plan_id="acc-1#1#plan1",
        balance=Decimal(balance),
        currency="CNY",
        places=2,
        policy=POLICY,
        now=NOW,
        timezone="Asia/Shanghai",
    )


def _accepted(offered: str, balance: str | None = None, at: datetime = NOW) -> Plan:
    return accept(
        _offer(offered),
        balance=Decimal(balance or offered),
        places=2,
        policy=POLICY,
        now=at,
        resume_stage="follow_up",
    )


def test_builders_make_what_the_tests_assume() -> None:
    plan = _accepted("300.00")
    assert [i.amount for i in plan.installments] == [Decimal("50.00")] * 6
    assert replace(plan, revision=1).revision == 1
