"""Builders shared by the compliance tests (profiles, intents, records, packs)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from arrears.domain.compliance import (
    CompliancePack,
    ContactIntent,
    Purpose,
    load_pack,
    parse_pack,
)
from arrears.domain.datafile import to_data
from arrears.domain.types import BorrowerProfile, CaseStatus, Channel, ContactRecord

ALL_CHANNELS = frozenset(Channel)
CASE = "acc-1#1"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def profile(
    *,
    account_id: str = "acc-1",
    timezone: str | None = "America/New_York",
    phone: str | None = None,
    country: str = "US",
    verified: frozenset[Channel] = ALL_CHANNELS,
    opted_out: frozenset[Channel] = frozenset(),
    cease: bool = False,
    flags: frozenset[str] = frozenset(),
) -> BorrowerProfile:
    return BorrowerProfile(
        account_id=account_id,
        name="Test Borrower",
        phone=phone,
        email="borrower@example.com",
        locale="en-US",
        timezone=timezone,
        country=country,
        verified_channels=verified,
        opted_out=opted_out,
        cease_communication=cease,
        flags=flags,
    )


def intent(
    at: datetime,
    *,
    channel: Channel = Channel.SMS,
    purpose: Purpose = Purpose.COLLECTION,
    case_id: str = CASE,
    status: CaseStatus = CaseStatus.OPEN,
    payment_pending: bool = False,
    disputed: bool = False,
) -> ContactIntent:
    return ContactIntent(
        case_id=case_id,
        channel=channel,
        purpose=purpose,
        at=at,
        case_status=status,
        payment_pending=payment_pending,
        disputed=disputed,
    )


def sent(
    at: datetime,
    *,
    channel: Channel = Channel.SMS,
    case_id: str = CASE,
    conversation: bool = False,
    attempt: bool = True,
    account_id: str = "acc-1",
) -> ContactRecord:
    return ContactRecord(
        account_id=account_id,
        case_id=case_id,
        channel=channel,
        at=at,
        template="reminder",
        conversation=conversation,
        attempt=attempt,
    )


def pack(name: str = "us") -> CompliancePack:
    return load_pack(None, default=name)


def custom_pack(**overrides: Any) -> CompliancePack:
    """The default pack's data with top-level keys replaced."""
    document = to_data(load_pack(None, default="default"))
    document.update(overrides)
    return parse_pack(document)
