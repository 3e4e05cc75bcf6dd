"""Which account and case each SMS was about, by message id.

SNS reports a failed direct-to-phone SMS with its message id and the phone number only.
The messenger remembers ``message id -> account, case`` when it sends a tagged SMS, and
the delivery function looks the id up, so a failed text finds its borrower without anyone
being looked up by phone number. Items expire (TTL) once no report can still arrive.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from pynamodb.exceptions import DoesNotExist

from arrears.adapters.models import SentMessageModel
from arrears.domain.delivery import SentMessage
from arrears.domain.types import Channel

# SNS gives up on an SMS within 72 hours; a week leaves room for a late report
KEEP_FOR = timedelta(days=7)


class SentMessageIndex(Protocol):
    def remember(self, message: SentMessage) -> None: ...

    def find(self, message_id: str) -> SentMessage | None: ...


class SentMessages:
    """The DynamoDB index (``topology.SENT_MESSAGES``)."""

    def remember(self, message: SentMessage) -> None:
        # one write per message id, by its one writer: a whole-item put is safe here
        SentMessageModel(
            message.message_id,
            account_id=message.account_id,
            case_id=message.case_id,
            channel=message.channel.value,
            sent_at=message.sent_at.isoformat(),
            expires_at=message.sent_at + KEEP_FOR,
        ).save()

    def find(self, message_id: str) -> SentMessage | None:
        if not message_id:
            return None
        try:
            item = SentMessageModel.get(message_id)
        except DoesNotExist:
            return None
        return SentMessage(
            message_id=item.message_id,
            account_id=item.account_id,
            case_id=item.case_id,
            channel=Channel(item.channel),
            sent_at=datetime.fromisoformat(item.sent_at),
        )


class InMemorySentMessages:
    def __init__(self) -> None:
        self.items: dict[str, SentMessage] = {}

    def remember(self, message: SentMessage) -> None:
        self.items[message.message_id] = message

    def find(self, message_id: str) -> SentMessage | None:
        return self.items.get(message_id)
