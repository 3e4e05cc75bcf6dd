"""Brute-force checks of a finished ledger, written independently of the gate's search.

They look at every sent entry and every window that holds it, instead of the gate's
boundary search, so a bug in one is unlikely to hide in the other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import timedelta
from zoneinfo import ZoneInfo

from arrears.adapters.ledger import CONVERSATION, RESERVED, SENT, LedgerEntry
from arrears.domain.compliance import CompliancePack, Purpose
from arrears.domain.compliance.hours import date_problem


def sent_entries(entries: Sequence[LedgerEntry]) -> list[LedgerEntry]:
    # a reserved contact holds its slot as a sent one does
    return [entry for entry in entries if entry.decision in (RESERVED, SENT)]


def hours_violations(
    entries: Sequence[LedgerEntry],
    zones: Sequence[ZoneInfo],
    pack: CompliancePack,
    country: str,
) -> list[str]:
    hours = pack.contact_hours
    out = []
    for entry in sent_entries(entries):
        if entry.channel not in hours.channels or entry.template == "conversation":
            continue
        for zone in zones:
            local = entry.at.astimezone(zone)
            if not hours.start <= local.time() < hours.end:
                out.append(f"{entry.entry_key} at {local.isoformat()} outside hours in {zone}")
            if date_problem(local.date(), hours, country):
                out.append(f"{entry.entry_key} on a closed day in {zone}")
    return out


def cap_violations(
    entries: Sequence[LedgerEntry],
    zones: Sequence[ZoneInfo],
    pack: CompliancePack,
    purpose_of: Callable[[LedgerEntry], Purpose] = lambda entry: Purpose.COLLECTION,
) -> list[str]:
    """Windows holding more sent contacts of a cap's purposes than the cap allows."""
    out = []
    sent = [e for e in sent_entries(entries) if e.attempt]
    for cap in pack.caps:
        counted = [e for e in sent if e.channel in cap.channels and purpose_of(e) in cap.purposes]
        groups: dict[str, list[LedgerEntry]] = {}
        for entry in counted:
            groups.setdefault(entry.case_id if cap.scope == "debt" else "*", []).append(entry)
        for group in groups.values():
            for anchor in group:
                if cap.counting == "rolling":
                    width = timedelta(days=cap.window_days)
                    inside = [e for e in group if anchor.at <= e.at < anchor.at + width]
                    if len(inside) > cap.max:
                        out.append(f"{cap.id}: {len(inside)} from {anchor.entry_key}")
                    continue
                for zone in zones:
                    first = anchor.at.astimezone(zone).date()
                    last = first + timedelta(days=cap.window_days - 1)
                    inside = [e for e in group if first <= e.at.astimezone(zone).date() <= last]
                    if len(inside) > cap.max:
                        out.append(f"{cap.id}: {len(inside)} from {first} in {zone}")
    return out


def quiet_period_violations(
    entries: Sequence[LedgerEntry],
    zones: Sequence[ZoneInfo],
    pack: CompliancePack,
    purpose_of: Callable[[LedgerEntry], Purpose] = lambda entry: Purpose.COLLECTION,
) -> list[str]:
    quiet = pack.conversation_quiet_period
    if quiet is None:
        return []
    out = []
    sent = sent_entries(entries)
    conversations = [
        e for e in entries if e.conversation and e.decision in (RESERVED, SENT, CONVERSATION)
    ]
    for call in sent:
        if call.channel not in quiet.channels or call.template == "conversation":
            continue
        if purpose_of(call) not in quiet.purposes:
            continue
        for talk in conversations:
            if talk.case_id != call.case_id or not talk.at < call.at or talk is call:
                continue
            for zone in zones:
                gap = (call.at.astimezone(zone).date() - talk.at.astimezone(zone).date()).days
                if gap < quiet.days:
                    out.append(f"{call.entry_key} {gap} days after a conversation")
    return out
