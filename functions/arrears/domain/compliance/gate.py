"""decide(): the one answer every outbound contact waits for.

Order matters only for which reason is reported; every BLOCK rule is checked before any
DEFER rule, so a deferred contact is one that will be allowed later, unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, time

from arrears.domain.compliance.frequency import (
    applicable_caps,
    cap_boundaries,
    cap_exceeded,
    in_quiet_period,
    quiet_boundaries,
)
from arrears.domain.compliance.hours import hours_problem, next_allowed
from arrears.domain.compliance.model import (
    ALLOW,
    ContactIntent,
    Decision,
    Purpose,
    Reason,
    Verdict,
)
from arrears.domain.compliance.pack import BlockingFlag, CompliancePack
from arrears.domain.compliance.zones import candidate_zones
from arrears.domain.types import (
    PHONE_CHANNELS,
    WRONG_NUMBER_FLAG,
    BorrowerProfile,
    CaseStatus,
    Channel,
    ContactRecord,
)


def _block(reason: Reason, rule: str | None = None) -> Decision:
    return Decision(Verdict.BLOCK, reason, rule=rule)


def blocking_reason(
    intent: ContactIntent, profile: BorrowerProfile, pack: CompliancePack
) -> Decision | None:
    """The rules whose answer does not change with time: who, how, and the case's state."""
    channel, purpose = intent.channel, intent.purpose
    if channel not in profile.verified_channels:
        return _block(Reason.UNVERIFIED_CHANNEL)
    if channel in PHONE_CHANNELS and WRONG_NUMBER_FLAG in profile.flags:
        # the flag, not only verified_channels: an ingest that read the borrower before the
        # agent's outcome may still write SMS and call back as verified
        return _block(Reason.UNVERIFIED_CHANNEL, rule=WRONG_NUMBER_FLAG)
    if channel not in pack.channels:
        return _block(Reason.CHANNEL_NOT_PERMITTED)
    for flag in sorted(pack.blocking_flags):
        if flag.value in profile.flags:
            return _block(BlockingFlag(flag).reason, rule=flag.value)
    status = intent.case_status
    if purpose is not Purpose.RECEIPT:
        if status is CaseStatus.PAID:
            return _block(Reason.CASE_PAID)
        if intent.payment_pending or status is CaseStatus.PAYMENT_PENDING:
            return _block(Reason.PAYMENT_PENDING)
        if status.is_terminal:
            return _block(Reason.CASE_CLOSED)
    if profile.cease_communication and purpose is not Purpose.REQUIRED_NOTICE:
        return _block(Reason.CEASE_COMMUNICATION)
    if channel in profile.opted_out:
        return _block(Reason.CHANNEL_OPTED_OUT)
    if _unreachable(channel, profile):
        return _block(Reason.CHANNEL_UNREACHABLE)
    if purpose is Purpose.COLLECTION:
        disputed = intent.disputed or status is CaseStatus.DISPUTED
        if disputed and pack.dispute_pauses_collection:
            return _block(Reason.DISPUTE_PENDING)
        if status is CaseStatus.PAUSED:
            return _block(Reason.CASE_PAUSED)
    return None


def _unreachable(channel: Channel, profile: BorrowerProfile) -> bool:
    """A hard bounce / permanent SMS failure stops that channel (every purpose: a receipt
    to a dead address reaches nobody either). A failed SMS says nothing about calls."""
    if channel is Channel.EMAIL:
        return profile.email_bounced
    if channel is Channel.SMS:
        return profile.sms_failed
    return False


def with_preferred_hours(pack: CompliancePack, profile: BorrowerProfile) -> CompliancePack:
    """The pack with its contact window narrowed to the borrower's own hours (portal), when
    they lie inside it; the legal window is never widened."""
    if profile.preferred_hours is None:
        return pack
    hours = pack.contact_hours
    first, last = profile.preferred_hours
    start = max(hours.start, time(first))
    end = hours.end if last >= 24 else min(hours.end, time(last))
    if start >= end:
        return pack
    return replace(pack, contact_hours=replace(hours, start=start, end=end))


def _timing_problem(
    intent: ContactIntent,
    at: datetime,
    profile: BorrowerProfile,
    history: Sequence[ContactRecord],
    pack: CompliancePack,
    zones: Sequence,
) -> tuple[Reason, str | None] | None:
    hours = pack.contact_hours
    if intent.channel in hours.channels and (
        problem := hours_problem(at, zones, hours, profile.country)
    ):
        return problem, None
    quiet = pack.conversation_quiet_period
    if (
        quiet
        and intent.channel in quiet.channels
        and intent.purpose in quiet.purposes
        and in_quiet_period(quiet, intent, at, history, zones)
    ):
        return Reason.CONVERSATION_QUIET_PERIOD, None
    for cap in applicable_caps(pack, intent):
        if cap_exceeded(cap, intent, at, history, zones):
            return Reason(cap.reason), cap.id
    return None


def decide(
    intent: ContactIntent,
    profile: BorrowerProfile,
    history: Sequence[ContactRecord],
    pack: CompliancePack,
) -> Decision:
    """ALLOW now, DEFER until ``not_before`` (aware UTC), or BLOCK, with a stable reason.

    ``history`` is the borrower's ledger of contacts that really happened (sent entries),
    at least ``pack.max_lookback_days`` back; entries of other accounts are ignored.
    """
    if intent.at.tzinfo is None:
        raise ValueError("ContactIntent.at must be timezone-aware")
    pack = with_preferred_hours(pack, profile)
    if blocked := blocking_reason(intent, profile, pack):
        return blocked
    history = [record for record in history if record.account_id == profile.account_id]
    zones = candidate_zones(profile, pack)
    at = intent.at.astimezone(UTC)
    problem = _timing_problem(intent, at, profile, history, pack, zones)
    if problem is None:
        return ALLOW
    reason, rule = problem
    not_before = _earliest_allowed(intent, at, profile, history, pack, zones)
    if not_before is None:
        return _block(Reason.NO_ALLOWED_TIME)
    return Decision(Verdict.DEFER, reason, not_before=not_before, rule=rule)


def _earliest_allowed(
    intent: ContactIntent,
    at: datetime,
    profile: BorrowerProfile,
    history: Sequence[ContactRecord],
    pack: CompliancePack,
    zones: Sequence,
) -> datetime | None:
    """First instant >= at with no timing problem.

    Caps and quiet periods only change at a few instants (a contact leaving a window);
    between two such instants the earliest allowed time is the next open contact hour
    after the earlier one. So try each boundary in order.
    """
    hours = pack.contact_hours
    boundaries: set[datetime] = set()
    for cap in applicable_caps(pack, intent):
        boundaries |= cap_boundaries(cap, intent, history, zones)
    quiet = pack.conversation_quiet_period
    if quiet and intent.channel in quiet.channels and intent.purpose in quiet.purposes:
        boundaries |= quiet_boundaries(quiet, intent, history, zones)
    checked_up_to: datetime | None = None
    for start in [at, *sorted(b for b in boundaries if b > at)]:
        if checked_up_to is not None and start <= checked_up_to:
            continue  # next open hour from here is the instant already rejected
        if intent.channel in hours.channels:
            candidate = next_allowed(start, zones, hours, profile.country)
            if candidate is None:
                return None
        else:
            candidate = start
        if _timing_problem(intent, candidate, profile, history, pack, zones) is None:
            return candidate
        checked_up_to = candidate
    return None
