"""Properties of the shipped models over arbitrary cases (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from arrears.domain.scoring import (
    Features,
    Monotonic,
    Reachability,
    Sentiment,
    available_versions,
    characteristic_values,
    load_scorecard,
    score,
)
from hypothesis import given, settings
from hypothesis import strategies as st

optional_int = st.one_of(st.none(), st.integers(min_value=0, max_value=400))
optional_money = st.one_of(
    st.none(), st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False)
)
features = st.builds(
    Features,
    days_past_due=optional_int,
    amount_overdue=optional_money,
    credit_limit=optional_money,
    prior_delinquencies=st.one_of(st.none(), st.integers(0, 12)),
    prior_cures=st.one_of(st.none(), st.integers(0, 12)),
    on_time_payment_ratio=st.one_of(
        st.none(), st.decimals(min_value=0, max_value=1, places=2, allow_nan=False)
    ),
    tenure_months=optional_int,
    broken_promises=st.one_of(st.none(), st.integers(0, 6)),
    reachability=st.builds(Reachability, st.booleans(), st.booleans()),
    sentiment=st.one_of(st.none(), st.sampled_from(list(Sentiment))),
)
VERSIONS = available_versions()


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=60, deadline=None)
@given(case=features)
def test_score_is_base_plus_bin_points_within_the_card_range(version: str, case: Features) -> None:
    card = load_scorecard(version)
    result = score(case, card)
    assert result.score == card.base_points + sum(result.points.values())
    assert card.min_score <= result.score <= card.max_score
    # reasons: at most reason_count, most points lost first, each really lost points
    lost = [r.points_lost for r in result.reasons]
    assert len(lost) <= card.reason_count
    assert lost == sorted(lost, reverse=True)
    assert all(p > 0 for p in lost)


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=60, deadline=None)
@given(case=features, more=st.integers(min_value=1, max_value=200))
def test_more_days_past_due_never_raises_the_score(version: str, case: Features, more: int) -> None:
    # given a model that promises descending points in days past due
    card = load_scorecard(version)
    dpd = next(c for c in card.characteristics if c.name == "days_past_due")
    assert dpd.monotonic is Monotonic.DESCENDING
    base = replace(case, days_past_due=case.days_past_due or 0)

    # when the same case is later in arrears
    later = replace(base, days_past_due=(base.days_past_due or 0) + more)

    # then its score is not higher
    assert score(later, card).score <= score(base, card).score


@pytest.mark.parametrize("version", VERSIONS)
@settings(max_examples=60, deadline=None)
@given(case=features, ratio=st.decimals(min_value=0, max_value=1, places=2))
def test_better_payment_history_never_lowers_the_score(
    version: str, case: Features, ratio: Decimal
) -> None:
    card = load_scorecard(version)
    worse = replace(case, on_time_payment_ratio=ratio)
    better = replace(case, on_time_payment_ratio=min(ratio + Decimal("0.1"), Decimal(1)))
    assert score(better, card).score >= score(worse, card).score


@settings(max_examples=60, deadline=None)
@given(case=features)
def test_every_characteristic_has_a_value_or_is_missing(case: Features) -> None:
    values = characteristic_values(case)
    ratio = values["overdue_to_limit_ratio"]
    if case.credit_limit is None or case.credit_limit == 0 or case.amount_overdue is None:
        assert ratio is None
    else:
        assert ratio == pytest.approx(float(case.amount_overdue) / float(case.credit_limit))
