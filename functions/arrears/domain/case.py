"""The case lifecycle, as pure data and pure decisions (no AWS imports).

Records here are what the repositories in ``arrears.adapters.cases`` load and save; the
decision function (``decide``) takes the current borrower/case state and one validated
event and says what to do: open a new cycle, update the open case, wake the waiting
execution, or ignore the event with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from arrears import constants as c
from arrears.domain.balance import StatedSplit
from arrears.domain.currency import minor_units
from arrears.domain.types import (
    PHONE_CHANNELS,
    WRONG_NUMBER_FLAG,
    BorrowerProfile,
    CaseStatus,
    Channel,
    PaymentStatus,
    Stage,
)

if TYPE_CHECKING:  # ingest validates events; a case only reads them
    from arrears.domain.events import PaymentStatusChanged

# --------------------------------------------------------------------------- identities


def case_id_for(account_id: str, cycle: int) -> str:
    """`<account_id>#<cycle>`; cycle 0 is the pseudo case that holds events with no case."""
    return f"{account_id}#{cycle}"


def no_case_id(account_id: str) -> str:
    """Timeline home for events about an account that has never had a case."""
    return case_id_for(account_id, 0)


def execution_name(case_id: str, cycle: int) -> str:
    """Step Functions execution name for one case cycle.

    Derived, never stored-then-guessed: a repeated StartExecution with the same name and
    input is a no-op in AWS, so a redelivered OVERDUE event cannot start a second
    escalation. Execution names allow only ``[0-9A-Za-z_-]`` (80 chars), so every other
    character becomes ``-``; ``#`` (the case id separator) becomes ``-`` as contracts.md says.
    """
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in case_id)
    suffix = f"-c{cycle}"
    return safe[: 80 - len(suffix)] + suffix


# --------------------------------------------------------------------------- time helpers


def iso_utc(moment: datetime) -> str:
    """Aware datetime -> `2026-11-02T01:00:00Z` (seconds; what Step Functions timestamps take)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Arrears keeps aware UTC times only")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_utc_micro(moment: datetime) -> str:
    """Fixed-width, lexically sortable form used in sort keys: `2026-11-02T01:00:00.000000Z`."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Arrears keeps aware UTC times only")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def queue_time(moment: datetime) -> str:
    """The form ``queue_due_at`` is stored in: `2026-11-16T02:00:00+00:00`.

    The escalation ASL copies the wait step's ``wait_until`` (``NextStep.as_output``:
    ``datetime.isoformat()`` of a UTC time) into ``queue_due_at`` as is, so every other
    writer and every range query on the `work_queue` index uses this same form: one format
    sorts and compares correctly (``Z`` would sort after ``+00:00`` for the same second).
    """
    if moment.tzinfo is None:
        raise ValueError("naive datetime: Arrears keeps aware UTC times only")
    return moment.astimezone(UTC).isoformat()


def parse_iso_utc(text: str) -> datetime:
    """Inverse of ``iso_utc``/``iso_utc_micro`` (also accepts any offset, returns UTC)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError(f"timestamp without offset: {text!r}")
    return moment.astimezone(UTC)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class CaseRecord:
    """One collection case: one account's arrears in one cycle.

    ``obligations`` maps each overdue obligation id to its outstanding amount; ``balance``
    is their sum (kept on the item as a decimal string for the console and for ASL).
    """

    case_id: str
    account_id: str
    cycle: int
    status: CaseStatus
    stage: Stage
    balance: Decimal
    currency: str
    opened_at: datetime
    obligations: dict[str, Decimal] = field(default_factory=dict)
    # the producer's split of an obligation's amount due (principal, interest, fees), by
    # obligation, from the latest event that sent one: letters itemize from it
    stated_splits: dict[str, StatedSplit] = field(default_factory=dict)
    due_date: date | None = None  # earliest due date among the case's obligations
    closed_at: datetime | None = None
    outcome: str | None = None
    segment: str | None = None
    score: int | None = None
    model_version: str | None = None
    task_token: str | None = None
    waiting_for: str | None = None
    # a wake that found no execution waiting (JSON), taken by the execution at its next wait
    pending_wake: str | None = None
    # where a parked case resumes (domain/parking.py, JSON) while no execution is open
    parked: str | None = None
    done_actions: frozenset[str] = frozenset()
    queue: str | None = None  # "AGENT_CALL" / "LEGAL_REVIEW" while a human task waits
    queue_due_at: datetime | None = None
    # the queue a case waiting for a person's decision is listed in (LEGAL_REVIEW if None)
    decision_queue: str | None = None
    last_sequence: int = 0
    execution_name: str | None = None
    policy_version: str | None = None
    arm: str | None = None  # champion / challenger
    pending_since: datetime | None = None  # start of the PAYMENT_PENDING grace window
    resume_status: CaseStatus | None = None  # status to return to when a pending payment fails
    # a payment the borrower says was made and ops have not found yet: contact holds until
    # then and the case is listed in the PAYMENT_RECONCILIATION queue (domain/reconciliation)
    reconcile_by: datetime | None = None
    last_payment_status: str | None = None
    updated_at: datetime | None = None
    version: int = 0  # optimistic lock for whole-record writes; bumped by every save
    # the sequence number of the case's last outbound event (domain/outbound.py)
    out_seq: int = 0
    # delinquency (domain/delinquency.py): the bucket, and the sparse keys of the daily
    # sweep's index (shard, ISO date the bucket next changes by itself)
    dpd_bucket: str | None = None
    dpd_shard: str | None = None
    dpd_next_at: str | None = None
    # the credit line state Arrears last requested of the wallet (domain/credit_line.py)
    credit_line: str | None = None
    # the collection agency the case is placed with (ops), and its case file (S3 key)
    agency: str | None = None
    agency_file: str | None = None
    # the last month (YYYY-MM) a CreditBureauReportDue was recorded for (domain/bureau.py)
    bureau_period: str | None = None

    @property
    def is_open(self) -> bool:
        return not self.status.is_terminal

    def done_key(self, stage: Stage | str, channel: Channel | str) -> str:
        """The ``done_actions`` entry for one stage+channel action: `<stage>#<channel>`."""
        return action_key(stage, channel)


def action_key(stage: Stage | str, channel: Channel | str) -> str:
    return f"{Stage(stage).value}#{Channel(channel).value}"


@dataclass(frozen=True)
class AccountFacts:
    """The optional `account` block of PaymentStatusChanged, kept for risk scoring."""

    credit_limit: Decimal | None = None
    opened_at: date | None = None
    prior_delinquencies: int | None = None
    prior_cures: int | None = None
    on_time_payment_ratio: Decimal | None = None


@dataclass(frozen=True)
class DueSoonNotice:
    """The latest DUE_SOON seen for an account (issue 6: high-risk pre-due reminders)."""

    obligation_id: str
    due_date: date
    amount_due: Decimal
    currency: str
    seen_at: datetime


@dataclass(frozen=True)
class BorrowerRecord:
    """The Borrowers item: contact profile, sequence high-water mark, current case pointer."""

    account_id: str
    name: str = ""
    phone: str | None = None
    email: str | None = None
    locale: str = "en-US"
    timezone: str | None = None
    country: str = ""
    verified_channels: frozenset[Channel] = frozenset()
    opted_out: frozenset[Channel] = frozenset()
    cease_communication: bool = False
    flags: frozenset[str] = frozenset()
    last_sequence: int | None = None  # highest sequence applied for this account
    last_event_id: str | None = None  # event_id of that sequence (to tell a redelivery)
    open_case_id: str | None = None  # latest case (open or closed); None before the first
    cycle: int = 0  # latest cycle number; the next case is cycle + 1
    email_bounced: bool = False
    sms_failed: bool = False
    account: AccountFacts = AccountFacts()
    due_soon: DueSoonNotice | None = None
    updated_at: datetime | None = None
    # the portal's knowledge check (domain/portal/knowledge.py, JSON); never the answer
    knowledge_check: str | None = None
    # contact hours the borrower chose on the portal (local whole hours, [start, end))
    preferred_hours: tuple[int, int] | None = None
    # the channel the borrower chose on the portal (domain/preferred_channel.py)
    preferred_channel: Channel | None = None

    def profile(self) -> BorrowerProfile:
        return BorrowerProfile(
            account_id=self.account_id,
            name=self.name,
            phone=self.phone,
            email=self.email,
            locale=self.locale,
            timezone=self.timezone,
            country=self.country,
            verified_channels=self.verified_channels,
            opted_out=self.opted_out,
            cease_communication=self.cease_communication,
            flags=self.flags,
            email_bounced=self.email_bounced,
            sms_failed=self.sms_failed,
            preferred_hours=self.preferred_hours,
        )


@dataclass(frozen=True)
class TimelineEntry:
    """One audit line. ``detail`` must never hold PII (no phone, email, name, message text)."""

    case_id: str
    at: datetime
    kind: str
    actor: str
    detail: dict[str, Any] = field(default_factory=dict)
    entry_key: str = ""  # assigned by the repository: `<at ISO micro>#<6-digit seq>`


# =========================================================================== decisions

ACTOR_INGEST = "system:ingest"


class WakeReason(StrEnum):
    """What a woken execution is told (`{"wake": REASON, ...}`), contracts.md."""

    PAID = "PAID"
    PAYMENT_PENDING = "PAYMENT_PENDING"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    WRITTEN_OFF = "WRITTEN_OFF"
    AGENT_OUTCOME = "AGENT_OUTCOME"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    DISPUTE = "DISPUTE"
    PAUSE = "PAUSE"
    RESUME = "RESUME"
    OPT_OUT = "OPT_OUT"
    PLAN_ACCEPTED = "PLAN_ACCEPTED"
    CLOSE = "CLOSE"
    OVERDUE = "OVERDUE"  # a pre-due case's debt is now confirmed overdue (issue 6)


class Outcome(StrEnum):
    OPEN_CYCLE = "open_cycle"  # a new case (cycle) was opened
    UPDATE_CASE = "update_case"  # the open case changed
    RECORD_ONLY = "record_only"  # recorded (borrower/timeline), no case change (DUE_SOON)
    IGNORE = "ignore"  # nothing applied except the audit line (and, if newer, contact data)
    REDELIVERY = "redelivery"  # already applied: re-issue side effects only


class IgnoreReason(StrEnum):
    STALE_SEQUENCE = "stale_sequence"  # lower than the last applied sequence
    DUPLICATE_SEQUENCE = "duplicate_sequence"  # same sequence, different event_id
    NO_CASE = "no_case"  # a non-OVERDUE event for an account without a case
    CASE_CLOSED = "case_closed"  # a non-OVERDUE event after the case reached a terminal status
    UNKNOWN_OBLIGATION = "obligation_not_in_case"  # payment news about another obligation
    CURRENCY_MISMATCH = "currency_mismatch"  # the open case is kept in another currency
    NOTHING_OUTSTANDING = "nothing_outstanding"  # OVERDUE with amount_paid >= amount_due


# ``waiting_for`` of a pre-due case holding for its OVERDUE event (ladder.WaitingFor.OVERDUE).
WAITING_FOR_OVERDUE = "overdue"

# Statuses a pending payment may interrupt (and return to if it fails).
_PENDABLE = frozenset({CaseStatus.OPEN, CaseStatus.PROMISED, CaseStatus.ON_PLAN})


@dataclass(frozen=True)
class Wake:
    reason: WakeReason
    output: dict[str, Any]  # the SendTaskSuccess output; starts with {"wake": reason}


@dataclass(frozen=True)
class Decision:
    """What one event does. The handler writes ``borrower``/``case``/``timeline`` in one
    transaction (conditioned on ``expected_last_sequence`` / ``expected_case_version``),
    then starts or wakes the execution."""

    outcome: Outcome
    timeline: tuple[TimelineEntry, ...]
    borrower: BorrowerRecord | None = None  # new borrower state; None: leave it alone
    expected_last_sequence: int | None = None
    case: CaseRecord | None = None  # the case after the event (new or updated or current)
    case_is_new: bool = False
    expected_case_version: int | None = None
    start_execution: bool = False
    wake: Wake | None = None
    ignore_reason: IgnoreReason | None = None
    due_soon: DueSoonNotice | None = None

    @property
    def writes_case(self) -> bool:
        return self.outcome in (Outcome.OPEN_CYCLE, Outcome.UPDATE_CASE)

    @property
    def execution_input(self) -> dict[str, Any] | None:
        if self.case is None:
            return None
        return {
            "case_id": self.case.case_id,
            "account_id": self.case.account_id,
            "cycle": self.case.cycle,
        }


# Given the would-be pre-due case and the borrower, the segment ingest scored it into if
# that segment gets an early-warning reminder (policy ``pre_due.segments``), else None.
PreDueSegment = Callable[["CaseRecord", "BorrowerRecord"], str | None]


def decide(
    event: PaymentStatusChanged,
    borrower: BorrowerRecord | None,
    case: CaseRecord | None,
    *,
    now: datetime,
    resolve_below: Decimal | None = None,
    pre_due_segment: PreDueSegment | None = None,
) -> Decision:
    """Decide what one validated payment event does.

    ``borrower`` is the account's Borrowers record (None if never seen), ``case`` the case
    its ``open_case_id`` points at (the latest cycle, open or closed). ``resolve_below``
    is the policy threshold under which a remaining balance resolves the case.
    ``pre_due_segment`` scores a DUE_SOON account without an open case: a pre-due segment
    opens a ``pre_due`` cycle (early warning); without it DUE_SOON is recorded only.
    A stale or repeated event never changes the case.
    """
    last = borrower.last_sequence if borrower else None
    home = case.case_id if case else no_case_id(event.account_id)
    if last is not None and event.sequence <= last:
        if event.sequence == last and borrower and borrower.last_event_id == event.event_id:
            return _redelivery(event, case, now, resolve_below)
        stale = (
            IgnoreReason.STALE_SEQUENCE
            if event.sequence < last
            else IgnoreReason.DUPLICATE_SEQUENCE
        )
        return Decision(
            outcome=Outcome.IGNORE,
            ignore_reason=stale,
            case=case,
            timeline=(_ignored(home, event, stale, now, last_sequence=last),),
        )

    updated_borrower = _with_contact_data(borrower, event, now)

    if event.status is PaymentStatus.DUE_SOON:
        notice = DueSoonNotice(
            obligation_id=event.obligation_id,
            due_date=event.due_date,
            amount_due=event.amount_due,
            currency=event.currency,
            seen_at=event.occurred_at,
        )
        borrower_now = replace(updated_borrower, due_soon=notice)
        if pre_due_segment is not None and (case is None or not case.is_open):
            opened = _open_pre_due_cycle(event, borrower_now, last, case, now, pre_due_segment)
            if opened is not None:
                return replace(opened, due_soon=notice)
        return Decision(
            outcome=Outcome.RECORD_ONLY,
            case=case,
            due_soon=notice,
            timeline=(_received(home, event, now, applied="due_soon_recorded"),),
            borrower=borrower_now,
            expected_last_sequence=last,
        )

    if event.status is PaymentStatus.OVERDUE:
        if case is None or not case.is_open:
            return _open_cycle(event, updated_borrower, last, case, now)
        return _add_overdue(event, updated_borrower, last, case, now)

    # payment news (pending, failed, partial, paid, written off) needs an open case
    reason: IgnoreReason | None = None
    if case is None:
        reason = IgnoreReason.NO_CASE
    elif not case.is_open:
        reason = IgnoreReason.CASE_CLOSED
    elif event.obligation_id not in case.obligations:
        reason = IgnoreReason.UNKNOWN_OBLIGATION
    elif event.currency != case.currency:
        reason = IgnoreReason.CURRENCY_MISMATCH
    if reason is not None or case is None:
        return Decision(
            outcome=Outcome.IGNORE,
            ignore_reason=reason,
            case=case,
            timeline=(_ignored(home, event, reason or IgnoreReason.NO_CASE, now, last),),
            borrower=updated_borrower,
            expected_last_sequence=last,
        )
    return _apply_payment_news(event, updated_borrower, last, case, now, resolve_below)


def note_language_fallback(
    decision: Decision, serving_locale: Callable[[str], str], now: datetime
) -> Decision:
    """A new case whose borrower's language no template set is written in says so on its
    timeline (``language_fallback``) at ingest, so the fallback is a recorded fact and not
    something a reader discovers in a sent message. A same-language fallback (en-GB served
    by en-US) is not one: the borrower reads it. ``serving_locale`` names the template set
    that serves a locale."""
    if not decision.case_is_new or decision.case is None or decision.borrower is None:
        return decision
    requested = decision.borrower.locale
    served_locale = serving_locale(requested)
    if _language(requested) == _language(served_locale):
        return decision
    note = TimelineEntry(
        case_id=decision.case.case_id,
        at=now,
        kind="language_fallback",
        actor=ACTOR_INGEST,
        detail={"requested": requested, "served": served_locale},
    )
    return replace(decision, timeline=(*decision.timeline, note))


def _language(locale: str) -> str:
    return locale.replace("_", "-").split("-")[0].lower()


# --------------------------------------------------------------------------- the branches


def _open_pre_due_cycle(
    event: PaymentStatusChanged,
    borrower: BorrowerRecord,
    last: int | None,
    previous: CaseRecord | None,
    now: datetime,
    pre_due_segment: PreDueSegment,
) -> Decision | None:
    """Issue 6 early warning: DUE_SOON for a pre-due segment opens a ``pre_due`` cycle.

    The execution sends the pre-due reminder and holds for the OVERDUE event (which wakes
    it) or the payment; None when the account is not reminded (recorded only, as before).
    """
    opened = _open_cycle(event, borrower, last, previous, now)
    if opened.case is None or not opened.case_is_new:
        return None  # nothing due
    candidate = replace(opened.case, stage=Stage.PRE_DUE)
    segment = pre_due_segment(candidate, borrower)
    if segment is None:
        return None
    new_case = replace(candidate, segment=segment)
    received, case_opened = opened.timeline
    return replace(
        opened,
        case=new_case,
        timeline=(
            replace(received, detail={**received.detail, "applied": "pre_due_case_opened"}),
            replace(
                case_opened,
                detail={**case_opened.detail, "stage": Stage.PRE_DUE.value, "segment": segment},
            ),
        ),
    )


def _open_cycle(
    event: PaymentStatusChanged,
    borrower: BorrowerRecord,
    last: int | None,
    previous: CaseRecord | None,
    now: datetime,
) -> Decision:
    outstanding = in_minor_units(event.outstanding, event.currency)
    if outstanding <= 0:
        home = previous.case_id if previous else no_case_id(event.account_id)
        reason = IgnoreReason.NOTHING_OUTSTANDING
        return Decision(
            outcome=Outcome.IGNORE,
            ignore_reason=reason,
            case=previous,
            timeline=(_ignored(home, event, reason, now, last),),
            borrower=borrower,
            expected_last_sequence=last,
        )
    cycle = max(borrower.cycle, previous.cycle if previous else 0) + 1
    case_id = case_id_for(event.account_id, cycle)
    case = CaseRecord(
        case_id=case_id,
        account_id=event.account_id,
        cycle=cycle,
        status=CaseStatus.OPEN,
        stage=Stage.ASSESS,
        balance=outstanding,
        currency=event.currency,
        opened_at=now,
        obligations={event.obligation_id: outstanding},
        stated_splits=with_stated_split({}, event),
        due_date=event.due_date,
        last_sequence=event.sequence,
        execution_name=execution_name(case_id, cycle),
        last_payment_status=event.status.value,
        updated_at=now,
    )
    opened = TimelineEntry(
        case_id=case_id,
        at=now,
        kind="case_opened",
        actor=ACTOR_INGEST,
        detail={
            "cycle": cycle,
            "balance": _money(outstanding),
            "currency": event.currency,
            "due_date": event.due_date.isoformat(),
            "previous_case_id": previous.case_id if previous else None,
        },
    )
    return Decision(
        outcome=Outcome.OPEN_CYCLE,
        case=case,
        case_is_new=True,
        start_execution=True,
        borrower=replace(borrower, open_case_id=case_id, cycle=cycle),
        expected_last_sequence=last,
        timeline=(_received(case_id, event, now, applied="case_opened"), opened),
    )


def _add_overdue(
    event: PaymentStatusChanged,
    borrower: BorrowerRecord,
    last: int | None,
    case: CaseRecord,
    now: datetime,
) -> Decision:
    """An OVERDUE for the open case: the obligation's amount is (re)stated. No wake: the
    execution's own plan already chases the case; the balance is read at each step. The
    exception is a pre-due case holding for this very event (``waiting_for == "overdue"``):
    it is woken with OVERDUE so the ladder starts now, not at the hold's deadline."""
    if event.currency != case.currency:
        reason = IgnoreReason.CURRENCY_MISMATCH
        return Decision(
            outcome=Outcome.IGNORE,
            ignore_reason=reason,
            case=case,
            timeline=(_ignored(case.case_id, event, reason, now, last),),
            borrower=borrower,
            expected_last_sequence=last,
        )
    outstanding = in_minor_units(event.outstanding, case.currency)
    obligations = {**case.obligations, event.obligation_id: outstanding}
    due_dates = [d for d in (case.due_date, event.due_date) if d is not None]
    updated = replace(
        case,
        obligations=obligations,
        stated_splits=with_stated_split(case.stated_splits, event),
        balance=total(obligations, case.currency),
        due_date=min(due_dates) if due_dates else None,
        last_sequence=event.sequence,
        last_payment_status=event.status.value,
        updated_at=now,
    )
    waiting_for_overdue = case.waiting_for == WAITING_FOR_OVERDUE
    return Decision(
        outcome=Outcome.UPDATE_CASE,
        case=updated,
        expected_case_version=case.version,
        borrower=borrower,
        expected_last_sequence=last,
        wake=_wake(WakeReason.OVERDUE, updated, event) if waiting_for_overdue else None,
        timeline=(_received(case.case_id, event, now, applied="balance_updated"),),
    )


def _apply_payment_news(
    event: PaymentStatusChanged,
    borrower: BorrowerRecord,
    last: int | None,
    case: CaseRecord,
    now: datetime,
    resolve_below: Decimal | None,
) -> Decision:
    status = event.status
    changes: dict[str, Any] = {
        "last_sequence": event.sequence,
        "last_payment_status": status.value,
        "updated_at": now,
    }
    wake: WakeReason | None = None
    entries: list[TimelineEntry] = []
    pending = case.status is CaseStatus.PAYMENT_PENDING
    resumed = (case.resume_status or CaseStatus.OPEN) if pending else case.status

    if status is PaymentStatus.PAYMENT_PENDING:
        changes["pending_since"] = case.pending_since or event.occurred_at
        if case.status in _PENDABLE:
            changes["status"] = CaseStatus.PAYMENT_PENDING
            changes["resume_status"] = case.status
        wake = WakeReason.PAYMENT_PENDING
    elif status is PaymentStatus.PAYMENT_FAILED:
        if pending:
            changes.update(status=resumed, pending_since=None, resume_status=None)
            wake = WakeReason.PAYMENT_FAILED
        elif case.pending_since is not None:
            changes["pending_since"] = None
            wake = WakeReason.PAYMENT_FAILED
    elif status in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_PAID):
        owed = Decimal(0) if status is PaymentStatus.PAID else event.outstanding
        owed = in_minor_units(owed, case.currency)
        obligations = {**case.obligations, event.obligation_id: owed}
        balance = total(obligations, case.currency)
        changes.update(
            obligations=obligations,
            stated_splits=with_stated_split(case.stated_splits, event),
            balance=balance,
            pending_since=None,
            resume_status=None,
            status=resumed,
        )
        if balance <= 0:
            changes.update(status=CaseStatus.PAID, closed_at=now, outcome="paid")
            wake = WakeReason.PAID
        elif resolve_below is not None and balance < resolve_below:
            changes.update(status=CaseStatus.RESOLVED, closed_at=now, outcome="below_threshold")
            wake = WakeReason.PARTIALLY_PAID
        else:
            wake = WakeReason.PARTIALLY_PAID
        entries.append(
            TimelineEntry(
                case_id=case.case_id,
                at=now,
                kind="payment",
                actor=ACTOR_INGEST,
                detail={
                    "status": status.value,
                    "obligation_id": event.obligation_id,
                    "amount_paid": _money(event.amount_paid),
                    "balance": _money(balance),
                    "currency": case.currency,
                },
            )
        )
    elif status is PaymentStatus.WRITTEN_OFF:
        changes.update(
            status=CaseStatus.WRITTEN_OFF,
            closed_at=now,
            outcome="written_off",
            pending_since=None,
            resume_status=None,
        )
        wake = WakeReason.WRITTEN_OFF

    if case.reconcile_by is not None and wake is not None:
        # the wallet has news of the money the borrower said was sent: nothing is left for
        # ops to find, and the case leaves the PAYMENT_RECONCILIATION queue (its next wait)
        changes["reconcile_by"] = None
        entries.append(
            TimelineEntry(
                case_id=case.case_id,
                at=now,
                kind="payment_reconciliation_closed",
                actor=ACTOR_INGEST,
                detail={"by": "wallet", "payment_status": status.value},
            )
        )
    updated = replace(case, **changes)
    if updated.status.is_terminal:
        entries.append(
            TimelineEntry(
                case_id=case.case_id,
                at=now,
                kind="case_closed",
                actor=ACTOR_INGEST,
                detail={
                    "status": updated.status.value,
                    "outcome": updated.outcome,
                    "balance": _money(updated.balance),
                    "currency": updated.currency,
                },
            )
        )
    return Decision(
        outcome=Outcome.UPDATE_CASE,
        case=updated,
        expected_case_version=case.version,
        borrower=borrower,
        expected_last_sequence=last,
        wake=_wake(wake, updated, event) if wake else None,
        timeline=(_received(case.case_id, event, now, applied=status.value.lower()), *entries),
    )


def _redelivery(
    event: PaymentStatusChanged,
    case: CaseRecord | None,
    now: datetime,
    resolve_below: Decimal | None,
) -> Decision:
    """The last applied event again (its side effects may not have happened: the Lambda
    can fail between the write and StartExecution/SendTaskSuccess). Re-issue them from the
    stored state; both are harmless to repeat."""
    home = case.case_id if case else no_case_id(event.account_id)
    entry = _received(home, event, now, applied="redelivered")
    if case is None:
        return Decision(outcome=Outcome.REDELIVERY, timeline=(entry,))
    opened_by_it = case.last_sequence == event.sequence and case.stage is Stage.PRE_DUE
    start = case.is_open and (
        event.status is PaymentStatus.OVERDUE
        or (event.status is PaymentStatus.DUE_SOON and opened_by_it)
    )
    reason = _replayed_wake(event.status, case, resolve_below)
    return Decision(
        outcome=Outcome.REDELIVERY,
        case=case,
        start_execution=start,
        wake=_wake(reason, case, event) if reason else None,
        timeline=(entry,),
    )


def _replayed_wake(
    status: PaymentStatus, case: CaseRecord, resolve_below: Decimal | None
) -> WakeReason | None:
    if status is PaymentStatus.PAID:
        return WakeReason.PAID if case.status is CaseStatus.PAID else WakeReason.PARTIALLY_PAID
    if status is PaymentStatus.PARTIALLY_PAID:
        return WakeReason.PAID if case.status is CaseStatus.PAID else WakeReason.PARTIALLY_PAID
    if status is PaymentStatus.WRITTEN_OFF and case.status is CaseStatus.WRITTEN_OFF:
        return WakeReason.WRITTEN_OFF
    if status is PaymentStatus.PAYMENT_PENDING and case.status is CaseStatus.PAYMENT_PENDING:
        return WakeReason.PAYMENT_PENDING
    if status is PaymentStatus.PAYMENT_FAILED and case.status is not CaseStatus.PAYMENT_PENDING:
        return WakeReason.PAYMENT_FAILED
    if status is PaymentStatus.OVERDUE and case.waiting_for == WAITING_FOR_OVERDUE:
        return WakeReason.OVERDUE
    return None


# --------------------------------------------------------------------------- pieces


def in_minor_units(amount: Decimal, currency: str) -> Decimal:
    """The amount with exactly the currency's decimal places (0 CNY -> 0.00)."""
    return amount.quantize(Decimal(1).scaleb(-minor_units(currency)))


def total(amounts: dict[str, Decimal], currency: str) -> Decimal:
    return in_minor_units(sum(amounts.values(), Decimal(0)), currency)


def _money(amount: Decimal) -> str:
    return format(amount, "f")


def _wake(reason: WakeReason, case: CaseRecord, event: PaymentStatusChanged) -> Wake:
    output: dict[str, Any] = {
        "wake": reason.value,
        "case_id": case.case_id,
        "status": case.status.value,
        "balance": _money(case.balance),
        "currency": case.currency,
        "resolved": case.status.is_terminal,
        "event_id": event.event_id,
        "sequence": event.sequence,
    }
    if case.pending_since is not None:
        output["pending_since"] = iso_utc(case.pending_since)
    return Wake(reason=reason, output=output)


def _with_contact_data(
    borrower: BorrowerRecord | None, event: PaymentStatusChanged, now: datetime
) -> BorrowerRecord:
    """Fold the event's contact data into the borrower record.

    Values the event omits keep their stored value. A channel present in the event counts
    as verified: the wallet only sends contact data its own KYC has verified
    (docs/events.md records this assumption). The exception is a borrower flagged
    ``wrong_number`` (an agent reached someone else): the same number again does not
    re-verify SMS and calls, only a different number does (and clears the flag).
    Likewise a hard-bounced email or a failed SMS number stays stopped until a different
    address or number arrives: the old one is known not to work, a new one is not.
    """
    current = borrower or BorrowerRecord(account_id=event.account_id)
    sent = event.borrower
    new_email = bool(sent.email) and sent.email != current.email
    new_phone = bool(sent.phone) and sent.phone != current.phone
    channels = sent.channels
    flags = current.flags
    if WRONG_NUMBER_FLAG in flags:
        if sent.phone and sent.phone != current.phone:
            flags = flags - {WRONG_NUMBER_FLAG}
        else:
            channels = channels - PHONE_CHANNELS
    account = current.account
    if event.account is not None:
        given = event.account
        account = AccountFacts(
            credit_limit=given.credit_limit
            if given.credit_limit is not None
            else account.credit_limit,
            opened_at=given.opened_at if given.opened_at is not None else account.opened_at,
            prior_delinquencies=given.prior_delinquencies
            if given.prior_delinquencies is not None
            else account.prior_delinquencies,
            prior_cures=given.prior_cures if given.prior_cures is not None else account.prior_cures,
            on_time_payment_ratio=given.on_time_payment_ratio
            if given.on_time_payment_ratio is not None
            else account.on_time_payment_ratio,
        )
    return replace(
        current,
        name=sent.name or current.name,
        phone=sent.phone or current.phone,
        email=sent.email or current.email,
        locale=sent.locale or current.locale,
        timezone=sent.timezone or current.timezone,
        country=sent.country or current.country,
        verified_channels=current.verified_channels | channels,
        flags=flags,
        email_bounced=current.email_bounced and not new_email,
        sms_failed=current.sms_failed and not new_phone,
        last_sequence=event.sequence,
        last_event_id=event.event_id,
        account=account,
        updated_at=now,
        knowledge_check=_knowledge_check(sent) or current.knowledge_check,
    )


def _knowledge_check(sent: Any) -> str | None:
    """The event's knowledge check as stored (JSON), or None when the event sent none."""
    check = getattr(sent, "knowledge_check", None)
    if check is None:
        return None
    return json.dumps({"kind": check.kind, "salt": check.salt, "hash": check.hash})


def with_stated_split(
    splits: dict[str, StatedSplit], event: PaymentStatusChanged
) -> dict[str, StatedSplit]:
    """The case's stated splits after ``event``: its own split replaces the obligation's;
    an event that restates the amount due without a split drops the old one, which no
    longer describes it (the policy's charges apply again)."""
    if event.principal is None or event.interest is None or event.fees is None:
        old = splits.get(event.obligation_id)
        if old is not None and old.amount_due != event.amount_due:
            return {k: v for k, v in splits.items() if k != event.obligation_id}
        return splits
    split = StatedSplit(event.amount_due, event.principal, event.interest, event.fees)
    return {**splits, event.obligation_id: split}


def _event_detail(event: PaymentStatusChanged) -> dict[str, Any]:
    """What the audit keeps of an event: ids, status, amounts (with the producer's
    breakdown when it sent one: letters itemize from it). No contact data."""
    detail: dict[str, Any] = {
        "event_id": event.event_id,
        "status": event.status.value,
        "sequence": event.sequence,
        "obligation_id": event.obligation_id,
        "amount_due": _money(event.amount_due),
        "amount_paid": _money(event.amount_paid),
        "currency": event.currency,
        "occurred_at": iso_utc(event.occurred_at),
    }
    if event.principal is not None:
        detail["breakdown"] = {
            "principal": _money(event.principal),
            "interest": _money(event.interest or Decimal(0)),
            "fees": _money(event.fees or Decimal(0)),
        }
    return detail


def _received(
    case_id: str, event: PaymentStatusChanged, now: datetime, applied: str
) -> TimelineEntry:
    return TimelineEntry(
        case_id=case_id,
        at=now,
        kind="event_received",
        actor=event_actor(event),
        detail={**_event_detail(event), "applied": applied},
    )


def _ignored(
    case_id: str,
    event: PaymentStatusChanged,
    reason: IgnoreReason,
    now: datetime,
    last_sequence: int | None,
) -> TimelineEntry:
    return TimelineEntry(
        case_id=case_id,
        at=now,
        kind="event_ignored",
        actor=event_actor(event),
        detail={**_event_detail(event), "reason": reason.value, "last_sequence": last_sequence},
    )


def event_actor(event: PaymentStatusChanged) -> str:
    """Who told us: the producing system, as the audit's actor."""
    return f"source:{c.SOURCE_PAYMENTS}"


def payments_received(case: CaseRecord, timeline: Sequence[TimelineEntry]) -> Decimal:
    """What the wallet reported paid on this case (its ``payment`` audit lines): letters
    and the portal's balance breakdown show it."""
    paid = [
        Decimal(str(entry.detail.get("amount_paid") or "0"))
        for entry in timeline
        if entry.kind == "payment" and entry.at >= case.opened_at
    ]
    return sum(paid, Decimal("0.00"))
