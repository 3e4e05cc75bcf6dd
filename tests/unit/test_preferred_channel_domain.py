"""The borrower's preferred channel in the pure domain: it chooses among the channels the
policy gives a stage, never adds one, and falls back to the policy's when it is blocked."""

from __future__ import annotations

import pytest
from arrears.domain.policy import StageStep, load_policy
from arrears.domain.preferred_channel import channel_plan, falls_back
from arrears.domain.types import Channel, Stage

SMS, EMAIL, CALL, LETTER = Channel.SMS, Channel.EMAIL, Channel.CALL, Channel.LETTER


def step(channels: tuple[Channel, ...], alternatives: tuple[Channel, ...] = ()) -> StageStep:
    return StageStep(
        stage=Stage.REMINDER,
        day=1,
        channels=channels,
        alternatives=alternatives,
        template="reminder",
    )


def test_no_preference_keeps_the_policys_channels() -> None:
    plan = channel_plan(step((SMS, EMAIL)), None)
    assert (plan.first, plan.fallback, plan.preferred) == ((SMS, EMAIL), (), None)


@pytest.mark.parametrize("preferred", [SMS, EMAIL])
def test_a_stage_on_several_channels_goes_on_the_preferred_one_first(
    preferred: Channel,
) -> None:
    plan = channel_plan(step((SMS, EMAIL)), preferred)
    other = EMAIL if preferred is SMS else SMS
    assert (plan.first, plan.fallback, plan.preferred) == ((preferred,), (other,), preferred)


def test_a_stage_that_may_go_either_way_goes_the_borrowers_way() -> None:
    plan = channel_plan(step((SMS,), alternatives=(EMAIL,)), EMAIL)
    assert (plan.first, plan.fallback) == ((EMAIL,), (SMS,))
    # its own channel preferred: nothing changes
    assert channel_plan(step((SMS,), alternatives=(EMAIL,)), SMS).first == (SMS,)


def test_a_channel_the_policy_does_not_give_the_stage_is_never_added() -> None:
    assert channel_plan(step((SMS,)), EMAIL).first == (SMS,)
    assert channel_plan(step((SMS, EMAIL)), CALL).first == (SMS, EMAIL)
    call = StageStep(stage=Stage.AGENT_CALL, day=14, channels=(CALL,), template="call_scheduled")
    assert channel_plan(call, EMAIL).first == (CALL,)
    letter = StageStep(
        stage=Stage.DEMAND_LETTER, day=30, channels=(LETTER,), letter="demand_letter"
    )
    assert channel_plan(letter, SMS).first == (LETTER,)


def test_only_a_block_or_a_failure_falls_back_a_deferral_waits_for_the_preferred() -> None:
    assert falls_back("blocked") and falls_back("failed")
    assert not falls_back("sent") and not falls_back("deferred")
    assert not falls_back("skipped")


@pytest.mark.parametrize(
    ("channels", "alternatives", "problem"),
    [
        ((SMS,), (SMS,), "already"),
        ((SMS,), (CALL,), "sms or email"),
        ((SMS,), (LETTER,), "sms or email"),
    ],
)
def test_the_policy_refuses_alternatives_that_make_no_sense(
    channels: tuple[Channel, ...], alternatives: tuple[Channel, ...], problem: str
) -> None:
    # a rung is checked when its policy's ladder is built
    with pytest.raises(ValueError, match=problem):
        step(channels, alternatives).check_on_ladder()


def test_the_shipped_follow_up_may_go_by_email_for_a_borrower_who_prefers_it() -> None:
    follow_up = load_policy().segment("standard").step(Stage.FOLLOW_UP)
    assert follow_up is not None
    assert follow_up.channels == (SMS,) and follow_up.alternatives == (EMAIL,)
