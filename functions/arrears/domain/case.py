"""The case lifecycle, as pure data and pure decisions (no AWS imports).

Records here are what the repositories in ``arrears.adapters.cases`` load and save; the
decision function (``decide``) takes the current borrower/case state and one validated
event and says what to do: open a new cycle, update the open case, wake the waiting
execution, or ignore the event with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from arrears.domain.types import BorrowerProfile, CaseStatus, Channel, Stage

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
    due_date: date | None = None  # earliest due date among the case's obligations
    closed_at: datetime | None = None
    outcome: str | None = None
    segment: str | None = None
    score: int | None = None
    model_version: str | None = None
    task_token: str | None = None
    waiting_for: str | None = None
    done_actions: frozenset[str] = frozenset()
    queue: str | None = None  # "AGENT_CALL" / "LEGAL_REVIEW" while a human task waits
    queue_due_at: datetime | None = None
    last_sequence: int = 0
    execution_name: str | None = None
    policy_version: str | None = None
    arm: str | None = None  # champion / challenger
    pending_since: datetime | None = None  # start of the PAYMENT_PENDING grace window
    last_payment_status: str | None = None
    updated_at: datetime | None = None
    version: int = 0  # optimistic lock for whole-record writes; bumped by every save

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
