"""The shipped challenger policy and the demo experiment that runs it."""

from __future__ import annotations

from decimal import Decimal

import yaml
from arrears.domain.policy import (
    POLICIES_DIR,
    SEGMENTS,
    load_policy,
    policy_by_version,
    policy_for_account,
)
from arrears.domain.scoring import assign_arm
from arrears.domain.types import Channel, Stage

CHALLENGER_FILE = "challenger-gentle.yaml"
DEMO_FILE = "demo.yaml"


def _raw(name: str) -> dict[str, object]:
    return yaml.safe_load((POLICIES_DIR / name).read_text(encoding="utf-8"))


def test_challenger_file_validates_with_its_own_version():
    # given the shipped challenger file / when it is loaded (schema and template catalogue)
    challenger = load_policy(CHALLENGER_FILE)
    # then it is a complete policy with a version of its own, found again by that version
    assert set(challenger.segments) == set(SEGMENTS)
    assert challenger.version != load_policy().version
    assert policy_by_version(challenger.version) == challenger
    # and it never splits traffic itself
    assert challenger.experiment.challenger_share == Decimal(0)


def test_challenger_reminds_by_sms_only_and_calls_later_than_the_default():
    default, challenger = load_policy(), load_policy(CHALLENGER_FILE)
    for name in SEGMENTS:
        # given each segment's ladder on both policies
        mine, theirs = challenger.segment(name), default.segment(name)
        reminder = mine.step(Stage.REMINDER)
        call, default_call = mine.step(Stage.AGENT_CALL), theirs.step(Stage.AGENT_CALL)
        # then the first reminder goes by SMS alone and the agent call comes later
        assert reminder is not None and reminder.channels == (Channel.SMS,)
        assert call is not None and default_call is not None
        assert call.day > default_call.day
        # and every ladder still ends in a human legal review
        assert mine.ladder[-1].stage is Stage.LEGAL_REVIEW


def test_challenger_differs_from_the_default_only_in_its_ladders():
    # given both files as plain data
    default, challenger = _raw("default.yaml"), _raw(CHALLENGER_FILE)
    # then grace, holds, notices, plans... are the default's, so the arms differ in treatment only
    ignored = {"version", "description", "segments", "experiment"}
    assert {k: v for k, v in challenger.items() if k not in ignored} == {
        k: v for k, v in default.items() if k not in ignored
    }


def test_demo_policy_is_the_default_plus_a_thirty_percent_challenger():
    # given the demo file and the default file as plain data
    demo, default = _raw(DEMO_FILE), _raw("default.yaml")
    # then outside version and experiment they are the same policy
    ignored = {"version", "experiment"}
    assert {k: v for k, v in demo.items() if k not in ignored} == {
        k: v for k, v in default.items() if k not in ignored
    }
    experiment = load_policy(DEMO_FILE).experiment
    assert experiment.challenger_share == Decimal("0.3")
    assert experiment.challenger_policy == CHALLENGER_FILE


def test_demo_experiment_sends_hashed_accounts_to_the_challenger_file():
    # given accounts on the demo policy
    experiment = load_policy(DEMO_FILE).experiment
    accounts = [f"acc-{n}" for n in range(400)]
    # when each gets its policy
    chosen = {account: policy_for_account(account, DEMO_FILE) for account in accounts}
    # then the arm is the hash's, the challenger arm runs the challenger file, and the split
    # is near the configured share
    challenger_version = load_policy(CHALLENGER_FILE).version
    for account, (policy, arm) in chosen.items():
        assert arm == assign_arm(account, experiment.challenger_share, experiment.name).value
        assert (policy.version == challenger_version) == (arm == "challenger")
    share = sum(arm == "challenger" for _, arm in chosen.values()) / len(accounts)
    assert 0.22 < share < 0.38
