"""Frequency caps and the post-conversation quiet period, over the ledger's sent entries.

A cap is checked for every window that would contain the new contact: ``max`` already
sent in any such window means no. ``local_days`` windows are calendar days in the
borrower's local time, checked in every candidate zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from arrears.domain.compliance.model import ContactIntent
from arrears.domain.compliance.pack import CompliancePack, ConversationQuietPeriod, FrequencyCap
from arrears.domain.types import ContactRecord


def _counted(
    cap: FrequencyCap, intent: ContactIntent, history: Iterable[ContactRecord]
) -> Iterator[datetime]:
    for record in history:
        if record.channel not in cap.channels:
            continue
        if cap.scope == "debt" and record.case_id != intent.case_id:
            continue
        if not record.attempt:  # e.g. a call the borrower made to us
            continue
        yield record.at.astimezone(UTC)


def cap_exceeded(
    cap: FrequencyCap,
    intent: ContactIntent,
    at: datetime,
    history: Sequence[ContactRecord],
    zones: Sequence[ZoneInfo],
) -> bool:
    times = list(_counted(cap, intent, history))
    if len(times) < cap.max:
        return False
    if cap.counting == "rolling":
        width = timedelta(days=cap.window_days)
        # windows [s, s + width) holding `at`; the fullest starts at a record or at `at`
        starts = [t for t in times if at - width < t <= at] + [at]
        return any(sum(1 for t in times if s <= t < s + width) >= cap.max for s in starts)
    for zone in zones:
        day = at.astimezone(zone).date()
        days = [t.astimezone(zone).date() for t in times]
        for first_offset in range(cap.window_days):
            first = day - timedelta(days=first_offset)
            last = first + timedelta(days=cap.window_days - 1)
            if sum(1 for d in days if first <= d <= last) >= cap.max:
                return True
    return False


def cap_boundaries(
    cap: FrequencyCap,
    intent: ContactIntent,
    history: Sequence[ContactRecord],
    zones: Sequence[ZoneInfo],
) -> set[datetime]:
    """Instants at which the cap's answer can change (a counted contact leaves a window)."""
    out: set[datetime] = set()
    width = timedelta(days=cap.window_days)
    for t in _counted(cap, intent, history):
        if cap.counting == "rolling":
            out.add(t + width)
            continue
        for zone in zones:
            # the record leaves every window once the local date reaches day + window_days
            day = t.astimezone(zone).date()
            out.add(_midnight_after(day, zone))
            out.add(_midnight_after(day + timedelta(days=cap.window_days - 1), zone))
    return out


def _midnight_after(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)


def _conversations(
    intent: ContactIntent, history: Iterable[ContactRecord], at: datetime | None = None
) -> Iterator[datetime]:
    """Conversations about this debt (up to ``at`` when given: only past ones count)."""
    for record in history:
        if record.conversation and record.case_id == intent.case_id:
            when = record.at.astimezone(UTC)
            if at is None or when <= at:
                yield when


def in_quiet_period(
    quiet: ConversationQuietPeriod,
    intent: ContactIntent,
    at: datetime,
    history: Sequence[ContactRecord],
    zones: Sequence[ZoneInfo],
) -> bool:
    """A call within ``quiet.days`` local days counted from a conversation (its date = day 1)."""
    for when in _conversations(intent, history, at):
        for zone in zones:
            elapsed = (at.astimezone(zone).date() - when.astimezone(zone).date()).days
            if elapsed < quiet.days:
                return True
    return False


def quiet_boundaries(
    quiet: ConversationQuietPeriod,
    intent: ContactIntent,
    history: Sequence[ContactRecord],
    zones: Sequence[ZoneInfo],
) -> set[datetime]:
    out = set()
    for when in _conversations(intent, history):
        for zone in zones:
            last_quiet_day = when.astimezone(zone).date() + timedelta(days=quiet.days - 1)
            out.add(_midnight_after(last_quiet_day, zone))
    return out


def applicable_caps(pack: CompliancePack, intent: ContactIntent) -> list[FrequencyCap]:
    return [
        cap
        for cap in pack.caps
        if intent.channel in cap.channels and intent.purpose in cap.purposes
    ]
