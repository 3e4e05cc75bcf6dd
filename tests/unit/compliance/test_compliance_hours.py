"""Rule 1: contact hours in the borrower's local time (12 CFR 1006.6(b)(1)(i), NIFA 2018)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from arrears.domain.compliance import Reason, Verdict, candidate_zones, decide
from compliance_builders import intent, pack, profile, utc


def local(dt, zone: str):
    return dt.astimezone(ZoneInfo(zone))


def test_reminder_planned_for_23_00_local_is_deferred_to_08_00_next_day():
    # given a Shanghai borrower and a reminder planned for 23:00 local time
    borrower = profile(timezone="Asia/Shanghai", country="CN", phone="+8613800000000")
    planned = utc(2026, 11, 3, 15, 0)  # 23:00 CST
    # when the gate is asked
    decision = decide(intent(planned), borrower, [], pack("cn"))
    # then it defers to 08:00 the next morning, local time
    assert decision.verdict is Verdict.DEFER
    assert decision.reason == Reason.OUTSIDE_CONTACT_HOURS
    assert local(decision.not_before, "Asia/Shanghai").isoformat() == "2026-11-04T08:00:00+08:00"
    assert decision.not_before.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("at_utc", "verdict"),
    [
        (utc(2026, 11, 3, 12, 59), Verdict.DEFER),  # 07:59 EST
        (utc(2026, 11, 3, 13, 0), Verdict.ALLOW),  # 08:00 EST: first allowed minute
        (utc(2026, 11, 4, 1, 59), Verdict.ALLOW),  # 20:59 EST
        (utc(2026, 11, 4, 2, 0), Verdict.DEFER),  # 21:00 EST: "after 9 p.m." starts here
    ],
)
def test_window_edges_are_8_inclusive_and_21_exclusive(at_utc, verdict):
    # given a New York borrower, when asked at the window's edges, then
    assert decide(intent(at_utc), profile(), [], pack("us")).verdict is verdict


def test_zone_from_phone_number_when_profile_has_none():
    # given no profile zone and a San Francisco number
    borrower = profile(timezone=None, phone="+14155550123")
    # when asked at 10:00 New York time (07:00 in San Francisco)
    decision = decide(intent(utc(2026, 11, 3, 15, 0)), borrower, [], pack("us"))
    # then the Pacific zone decides: deferred to 08:00 PST
    assert decision.verdict is Verdict.DEFER
    assert local(decision.not_before, "America/Los_Angeles").hour == 8


def test_zone_from_country_uses_only_hours_allowed_in_every_zone():
    # given a US borrower with neither a zone nor a phone: 29 possible zones
    borrower = profile(timezone=None, phone=None)
    assert len(candidate_zones(borrower, pack("us"))) > 5
    # when asked at 12:00 New York time (07:00 in Honolulu and Adak)
    decision = decide(intent(utc(2026, 11, 3, 17, 0)), borrower, [], pack("us"))
    # then deferred until 08:00 in the westernmost zones, 13:00 in New York
    assert decision.verdict is Verdict.DEFER
    assert local(decision.not_before, "Pacific/Honolulu").hour == 8
    assert local(decision.not_before, "America/New_York").hour == 13
    # and at 20:30 New York time it is 15:30 in Honolulu: allowed everywhere
    assert decide(intent(utc(2026, 11, 4, 1, 30)), borrower, [], pack("us")).verdict is (
        Verdict.ALLOW
    )


def test_unknown_profile_zone_falls_back_to_the_phone():
    borrower = profile(timezone="Mars/Olympus_Mons", phone="+8613800000000", country="CN")
    assert [z.key for z in candidate_zones(borrower, pack("cn"))] == ["Asia/Shanghai"]


def test_no_evidence_at_all_uses_the_pack_fallback_zone():
    borrower = profile(timezone=None, phone=None, country="ZZ")
    assert [z.key for z in candidate_zones(borrower, pack("us"))] == ["America/New_York"]


@pytest.mark.parametrize(
    ("zone", "at_utc", "expected_local"),
    [
        # UTC+05:30: 07:59 IST is 02:29 UTC
        ("Asia/Kolkata", utc(2026, 11, 3, 2, 29), "2026-11-03T08:00:00+05:30"),
        # UTC+10:30 in (southern) summer: 07:00 ACDT
        ("Australia/Adelaide", utc(2026, 11, 2, 20, 30), "2026-11-03T08:00:00+10:30"),
        # UTC-03:30 in winter (NST): 21:15 NST
        ("America/St_Johns", utc(2026, 12, 2, 0, 45), "2026-12-02T08:00:00-03:30"),
        # UTC+05:45
        ("Asia/Kathmandu", utc(2026, 11, 3, 2, 0), "2026-11-03T08:00:00+05:45"),
    ],
)
def test_half_hour_offsets(zone, at_utc, expected_local):
    decision = decide(intent(at_utc), profile(timezone=zone), [], pack("default"))
    assert decision.verdict is Verdict.DEFER
    assert local(decision.not_before, zone).isoformat() == expected_local


def test_spring_forward_night_defers_to_08_00_daylight_time():
    # given 22:00 EST on the eve of the 2026-03-08 change to EDT
    decision = decide(intent(utc(2026, 3, 8, 3, 0)), profile(), [], pack("us"))
    # then the next allowed instant is 08:00 EDT = 12:00 UTC (not 13:00)
    assert decision.not_before == utc(2026, 3, 8, 12, 0)


def test_fall_back_night_defers_to_08_00_standard_time():
    # given 22:00 EDT on the eve of the 2026-11-01 change to EST
    decision = decide(intent(utc(2026, 11, 1, 2, 0)), profile(), [], pack("us"))
    # then 08:00 EST = 13:00 UTC
    assert decision.not_before == utc(2026, 11, 1, 13, 0)


def test_gb_pack_skips_sundays_and_bank_holidays():
    borrower = profile(timezone="Europe/London", country="GB")
    gb = pack("gb")
    # Christmas Eve 2026 (Thursday) 21:30: Christmas (Fri), Boxing Day (Sat), Sunday and the
    # Boxing Day substitute (Mon 28th) are all closed
    decision = decide(intent(utc(2026, 12, 24, 21, 30)), borrower, [], gb)
    assert decision.verdict is Verdict.DEFER
    assert decision.not_before == utc(2026, 12, 29, 8, 0)
    # a plain Sunday afternoon is a rest day
    sunday = decide(intent(utc(2026, 11, 8, 14, 0)), borrower, [], gb)
    assert sunday.reason == Reason.REST_DAY
    assert sunday.not_before == utc(2026, 11, 9, 8, 0)


def test_cn_pack_skips_national_day_holidays():
    borrower = profile(timezone="Asia/Shanghai", country="CN")
    decision = decide(intent(utc(2026, 10, 1, 4, 0)), borrower, [], pack("cn"))
    assert decision.reason == Reason.PUBLIC_HOLIDAY
    # 1-3 and 5-7 October are holidays in the calendar; 4 October (Sunday) is not listed
    assert local(decision.not_before, "Asia/Shanghai").isoformat() == "2026-10-04T08:00:00+08:00"


def test_channel_outside_the_hours_rule_is_not_deferred():
    # given a pack whose hours apply to calls only
    from compliance_builders import custom_pack

    calls_only = custom_pack(
        name="calls_only", contact_hours={"start": "08:00", "end": "21:00", "channels": ["call"]}
    )
    decision = decide(intent(utc(2026, 11, 3, 6, 0)), profile(), [], calls_only)
    assert decision.verdict is Verdict.ALLOW
