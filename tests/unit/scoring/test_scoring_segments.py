"""Segment routing from score bands and flags."""

from __future__ import annotations

from typing import Any

import pytest
from arrears.domain.scoring import (
    BandError,
    ReasonCode,
    ScoreResult,
    Segment,
    choose_segment,
    parse_bands,
)

BANDS: list[dict[str, Any]] = [
    {"segment": "self_cure", "min_score": 560, "max_score": None},
    {"segment": "standard", "min_score": 460, "max_score": 559},
    {"segment": "high_risk", "min_score": None, "max_score": 459},
]


def result(value: int) -> ScoreResult:
    reason = ReasonCode(
        code="R01_DAYS_PAST_DUE",
        characteristic="days_past_due",
        points_lost=30,
        bin="[31, 61)",
        description="Days past due",
    )
    return ScoreResult(score=value, model_version="m-1", reasons=(reason,))


@pytest.mark.parametrize(
    ("value", "segment"),
    [
        (900, "self_cure"),
        (560, "self_cure"),
        (559, "standard"),
        (460, "standard"),
        (459, "high_risk"),
        (-50, "high_risk"),
    ],
)
def test_score_bands_are_inclusive_at_both_ends(value: int, segment: str) -> None:
    # when a score is routed, then the band that holds it (edges included) decides
    assert choose_segment(result(value), frozenset(), BANDS).segment == segment


def test_reasons_name_the_band_the_model_and_the_score_reasons() -> None:
    choice = choose_segment(result(500), frozenset(), BANDS)
    assert choice.reasons == (
        "score:500 in standard [460, 559]",
        "model:m-1",
        "reason:R01_DAYS_PAST_DUE",
    )


def test_hardship_flag_wins_over_any_score() -> None:
    # given a score that would be self-cure and the hardship flag
    choice = choose_segment(result(800), frozenset({"hardship", "vip"}), BANDS)

    # then the case goes to hardship, and the reason is the flag
    assert choice.segment == Segment.HARDSHIP
    assert choice.reasons == ("flag:hardship",)


def test_a_band_may_claim_flags() -> None:
    # given a policy that routes "vulnerable" customers to hardship too
    bands = [*BANDS, {"segment": "hardship", "flags": ["vulnerable", "hardship"]}]

    choice = choose_segment(result(700), {"vulnerable"}, bands)

    assert choice.segment == "hardship"
    assert choice.reasons == ("flag:vulnerable",)


def test_no_score_goes_to_standard_and_says_so() -> None:
    choice = choose_segment(None, frozenset(), BANDS)
    assert choice.segment == "standard"
    assert choice.reasons == ("score:unavailable",)


def test_score_outside_bounded_bands_falls_back_to_standard() -> None:
    bands = [{"segment": "self_cure", "min_score": 600, "max_score": 700}]
    choice = choose_segment(result(100), frozenset(), bands)
    assert choice.segment == "standard"
    assert choice.reasons[0] == "score:100 outside every band"


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        (
            [
                {"segment": "a", "min_score": 0, "max_score": 100},
                {"segment": "b", "min_score": 100, "max_score": 200},
            ],
            "overlap",
        ),
        (
            [
                {"segment": "a", "min_score": 0, "max_score": 100},
                {"segment": "b", "min_score": 150, "max_score": 200},
            ],
            "gap",
        ),
        (
            [
                {"segment": "a", "min_score": None, "max_score": 100},
                {"segment": "b", "min_score": None, "max_score": 200},
            ],
            "overlap",
        ),
        ([{"segment": "a", "min_score": 10, "max_score": 5}], "below"),
        ([{"min_score": 10}], "segment"),
        ([{"segment": "a", "min_score": "10"}], "integer"),
    ],
)
def test_malformed_bands_are_rejected(bands: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(BandError, match=message):
        parse_bands(bands)


def test_choice_as_dict_is_plain() -> None:
    choice = choose_segment(result(600), frozenset(), BANDS)
    assert choice.as_dict() == {"segment": "self_cure", "reasons": list(choice.reasons)}
