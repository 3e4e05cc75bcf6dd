"""The gate's vocabulary: what is asked (ContactIntent), what is answered (Decision)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from arrears.domain.types import CaseStatus, Channel


class Purpose(StrEnum):
    COLLECTION = "collection"  # anything that asks for money
    RECEIPT = "receipt"  # thanks / confirmation of a payment
    REQUIRED_NOTICE = "required_notice"  # a notice the law requires (e.g. validation notice)


class Verdict(StrEnum):
    ALLOW = "allow"
    DEFER = "defer"
    BLOCK = "block"


class Reason(StrEnum):
    """Stable reason codes: handlers emit one metric per code, reports group by it.

    Never rename a value; add new ones.
    """

    ALLOWED = "allowed"
    # who may be contacted, and how
    UNVERIFIED_CHANNEL = "unverified_channel"  # would reach someone else (third party)
    CHANNEL_NOT_PERMITTED = "channel_not_permitted"  # the pack does not use this channel
    CHANNEL_OPTED_OUT = "channel_opted_out"
    # a hard email bounce or a permanent SMS failure: the address/number reaches nobody
    CHANNEL_UNREACHABLE = "channel_unreachable"
    CEASE_COMMUNICATION = "cease_communication"
    BORROWER_BANKRUPT = "borrower_bankrupt"
    BORROWER_DECEASED = "borrower_deceased"
    LEGAL_REPRESENTATIVE = "legal_representative"
    # the case
    CASE_PAID = "case_paid"
    PAYMENT_PENDING = "payment_pending"
    CASE_CLOSED = "case_closed"
    DISPUTE_PENDING = "dispute_pending"
    CASE_PAUSED = "case_paused"
    # when (DEFER)
    OUTSIDE_CONTACT_HOURS = "outside_contact_hours"
    PUBLIC_HOLIDAY = "public_holiday"
    REST_DAY = "rest_day"
    FREQUENCY_CAP = "frequency_cap"  # a per-pack SMS/email/letter cap
    CALL_FREQUENCY = "call_frequency"  # 12 CFR 1006.14(b)(2)(i): 7 calls in 7 days
    CONVERSATION_QUIET_PERIOD = "conversation_quiet_period"  # 1006.14(b)(2)(ii)
    NO_ALLOWED_TIME = "no_allowed_time"  # no instant is allowed in every candidate zone


@dataclass(frozen=True)
class ContactIntent:
    """One contact a step wants to make, asked of the gate before it happens."""

    case_id: str
    channel: Channel
    purpose: Purpose
    at: datetime  # timezone-aware; the moment the contact would happen
    case_status: CaseStatus
    payment_pending: bool = False
    disputed: bool = False


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason: str  # a Reason value
    not_before: datetime | None = None  # DEFER only: earliest allowed instant, aware UTC
    rule: str | None = None  # which pack rule decided (cap id, flag), for audit

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOW

    def to_dict(self) -> dict[str, str | None]:
        """Plain JSON for a Lambda result (ASL reads ``verdict`` and ``not_before``)."""
        return {
            "verdict": str(self.verdict),
            "reason": str(self.reason),
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "rule": self.rule,
        }


ALLOW = Decision(Verdict.ALLOW, Reason.ALLOWED)
