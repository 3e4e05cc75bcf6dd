"""The paired bootstrap: intervals that are known without resampling."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from arrears.local.simulation.bootstrap import STATISTICS, compare, interval
from arrears.local.simulation.metrics import case_facts
from sim_cases import CONFIG, case, contact


def _portfolio() -> list:
    cases = [
        case(
            f"acc-{i}",
            owed=f"{100 + 10 * i}.00",
            due="2026-11-01",
            opened="2026-11-02T00:00:00Z",
            balance="0.00" if i % 3 == 0 else f"{100 + 10 * i}.00",
            status="PAID" if i % 3 == 0 else "OPEN",
            closed="2026-11-09T00:00:00Z" if i % 3 == 0 else None,
            contacts=[contact("sms", f"2026-11-02T{i:02d}:00:00Z")] * (1 + i % 2),
        )
        for i in range(12)
    ]
    return [case_facts(c, CONFIG) for c in cases]


def test_identical_policies_differ_by_zero_with_a_zero_interval():
    a = _portfolio()
    comparisons = compare(a, list(a), seed=7, resamples=300)
    assert {c.metric for c in comparisons} == set(STATISTICS)
    for c in comparisons:
        assert c.difference == 0, c.metric
        assert (c.low, c.high) == (0, 0), c.metric


def test_a_constant_shift_per_account_gives_exactly_that_interval():
    # B sends every account exactly one more SMS: every resample's difference is 1
    a = _portfolio()
    b = [replace(f, contacts={**f.contacts, "sms": f.contacts["sms"] + 1}) for f in a]
    by_metric = {c.metric: c for c in compare(a, b, seed=7, resamples=300)}
    sms = by_metric["contacts_per_case.sms"]
    assert (sms.difference, sms.low, sms.high) == (1, 1, 1)
    cure = by_metric["cure_rate"]
    assert (cure.difference, cure.low, cure.high) == (0, 0, 0)


def test_a_real_difference_has_an_interval_around_it_and_the_seed_fixes_it():
    a = _portfolio()
    # B cures the first four open accounts as well: +4/12 cure rate
    cured = {f.account_id for f in a if not f.cured}
    cured = set(sorted(cured)[:4])
    b = [replace(f, cured_at=f.opened_at) if f.account_id in cured else f for f in a]
    first = {c.metric: c for c in compare(a, b, seed=7, resamples=500)}["cure_rate"]
    again = {c.metric: c for c in compare(a, b, seed=7, resamples=500)}["cure_rate"]
    assert first.difference is not None
    assert first.difference.quantize(Decimal("0.0001")) == Decimal("0.3333")  # 4 / 12
    assert first.low is not None and first.high is not None
    assert 0 < first.low < first.difference < first.high <= 1
    assert (first.low, first.high) == (again.low, again.high)


def test_the_accounts_must_be_the_same_under_both_policies():
    a = _portfolio()
    with pytest.raises(ValueError, match="same accounts"):
        compare(a, a[1:], seed=7, resamples=10)


def test_interval_is_the_nearest_rank_2_5th_and_97_5th_percentiles():
    forty = [Decimal(i) for i in range(1, 41)]
    assert interval(forty) == (1, 39)  # ranks ceil(1.0) = 1 and ceil(39.0) = 39
    two_hundred = [Decimal(i) for i in range(1, 201)]
    assert interval(two_hundred) == (5, 195)
    assert interval([]) == (None, None)
