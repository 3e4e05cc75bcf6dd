"""What a delivery report says: the outcome of one message, on one channel, for whom.

SES and SNS report in their own shapes; ``adapters/delivery.py`` reads them into these
records and ``steps/delivery.py`` applies them to the borrower's reachability.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from arrears.domain.types import Channel

ACTOR = "system:delivery"


class Outcome(StrEnum):
    DELIVERED = "delivered"
    HARD_BOUNCE = "hard_bounce"
    SOFT_BOUNCE = "soft_bounce"
    COMPLAINT = "complaint"
    SMS_PERMANENT_FAILURE = "sms_permanent_failure"
    SMS_TEMPORARY_FAILURE = "sms_temporary_failure"
    REJECTED = "rejected"


@dataclass(frozen=True)
class DeliveryOutcome:
    channel: Channel
    outcome: Outcome
    message_id: str
    account_id: str | None
    case_id: str | None
    at: datetime  # when the report's event happened
    sent_at: datetime | None = None  # when the message it is about was sent, if reported

    @property
    def message_sent_at(self) -> datetime:
        return self.sent_at or self.at


@dataclass(frozen=True)
class SentMessage:
    message_id: str
    account_id: str
    case_id: str | None
    channel: Channel
    sent_at: datetime
