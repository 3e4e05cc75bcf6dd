"""The outbox table and the bus, for the publisher (steps/publish.py) and ops republish.

``DynamoOutbox`` claims an outbox item before its event is put on the bus (a conditional
write: only the first claimant of an unpublished item wins) and marks it published after;
``EventBridgeBus`` puts one outbound event with PutEvents. ``MemoryOutbox`` and
``MemoryBus`` are their in-memory twins for unit tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from arrears.adapters.models import OutboxModel
from arrears.domain.case import iso_utc_micro, parse_iso_utc
from arrears.domain.outbound import OutboundEvent, entry_for_bus

PUBLISHED = "published"
SENDING = "sending"
CLAIMED = "claimed"


def event_from_item(item: OutboxModel) -> OutboundEvent:
    return OutboundEvent(
        case_id=item.case_id,
        sequence=int(item.sequence),
        type=item.type,
        occurred_at=parse_iso_utc(item.occurred_at),
        detail=json.loads(item.detail),
    )


def event_from_image(image: Mapping[str, Any]) -> OutboundEvent:
    """The event of a stream record's NewImage (DynamoDB's attribute-value form)."""
    return event_from_item(OutboxModel.from_raw_data(dict(image)))


def _condition_failed(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


class DynamoOutbox:
    def claim(self, case_id: str, sequence: int, now: datetime) -> str:
        """CLAIMED if this caller may put the event on the bus now; else the item's state
        (PUBLISHED, or SENDING: another attempt claimed it and may have put it)."""
        try:
            OutboxModel(case_id, sequence).update_unread(
                actions=[
                    OutboxModel.state.set(SENDING),
                    OutboxModel.claimed_at.set(iso_utc_micro(now)),
                ],
                condition=OutboxModel.sequence.exists() & OutboxModel.state.does_not_exist(),
            )
        except UpdateError as error:
            if not _condition_failed(error):
                raise
            stored = OutboxModel.get(case_id, sequence, consistent_read=True)
            return stored.state or SENDING
        return CLAIMED

    def release(self, case_id: str, sequence: int) -> None:
        """The put failed before EventBridge took it: the next attempt may claim again."""
        OutboxModel(case_id, sequence).update_unread(
            actions=[OutboxModel.state.remove(), OutboxModel.claimed_at.remove()],
            condition=OutboxModel.state == SENDING,
        )

    def mark_published(self, case_id: str, sequence: int, bus_event_id: str, now: datetime) -> None:
        OutboxModel(case_id, sequence).update_unread(
            actions=[
                OutboxModel.state.set(PUBLISHED),
                OutboxModel.published_at.set(iso_utc_micro(now)),
                OutboxModel.bus_event_id.set(bus_event_id),
            ],
            condition=OutboxModel.state == SENDING,
        )

    def events(self, case_id: str) -> list[tuple[OutboundEvent, str | None]]:
        """Every outbound event of one case in sequence order, with its state."""
        return [(event_from_item(i), i.state) for i in OutboxModel.query(case_id)]


@dataclass
class EventBridgeBus:
    bus_name: str
    client: Any = None

    def put(self, event: OutboundEvent, *, republished: bool = False) -> str:
        """Put one event; its EventBridge id. Raises if the entry was not accepted."""
        if self.client is None:
            import boto3

            self.client = boto3.client("events")
        result = self.client.put_events(
            Entries=[entry_for_bus(event, self.bus_name, republished=republished)]
        )
        entry = (result.get("Entries") or [{}])[0]
        if result.get("FailedEntryCount") or "EventId" not in entry:
            raise PublishFailed(str(entry.get("ErrorCode") or "no event id"))
        return str(entry["EventId"])


class PublishFailed(Exception):
    """EventBridge did not take the entry (throttled, internal error): retry later."""


# ---------------------------------------------------------------------------- in memory


@dataclass
class MemoryOutbox:
    items: dict[tuple[str, int], OutboundEvent] = field(default_factory=dict)
    states: dict[tuple[str, int], str] = field(default_factory=dict)

    def claim(self, case_id: str, sequence: int, now: datetime) -> str:
        key = (case_id, sequence)
        if key not in self.items:
            raise KeyError(key)
        if key in self.states:
            return self.states[key]
        self.states[key] = SENDING
        return CLAIMED

    def release(self, case_id: str, sequence: int) -> None:
        if self.states.get((case_id, sequence)) == SENDING:
            del self.states[(case_id, sequence)]

    def mark_published(self, case_id: str, sequence: int, bus_event_id: str, now: datetime) -> None:
        self.states[(case_id, sequence)] = PUBLISHED

    def events(self, case_id: str) -> list[tuple[OutboundEvent, str | None]]:
        return [
            (event, self.states.get(key))
            for key, event in sorted(self.items.items())
            if key[0] == case_id
        ]


@dataclass
class MemoryBus:
    """Records what was put, in order; ``fail_next`` makes the next puts fail."""

    put_events: list[tuple[OutboundEvent, bool]] = field(default_factory=list)
    fail_next: int = 0

    def put(self, event: OutboundEvent, *, republished: bool = False) -> str:
        if self.fail_next:
            self.fail_next -= 1
            raise PublishFailed("injected")
        self.put_events.append((event, republished))
        return f"bus-{len(self.put_events)}"


def credit_line_requests(case_id: str) -> list[tuple[int, str]]:
    """The case's CreditLineActionRequested events as (sequence, action), from the outbox:
    what a wallet's acknowledgement is checked against."""
    from arrears.domain.outbound import CREDIT_LINE_ACTION_REQUESTED

    found = []
    for item in OutboxModel.query(
        case_id, filter_condition=OutboxModel.type == CREDIT_LINE_ACTION_REQUESTED
    ):
        found.append((int(item.sequence), str(json.loads(item.detail).get("action", ""))))
    return found
