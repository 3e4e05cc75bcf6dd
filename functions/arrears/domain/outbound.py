"""Outbound events: what the lender's other systems hear about a case (docs/integrations.md).

Pure. ``derive`` compares a case before and after one write and names the facts that write
records (a case opened, its stage changed, a promise made or broken, a plan agreed or
broken, a litigation referral, a closure). The writer numbers them from the case's
``out_seq`` and stores them as outbox items in the same transaction as the case change,
conditioned on ``out_seq`` being what it read: a retried or concurrent write that lost
decides again from the fresh case, which already shows the change, so a fact is numbered
and stored exactly once. The publisher puts each stored item on the bus (steps/publish.py).

Details carry ids, amounts as decimal strings, the reason and the policy version: never a
name, phone number, e-mail address, postal address or message text (tested).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from arrears.domain.case import CaseRecord, TimelineEntry, iso_utc
from arrears.domain.types import CaseStatus, Stage

SOURCE = "arrears"
SCHEMA_VERSION = "1"

CASE_OPENED = "CaseOpened"
CASE_STAGE_CHANGED = "CaseStageChanged"
DELINQUENCY_BUCKET_CHANGED = "DelinquencyBucketChanged"
PROMISE_MADE = "PromiseMade"
PROMISE_BROKEN = "PromiseBroken"
PLAN_AGREED = "PlanAgreed"
PLAN_BROKEN = "PlanBroken"
CREDIT_LINE_ACTION_REQUESTED = "CreditLineActionRequested"
CREDIT_BUREAU_REPORT_DUE = "CreditBureauReportDue"
CASE_PLACED_WITH_AGENCY = "CasePlacedWithAgency"
CASE_RECALLED_FROM_AGENCY = "CaseRecalledFromAgency"
LITIGATION_REFERRED = "LitigationReferred"
CASE_CLOSED = "CaseClosed"

# the whole catalogue, in the order docs/integrations.md lists it
CATALOGUE: tuple[str, ...] = (
    CASE_OPENED,
    CASE_STAGE_CHANGED,
    DELINQUENCY_BUCKET_CHANGED,
    PROMISE_MADE,
    PROMISE_BROKEN,
    PLAN_AGREED,
    PLAN_BROKEN,
    CREDIT_LINE_ACTION_REQUESTED,
    CREDIT_BUREAU_REPORT_DUE,
    CASE_PLACED_WITH_AGENCY,
    CASE_RECALLED_FROM_AGENCY,
    LITIGATION_REFERRED,
    CASE_CLOSED,
)

# detail keys an outbound event may never carry, at any depth (contact data, message text)
FORBIDDEN_KEYS = frozenset(
    {"name", "phone", "email", "address", "text", "body", "message", "borrower", "locale"}
)


@dataclass(frozen=True)
class Fact:
    """One outbound event before it is numbered: its type and what it says."""

    type: str
    reason: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OutboundEvent:
    """One numbered outbound event, as stored in the outbox and put on the bus."""

    case_id: str
    sequence: int
    type: str
    occurred_at: datetime
    detail: Mapping[str, Any]

    @property
    def event_id(self) -> str:
        return event_id(self.case_id, self.sequence)

    def detail_json(self) -> str:
        return json.dumps(self.detail, sort_keys=True, separators=(",", ":"))


def event_id(case_id: str, sequence: int) -> str:
    """Stable id of one fact: the same on every publication (consumers dedupe on it)."""
    return f"{case_id}/{sequence}"


# ----------------------------------------------------------------------------- deriving


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _was(before: CaseRecord, status: CaseStatus) -> bool:
    """The case was in ``status``, counting a payment pending from it (PROMISED ->
    PAYMENT_PENDING -> PROMISED when the payment fails is one promise, not two)."""
    return before.status is status or (
        before.status is CaseStatus.PAYMENT_PENDING and before.resume_status is status
    )


def _entry(entries: Sequence[TimelineEntry], kind: str) -> TimelineEntry | None:
    for entry in entries:
        if entry.kind == kind:
            return entry
    return None


def derive(
    before: CaseRecord | None,
    after: CaseRecord,
    timeline: Sequence[TimelineEntry] = (),
    extra: Mapping[str, Any] | None = None,
) -> list[Fact]:
    """The facts one write records: ``before`` is the case as the writer read it (None: it
    creates the case), ``after`` the case as it writes it, ``timeline`` the audit lines of
    the same write, ``extra`` facts the write stores outside the case record (an ops
    action's promise date and amount)."""
    extra = extra or {}
    facts: list[Fact] = []
    after = replace(after, status=CaseStatus(after.status), stage=Stage(after.stage))
    if before is not None:
        before = replace(before, status=CaseStatus(before.status), stage=Stage(before.stage))
    if before is None:
        facts.append(
            Fact(
                CASE_OPENED,
                "due_soon" if after.stage is Stage.PRE_DUE else "payment_overdue",
                {
                    "status": after.status.value,
                    "stage": after.stage.value,
                    "due_date": after.due_date.isoformat() if after.due_date else None,
                    "obligations": sorted(after.obligations),
                    "opened_at": iso_utc(after.opened_at),
                    "trigger": after.last_payment_status,
                    "bucket": after.dpd_bucket,
                },
            )
        )
        return facts
    if after.stage is not before.stage and after.stage not in (Stage.CLOSED, Stage.ASSESS):
        entered = _entry(timeline, "stage_entered")
        reason = str(entered.detail.get("outcome") or "stage_due") if entered else "stage_due"
        facts.append(
            Fact(
                CASE_STAGE_CHANGED,
                reason,
                {"from_stage": before.stage.value, "to_stage": after.stage.value},
            )
        )
    if after.dpd_bucket is not None and after.dpd_bucket != before.dpd_bucket:
        changed = _entry(timeline, "delinquency_bucket_changed")
        detail = changed.detail if changed else {}
        facts.append(
            Fact(
                DELINQUENCY_BUCKET_CHANGED,
                str(detail.get("direction") or "roll"),
                {
                    "from_bucket": before.dpd_bucket,
                    "to_bucket": after.dpd_bucket,
                    "days_past_due": detail.get("days_past_due"),
                },
            )
        )
    if after.credit_line is not None and after.credit_line != before.credit_line:
        requested = _entry(timeline, "credit_line_action_requested")
        detail = dict(requested.detail) if requested else {}
        action = str(detail.pop("action", "") or after.credit_line)
        facts.append(
            Fact(
                CREDIT_LINE_ACTION_REQUESTED,
                "cured" if action == "restore" else "days_past_due_reached",
                {"action": action, "bucket": after.dpd_bucket, **detail},
            )
        )
    if after.agency and after.agency != before.agency:
        facts.append(
            Fact(
                CASE_PLACED_WITH_AGENCY,
                str(extra.get("reason") or "placed"),
                {
                    "agency": after.agency,
                    "case_file": _s3_location(after.agency_file, extra.get("bucket")),
                    "status_before": before.status.value,
                    "stage_before": before.stage.value,
                },
            )
        )
    if before.agency and not after.agency:
        facts.append(
            Fact(
                CASE_RECALLED_FROM_AGENCY,
                str(extra.get("reason") or "recalled"),
                {"agency": before.agency},
            )
        )
    status, was = after.status, before.status
    if status is not was:
        if status is CaseStatus.PROMISED and not _was(before, CaseStatus.PROMISED):
            facts.append(
                Fact(
                    PROMISE_MADE,
                    str(extra.get("reason") or "promise_to_pay"),
                    {
                        "promise_date": extra.get("promise_date"),
                        "promise_amount": extra.get("promise_amount"),
                    },
                )
            )
        if status is CaseStatus.ON_PLAN and not _was(before, CaseStatus.ON_PLAN):
            accepted = _entry(timeline, "plan_accepted")
            plan_id = accepted.detail.get("plan_id") if accepted else extra.get("plan_id")
            facts.append(Fact(PLAN_AGREED, "plan_accepted", {"plan_id": plan_id}))
        if status is CaseStatus.OPEN and _was(before, CaseStatus.PROMISED):
            facts.append(Fact(PROMISE_BROKEN, "promised_payment_not_received"))
        if status is CaseStatus.OPEN and _was(before, CaseStatus.ON_PLAN):
            broken = _entry(timeline, "plan_broken")
            facts.append(
                Fact(
                    PLAN_BROKEN,
                    str(broken.detail.get("reason") or "installment_missed")
                    if broken
                    else "installment_missed",
                )
            )
        if status is CaseStatus.LITIGATION:
            referred = _entry(timeline, "litigation_referred")
            said = referred.detail if referred else {}
            approver = said.get("approver") or extra.get("approver")
            litigation_file = None
            if said.get("file_key"):
                litigation_file = {
                    "bucket": said.get("file_bucket"),
                    "key": said.get("file_key"),
                    "sha256": said.get("file_sha256"),
                }
            facts.append(
                Fact(
                    LITIGATION_REFERRED,
                    "litigation_approved",
                    {"approver": approver, "litigation_file": litigation_file},
                )
            )
        if status.is_terminal and not was.is_terminal:
            facts.append(
                Fact(
                    CASE_CLOSED,
                    after.outcome or status.value.lower(),
                    {
                        "outcome": after.outcome,
                        "closed_at": iso_utc(after.closed_at) if after.closed_at else None,
                        "last_stage": before.stage.value,
                    },
                )
            )
    return facts


def _s3_location(key: str | None, bucket: Any) -> dict[str, str] | None:
    if not key:
        return None
    location = {"key": key}
    if bucket:
        location["bucket"] = str(bucket)
    return location


def after_sets(
    before: CaseRecord, sets: Mapping[str, str], at: datetime, removed: Sequence[str] = ()
) -> CaseRecord:
    """The case as an attribute write (an ops action's ``set``) leaves it, for ``derive``."""
    from arrears.domain.case import parse_iso_utc

    changes: dict[str, Any] = {}
    if "status" in sets:
        changes["status"] = CaseStatus(sets["status"])
    if "stage" in sets:
        changes["stage"] = Stage(sets["stage"])
    if "outcome" in sets:
        changes["outcome"] = sets["outcome"]
    for name in ("agency", "agency_file"):
        if name in sets:
            changes[name] = sets[name]
        elif name in removed:
            changes[name] = None
    if "closed_at" in sets:
        changes["closed_at"] = parse_iso_utc(sets["closed_at"])
    elif changes.get("status", before.status).is_terminal and not before.status.is_terminal:
        changes["closed_at"] = at
    return replace(before, **changes)


def number(
    after: CaseRecord, facts: Sequence[Fact], first: int, at: datetime
) -> tuple[OutboundEvent, ...]:
    """Give ``facts`` the sequence numbers ``first``, ``first + 1``... and their common
    fields (ids, status, balance as a decimal string, policy version)."""
    events = []
    for offset, fact in enumerate(facts):
        sequence = first + offset
        detail: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "event_id": event_id(after.case_id, sequence),
            "case_id": after.case_id,
            "account_id": after.account_id,
            "cycle": after.cycle,
            "sequence": sequence,
            "occurred_at": iso_utc(at),
            "status": after.status.value,
            "stage": after.stage.value,
            "balance": _decimal(after.balance),
            "currency": after.currency,
            "reason": fact.reason,
            "policy_version": after.policy_version,
        }
        for key, value in fact.detail.items():
            detail[key] = value
        clean = {k: v for k, v in detail.items() if v is not None}
        events.append(OutboundEvent(after.case_id, sequence, fact.type, at, clean))
    return tuple(events)


def carries_contact_data(detail: Any) -> bool:
    """True if any key at any depth is one an outbound event must never carry."""
    if isinstance(detail, Mapping):
        return any(
            str(key) in FORBIDDEN_KEYS or carries_contact_data(value)
            for key, value in detail.items()
        )
    if isinstance(detail, (list, tuple)):
        return any(carries_contact_data(value) for value in detail)
    return False


def entry_for_bus(
    event: OutboundEvent, bus_name: str, *, republished: bool = False
) -> dict[str, Any]:
    """The PutEvents entry of one outbound event."""
    detail = dict(event.detail)
    if republished:
        detail["republished"] = True
    return {
        "Source": SOURCE,
        "DetailType": event.type,
        "Detail": json.dumps(detail, sort_keys=True, separators=(",", ":")),
        "EventBusName": bus_name,
        "Resources": [],
        "Time": event.occurred_at,
    }
