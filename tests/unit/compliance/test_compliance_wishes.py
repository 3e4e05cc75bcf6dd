"""Rules 3, 5, 6: borrower's wishes, no third-party disclosure, paid cases left alone."""

from __future__ import annotations

import pytest
from arrears.domain.compliance import Purpose, Reason, Verdict, decide
from arrears.domain.types import CaseStatus, Channel
from compliance_builders import intent, pack, profile, utc

IN_HOURS = utc(2026, 11, 3, 15, 0)  # 10:00 in New York


def verdict_of(borrower=None, **kwargs):
    return decide(intent(IN_HOURS, **kwargs), borrower or profile(), [], pack("us"))


def test_an_ordinary_collection_sms_in_hours_is_allowed():
    decision = verdict_of()
    assert (decision.verdict, decision.reason) == (Verdict.ALLOW, Reason.ALLOWED)


def test_opted_out_channel_is_blocked_other_channels_are_not():
    borrower = profile(opted_out=frozenset({Channel.SMS}))
    assert verdict_of(borrower).reason == Reason.CHANNEL_OPTED_OUT
    assert verdict_of(borrower).verdict is Verdict.BLOCK
    assert verdict_of(borrower, channel=Channel.EMAIL).verdict is Verdict.ALLOW


@pytest.mark.parametrize("purpose", [Purpose.COLLECTION, Purpose.RECEIPT])
def test_cease_communication_blocks_everything_but_required_notices(purpose):
    borrower = profile(cease=True)
    decision = verdict_of(borrower, purpose=purpose)
    assert (decision.verdict, decision.reason) == (Verdict.BLOCK, Reason.CEASE_COMMUNICATION)
    notice = verdict_of(borrower, purpose=Purpose.REQUIRED_NOTICE, channel=Channel.LETTER)
    assert notice.verdict is Verdict.ALLOW


@pytest.mark.parametrize(
    "kwargs", [{"disputed": True}, {"status": CaseStatus.DISPUTED}], ids=["flag", "status"]
)
def test_dispute_pauses_collection_but_not_notices_or_receipts(kwargs):
    assert verdict_of(**kwargs).reason == Reason.DISPUTE_PENDING
    assert verdict_of(purpose=Purpose.REQUIRED_NOTICE, **kwargs).verdict is Verdict.ALLOW
    assert verdict_of(purpose=Purpose.RECEIPT, **kwargs).verdict is Verdict.ALLOW


@pytest.mark.parametrize(
    ("flag", "reason"),
    [
        ("bankruptcy", Reason.BORROWER_BANKRUPT),
        ("deceased", Reason.BORROWER_DECEASED),
        ("legal_representative", Reason.LEGAL_REPRESENTATIVE),
    ],
)
@pytest.mark.parametrize("purpose", list(Purpose))
def test_blocking_flags_block_every_purpose(flag, reason, purpose):
    decision = verdict_of(profile(flags=frozenset({flag, "vip"})), purpose=purpose)
    assert (decision.verdict, decision.reason, decision.rule) == (Verdict.BLOCK, reason, flag)


def test_unrelated_flags_do_not_block():
    assert verdict_of(profile(flags=frozenset({"vip"}))).verdict is Verdict.ALLOW


def test_only_verified_channels_are_used():
    # given the borrower verified email only: an SMS could reach someone else's phone
    borrower = profile(verified=frozenset({Channel.EMAIL}))
    decision = verdict_of(borrower)
    assert (decision.verdict, decision.reason) == (Verdict.BLOCK, Reason.UNVERIFIED_CHANNEL)
    # even the receipt and required notices
    assert verdict_of(borrower, purpose=Purpose.RECEIPT).reason == Reason.UNVERIFIED_CHANNEL


@pytest.mark.parametrize("purpose", list(Purpose))
def test_a_wrong_number_gets_no_sms_or_call_even_if_still_marked_verified(purpose):
    # given an agent found the number reaches someone else, but a racing ingest wrote the
    # phone channels back as verified
    borrower = profile(flags=frozenset({"wrong_number"}))
    # then no SMS or call goes to that number, for any purpose; email is unaffected
    for channel in (Channel.SMS, Channel.CALL):
        decision = verdict_of(borrower, channel=channel, purpose=purpose)
        assert (decision.verdict, decision.reason, decision.rule) == (
            Verdict.BLOCK,
            Reason.UNVERIFIED_CHANNEL,
            "wrong_number",
        )
    assert verdict_of(borrower, channel=Channel.EMAIL, purpose=purpose).reason != (
        Reason.UNVERIFIED_CHANNEL
    )


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"status": CaseStatus.PAID}, Reason.CASE_PAID),
        ({"status": CaseStatus.PAYMENT_PENDING}, Reason.PAYMENT_PENDING),
        ({"payment_pending": True}, Reason.PAYMENT_PENDING),
        ({"status": CaseStatus.WRITTEN_OFF}, Reason.CASE_CLOSED),
        ({"status": CaseStatus.CLOSED}, Reason.CASE_CLOSED),
    ],
)
def test_paid_or_pending_cases_get_only_the_receipt(kwargs, reason):
    for purpose in (Purpose.COLLECTION, Purpose.REQUIRED_NOTICE):
        decision = verdict_of(purpose=purpose, **kwargs)
        assert (decision.verdict, decision.reason) == (Verdict.BLOCK, reason)
    assert verdict_of(purpose=Purpose.RECEIPT, **kwargs).verdict is Verdict.ALLOW


def test_paused_case_blocks_collection():
    assert verdict_of(status=CaseStatus.PAUSED).reason == Reason.CASE_PAUSED


def test_receipts_still_respect_contact_hours():
    night = utc(2026, 11, 3, 7, 0)  # 02:00 in New York
    decision = decide(intent(night, purpose=Purpose.RECEIPT), profile(), [], pack("us"))
    assert decision.verdict is Verdict.DEFER


def test_block_rules_win_over_defer_rules():
    # given an opted-out channel at night: the answer is a block, not "wait till morning"
    night = utc(2026, 11, 3, 7, 0)
    borrower = profile(opted_out=frozenset({Channel.SMS}))
    assert decide(intent(night), borrower, [], pack("us")).verdict is Verdict.BLOCK


def test_naive_times_are_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(intent(IN_HOURS.replace(tzinfo=None)), profile(), [], pack("us"))


def test_every_reason_code_is_a_stable_snake_case_string():
    for reason in Reason:
        assert reason.value == reason.value.lower()
        assert " " not in reason.value


def test_decision_serialises_to_plain_json_for_the_state_machine():
    night = utc(2026, 11, 3, 7, 0)
    payload = decide(intent(night), profile(), [], pack("us")).to_dict()
    assert payload == {
        "verdict": "defer",
        "reason": "outside_contact_hours",
        "not_before": "2026-11-03T13:00:00+00:00",
        "rule": None,
    }
