"""Paired bootstrap of B - A for each compared metric.

Each resample draws accounts with replacement and takes the *same* accounts under both
policies; common random numbers made each account's two runs face the same borrower, so
the difference is measured account by account and its spread is the policies' doing, not
the portfolio's. The interval is the 2.5th and 97.5th percentiles of the resampled
differences (docs/simulation.md, "The bootstrap").
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from arrears.local.simulation.metrics import CHANNELS, CaseFacts, percentile

RESAMPLES = 2000
RATE = Decimal("0.0001")

# a statistic of a sample of cases; None when it is undefined for the sample
Statistic = Callable[[Sequence[CaseFacts]], Decimal | None]


def _per_case(value: Callable[[CaseFacts], Decimal | int]) -> Statistic:
    def mean(cases: Sequence[CaseFacts]) -> Decimal:
        return Decimal(sum(Decimal(value(f)) for f in cases)) / len(cases) if cases else Decimal(0)

    return mean


def _share(
    numerator: Callable[[CaseFacts], Decimal], denominator: Callable[[CaseFacts], Decimal]
) -> Statistic:
    def ratio(cases: Sequence[CaseFacts]) -> Decimal:
        below = sum((denominator(f) for f in cases), Decimal(0))
        return sum((numerator(f) for f in cases), Decimal(0)) / below if below else Decimal(0)

    return ratio


def _contacts(channel: str) -> Statistic:
    return _per_case(lambda f: f.contacts.get(channel, 0))


def _first_contact_p50(cases: Sequence[CaseFacts]) -> Decimal | None:
    hours = [f.first_contact_hours for f in cases if f.first_contact_hours is not None]
    return percentile(hours, 50)


STATISTICS: dict[str, Statistic] = {
    "recovered_pct": _share(lambda f: f.recovered, lambda f: f.owed),
    "cure_rate": _per_case(lambda f: int(f.cured)),
    **{f"contacts_per_case.{channel}": _contacts(channel) for channel in CHANNELS},
    "cost_per_case.total": _per_case(lambda f: f.cost["total"]),
    "recovered_per_cost": _share(lambda f: f.recovered, lambda f: f.cost["total"]),
    "opt_outs_per_case": _per_case(lambda f: f.opt_outs),
    "disputes_per_case": _per_case(lambda f: f.disputes),
    "complaints_per_case": _per_case(lambda f: f.complaints),
    "litigation_referrals_per_case": _per_case(lambda f: int(f.litigation)),
    "time_to_first_contact_hours.p50": _first_contact_p50,
}


@dataclass(frozen=True)
class Comparison:
    metric: str
    baseline: Decimal | None
    challenger: Decimal | None
    difference: Decimal | None
    low: Decimal | None
    high: Decimal | None
    resamples: int


def compare(
    baseline: Sequence[CaseFacts],
    challenger: Sequence[CaseFacts],
    *,
    seed: int,
    resamples: int = RESAMPLES,
) -> list[Comparison]:
    """B - A with a 95 % paired bootstrap interval, for every metric in STATISTICS.

    ``baseline`` and ``challenger`` hold the same accounts in the same order."""
    if [f.account_id for f in baseline] != [f.account_id for f in challenger]:
        raise ValueError("a paired comparison needs the same accounts under both policies")
    rng = random.Random(seed)
    n = len(baseline)
    differences: dict[str, list[Decimal]] = {metric: [] for metric in STATISTICS}
    for _ in range(resamples if n else 0):
        picked = [rng.randrange(n) for _ in range(n)]
        a_sample = [baseline[i] for i in picked]
        b_sample = [challenger[i] for i in picked]
        for metric, statistic in STATISTICS.items():
            x, y = statistic(a_sample), statistic(b_sample)
            if x is not None and y is not None:
                differences[metric].append(y - x)
    out = []
    for metric, statistic in STATISTICS.items():
        a, b = statistic(baseline), statistic(challenger)
        low, high = interval(sorted(differences[metric]))
        out.append(
            Comparison(
                metric=metric,
                baseline=a,
                challenger=b,
                difference=None if a is None or b is None else b - a,
                low=low,
                high=high,
                resamples=resamples,
            )
        )
    return out


def interval(differences: Sequence[Decimal]) -> tuple[Decimal | None, Decimal | None]:
    """2.5th and 97.5th percentiles (nearest rank) of sorted resampled differences."""
    if not differences:
        return None, None
    k = len(differences)
    return differences[max(math.ceil(0.025 * k), 1) - 1], differences[math.ceil(0.975 * k) - 1]
