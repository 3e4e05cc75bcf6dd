"""Fit a scorecard from historical case outcomes: binning, logistic regression, PDO points.

    rows = read_csv("history.csv")
    report = fit_scorecard(rows, version="1.0.0", seed=7)
    report.write("functions/arrears/models/scorecard-1.0.0.json")

1. Every row becomes `Features` and then characteristic values through the same domain
   code the Lambda uses, so training and serving cannot drift apart.
2. A stratified holdout (30 % by default) is set aside before anything is learned.
3. Each characteristic is binned on the training rows (monotonic in the direction a
   collections team expects, see SPECS) and replaced by its bins' weight of evidence.
   Characteristics with an information value under MIN_IV are left out.
4. A logistic regression on the WoE columns gives one coefficient per characteristic. A
   negative coefficient would flip a bin order the model promises, so that characteristic
   is dropped and the regression refitted.
5. Points: bin points = factor * coefficient * WoE, base points = offset + factor *
   intercept (factor = pdo / ln 2, offset = base_score - factor * ln(base_odds)), rounded.
6. The model document is validated by the domain parser, and the holdout is scored with
   the domain's `score()` — the AUC and KS printed are those of the shipped integer points.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split

from arrears.domain.scoring import (
    SCHEMA,
    Features,
    Scaling,
    Scorecard,
    characteristic_values,
    parse_scorecard,
    score,
)
from arrears.domain.scoring.features import CATEGORICAL_CHARACTERISTICS
from arrears.tools.modelling.binning import Binning, IntArray, bin_categorical, bin_numeric
from arrears.tools.modelling.synthetic import OUTCOME


@dataclass(frozen=True)
class Spec:
    reason_code: str
    description: str
    direction: str | None  # expected monotonic direction of points for numeric characteristics


SPECS: dict[str, Spec] = {
    "days_past_due": Spec("R01_DAYS_PAST_DUE", "Days past due", "descending"),
    "amount_overdue": Spec("R02_AMOUNT_OVERDUE", "Amount overdue", "descending"),
    "overdue_to_limit_ratio": Spec(
        "R03_OVERDUE_TO_LIMIT", "Amount overdue relative to the credit limit", "descending"
    ),
    "prior_delinquencies": Spec(
        "R04_PRIOR_DELINQUENCIES", "Earlier delinquencies on the account", "descending"
    ),
    "prior_cure_rate": Spec(
        "R05_PRIOR_CURE_RATE",
        "Share of earlier delinquencies the borrower cured unaided",
        "ascending",
    ),
    "on_time_payment_ratio": Spec(
        "R06_PAYMENT_HISTORY", "Share of instalments paid on time", "ascending"
    ),
    "tenure_months": Spec("R07_TENURE", "Months since the account opened", "ascending"),
    "broken_promises": Spec(
        "R08_BROKEN_PROMISES", "Promises to pay not kept in this case", "descending"
    ),
    "reachability": Spec("R09_UNREACHABLE", "Bounced email or failed SMS", None),
    "sentiment": Spec("R10_REPLY_SENTIMENT", "Sentiment of the latest reply", None),
}
MIN_IV = 0.02
DEFAULT_SCALING = Scaling(base_score=600, base_odds=1.0, pdo=40)


@dataclass
class FitReport:
    document: dict[str, Any]
    card: Scorecard
    holdout_auc: float
    holdout_ks: float
    train_auc: float
    train_rows: int
    holdout_rows: int
    good_rate: float
    dropped: dict[str, str] = field(default_factory=dict)  # characteristic -> why

    def write(self, path: Path | str) -> None:
        Path(path).write_text(json.dumps(self.document, indent=2) + "\n", encoding="utf-8")

    def summary(self) -> str:
        lines = [
            f"model {self.card.version}: {len(self.card.characteristics)} characteristics, "
            f"scores {self.card.min_score}..{self.card.max_score}",
            f"rows: train {self.train_rows}, holdout {self.holdout_rows}, "
            f"paid without pressure {self.good_rate:.1%}",
            f"train AUC {self.train_auc:.3f}",
            f"holdout AUC {self.holdout_auc:.3f}  KS {self.holdout_ks:.3f}",
        ]
        lines += [f"dropped {name}: {why}" for name, why in self.dropped.items()]
        return "\n".join(lines)


def read_csv(path: Path | str) -> list[dict[str, str]]:
    with Path(path).open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def fit_scorecard(
    rows: Sequence[Mapping[str, Any]],
    *,
    version: str = "dev",
    seed: int = 7,
    holdout: float = 0.3,
    scaling: Scaling = DEFAULT_SCALING,
    target: str = OUTCOME,
    reason_count: int = 3,
    data_sha256: str | None = None,
) -> FitReport:
    if not rows:
        raise ValueError("no rows to fit")
    if target not in rows[0]:
        raise ValueError(f"the data has no {target!r} column (1 = paid without pressure)")
    features = [Features.from_mapping(row) for row in rows]
    values = [characteristic_values(f) for f in features]
    y: IntArray = np.array([int(row[target]) for row in rows], dtype=int)
    if set(np.unique(y)) - {0, 1} or len(np.unique(y)) < 2:
        raise ValueError(f"{target!r} must hold both 0 and 1 and nothing else")

    train_idx, holdout_idx = train_test_split(
        np.arange(len(rows)), test_size=holdout, random_state=seed, stratify=y
    )
    y_train = y[train_idx]

    binnings: dict[str, Binning] = {}
    dropped: dict[str, str] = {}
    for name, spec in SPECS.items():
        column = [values[i][name] for i in train_idx]
        if name in CATEGORICAL_CHARACTERISTICS:
            binning = bin_categorical(
                name,
                column,
                CATEGORICAL_CHARACTERISTICS[name],
                y_train,
            )
        else:
            assert spec.direction is not None
            binning = bin_numeric(name, column, y_train, spec.direction)
        if binning.iv < MIN_IV:
            dropped[name] = f"information value {binning.iv:.3f} < {MIN_IV}"
            continue
        binnings[name] = binning

    names = list(binnings)
    x_train = np.column_stack(
        [binnings[n].woe_of([values[i][n] for i in train_idx]) for n in names]
    )
    while True:
        model = LogisticRegression(C=1.0, max_iter=1000)
        model.fit(x_train, y_train)
        coefficients = model.coef_[0]
        worst = int(np.argmin(coefficients))
        if coefficients[worst] > 0:
            break
        dropped[names[worst]] = f"coefficient {coefficients[worst]:.3f} <= 0 (collinear)"
        names.pop(worst)
        x_train = np.delete(x_train, worst, axis=1)
        if not names:
            raise ValueError("no characteristic carries information about the outcome")

    factor, offset = scaling.factor, scaling.offset
    characteristics = [
        _characteristic_doc(binnings[n], SPECS[n], factor * float(coef))
        for n, coef in zip(names, coefficients, strict=True)
    ]
    document: dict[str, Any] = {
        "schema": SCHEMA,
        "version": version,
        "description": (
            "Fitted scorecard: monotonic WoE binning + logistic regression; points scaled "
            "so base_score means base_odds:1 of paying without pressure and every pdo "
            "points double the odds."
        ),
        "scaling": {
            "base_score": scaling.base_score,
            "base_odds": scaling.base_odds,
            "pdo": scaling.pdo,
        },
        "base_points": round(offset + factor * float(model.intercept_[0])),
        "reason_count": reason_count,
        "characteristics": characteristics,
    }
    card = parse_scorecard(document)  # the shipped format, validated like any model file

    def scores_of(indices: Iterable[int]) -> list[int]:
        return [score(features[i], card).score for i in indices]

    holdout_scores = scores_of(holdout_idx)
    train_scores = scores_of(train_idx)
    holdout_auc = float(roc_auc_score(y[holdout_idx], holdout_scores))
    fpr, tpr, _ = roc_curve(y[holdout_idx], holdout_scores)
    holdout_ks = float(np.max(tpr - fpr))
    train_auc = float(roc_auc_score(y_train, train_scores))
    document["fit"] = {
        "method": "monotonic WoE binning + logistic regression (scikit-learn)",
        "target": target,
        "rows": len(rows),
        "train_rows": len(train_idx),
        "holdout_rows": len(holdout_idx),
        "holdout_share": holdout,
        "seed": seed,
        "good_rate": round(float(y.mean()), 4),
        "train_auc": round(train_auc, 4),
        "holdout_auc": round(holdout_auc, 4),
        "holdout_ks": round(holdout_ks, 4),
        "information_value": {n: round(binnings[n].iv, 4) for n in names},
        "dropped": dropped,
        **({"data_sha256": data_sha256} if data_sha256 else {}),
    }
    card = parse_scorecard(document)
    return FitReport(
        document=document,
        card=card,
        holdout_auc=holdout_auc,
        holdout_ks=holdout_ks,
        train_auc=train_auc,
        train_rows=len(train_idx),
        holdout_rows=len(holdout_idx),
        good_rate=float(y.mean()),
        dropped=dropped,
    )


def file_sha256(path: Path | str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _characteristic_doc(binning: Binning, spec: Spec, scale: float) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": binning.name,
        "reason_code": spec.reason_code,
        "description": spec.description,
    }
    if binning.numeric:
        doc["monotonic"] = spec.direction
    doc["missing_points"] = round(scale * binning.missing.woe)
    if binning.numeric:
        doc["bins"] = [
            {"min": _edge(b.lower), "max": _edge(b.upper), "points": round(scale * b.woe)}
            for b in binning.bins
        ]
    else:
        doc["bins"] = [
            {"values": list(b.values), "points": round(scale * b.woe)} for b in binning.bins
        ]
    return doc


def _edge(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if math.isclose(value, round(value)) and abs(value) < 1e15 else value
