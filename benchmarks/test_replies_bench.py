"""Classifying one reply and making one plan schedule in-process. Run with `make bench`.

Targets: a typical reply (about 100 characters) classified in a median <= 2 ms, the longest
reply the event model lets through (2,000 characters) <= 20 ms; a 36-installment schedule
<= 1 ms. Replies go through the ingest Lambda, so this is per-reply Lambda CPU time.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from arrears.domain.plans import build_schedule
from arrears.domain.replies import classify, load_rules
from arrears.tools.reply_corpus import load_corpus, predicted, table
from pytest_benchmark.fixture import BenchmarkFixture

TYPICAL = (
    "Hi, I lost my job last month and cannot pay the full amount now. 可以分期吗? Please call me."
)
DATA = Path(__file__).resolve().parents[1] / "tests" / "unit" / "data"
LONGEST = ("I really want to sort this out but money is tight this month. " * 40)[:2000]


def median_seconds(benchmark: BenchmarkFixture) -> float:
    assert benchmark.stats is not None, "the benchmark did not run"
    return float(benchmark.stats.stats.median)


@pytest.mark.bench
def test_classify_a_typical_reply(benchmark: BenchmarkFixture) -> None:
    load_rules()  # loaded once per Lambda container
    analysis = benchmark(classify, TYPICAL)
    assert analysis.intents[0].value == "hardship"
    assert median_seconds(benchmark) <= 0.002


@pytest.mark.bench
def test_classify_the_longest_reply(benchmark: BenchmarkFixture) -> None:
    load_rules()
    benchmark(classify, LONGEST)
    assert median_seconds(benchmark) <= 0.020


@pytest.mark.bench
def test_build_a_36_installment_schedule(benchmark: BenchmarkFixture) -> None:
    schedule = benchmark(
        build_schedule, Decimal("98765.43"), 36, date(2026, 12, 1), 30, timezone="Asia/Shanghai"
    )
    assert sum((i.amount for i in schedule), Decimal(0)) == Decimal("98765.43")
    assert median_seconds(benchmark) <= 0.001


@pytest.mark.bench
def test_the_labelled_corpus_precision_and_recall(
    benchmark: BenchmarkFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """Classify every reply of both independently written corpora; print precision/recall
    on the one the tables were tuned against and on the fresh one they never were."""
    tuning = load_corpus(DATA / "reply_corpus.yaml")
    fresh = load_corpus(DATA / "reply_corpus_fresh.yaml")
    load_rules()
    found = benchmark(lambda: [predicted(reply) for reply in [*tuning, *fresh]])
    assert len(found) == len(tuning) + len(fresh)
    with capsys.disabled():
        print(
            f"\nreply classifier on {len(tuning)} tuning and {len(fresh)} fresh labelled replies"
            " (docs/replies-and-plans.md)"
        )
        print(table(tuning, fresh))
