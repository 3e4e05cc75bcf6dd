"""Scoring one case in-process (target: median <= 1 ms). Run with `make bench`."""

from __future__ import annotations

from decimal import Decimal

import pytest
from arrears.domain.scoring import Features, Reachability, choose_segment, load_scorecard, score
from pytest_benchmark.fixture import BenchmarkFixture

TARGET_MEDIAN_SECONDS = 0.001
BANDS = [
    {"segment": "self_cure", "min_score": 680, "max_score": None},
    {"segment": "standard", "min_score": 560, "max_score": 679},
    {"segment": "high_risk", "min_score": None, "max_score": 559},
    {"segment": "hardship", "flags": ["hardship"]},
]
CASE = Features(
    days_past_due=37,
    amount_overdue=Decimal("1250.00"),
    credit_limit=Decimal("5000.00"),
    prior_delinquencies=2,
    prior_cures=1,
    on_time_payment_ratio=Decimal("0.82"),
    tenure_months=20,
    broken_promises=1,
    reachability=Reachability(email_bounced=True),
    sentiment="mixed",
)


def median_seconds(benchmark: BenchmarkFixture) -> float:
    assert benchmark.stats is not None, "the benchmark did not run"
    return float(benchmark.stats.stats.median)


@pytest.mark.bench
def test_score_one_case(benchmark: BenchmarkFixture) -> None:
    card = load_scorecard()  # loaded once per Lambda container, like the handler does
    result = benchmark(score, CASE, card)
    assert result.model_version == card.version
    assert median_seconds(benchmark) <= TARGET_MEDIAN_SECONDS


@pytest.mark.bench
def test_score_and_choose_segment(benchmark: BenchmarkFixture) -> None:
    card = load_scorecard()

    def assess() -> str:
        return choose_segment(score(CASE, card), frozenset(), BANDS).segment

    segment = benchmark(assess)
    assert segment in {"self_cure", "standard", "high_risk"}
    assert median_seconds(benchmark) <= TARGET_MEDIAN_SECONDS
