"""Vocabulary shared across the domain: channels, stages, statuses, the borrower profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    CALL = "call"  # an agent's phone call (a human task)
    LETTER = "letter"  # postal letter, PDF produced by Arrears


# Set by ops when the phone on file reaches someone else (domain.ops, wrong_number outcome):
# no SMS or call goes to that number until a different one arrives (ingest lifts the flag).
WRONG_NUMBER_FLAG = "wrong_number"
PHONE_CHANNELS = frozenset({Channel.SMS, Channel.CALL})
# the letters a policy stage or a compliance pack may name (notices.LetterKind values)
LETTER_KINDS = frozenset({"reminder_letter", "demand_letter", "lawyer_letter", "validation_notice"})


class AfterRejection(StrEnum):
    """What happens to a debt when litigation is rejected in legal review (never silence)."""

    CONTINUE_LADDER = "continue_ladder"  # the ladder's stages left, else as HOLD
    HOLD = "hold"  # open, no contact, in the LITIGATION_REJECTED queue for a person
    PLACE_WITH_AGENCY = "place_with_agency"  # open, no contact, in the AGENCY_PLACEMENT queue
    WRITE_OFF = "write_off"  # closed WRITTEN_OFF: by a person, or a policy under its ceiling


class Stage(StrEnum):
    """Escalation ladder, in order. State names in escalation.asl.json follow these."""

    PRE_DUE = "pre_due"  # early warning before the due date (DUE_SOON, high-risk only)
    ASSESS = "assess"
    PLAN_OFFER = "plan_offer"  # hardship path: offer a payment plan before any reminder
    REMINDER = "reminder"
    FOLLOW_UP = "follow_up"
    AGENT_CALL = "agent_call"
    DEMAND_LETTER = "demand_letter"
    LAWYER_LETTER = "lawyer_letter"
    LEGAL_REVIEW = "legal_review"
    LITIGATION = "litigation"
    CLOSED = "closed"


class CaseStatus(StrEnum):
    OPEN = "OPEN"
    PAYMENT_PENDING = "PAYMENT_PENDING"
    PROMISED = "PROMISED"
    DISPUTED = "DISPUTED"
    ON_PLAN = "ON_PLAN"
    PAUSED = "PAUSED"
    # terminal
    PAID = "PAID"
    RESOLVED = "RESOLVED"  # balance under the policy threshold, plan completed, settled
    WRITTEN_OFF = "WRITTEN_OFF"
    LITIGATION = "LITIGATION"
    CLOSED = "CLOSED"

    @property
    def is_terminal(self) -> bool:
        return self in _TERMINAL


_TERMINAL = frozenset(
    {
        CaseStatus.PAID,
        CaseStatus.RESOLVED,
        CaseStatus.WRITTEN_OFF,
        CaseStatus.LITIGATION,
        CaseStatus.CLOSED,
    }
)


class PaymentStatus(StrEnum):
    DUE_SOON = "DUE_SOON"
    OVERDUE = "OVERDUE"
    PAYMENT_PENDING = "PAYMENT_PENDING"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    WRITTEN_OFF = "WRITTEN_OFF"


@dataclass(frozen=True)
class BorrowerProfile:
    """What Arrears knows about how (and whether) it may reach a borrower.

    PII (name, phone, email) lives here and in DynamoDB only, never in logs.
    """

    account_id: str
    name: str
    phone: str | None
    email: str | None
    locale: str  # BCP 47, e.g. "zh-CN"
    timezone: str | None  # IANA, e.g. "Asia/Shanghai"; None -> derive from phone/country
    country: str  # ISO 3166-1 alpha-2
    verified_channels: frozenset[Channel] = field(default_factory=frozenset)
    opted_out: frozenset[Channel] = field(default_factory=frozenset)
    cease_communication: bool = False
    flags: frozenset[str] = field(default_factory=frozenset)  # bankruptcy, deceased, ...
    # a hard bounce / permanent SMS failure (adapters.delivery): that channel reaches nobody
    email_bounced: bool = False
    sms_failed: bool = False
    # the borrower's own contact hours (local, [start, end) whole hours), set on the
    # portal: the gate narrows the pack's window to them, never widens it
    preferred_hours: tuple[int, int] | None = None


@dataclass(frozen=True)
class ContactRecord:
    """One entry of the contact ledger: an attempt that really happened."""

    account_id: str
    case_id: str
    channel: Channel
    at: datetime  # timezone-aware UTC
    template: str
    conversation: bool = False  # a call that reached the borrower (Reg F 1006.14(b)(2)(ii))
    # False for a conversation the borrower started (an inbound call): it starts the
    # 1006.14(b)(2)(ii) quiet period but is not a call attempt we placed
    attempt: bool = True
