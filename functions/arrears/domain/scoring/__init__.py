"""Risk scoring and treatment segments (pure: no AWS imports).

    card = load_scorecard()                      # newest arrears/models/scorecard-*.json
    result = score(Features(days_past_due=12, ...), card)
    choice = choose_segment(result, flags=frozenset(), bands=policy["segments"])
    arm = assign_arm(account_id, challenger_share="0.2", experiment="2026-q4")

See docs/scoring.md for the model format, the scaling and how to refit.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from arrears.domain.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from arrears.domain.scoring.assignment import Arm, Experiment, assign_arm, bucket
    from arrears.domain.scoring.features import (
        CHARACTERISTICS,
        Features,
        Reachability,
        ReachabilityState,
        Sentiment,
        characteristic_values,
        parse_sentiment,
        tenure_months,
    )
    from arrears.domain.scoring.scorecard import (
        SCHEMA,
        Bin,
        Characteristic,
        Monotonic,
        ReasonCode,
        Scaling,
        Scorecard,
        ScorecardError,
        ScoreResult,
        parse_scorecard,
        score,
    )
    from arrears.domain.scoring.segments import (
        HARDSHIP_FLAG,
        Band,
        BandError,
        Segment,
        SegmentChoice,
        choose_segment,
        parse_bands,
    )

# Where each name lives: imported on first use, so a module that needs one part (the
# policy needs the bands and the arm assignment) does not load the scorecard with it.
_EXPORTS = {
    "Arm": "assignment",
    "Band": "segments",
    "BandError": "segments",
    "Bin": "scorecard",
    "CHARACTERISTICS": "features",
    "Characteristic": "scorecard",
    "Experiment": "assignment",
    "Features": "features",
    "HARDSHIP_FLAG": "segments",
    "Monotonic": "scorecard",
    "Reachability": "features",
    "ReachabilityState": "features",
    "ReasonCode": "scorecard",
    "SCHEMA": "scorecard",
    "Scaling": "scorecard",
    "ScoreResult": "scorecard",
    "Scorecard": "scorecard",
    "ScorecardError": "scorecard",
    "Segment": "segments",
    "SegmentChoice": "segments",
    "Sentiment": "features",
    "assign_arm": "assignment",
    "bucket": "assignment",
    "characteristic_values": "features",
    "choose_segment": "segments",
    "parse_bands": "segments",
    "parse_scorecard": "scorecard",
    "parse_sentiment": "features",
    "score": "scorecard",
    "tenure_months": "features",
}


__getattr__ = lazy_exports(__name__, _EXPORTS, globals())


MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
_MODEL_FILE = re.compile(r"^scorecard-(?P<version>.+)\.json$")

__all__ = [
    "CHARACTERISTICS",
    "HARDSHIP_FLAG",
    "MODELS_DIR",
    "SCHEMA",
    "Arm",
    "Band",
    "BandError",
    "Bin",
    "Characteristic",
    "Experiment",
    "Features",
    "Monotonic",
    "Reachability",
    "ReachabilityState",
    "ReasonCode",
    "Scaling",
    "ScoreResult",
    "Scorecard",
    "ScorecardError",
    "Segment",
    "SegmentChoice",
    "Sentiment",
    "assign_arm",
    "available_versions",
    "bucket",
    "characteristic_values",
    "choose_segment",
    "load_scorecard",
    "load_scorecard_file",
    "parse_bands",
    "parse_scorecard",
    "parse_sentiment",
    "score",
    "tenure_months",
]


def available_versions(models_dir: Path = MODELS_DIR) -> list[str]:
    """Versions shipped under arrears/models/, oldest first (numeric parts compare as numbers)."""
    versions = []
    for path in models_dir.glob("scorecard-*.json"):
        match = _MODEL_FILE.match(path.name)
        if match:
            versions.append(match.group("version"))
    return sorted(versions, key=_version_key)


@cache
def load_scorecard(version: str | None = None, models_dir: Path | None = None) -> Scorecard:
    """Load and validate `scorecard-<version>.json`; None loads the newest version.

    Cached per Lambda container: the model files are part of the deployed package.
    `models_dir` defaults to arrears/models (tests point it elsewhere).
    """
    from arrears.domain.scoring.scorecard import ScorecardError

    directory = MODELS_DIR if models_dir is None else Path(models_dir)
    if version is None:
        versions = available_versions(directory)
        if not versions:
            raise ScorecardError(f"no scorecard-*.json under {directory}")
        version = versions[-1]
    if not re.fullmatch(r"[A-Za-z0-9._-]+", version):
        raise ScorecardError(f"invalid model version {version!r}")
    path = directory / f"scorecard-{version}.json"
    if not path.is_file():
        raise ScorecardError(
            f"no model file for version {version!r} "
            f"(have: {', '.join(available_versions(directory)) or 'none'})"
        )
    card = load_scorecard_file(path)
    if card.version != version:
        raise ScorecardError(f"{path.name} declares version {card.version!r}")
    return card


def load_scorecard_file(path: Path | str) -> Scorecard:
    """Load and validate a model file anywhere on disk (used by the fitting tool and tests)."""
    from arrears.domain.scoring.scorecard import ScorecardError, parse_scorecard

    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ScorecardError(f"{Path(path).name}: not valid JSON ({exc})") from exc
    return parse_scorecard(data)


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    parts = re.split(r"[.\-_]", version)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)
