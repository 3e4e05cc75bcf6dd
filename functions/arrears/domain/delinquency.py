"""Days past due and delinquency buckets (docs/integrations.md, "Delinquency buckets").

Pure. A case's days past due (DPD) count from the earliest due date among its open
obligations; its bucket is the policy's band that holds that count (default 1-30, 31-60,
61-90, 91-180, 180+). A bucket changes as time passes (the daily sweep: ``next_change``
says when the case must be looked at again) and when a payment moves the due date or
settles the case ("current"). Moving to a later bucket is a roll, to an earlier one (or to
current) a cure.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Annotated

from arrears.domain.case import CaseRecord, TimelineEntry
from arrears.domain.credit_line import CreditLinePolicy
from arrears.domain.datafile import Ge, MaxLen, MinLen, Pattern, Strict
from arrears.domain.types import CaseStatus

CURRENT = "current"
# the sweep's index is sharded so no one partition key carries every open case
SHARDS = 16


@dataclass(frozen=True, kw_only=True)
class Bucket(Strict):
    label: Annotated[str, MinLen(1), MaxLen(20), Pattern(r"^[0-9a-z+_-]+$")]
    from_days: Annotated[int, Ge(1)]
    to_days: Annotated[int, Ge(1)] | None = None  # None: no upper end


@dataclass(frozen=True, kw_only=True)
class DelinquencyPolicy(Strict):
    """``delinquency`` in the policy file: the buckets, in order, from DPD 1, no gap."""

    buckets: tuple[Bucket, ...] = (
        Bucket(label="1-30", from_days=1, to_days=30),
        Bucket(label="31-60", from_days=31, to_days=60),
        Bucket(label="61-90", from_days=61, to_days=90),
        Bucket(label="91-180", from_days=91, to_days=180),
        Bucket(label="180+", from_days=181),
    )

    def __post_init__(self) -> None:
        expected = 1
        for index, bucket in enumerate(self.buckets):
            if bucket.from_days != expected:
                raise ValueError(f"bucket {bucket.label} must start at day {expected}")
            last = index == len(self.buckets) - 1
            if bucket.to_days is None:
                if not last:
                    raise ValueError(f"only the last bucket may be open-ended ({bucket.label})")
                break
            if bucket.to_days < bucket.from_days:
                raise ValueError(f"bucket {bucket.label} ends before it starts")
            expected = bucket.to_days + 1
        else:
            raise ValueError("the last bucket must be open-ended (no to_days)")
        if not self.buckets:
            raise ValueError("at least one bucket")

    def order(self, label: str | None) -> int:
        """0 for current (or none), then 1, 2... in bucket order."""
        for index, bucket in enumerate(self.buckets, 1):
            if bucket.label == label:
                return index
        return 0


@dataclass(frozen=True)
class Standing:
    """Where a case stands on one day: DPD, bucket, and when to look again."""

    days_past_due: int
    bucket: str
    next_change: date | None


def days_past_due(due_date: date | None, today: date) -> int:
    if due_date is None:
        return 0
    return max((today - due_date).days, 0)


def standing(
    case: CaseRecord, today: date, policy: DelinquencyPolicy, also_at: tuple[int, ...] = ()
) -> Standing:
    """The case's DPD and bucket today. A paid or resolved case is current; any other
    closed case keeps the bucket it closed in and is not looked at again."""
    if case.status in (CaseStatus.PAID, CaseStatus.RESOLVED):
        return Standing(0, CURRENT, None)
    dpd = days_past_due(case.due_date, today)
    label, next_change = CURRENT, None
    for bucket in policy.buckets:
        if dpd < bucket.from_days:
            next_change = _day(case.due_date, bucket.from_days)
            break
        if bucket.to_days is None or dpd <= bucket.to_days:
            label = bucket.label
            if bucket.to_days is not None:
                next_change = _day(case.due_date, bucket.to_days + 1)
            break
    if case.status.is_terminal:
        return Standing(dpd, case.dpd_bucket or label, None)
    # other days the case must be looked at again (credit line thresholds)
    for day in sorted(also_at):
        at = _day(case.due_date, day)
        if day > dpd and at is not None and (next_change is None or at < next_change):
            next_change = at
            break
    return Standing(dpd, label, next_change)


def _day(due_date: date | None, days: int) -> date | None:
    return None if due_date is None else due_date + timedelta(days=days)


def direction(before: str | None, after: str, policy: DelinquencyPolicy) -> str:
    return "roll" if policy.order(after) > policy.order(before) else "cure"


def change_entry(
    before: CaseRecord | None, after: CaseRecord, now: datetime, policy: DelinquencyPolicy
) -> TimelineEntry | None:
    """The audit line of a bucket change (the case's bucket history), or None."""
    old = before.dpd_bucket if before is not None else None
    if before is None or after.dpd_bucket is None or after.dpd_bucket == old:
        return None
    return TimelineEntry(
        case_id=after.case_id,
        at=now,
        kind="delinquency_bucket_changed",
        actor="system:delinquency",
        detail={
            "from_bucket": old,
            "to_bucket": after.dpd_bucket,
            "days_past_due": days_past_due(after.due_date, now.date())
            if after.dpd_bucket != CURRENT
            else 0,
            "direction": direction(old, after.dpd_bucket, policy),
        },
    )


def shard_of(case_id: str) -> str:
    """The sweep index's partition key for a case (stable, spread over SHARDS)."""
    return str(zlib.crc32(case_id.encode()) % SHARDS)


def fields_for(
    case: CaseRecord, today: date, policy: DelinquencyPolicy, also_at: tuple[int, ...] = ()
) -> dict[str, str | None]:
    """The case attributes that carry its standing: the bucket, its DPD when it was set,
    and the sparse sweep keys (absent once nothing will change by itself)."""
    now = standing(case, today, policy, also_at)
    return {
        "dpd_bucket": now.bucket,
        "dpd_shard": shard_of(case.case_id) if now.next_change else None,
        "dpd_next_at": now.next_change.isoformat() if now.next_change else None,
    }


def with_standing(
    case: CaseRecord, today: date, policy: DelinquencyPolicy, also_at: tuple[int, ...] = ()
) -> CaseRecord:
    """The case with its bucket and sweep keys as of ``today``."""
    fields = fields_for(case, today, policy, also_at)
    return replace(
        case,
        dpd_bucket=fields["dpd_bucket"],
        dpd_shard=fields["dpd_shard"],
        dpd_next_at=fields["dpd_next_at"],
    )


def advance(
    before: CaseRecord | None,
    case: CaseRecord,
    now: datetime,
    policy: DelinquencyPolicy,
    credit: CreditLinePolicy,
) -> tuple[CaseRecord, list[TimelineEntry]]:
    """The case as of ``now``: its bucket, its sweep keys (the next bucket boundary or
    credit line threshold), the credit line state to request, and the audit lines of what
    changed since ``before`` (the write's outbound events are derived from them)."""
    from arrears.domain import credit_line

    after = with_standing(case, now.date(), policy, credit.thresholds())
    dpd = days_past_due(after.due_date, now.date())
    after = replace(after, credit_line=credit_line.target(after, dpd, credit))
    entries = [
        entry
        for entry in (
            change_entry(before, after, now, policy),
            credit_line.change_entry(before, after, dpd, now, credit)
            if before is not None
            else None,
        )
        if entry is not None
    ]
    return after, entries
