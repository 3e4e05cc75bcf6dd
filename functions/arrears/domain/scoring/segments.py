"""Treatment segments: a score band or a flag picks the path a case takes.

The bands come from the policy file, e.g.

    segments:
      - {segment: self_cure, min_score: 640, max_score: null}
      - {segment: standard,  min_score: 560, max_score: 639}
      - {segment: high_risk, min_score: null, max_score: 559}

`min_score` and `max_score` are inclusive; null means unbounded. A band may also list
`flags`: any of them routes the case to that band's segment whatever the score. The
`hardship` flag (from a reply or an agent's outcome) always routes to the hardship
segment, even when the policy forgets to say so: a borrower in hardship is offered a
plan first, never escalated on score alone.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from arrears.domain.scoring.scorecard import ScoreResult


class Segment(StrEnum):
    SELF_CURE = "self_cure"  # gentle, longer gaps
    STANDARD = "standard"
    HIGH_RISK = "high_risk"  # agent call earlier
    HARDSHIP = "hardship"  # offer a plan first


HARDSHIP_FLAG = "hardship"
FALLBACK_SEGMENT = Segment.STANDARD


class BandError(ValueError):
    """The policy's score bands are malformed, overlap or leave gaps."""


@dataclass(frozen=True)
class Band:
    segment: str
    min_score: int | None = None  # inclusive; None = unbounded
    max_score: int | None = None  # inclusive; None = unbounded
    flags: frozenset[str] = frozenset()

    def contains(self, value: int) -> bool:
        return (self.min_score is None or value >= self.min_score) and (
            self.max_score is None or value <= self.max_score
        )

    @property
    def label(self) -> str:
        low = "-inf" if self.min_score is None else str(self.min_score)
        high = "+inf" if self.max_score is None else str(self.max_score)
        return f"[{low}, {high}]"


@dataclass(frozen=True)
class SegmentChoice:
    segment: str
    reasons: tuple[str, ...]  # e.g. ("flag:hardship",) or ("score:612 in standard [560, 639]", ...)

    def as_dict(self) -> dict[str, Any]:
        return {"segment": self.segment, "reasons": list(self.reasons)}


def parse_bands(bands: Iterable[Band | Mapping[str, Any]]) -> tuple[Band, ...]:
    """Bands from policy dicts (or Band objects), checked: no overlaps, no gaps."""
    parsed: list[Band] = []
    for i, item in enumerate(bands):
        if isinstance(item, Band):
            parsed.append(item)
            continue
        if not isinstance(item, Mapping) or not item.get("segment"):
            raise BandError(f"band {i}: needs a 'segment'")
        flags = item.get("flags") or ()
        if isinstance(flags, str) or not all(isinstance(f, str) for f in flags):
            raise BandError(f"band {i}: flags must be a list of strings")
        parsed.append(
            Band(
                segment=str(item["segment"]),
                min_score=_optional_int(item.get("min_score"), i, "min_score"),
                max_score=_optional_int(item.get("max_score"), i, "max_score"),
                flags=frozenset(flags),
            )
        )
    _check_tiling(parsed)
    return tuple(parsed)


def choose_segment(
    result: ScoreResult | None,
    flags: frozenset[str] | set[str] | Sequence[str],
    bands: Iterable[Band | Mapping[str, Any]],
) -> SegmentChoice:
    """Pick the treatment segment for a scored case and say why.

    Order: the hardship flag, then any band whose `flags` the case carries, then the
    band that holds the score. Without a score, or outside every band, the case goes to
    the standard segment and the reason says so (it never silently escalates).
    """
    parsed = parse_bands(bands)
    flag_set = frozenset(flags)
    if HARDSHIP_FLAG in flag_set:
        return SegmentChoice(
            segment=_segment_for_flag(parsed, HARDSHIP_FLAG) or Segment.HARDSHIP.value,
            reasons=(f"flag:{HARDSHIP_FLAG}",),
        )
    for band in parsed:
        hit = sorted(band.flags & flag_set)
        if hit:
            return SegmentChoice(segment=band.segment, reasons=tuple(f"flag:{f}" for f in hit))
    if result is None:
        return SegmentChoice(segment=FALLBACK_SEGMENT.value, reasons=("score:unavailable",))
    reason_codes = tuple(f"reason:{r.code}" for r in result.reasons)
    for band in parsed:
        if (band.min_score is not None or band.max_score is not None) and band.contains(
            result.score
        ):
            return SegmentChoice(
                segment=band.segment,
                reasons=(
                    f"score:{result.score} in {band.segment} {band.label}",
                    f"model:{result.model_version}",
                    *reason_codes,
                ),
            )
    for band in parsed:  # an unbounded catch-all band (no min, no max, no flags)
        if band.min_score is None and band.max_score is None and not band.flags:
            return SegmentChoice(
                segment=band.segment,
                reasons=(
                    f"score:{result.score} default band",
                    f"model:{result.model_version}",
                    *reason_codes,
                ),
            )
    return SegmentChoice(
        segment=FALLBACK_SEGMENT.value,
        reasons=(f"score:{result.score} outside every band", f"model:{result.model_version}"),
    )


def _segment_for_flag(bands: Sequence[Band], flag: str) -> str | None:
    for band in bands:
        if flag in band.flags:
            return band.segment
    return None


def _optional_int(value: Any, index: int, key: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BandError(f"band {index}: {key} must be an integer or null")
    return value


def _check_tiling(bands: Sequence[Band]) -> None:
    """Score bands (those with a bound) must not overlap and must leave no gap."""
    scored = sorted(
        (b for b in bands if b.min_score is not None or b.max_score is not None),
        key=lambda b: (b.min_score is not None, b.min_score or 0),
    )
    for band in scored:
        if (
            band.min_score is not None
            and band.max_score is not None
            and band.max_score < band.min_score
        ):
            raise BandError(f"band {band.segment}: max_score below min_score")
    for left, right in itertools.pairwise(scored):
        if left.max_score is None or right.min_score is None:
            raise BandError(f"bands {left.segment} and {right.segment} overlap")
        if right.min_score <= left.max_score:
            raise BandError(f"bands {left.segment} and {right.segment} overlap")
        if right.min_score > left.max_score + 1:
            raise BandError(
                f"gap between bands {left.segment} and {right.segment}: "
                f"scores {left.max_score + 1}..{right.min_score - 1} have no segment"
            )
