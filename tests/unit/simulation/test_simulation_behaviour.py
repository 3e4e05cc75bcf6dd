"""The behaviour model: chances, picks, common random numbers, and its file."""

from __future__ import annotations

from pathlib import Path

import pytest
from arrears.local.simulation.behaviour import (
    RESPONSES,
    BehaviourError,
    draws,
    load_behaviour,
    pick,
)

MODEL = """
version: test-1
contact: {pay_full: 0.1, opt_out: 0.05, complaint: 0.02}
quiet_day: {pay_full: 0.01}
channel: {sms: 2.0}
stage: {reminder: 1.5}
template: {soft_reminder: 0.5}
segment: {standard: 0.5}
score_band: {"0": 0.5, "600": 2.0}
dpd_decay: 0.5
max_total: 0.9
call: {no_answer: 0.5, promise_to_pay: 0.5}
"""


@pytest.fixture
def model(tmp_path: Path):
    path = tmp_path / "behaviour.yaml"
    path.write_text(MODEL, encoding="utf-8")
    return load_behaviour(path)


def test_chances_multiply_every_factor(model):
    chances = model.chances(
        channel="sms", stage="reminder", days_past_due=30, segment="standard", score=650
    )
    # 0.1 x sms 2 x reminder 1.5 x standard 0.5 x band(>=600) 2 x 0.5 ** (30 / 30)
    assert chances["pay_full"] == pytest.approx(0.15)
    assert chances["opt_out"] == pytest.approx(0.075)
    assert chances["complaint"] == 0  # a complaint comes from an email only
    low_score = model.chances(
        channel="sms", stage="reminder", days_past_due=0, segment="standard", score=100
    )
    assert low_score["pay_full"] == pytest.approx(0.1 * 2 * 1.5 * 0.5 * 0.5)
    soft = model.chances(
        channel="sms",
        stage="reminder",
        template="soft_reminder",
        days_past_due=0,
        segment="standard",
        score=100,
    )
    assert soft["pay_full"] == pytest.approx(low_score["pay_full"] * 0.5)


def test_letters_cannot_be_opted_out_of_by_reply(model):
    chances = model.chances(channel="letter", stage="x", days_past_due=0, segment=None, score=None)
    assert chances["opt_out"] == 0
    assert chances["pay_full"] == pytest.approx(0.1)  # unknown factors count as 1


def test_a_quiet_day_uses_the_quiet_rates(model):
    chances = model.chances(channel=None, stage=None, days_past_due=0, segment=None, score=None)
    assert chances["pay_full"] == pytest.approx(0.01)
    assert sum(chances.values()) == pytest.approx(0.01)


def test_chances_are_capped_at_max_total(tmp_path):
    path = tmp_path / "b.yaml"
    path.write_text(MODEL.replace("channel: {sms: 2.0}", "channel: {email: 40.0}"), "utf-8")
    chances = load_behaviour(path).chances(
        channel="email", stage="reminder", days_past_due=0, segment=None, score=None
    )
    assert sum(chances.values()) == pytest.approx(0.9)
    # the shares keep their proportions: 0.1 : 0.05 : 0.02
    assert chances["pay_full"] / chances["complaint"] == pytest.approx(5)


def test_pick_takes_the_slice_the_draw_falls_in():
    chances = {"pay_full": 0.2, "pay_part": 0.1}
    assert pick(0.0, chances, RESPONSES) == "pay_full"
    assert pick(0.1999, chances, RESPONSES) == "pay_full"
    assert pick(0.2, chances, RESPONSES) == "pay_part"
    assert pick(0.2999, chances, RESPONSES) == "pay_part"
    assert pick(0.31, chances, RESPONSES) is None  # silent
    assert pick(0.99, chances, RESPONSES) is None


def test_a_decision_draws_the_same_numbers_whatever_came_before():
    # common random numbers: a borrower's draw for a decision depends on the seed, the
    # account and the decision only, not on which other draws were made first
    first = draws(7, "acc-1", "day3:contact0").random()
    for account in ("acc-2", "acc-3"):
        draws(7, account, "day3:contact0").random()
    draws(7, "acc-1", "day2:quiet").random()
    assert draws(7, "acc-1", "day3:contact0").random() == first
    assert draws(7, "acc-1", "day3:contact1").random() != first
    assert draws(8, "acc-1", "day3:contact0").random() != first
    assert draws(7, "acc-2", "day3:contact0").random() != first


def test_the_shipped_defaults_load():
    model = load_behaviour()
    assert model.source == "defaults"
    assert sum(model.call.values()) == pytest.approx(1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("typo: 1\n", "unknown field 'typo'"),
        ("contact: {pay_full: 1.5}\n", "contact.pay_full must be between 0 and 1"),
        ("contact: {pay_everything: 0.1}\n", "unknown response 'pay_everything'"),
        ("call: {no_answer: 0.5}\n", "call: the shares must sum to 1"),
        ("dpd_decay: -1\n", "dpd_decay must not be negative"),
        ("part_share: [0.8, 0.2]\n", r"part_share must be \[low, high\]"),
    ],
)
def test_a_wrong_file_names_the_file_and_the_field(tmp_path, change, message):
    path = tmp_path / "bad.yaml"
    path.write_text(MODEL + change, encoding="utf-8")
    with pytest.raises(BehaviourError, match=message) as raised:
        load_behaviour(path)
    assert str(path) in str(raised.value)


def test_a_missing_file_is_one_clear_error(tmp_path):
    with pytest.raises(BehaviourError, match="no such file"):
        load_behaviour(tmp_path / "absent.yaml")
