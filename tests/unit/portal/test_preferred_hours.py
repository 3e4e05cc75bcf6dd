"""Contact hours a borrower chose on the portal narrow the pack's window, never widen it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from arrears.domain.compliance import load_pack
from arrears.domain.compliance.gate import decide
from arrears.domain.compliance.model import ContactIntent, Purpose, Verdict
from arrears.domain.types import BorrowerProfile, CaseStatus, Channel

PACK = load_pack("CN")  # 08:00-21:00 Asia/Shanghai
PROFILE = BorrowerProfile(
    account_id="acc-h",
    name="",
    phone="+8613900001234",
    email=None,
    locale="zh-CN",
    timezone="Asia/Shanghai",
    country="CN",
    verified_channels=frozenset({Channel.SMS}),
)


def _sms_at(hour_utc: int) -> ContactIntent:
    # Tuesday 3 Nov 2026: a working day in China
    at = datetime(2026, 11, 3, hour_utc, 30, tzinfo=UTC)
    return ContactIntent("acc-h#1", Channel.SMS, Purpose.COLLECTION, at, CaseStatus.OPEN)


def test_without_a_preference_the_pack_window_applies() -> None:
    assert decide(_sms_at(0), PROFILE, [], PACK).verdict is Verdict.ALLOW  # 08:30 local


def test_a_later_start_defers_to_the_borrower_s_first_hour() -> None:
    profile = replace(PROFILE, preferred_hours=(18, 20))
    decision = decide(_sms_at(0), profile, [], PACK)  # 08:30 local
    assert decision.verdict is Verdict.DEFER
    assert decision.not_before == datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # 18:00 local
    assert decide(_sms_at(10), profile, [], PACK).verdict is Verdict.ALLOW  # 18:30 local
    late = decide(_sms_at(12), profile, [], PACK)  # 20:30 local: after the borrower's end
    assert late.verdict is Verdict.DEFER


def test_hours_outside_the_legal_window_never_widen_it() -> None:
    profile = replace(PROFILE, preferred_hours=(6, 23))
    at = datetime(2026, 11, 2, 23, 30, tzinfo=UTC)  # 07:30 on the 3rd, local
    intent = ContactIntent("acc-h#1", Channel.SMS, Purpose.COLLECTION, at, CaseStatus.OPEN)
    early = decide(intent, profile, [], PACK)
    assert early.verdict is Verdict.DEFER
    assert early.not_before == datetime(2026, 11, 3, 0, 0, tzinfo=UTC)  # 08:00 local
