"""Rule 2: frequency. 12 CFR 1006.14(b)(2) for calls; per-pack caps for SMS and email.

Dates follow the CFPB commentary's own calendar (Monday 4 January 2021); borrower in New
York, so 10:00 local is 15:00 UTC.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from arrears.domain.compliance import Purpose, Reason, Verdict, decide
from arrears.domain.types import Channel
from compliance_builders import custom_pack, intent, pack, profile, sent, utc

NY = ZoneInfo("America/New_York")
CALL = Channel.CALL


def jan(day: int, hour: int = 10) -> object:
    """``hour`` o'clock New York time on 2021-01-``day``, as aware UTC."""
    from datetime import datetime

    return datetime(2021, 1, day, hour, tzinfo=NY).astimezone(ZoneInfo("UTC"))


def call(at, **kwargs):
    return intent(at, channel=CALL, **kwargs)


def test_seventh_call_within_seven_days_is_allowed():
    # given six calls about the debt from Monday 4 to Saturday 9 January
    history = [sent(jan(day), channel=CALL) for day in range(4, 10)]
    # when a seventh is wanted on Sunday 10 January
    decision = decide(call(jan(10)), profile(), history, pack("us"))
    # then it may be placed (more than seven is what 1006.14(b)(2)(i) forbids)
    assert decision.verdict is Verdict.ALLOW


def test_eighth_call_within_seven_consecutive_days_waits_for_the_window_to_move():
    # given seven calls: one a day from Monday 4 to Sunday 10 January
    history = [sent(jan(day), channel=CALL) for day in range(4, 11)]
    # when an eighth is wanted on Sunday 10 January
    decision = decide(call(jan(10, 15)), profile(), history, pack("us"))
    # then it is deferred to Monday 11 January, 08:00 local: the 7 days from the 5th hold 6
    assert (decision.verdict, decision.reason, decision.rule) == (
        Verdict.DEFER,
        Reason.CALL_FREQUENCY,
        "call_7_in_7",
    )
    assert decision.not_before == jan(11, 8)


def test_calls_bunched_on_one_day_count_for_the_seven_days_that_include_it():
    # given three calls on Monday 4 and one a day from Tuesday 5 to Friday 8 (seven calls)
    history = [sent(jan(4, hour), channel=CALL) for hour in (9, 12, 15)]
    history += [sent(jan(day), channel=CALL) for day in range(5, 9)]
    # when a call is wanted on Sunday 10 January (window 4-10 already holds seven)
    decision = decide(call(jan(10)), profile(), history, pack("us"))
    # then the earliest is Monday 11 January 08:00, when Monday 4's calls leave the window
    assert decision.not_before == jan(11, 8)


def test_no_call_within_seven_days_after_a_telephone_conversation():
    # given a call on Monday 4 January that reached the consumer
    history = [sent(jan(4), channel=CALL, conversation=True)]
    # when the collector wants to call again on Tuesday 5, or Sunday 10 at 20:00
    tuesday = decide(call(jan(5)), profile(), history, pack("us"))
    sunday = decide(call(jan(10, 20)), profile(), history, pack("us"))
    # then both wait: the conversation's date is day one, so Monday 11 is the first free day
    for decision in (tuesday, sunday):
        assert (decision.verdict, decision.reason) == (
            Verdict.DEFER,
            Reason.CONVERSATION_QUIET_PERIOD,
        )
        assert decision.not_before == jan(11, 8)
    assert decide(call(jan(11, 8)), profile(), history, pack("us")).verdict is Verdict.ALLOW


def test_a_conversation_the_consumer_started_starts_the_quiet_period_but_is_no_attempt():
    inbound = sent(jan(4), channel=CALL, conversation=True, attempt=False)
    assert decide(call(jan(6)), profile(), [inbound], pack("us")).verdict is Verdict.DEFER
    # and it does not count as one of the seven calls we placed
    history = [inbound] + [sent(jan(day), channel=CALL) for day in range(11, 17)]
    assert decide(call(jan(17)), profile(), history, pack("us")).verdict is Verdict.ALLOW


def test_limits_are_per_debt():
    # given seven calls about another debt, and a conversation about it
    other = [sent(jan(day), channel=CALL, case_id="acc-1#2") for day in range(4, 11)]
    other.append(sent(jan(9), channel=CALL, case_id="acc-1#2", conversation=True))
    # when calling about this debt, then neither limit applies
    assert decide(call(jan(10)), profile(), other, pack("us")).verdict is Verdict.ALLOW


def test_sms_daily_cap_defers_to_the_next_local_morning():
    history = [sent(jan(4, 9))]
    decision = decide(intent(jan(4, 18)), profile(), history, pack("us"))
    assert (decision.verdict, decision.reason, decision.rule) == (
        Verdict.DEFER,
        Reason.FREQUENCY_CAP,
        "sms_daily",
    )
    assert decision.not_before == jan(5, 8)


def test_sms_weekly_cap_defers_until_the_oldest_leaves_the_seven_days():
    # given SMS on Monday, Tuesday and Wednesday
    history = [sent(jan(day)) for day in (4, 5, 6)]
    # when a fourth is wanted on Thursday
    decision = decide(intent(jan(7)), profile(), history, pack("us"))
    # then it waits for Monday 11th: the seven days from Tuesday 5th hold two
    assert decision.rule == "sms_weekly"
    assert decision.not_before == jan(11, 8)


def test_caps_are_per_channel_and_per_account():
    history = [sent(jan(4, 9))]  # one SMS today
    assert decide(intent(jan(4, 18), channel=Channel.EMAIL), profile(), history, pack("us")).allowed
    strangers = [sent(jan(4, 9), account_id="acc-2")]
    assert decide(intent(jan(4, 18)), profile(), strangers, pack("us")).allowed


def test_receipts_are_not_held_back_by_collection_caps():
    history = [sent(jan(4, 9))]
    receipt = intent(jan(4, 18), purpose=Purpose.RECEIPT)
    assert decide(receipt, profile(), history, pack("us")).allowed


def test_a_sent_contact_later_than_the_asked_time_still_counts():
    # another execution already sent at 18:00; asking for 12:00 the same day
    history = [sent(jan(4, 18))]
    assert decide(intent(jan(4, 12)), profile(), history, pack("us")).verdict is Verdict.DEFER


def test_rolling_windows_free_a_slot_exactly_one_window_later():
    rolling = custom_pack(
        name="rolling",
        caps=[
            {
                "id": "sms_24h",
                "channels": ["sms"],
                "max": 1,
                "window_days": 1,
                "counting": "rolling",
            }
        ],
    )
    history = [sent(jan(4, 11))]
    decision = decide(intent(jan(5, 9)), profile(), history, rolling)
    assert decision.not_before == jan(5, 11)


def test_cap_in_several_zones_waits_for_the_last_zone_to_reach_the_next_day():
    # given a US borrower with no zone or phone (every US zone possible) and an SMS today
    borrower = profile(timezone=None)
    history = [sent(utc(2026, 11, 3, 20, 0))]
    decision = decide(intent(utc(2026, 11, 3, 22, 0)), borrower, history, pack("us"))
    # then the next SMS waits for a new day in every zone and for hours valid in every zone
    assert decision.verdict is Verdict.DEFER
    assert decision.not_before == utc(2026, 11, 4, 18, 0)  # 08:00 in Honolulu
