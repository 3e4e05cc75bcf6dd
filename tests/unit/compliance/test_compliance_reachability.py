"""A hard email bounce or a permanent SMS failure stops that channel, and only that one."""

from __future__ import annotations

from dataclasses import replace

import pytest
from arrears.domain.case import BorrowerRecord
from arrears.domain.compliance import Purpose, Reason, Verdict, decide
from arrears.domain.types import Channel
from compliance_builders import intent, pack, profile, utc

IN_HOURS = utc(2026, 11, 3, 15, 0)  # 10:00 in New York


@pytest.mark.parametrize("purpose", list(Purpose))
@pytest.mark.parametrize(
    ("unreachable", "channel"),
    [({"email_bounced": True}, Channel.EMAIL), ({"sms_failed": True}, Channel.SMS)],
)
def test_an_unreachable_channel_is_blocked_for_every_purpose(unreachable, channel, purpose):
    # given a borrower whose email hard-bounced (or whose number permanently failed)
    borrower = replace(profile(), **unreachable)
    # when any contact on that channel asks the gate
    decision = decide(intent(IN_HOURS, channel=channel, purpose=purpose), borrower, [], pack("us"))
    # then it is blocked with a reason of its own
    assert (decision.verdict, decision.reason) == (Verdict.BLOCK, Reason.CHANNEL_UNREACHABLE)


def test_the_other_channels_stay_open():
    # given an email that bounced
    borrower = replace(profile(), email_bounced=True)
    # when SMS and a call ask the gate, then both are allowed
    for channel in (Channel.SMS, Channel.CALL):
        assert decide(intent(IN_HOURS, channel=channel), borrower, [], pack("us")).allowed
    # and a failed SMS number does not stop calls (the number may be a landline)
    no_sms = replace(profile(), sms_failed=True)
    assert decide(intent(IN_HOURS, channel=Channel.CALL), no_sms, [], pack("us")).allowed


def test_the_borrower_record_passes_reachability_to_the_gate():
    # given a Borrowers item marked by the delivery handler
    record = BorrowerRecord(account_id="acc-1", email_bounced=True, sms_failed=True)
    # when the steps build the gate's profile from it
    built = record.profile()
    # then both marks arrive
    assert (built.email_bounced, built.sms_failed) == (True, True)
