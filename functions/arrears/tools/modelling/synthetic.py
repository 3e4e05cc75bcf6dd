"""A synthetic historical portfolio with known, plausible relationships to the outcome.

Each row is one past collections case, described by the features available when it
opened, and the outcome `paid_without_pressure` (1 = the borrower paid within 30 days of
the case opening with reminders only, no agent call, letter or plan; 0 = otherwise).

How the data is drawn (all from one seeded `random.Random`, so a seed gives the same file):

    tenure_months          exponential, mean 30, capped at 180
    credit_limit           lognormal around 4 000, rounded to 100; missing for 4 % of rows
    prior_delinquencies    Poisson, mean 0.4 + 0.5 * min(tenure, 60) / 60
    prior_cures            binomial(prior_delinquencies, 0.55)
    on_time_payment_ratio  Beta(8, 2) minus 0.06 per prior delinquency; missing under 3 months
    days_past_due          1 + exponential(mean 20), capped at 180
    amount_overdue         credit limit (4 000 if unknown) times Beta(2, 5), at least 10.00
    broken_promises        Poisson, mean 0.15 + days_past_due / 120
    email_bounced          7 %;  sms_failed 5 %
    sentiment              no reply 55 %, positive 15 %, neutral 15 %, negative 10 %, mixed 5 %

The log-odds of paying without pressure are a sum of effects with the signs a collections
team would expect (LOGIT_EFFECTS below), including a non-linear step at 30 and 60 days past
due, and the outcome is drawn from the logistic of that sum. About half the cases pay
without pressure. Because the truth is known, a fitted scorecard can be checked against it:
the fit should find every direction below and an AUC near the truth's own (about 0.8).
"""

from __future__ import annotations

import csv
import math
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

COLUMNS = (
    "account_id",
    "days_past_due",
    "amount_overdue",
    "credit_limit",
    "prior_delinquencies",
    "prior_cures",
    "on_time_payment_ratio",
    "tenure_months",
    "broken_promises",
    "email_bounced",
    "sms_failed",
    "sentiment",
    "paid_without_pressure",
)
OUTCOME = "paid_without_pressure"

# The true model (documented in docs/scoring.md): contribution of each feature to the
# log-odds of paying without pressure.
LOGIT_EFFECTS = {
    "intercept": 1.0,
    "per_day_past_due (capped at 90)": -0.022,
    "past_30_days": -0.35,
    "past_60_days": -0.35,
    "per_unit_overdue_to_limit (capped at 1.5)": -1.3,
    "per_prior_delinquency": -0.35,
    "per_prior_cure": 0.3,
    "per_on_time_ratio_above_0.8": 3.0,
    "on_time_ratio_missing": -0.3,
    "per_log_tenure_years": 0.35,
    "per_broken_promise": -0.6,
    "email_bounced": -0.45,
    "sms_failed": -0.7,
    "sentiment_positive": 0.9,
    "sentiment_neutral": 0.25,
    "sentiment_mixed": -0.15,
    "sentiment_negative": -0.9,
}
_SENTIMENTS = (
    ("", 0.55),
    ("positive", 0.15),
    ("neutral", 0.15),
    ("negative", 0.10),
    ("mixed", 0.05),
)


TRUE_LOG_ODDS = "_true_log_odds"  # in rows from generate_rows(with_truth=True), never in the CSV


def generate_rows(rows: int, seed: int = 7, with_truth: bool = False) -> Iterator[dict[str, Any]]:
    """Yield `rows` synthetic cases as CSV-ready dicts (strings for decimals, "" for missing).

    `with_truth` adds the true log-odds of each row (key TRUE_LOG_ODDS), to measure how close
    a fitted model comes to the best possible ranking.
    """
    rng = random.Random(seed)
    e = LOGIT_EFFECTS
    for i in range(rows):
        tenure = min(int(rng.expovariate(1 / 30)), 180)
        limit = round(math.exp(rng.gauss(math.log(4000), 0.6)) / 100) * 100
        limit_known = rng.random() >= 0.04
        delinquencies = _poisson(rng, 0.4 + 0.5 * min(tenure, 60) / 60)
        cures = sum(rng.random() < 0.55 for _ in range(delinquencies))
        on_time: float | None = None
        if tenure >= 3:
            on_time = min(max(rng.betavariate(8, 2) - 0.06 * delinquencies, 0.0), 1.0)
        dpd = min(1 + int(rng.expovariate(1 / 20)), 180)
        overdue = max(round((limit if limit_known else 4000) * rng.betavariate(2, 5), 2), 10.0)
        promises = _poisson(rng, 0.15 + dpd / 120)
        email_bounced = rng.random() < 0.07
        sms_failed = rng.random() < 0.05
        sentiment = _pick(rng, _SENTIMENTS)

        ratio = overdue / limit
        logit = (
            e["intercept"]
            + e["per_day_past_due (capped at 90)"] * min(dpd, 90)
            + e["past_30_days"] * (dpd > 30)
            + e["past_60_days"] * (dpd > 60)
            + e["per_unit_overdue_to_limit (capped at 1.5)"] * min(ratio, 1.5)
            + e["per_prior_delinquency"] * delinquencies
            + e["per_prior_cure"] * cures
            + (
                e["per_on_time_ratio_above_0.8"] * (on_time - 0.8)
                if on_time is not None
                else e["on_time_ratio_missing"]
            )
            + e["per_log_tenure_years"] * math.log1p(tenure / 12)
            + e["per_broken_promise"] * promises
            + e["email_bounced"] * email_bounced
            + e["sms_failed"] * sms_failed
            + (e[f"sentiment_{sentiment}"] if sentiment else 0.0)
        )
        paid = rng.random() < 1 / (1 + math.exp(-logit))
        row: dict[str, Any] = {
            "account_id": f"syn-{seed}-{i:07d}",
            "days_past_due": dpd,
            "amount_overdue": f"{overdue:.2f}",
            "credit_limit": f"{limit:.2f}" if limit_known else "",
            "prior_delinquencies": delinquencies,
            "prior_cures": cures,
            "on_time_payment_ratio": "" if on_time is None else f"{on_time:.2f}",
            "tenure_months": tenure,
            "broken_promises": promises,
            "email_bounced": int(email_bounced),
            "sms_failed": int(sms_failed),
            "sentiment": sentiment,
            OUTCOME: int(paid),
        }
        if with_truth:
            row[TRUE_LOG_ODDS] = logit
        yield row


def write_csv(path: Path | str, rows: int, seed: int = 7) -> int:
    """Write the portfolio to `path`; returns the number of rows written."""
    count = 0
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        for row in generate_rows(rows, seed):
            writer.writerow(row)
            count += 1
    return count


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small means used here
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    roll, total = rng.random(), 0.0
    for value, weight in weighted:
        total += weight
        if roll < total:
            return value
    return weighted[-1][0]
