"""The escalation policy file: the shipped one is valid, and a bad one fails loudly."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml
from arrears.domain.policy import (
    POLICIES_DIR,
    PolicyError,
    load_policy,
    parse_policy,
    policy_by_version,
    policy_for_account,
)
from arrears.domain.types import Channel, Stage

DEFAULT_TEXT = (POLICIES_DIR / "default.yaml").read_text(encoding="utf-8")


def _mutated(change) -> str:
    raw = yaml.safe_load(DEFAULT_TEXT)
    change(raw)
    return yaml.safe_dump(raw)


def _parse(text: str):
    # the notices catalogue check is covered separately; here only the schema matters
    return parse_policy(text, source="test.yaml", known_templates=lambda: None)


def test_shipped_default_policy_loads_with_every_segment():
    # given the shipped file / when it is loaded
    policy = load_policy()
    # then all four treatment paths exist and every ladder ends in a human legal review
    assert set(policy.segments) == {"self_cure", "standard", "high_risk", "hardship"}
    for segment in policy.segments.values():
        assert segment.ladder[-1].stage is Stage.LEGAL_REVIEW
    assert policy.resolve_below == Decimal("5.00")
    assert isinstance(policy.resolve_below, Decimal)


def test_high_risk_reaches_the_agent_call_earlier_than_standard():
    policy = load_policy()
    high = policy.segment("high_risk").step(Stage.AGENT_CALL)
    standard = policy.segment("standard").step(Stage.AGENT_CALL)
    assert high is not None and standard is not None
    assert high.day < standard.day


def test_hardship_offers_a_plan_before_anything_else():
    ladder = load_policy().segment("hardship").ladder
    assert ladder[0].stage is Stage.PLAN_OFFER
    assert ladder[0].template == "plan_offer"


def test_letter_stages_name_a_letter_kind_and_message_stages_a_template():
    for segment in load_policy().segments.values():
        for step in segment.ladder:
            if Channel.LETTER in step.channels:
                assert step.letter in {"demand_letter", "lawyer_letter"}
            elif step.channels:
                assert step.template


def test_policy_bands_tile_the_score_range_for_the_scorer():
    # given the policy's bands in the scorer's format
    from arrears.domain.scoring import choose_segment, parse_bands

    bands = load_policy().bands()
    parse_bands(bands)  # no gap, no overlap
    # then a hardship flag wins over any score, and the bands split scores as documented
    from arrears.domain.scoring import ScoreResult

    def seg(score: int, flags=frozenset()) -> str:
        return choose_segment(ScoreResult(score, "t", ()), flags, bands).segment

    assert seg(700) == "self_cure"
    assert seg(600) == "standard"
    assert seg(500) == "high_risk"
    assert seg(700, frozenset({"job_loss"})) == "hardship"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r.pop("version"), "version"),
        (lambda r: r["segments"].pop("hardship"), "segments missing"),
        (lambda r: r.update(resolve_below=5.0), "quoted string"),
        (lambda r: r["segments"]["standard"]["ladder"][0].update(day=99), "go backwards"),
        (lambda r: r["segments"]["standard"]["ladder"][0].pop("template"), "template id"),
        (
            lambda r: r["segments"]["standard"]["ladder"][3].update(letter="love_letter"),
            "letter must be one of",
        ),
        (
            lambda r: r["segments"]["standard"]["ladder"].append(
                {"stage": "litigation", "day": 90, "channels": ["letter"]}
            ),
            "cannot be planned",
        ),
        (
            lambda r: r["segments"]["standard"]["ladder"].insert(
                0, r["segments"]["standard"]["ladder"].pop()
            ),
            "go backwards",
        ),
        (lambda r: r["segments"]["standard"]["ladder"][2].update(channels=["sms"]), "call"),
        (lambda r: r["pre_due"].update(channels=["call"]), "pre_due.channels"),
        (lambda r: r["receipt"].update(channels=["letter"]), "go by sms and/or email"),
        (lambda r: r["receipt"].update(channels=[]), "go by sms and/or email"),
        (lambda r: r["score_bands"][1].update(min_score=600), "gap"),
        (lambda r: r["grace"].update(payment_pending_hours=0), "payment_pending_hours"),
        (lambda r: r.update(surprise=1), "surprise"),
        (lambda r: r["legal_review"].update(after_rejection="write_off"), "write_off_ceiling"),
        (lambda r: r["legal_review"].update(after_rejection="forget"), "after_rejection"),
        (lambda r: r["legal_review"].update(write_off_ceiling=50.0), "quoted string"),
        (lambda r: r["experiment"].update(challenger_share="0.2"), "challenger_policy"),
    ],
)
def test_a_bad_policy_fails_with_a_readable_error(change, message):
    # given the default file with one mistake / when it is parsed
    with pytest.raises(PolicyError) as raised:
        _parse(_mutated(change))
    # then the error names the file and says what is wrong
    assert "test.yaml" in str(raised.value)
    assert message in str(raised.value)


def test_not_yaml_and_not_a_mapping_are_rejected():
    with pytest.raises(PolicyError, match="not valid YAML"):
        _parse("version: [unclosed")
    with pytest.raises(PolicyError, match="mapping"):
        _parse("- just a list")


def test_template_ids_are_checked_against_the_notices_catalogue():
    # given a catalogue that lacks the pre-due template
    catalogue = {"reminder", "follow_up", "soft_reminder", "receipt", "plan_offer"}
    # when the policy is parsed against it / then the missing ids are named
    with pytest.raises(PolicyError, match=r"call_scheduled.*pre_due_reminder"):
        parse_policy(DEFAULT_TEXT, "test.yaml", known_templates=lambda: catalogue)


def test_missing_policy_file_is_a_policy_error():
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy("no-such-policy.yaml")


def test_case_keeps_the_policy_version_it_was_planned_with():
    default = load_policy()
    assert policy_by_version(default.version) is default
    assert policy_by_version(None) is default
    with pytest.raises(PolicyError, match="no policy file"):
        policy_by_version("retired-1999.1")


def test_everyone_is_champion_while_the_challenger_share_is_zero():
    policy, arm = policy_for_account("acc-1")
    assert arm == "champion"
    assert policy is load_policy()


def test_ingest_reads_the_default_language_of_the_policy_a_new_case_runs_on(tmp_path):
    # given a lender's policy whose default language is Mexican Spanish
    from arrears.domain.policy import POLICIES_DIR
    from arrears.steps.ingest import _policy_default_locale

    text = (POLICIES_DIR / "default.yaml").read_text(encoding="utf-8")
    text = text.replace("notices:\n", "notices:\n  default_locale: es-MX\n", 1)
    (tmp_path / "spanish.yaml").write_text(text, encoding="utf-8")
    # then ingest's fallback language for an account on that policy is es-MX
    assert _policy_default_locale(str(tmp_path / "spanish.yaml"))("acc-1") == "es-MX"
    # and the shipped policy keeps en-US
    assert _policy_default_locale("default.yaml")("acc-1") == "en-US"


def test_a_default_language_must_be_a_language_tag():
    from arrears.domain.policy import NoticeDefaults
    from arrears.domain.validation import validate

    with pytest.raises(ValueError, match="default_locale"):
        validate(
            NoticeDefaults,
            {
                "creditor_name": "Acme",
                "pay_link": "https://x.example",
                "default_locale": "Spanish!",
            },
        )
