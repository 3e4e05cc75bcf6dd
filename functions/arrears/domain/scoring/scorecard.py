"""Scorecard model: parsing and validating the model JSON, scoring a case, reason codes.

A score is `base_points` plus the points of the bin each characteristic falls into. The
points come from a logistic regression on weight-of-evidence, scaled with the standard
points-to-double-odds (PDO) convention:

    score = offset + factor * ln(odds of paying without pressure)
    factor = pdo / ln(2);  offset = base_score - factor * ln(base_odds)

so a score of `base_score` means odds of `base_odds`:1 and every `pdo` points double them.
Higher score = more likely to pay without pressure. See docs/scoring.md.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from arrears.domain.scoring.features import (
    CATEGORICAL_CHARACTERISTICS,
    NUMERIC_CHARACTERISTICS,
    Features,
    characteristic_values,
)

SCHEMA = "arrears.scorecard/1"
DEFAULT_REASON_COUNT = 3


class ScorecardError(ValueError):
    """The model JSON is malformed or breaks a promise it makes (e.g. monotonic bins)."""


class Monotonic(StrEnum):
    """How points move as the value grows, over the ordered (non-missing) bins."""

    ASCENDING = "ascending"  # points never fall as the value grows
    DESCENDING = "descending"  # points never rise as the value grows


@dataclass(frozen=True)
class Scaling:
    base_score: int
    base_odds: float  # odds good:bad at base_score
    pdo: float  # points to double the odds

    @property
    def factor(self) -> float:
        return self.pdo / math.log(2)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * math.log(self.base_odds)

    def odds_at(self, score: float) -> float:
        """Odds of paying without pressure that a score stands for."""
        return math.exp((score - self.offset) / self.factor)

    def probability_at(self, score: float) -> float:
        odds = self.odds_at(score)
        return odds / (1.0 + odds)


@dataclass(frozen=True)
class Bin:
    points: int
    label: str  # human-readable: "[30, 60)", "negative", "missing"
    lower: float | None = None  # numeric: inclusive lower edge (None = unbounded)
    upper: float | None = None  # numeric: exclusive upper edge (None = unbounded)
    values: frozenset[str] = frozenset()  # categorical: the categories in this bin


@dataclass(frozen=True)
class Characteristic:
    name: str
    reason_code: str
    description: str
    bins: tuple[Bin, ...]  # numeric: ordered by value; categorical: any order
    missing: Bin
    monotonic: Monotonic | None = None
    numeric: bool = True
    # precomputed for fast lookup
    _edges: tuple[float, ...] = field(default=(), repr=False, compare=False)
    _by_value: Mapping[str, Bin] = field(default_factory=dict, repr=False, compare=False)

    @property
    def best_points(self) -> int:
        """Points of the best bin (missing included): reason codes measure loss against it."""
        return max([b.points for b in self.bins] + [self.missing.points])

    def bin_for(self, value: float | str | None) -> Bin:
        if value is None:
            return self.missing
        if self.numeric:
            if isinstance(value, str) or math.isnan(value):
                return self.missing
            # _edges are the inner upper edges; bisect_right keeps [lower, upper) intervals
            return self.bins[bisect.bisect_right(self._edges, value)]
        return self._by_value.get(str(value), self.missing)


@dataclass(frozen=True)
class Scorecard:
    version: str
    scaling: Scaling
    base_points: int
    characteristics: tuple[Characteristic, ...]
    reason_count: int = DEFAULT_REASON_COUNT
    description: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict)

    @cached_property
    def scoring_plan(self) -> tuple[tuple[Characteristic, int], ...]:
        """Each characteristic with its best points, computed once per loaded model."""
        return tuple((c, c.best_points) for c in self.characteristics)

    @property
    def min_score(self) -> int:
        return self.base_points + sum(
            min([b.points for b in c.bins] + [c.missing.points]) for c in self.characteristics
        )

    @property
    def max_score(self) -> int:
        return self.base_points + sum(c.best_points for c in self.characteristics)


@dataclass(frozen=True)
class ReasonCode:
    """One characteristic that pulled the score down, relative to its best bin."""

    code: str  # stable code from the model, e.g. "R01_DAYS_PAST_DUE"
    characteristic: str
    points_lost: int  # best bin's points minus the points received (> 0)
    bin: str  # label of the bin the case fell in
    description: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "characteristic": self.characteristic,
            "points_lost": self.points_lost,
            "bin": self.bin,
            "description": self.description,
        }


@dataclass(frozen=True)
class ScoreResult:
    score: int
    model_version: str
    reasons: tuple[ReasonCode, ...]
    # points per characteristic, in model order (for the audit timeline; no PII)
    points: Mapping[str, int] = field(default_factory=dict)
    probability: float | None = None  # of paying without pressure, from the scaling

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for a Lambda result or a timeline entry."""
        return {
            "score": self.score,
            "model_version": self.model_version,
            "reasons": [r.as_dict() for r in self.reasons],
            "reason_codes": [r.code for r in self.reasons],
            "points": dict(self.points),
            "probability": None if self.probability is None else round(self.probability, 4),
        }


def score(features: Features, card: Scorecard) -> ScoreResult:
    """Score one case. Pure and fast (well under a millisecond)."""
    values = characteristic_values(features)
    total = card.base_points
    points: dict[str, int] = {}
    shortfalls: list[tuple[int, int, Characteristic, Bin]] = []
    for position, (characteristic, best) in enumerate(card.scoring_plan):
        chosen = characteristic.bin_for(values[characteristic.name])
        total += chosen.points
        points[characteristic.name] = chosen.points
        lost = best - chosen.points
        if lost > 0:
            shortfalls.append((-lost, position, characteristic, chosen))
    # most points lost first; ties keep the model's characteristic order (deterministic)
    shortfalls.sort(key=lambda item: (item[0], item[1]))
    reasons = tuple(
        ReasonCode(
            code=c.reason_code,
            characteristic=c.name,
            points_lost=-neg_lost,
            bin=b.label,
            description=c.description,
        )
        for neg_lost, _, c, b in shortfalls[: card.reason_count]
    )
    return ScoreResult(
        score=total,
        model_version=card.version,
        reasons=reasons,
        points=points,
        probability=card.scaling.probability_at(total),
    )


# ---------------------------------------------------------------- parsing and validation


def parse_scorecard(data: Mapping[str, Any]) -> Scorecard:
    """Validate a model document and build the Scorecard; ScorecardError says what is wrong."""
    if not isinstance(data, Mapping):
        raise ScorecardError("scorecard must be a JSON object")
    if data.get("schema") != SCHEMA:
        raise ScorecardError(f"schema must be {SCHEMA!r}, got {data.get('schema')!r}")
    version = _require(data, "version", str, "scorecard")
    if not version.strip():
        raise ScorecardError("version must not be empty")
    scaling_doc = _require(data, "scaling", Mapping, "scorecard")
    scaling = Scaling(
        base_score=_require_int(scaling_doc, "base_score", "scaling"),
        base_odds=_require_number(scaling_doc, "base_odds", "scaling"),
        pdo=_require_number(scaling_doc, "pdo", "scaling"),
    )
    if scaling.base_odds <= 0:
        raise ScorecardError("scaling.base_odds must be > 0")
    if scaling.pdo <= 0:
        raise ScorecardError("scaling.pdo must be > 0")
    base_points = _require_int(data, "base_points", "scorecard")
    reason_count = data.get("reason_count", DEFAULT_REASON_COUNT)
    if not isinstance(reason_count, int) or isinstance(reason_count, bool) or reason_count < 0:
        raise ScorecardError("reason_count must be a non-negative integer")
    docs = _require(data, "characteristics", list, "scorecard")
    if not docs:
        raise ScorecardError("characteristics must not be empty")
    characteristics = tuple(_parse_characteristic(doc, i) for i, doc in enumerate(docs))
    names = [c.name for c in characteristics]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ScorecardError(f"duplicate characteristics: {', '.join(duplicates)}")
    codes = [c.reason_code for c in characteristics]
    duplicate_codes = sorted({n for n in codes if codes.count(n) > 1})
    if duplicate_codes:
        raise ScorecardError(f"duplicate reason codes: {', '.join(duplicate_codes)}")
    metadata = data.get("fit", {})
    return Scorecard(
        version=version,
        scaling=scaling,
        base_points=base_points,
        characteristics=characteristics,
        reason_count=reason_count,
        description=str(data.get("description", "")),
        metadata=metadata if isinstance(metadata, Mapping) else {},
    )


def _parse_characteristic(doc: Any, index: int) -> Characteristic:
    where = f"characteristics[{index}]"
    if not isinstance(doc, Mapping):
        raise ScorecardError(f"{where} must be an object")
    name = _require(doc, "name", str, where)
    where = f"characteristic {name!r}"
    numeric = name in NUMERIC_CHARACTERISTICS
    if not numeric and name not in CATEGORICAL_CHARACTERISTICS:
        known = ", ".join(NUMERIC_CHARACTERISTICS + tuple(CATEGORICAL_CHARACTERISTICS))
        raise ScorecardError(f"{where}: unknown characteristic (known: {known})")
    reason_code = _require(doc, "reason_code", str, where)
    description = str(doc.get("description", name.replace("_", " ")))
    missing_points = _require_int(doc, "missing_points", where)
    missing = Bin(points=missing_points, label="missing")
    bin_docs = _require(doc, "bins", list, where)
    if not bin_docs:
        raise ScorecardError(f"{where}: bins must not be empty")
    monotonic_doc = doc.get("monotonic")
    monotonic: Monotonic | None = None
    if monotonic_doc is not None:
        try:
            monotonic = Monotonic(monotonic_doc)
        except ValueError:
            raise ScorecardError(
                f"{where}: monotonic must be 'ascending', 'descending' or null"
            ) from None
    if numeric:
        bins = _parse_numeric_bins(bin_docs, where)
        if monotonic is not None:
            _check_monotonic(bins, monotonic, where)
        return Characteristic(
            name=name,
            reason_code=reason_code,
            description=description,
            bins=bins,
            missing=missing,
            monotonic=monotonic,
            numeric=True,
            _edges=tuple(b.upper for b in bins[:-1] if b.upper is not None),
        )
    if monotonic is not None:
        raise ScorecardError(f"{where}: monotonic applies to numeric characteristics only")
    bins = _parse_categorical_bins(bin_docs, CATEGORICAL_CHARACTERISTICS[name], where)
    return Characteristic(
        name=name,
        reason_code=reason_code,
        description=description,
        bins=bins,
        missing=missing,
        numeric=False,
        _by_value={value: b for b in bins for value in b.values},
    )


def _parse_numeric_bins(docs: Sequence[Any], where: str) -> tuple[Bin, ...]:
    """Bins must tile the number line: first from -inf, each starting where the last ended."""
    bins: list[Bin] = []
    previous_upper: float | None = None
    for i, doc in enumerate(docs):
        at = f"{where} bin {i}"
        if not isinstance(doc, Mapping):
            raise ScorecardError(f"{at} must be an object")
        lower = _optional_number(doc, "min", at)
        upper = _optional_number(doc, "max", at)
        points = _require_int(doc, "points", at)
        if i == 0 and lower is not None:
            raise ScorecardError(f"{at}: the first bin must start unbounded (min null)")
        if i > 0 and lower != previous_upper:
            raise ScorecardError(
                f"{at}: min {lower} must equal the previous bin's max {previous_upper}"
            )
        last = i == len(docs) - 1
        if last and upper is not None:
            raise ScorecardError(f"{at}: the last bin must end unbounded (max null)")
        if not last and upper is None:
            raise ScorecardError(f"{at}: only the last bin may end unbounded (max null)")
        if lower is not None and upper is not None and upper <= lower:
            raise ScorecardError(f"{at}: max {upper} must be greater than min {lower}")
        bins.append(
            Bin(points=points, label=_interval_label(lower, upper), lower=lower, upper=upper)
        )
        previous_upper = upper
    return tuple(bins)


def _parse_categorical_bins(
    docs: Sequence[Any], allowed: Sequence[str], where: str
) -> tuple[Bin, ...]:
    bins: list[Bin] = []
    seen: set[str] = set()
    for i, doc in enumerate(docs):
        at = f"{where} bin {i}"
        if not isinstance(doc, Mapping):
            raise ScorecardError(f"{at} must be an object")
        values = doc.get("values")
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) for v in values)
        ):
            raise ScorecardError(f"{at}: values must be a non-empty list of strings")
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            raise ScorecardError(f"{at}: unknown values {unknown} (allowed: {', '.join(allowed)})")
        repeated = sorted(seen & set(values))
        if repeated:
            raise ScorecardError(f"{at}: values {repeated} appear in more than one bin")
        seen.update(values)
        bins.append(
            Bin(
                points=_require_int(doc, "points", at),
                label="|".join(values),
                values=frozenset(values),
            )
        )
    uncovered = [v for v in allowed if v not in seen]
    if uncovered:
        raise ScorecardError(f"{where}: no bin for values {uncovered}")
    return tuple(bins)


def _check_monotonic(bins: Sequence[Bin], direction: Monotonic, where: str) -> None:
    for left, right in itertools.pairwise(bins):
        rising = right.points > left.points
        falling = right.points < left.points
        if (direction is Monotonic.ASCENDING and falling) or (
            direction is Monotonic.DESCENDING and rising
        ):
            raise ScorecardError(
                f"{where}: points must be {direction.value} but go from {left.points} "
                f"({left.label}) to {right.points} ({right.label})"
            )


def _interval_label(lower: float | None, upper: float | None) -> str:
    def fmt(x: float) -> str:
        return f"{x:g}"

    if lower is None and upper is None:
        return "any"
    if lower is None:
        assert upper is not None
        return f"< {fmt(upper)}"
    if upper is None:
        return f">= {fmt(lower)}"
    return f"[{fmt(lower)}, {fmt(upper)})"


def _require(doc: Mapping[str, Any], key: str, kind: Any, where: str) -> Any:
    if key not in doc:
        raise ScorecardError(f"{where}: missing {key!r}")
    value = doc[key]
    if not isinstance(value, kind):
        name = getattr(kind, "__name__", str(kind))
        raise ScorecardError(f"{where}: {key!r} must be {name}, got {type(value).__name__}")
    return value


def _require_int(doc: Mapping[str, Any], key: str, where: str) -> int:
    value = _require(doc, key, int, where)
    if isinstance(value, bool):
        raise ScorecardError(f"{where}: {key!r} must be an integer")
    return int(value)


def _require_number(doc: Mapping[str, Any], key: str, where: str) -> float:
    value = _require(doc, key, (int, float), where)
    if isinstance(value, bool) or not math.isfinite(value):
        raise ScorecardError(f"{where}: {key!r} must be a finite number")
    return float(value)


def _optional_number(doc: Mapping[str, Any], key: str, where: str) -> float | None:
    if doc.get(key) is None:
        return None
    return _require_number(doc, key, where)
