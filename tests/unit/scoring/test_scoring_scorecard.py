"""Scorecard arithmetic, reason-code order, monotonic bins and model validation."""

from __future__ import annotations

import copy
import json
import math
from decimal import Decimal
from typing import Any

import pytest
from arrears.domain.scoring import (
    Features,
    Monotonic,
    Reachability,
    ScorecardError,
    Sentiment,
    available_versions,
    load_scorecard,
    load_scorecard_file,
    parse_scorecard,
    score,
)


def small_model() -> dict[str, Any]:
    """Three characteristics with round numbers, so every expected score is hand-checkable."""
    return {
        "schema": "arrears.scorecard/1",
        "version": "test-1",
        "scaling": {"base_score": 600, "base_odds": 20, "pdo": 20},
        "base_points": 500,
        "reason_count": 2,
        "characteristics": [
            {
                "name": "days_past_due",
                "reason_code": "DPD",
                "monotonic": "descending",
                "missing_points": -5,
                "bins": [
                    {"min": None, "max": 10, "points": 40},
                    {"min": 10, "max": 30, "points": 20},
                    {"min": 30, "max": None, "points": 0},
                ],
            },
            {
                "name": "broken_promises",
                "reason_code": "BP",
                "monotonic": "descending",
                "missing_points": 0,
                "bins": [
                    {"min": None, "max": 1, "points": 30},
                    {"min": 1, "max": None, "points": 10},
                ],
            },
            {
                "name": "sentiment",
                "reason_code": "SENT",
                "missing_points": 5,
                "bins": [
                    {"values": ["positive"], "points": 25},
                    {"values": ["neutral", "mixed"], "points": 10},
                    {"values": ["negative"], "points": 5},
                ],
            },
        ],
    }


def test_score_is_base_points_plus_the_points_of_each_bin() -> None:
    # given a case in DPD bin [10, 30), no broken promise, neutral reply
    card = parse_scorecard(small_model())
    features = Features(days_past_due=12, broken_promises=0, sentiment="neutral")

    # when scored
    result = score(features, card)

    # then 500 + 20 + 30 + 10
    assert result.score == 560
    assert result.model_version == "test-1"
    assert dict(result.points) == {"days_past_due": 20, "broken_promises": 30, "sentiment": 10}


def test_bins_are_closed_below_and_open_above() -> None:
    # given values exactly on the bin edges
    card = parse_scorecard(small_model())

    # when scored at 9, 10, 29 and 30 days past due
    points = [
        score(Features(days_past_due=d), card).points["days_past_due"] for d in (9, 10, 29, 30)
    ]

    # then 10 falls in [10, 30) and 30 in [30, inf)
    assert points == [40, 20, 20, 0]


def test_missing_values_fall_in_their_own_bin() -> None:
    # given a case with no days past due, no promises count and no reply
    card = parse_scorecard(small_model())

    # when scored
    result = score(Features(days_past_due=None, broken_promises=None, sentiment=None), card)

    # then each characteristic takes its missing points: 500 - 5 + 0 + 5
    assert result.score == 500
    assert dict(result.points) == {"days_past_due": -5, "broken_promises": 0, "sentiment": 5}


def test_unknown_sentiment_label_counts_as_missing() -> None:
    card = parse_scorecard(small_model())
    result = score(Features(sentiment="furious"), card)
    assert result.points["sentiment"] == 5


def test_probability_follows_the_pdo_scaling() -> None:
    # given base 600 at odds 20:1 and 20 points to double the odds
    card = parse_scorecard(small_model())

    # then 600 means odds 20, 620 odds 40, 580 odds 10
    assert math.isclose(card.scaling.odds_at(600), 20.0)
    assert math.isclose(card.scaling.odds_at(620), 40.0)
    assert math.isclose(card.scaling.odds_at(580), 10.0)
    assert math.isclose(card.scaling.probability_at(600), 20 / 21)


def test_reasons_rank_points_lost_against_the_best_bin() -> None:
    # given DPD 35 (loses 40), one broken promise (loses 20), negative reply (loses 20)
    card = parse_scorecard(small_model())
    features = Features(days_past_due=35, broken_promises=1, sentiment=Sentiment.NEGATIVE)

    # when scored
    result = score(features, card)

    # then DPD first; the 20-point tie keeps model order (BP before SENT); only 2 reasons
    assert [(r.code, r.points_lost) for r in result.reasons] == [("DPD", 40), ("BP", 20)]
    assert result.reasons[0].bin == ">= 30"


def test_reason_tie_order_is_model_order_not_input_order() -> None:
    # given the same model with sentiment listed before broken promises
    doc = small_model()
    doc["characteristics"] = [
        doc["characteristics"][0],
        doc["characteristics"][2],
        doc["characteristics"][1],
    ]
    card = parse_scorecard(doc)

    # when a case loses 20 points on each of the two
    result = score(Features(days_past_due=0, broken_promises=1, sentiment="negative"), card)

    # then the tie follows the model's order
    assert [r.code for r in result.reasons] == ["SENT", "BP"]


def test_best_bins_everywhere_give_no_reasons() -> None:
    card = parse_scorecard(small_model())
    result = score(Features(days_past_due=1, broken_promises=0, sentiment="positive"), card)
    assert result.reasons == ()
    assert result.score == card.max_score == 595


def test_shipped_models_load_and_keep_their_monotonic_promises() -> None:
    # given every model file in arrears/models
    versions = available_versions()
    assert versions, "at least one model must ship"
    for version in versions:
        card = load_scorecard(version)
        # then each declared-monotonic characteristic has monotonic points over its bins
        for characteristic in card.characteristics:
            points = [b.points for b in characteristic.bins]
            if characteristic.monotonic is Monotonic.ASCENDING:
                assert points == sorted(points), (version, characteristic.name)
            elif characteristic.monotonic is Monotonic.DESCENDING:
                assert points == sorted(points, reverse=True), (version, characteristic.name)


def test_newest_model_scores_a_worse_case_lower() -> None:
    # given a good and a bad case under the default (newest) model
    card = load_scorecard()
    good = Features(
        days_past_due=3,
        amount_overdue=Decimal("100"),
        credit_limit=Decimal("5000"),
        prior_delinquencies=0,
        prior_cures=0,
        on_time_payment_ratio=Decimal("0.98"),
        tenure_months=60,
        broken_promises=0,
        sentiment="positive",
    )
    bad = Features(
        days_past_due=75,
        amount_overdue=Decimal("4500"),
        credit_limit=Decimal("5000"),
        prior_delinquencies=5,
        prior_cures=0,
        on_time_payment_ratio=Decimal("0.4"),
        tenure_months=2,
        broken_promises=2,
        reachability=Reachability(email_bounced=True, sms_failed=True),
        sentiment="negative",
    )

    # then the scores order them, within the card's range, and the bad case has reasons
    good_result, bad_result = score(good, card), score(bad, card)
    assert card.min_score <= bad_result.score < good_result.score <= card.max_score
    assert len(bad_result.reasons) == card.reason_count


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(schema="other/1"), "schema"),
        (lambda d: d.pop("version"), "missing 'version'"),
        (lambda d: d["scaling"].update(pdo=0), "pdo must be > 0"),
        (lambda d: d["scaling"].update(base_odds=-1), "base_odds must be > 0"),
        (lambda d: d["characteristics"][0].update(name="shoe_size"), "unknown characteristic"),
        (lambda d: d["characteristics"][0].pop("missing_points"), "missing 'missing_points'"),
        (lambda d: d["characteristics"][0]["bins"][1].update(min=11), "must equal the previous"),
        (lambda d: d["characteristics"][0]["bins"][0].update(min=0), "must start unbounded"),
        (lambda d: d["characteristics"][0]["bins"][2].update(max=99), "must end unbounded"),
        (lambda d: d["characteristics"][0]["bins"][1].update(points=50), "must be descending"),
        (lambda d: d["characteristics"][0]["bins"][0].update(points=1.5), "must be int"),
        (lambda d: d["characteristics"][0].update(monotonic="sideways"), "monotonic must be"),
        (lambda d: d["characteristics"][2].update(monotonic="ascending"), "numeric"),
        (lambda d: d["characteristics"][2]["bins"].pop(), "no bin for values ['negative']"),
        (lambda d: d["characteristics"][2]["bins"][0].update(values=["ecstatic"]), "unknown"),
        (lambda d: d["characteristics"][2]["bins"][0].update(values=["neutral"]), "more than one"),
        (
            lambda d: d["characteristics"].append(copy.deepcopy(d["characteristics"][1])),
            "duplicate characteristics",
        ),
        (lambda d: d.update(characteristics=[]), "must not be empty"),
    ],
)
def test_invalid_models_are_rejected_with_a_clear_message(mutate: Any, message: str) -> None:
    # given a model document broken in one way
    doc = small_model()
    mutate(doc)

    # when parsed, then the error names the problem
    with pytest.raises(ScorecardError, match=None) as err:
        parse_scorecard(doc)
    assert message in str(err.value)


def test_loading_a_file_that_is_not_json_fails_clearly(tmp_path: Any) -> None:
    path = tmp_path / "scorecard-x.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ScorecardError, match="not valid JSON"):
        load_scorecard_file(path)


def test_loading_a_valid_file_round_trips(tmp_path: Any) -> None:
    path = tmp_path / "scorecard-test-1.json"
    path.write_text(json.dumps(small_model()), encoding="utf-8")
    assert load_scorecard_file(path).version == "test-1"


def test_unknown_version_is_an_error() -> None:
    with pytest.raises(ScorecardError, match="no model file"):
        load_scorecard("9999.0.0")
    with pytest.raises(ScorecardError, match="invalid model version"):
        load_scorecard("../etc/passwd")


def test_features_from_a_loose_mapping() -> None:
    # given a CSV-like row with strings, blanks and flat reachability flags
    row = {
        "days_past_due": "12",
        "amount_overdue": "250.50",
        "credit_limit": "",
        "on_time_payment_ratio": "0.9",
        "email_bounced": "true",
        "sms_failed": "0",
        "sentiment": "Negative",
    }

    features = Features.from_mapping(row)

    assert features.days_past_due == 12
    assert features.amount_overdue == Decimal("250.50")
    assert features.credit_limit is None
    assert features.reachability == Reachability(email_bounced=True, sms_failed=False)
    assert features.sentiment is Sentiment.NEGATIVE


def test_file_name_and_declared_version_must_agree(tmp_path: Any) -> None:
    # given a file named 2.0.0 that declares test-1
    (tmp_path / "scorecard-2.0.0.json").write_text(json.dumps(small_model()), encoding="utf-8")

    # when loaded by version, then the mismatch is an error
    with pytest.raises(ScorecardError, match="declares version 'test-1'"):
        load_scorecard("2.0.0", models_dir=tmp_path)


def test_newest_version_is_the_default(tmp_path: Any) -> None:
    # given versions whose numeric order differs from their text order
    for version in ("1.2.0", "1.10.0", "1.9.3"):
        doc = small_model() | {"version": version}
        (tmp_path / f"scorecard-{version}.json").write_text(json.dumps(doc), encoding="utf-8")

    # then the numerically newest one loads by default
    assert available_versions(tmp_path) == ["1.2.0", "1.9.3", "1.10.0"]
    assert load_scorecard(models_dir=tmp_path).version == "1.10.0"


def test_features_tolerate_loose_types_passed_directly() -> None:
    # given a caller that passes strings and a dict instead of typed values
    card = parse_scorecard(small_model())
    loose = Features(days_past_due="12", reachability={"sms_failed": True})  # type: ignore[arg-type]

    # then it scores like the typed equivalent
    typed = Features(days_past_due=12, reachability=Reachability(sms_failed=True))
    assert score(loose, card) == score(typed, card)
