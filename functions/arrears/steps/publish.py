"""Publish the outbox: one DynamoDB stream batch of new outbox items, each put on the bus
once, in order (docs/integrations.md, "Exactly once").

For each new item, in stream order: claim it (conditional write: unpublished and
unclaimed), put it on the bus, mark it published. A duplicate stream delivery, or a
retried batch, finds the item published and skips it. A put that fails releases the claim
and reports this record as the batch's first failure, so the stream retries it and what
follows it, in order. If the mark fails after the put succeeded, the event is on the bus
once and the item stays "sending": it is counted (``OutboundUnconfirmed``) and never put
again by a retry; `arrears ops republish` puts it again on purpose, with the same id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from arrears.domain.outbound import DELINQUENCY_BUCKET_CHANGED, OutboundEvent
from arrears.domain.ports import EventBus, Outbox
from arrears.steps.unit_of_work import count

logger = Logger(child=True)

CLAIMED = "claimed"
PUBLISHED = "published"


@dataclass(frozen=True)
class StreamRecord:
    """One stream record: its position (the batch-failure identifier) and its event, or
    None for a record that is not a new outbox item (a modify, a removal by TTL)."""

    sequence_number: str
    event: OutboundEvent | None


def publish_batch(
    records: Sequence[StreamRecord],
    outbox: Outbox,
    bus: EventBus,
    clock: Callable[[], datetime],
) -> dict[str, Any]:
    """The Lambda's answer to a stream batch: ``batchItemFailures`` names the first record
    that must be retried (the stream resumes there, keeping each case's order)."""
    for record in records:
        event = record.event
        if event is None:
            continue
        try:
            _publish_one(event, outbox, bus, clock)
        except Exception:
            logger.exception(
                "outbound event not published; the stream retries from it",
                extra={"case_id": event.case_id, "sequence": event.sequence},
            )
            count("OutboundPublishFailed", type=event.type)
            return {"batchItemFailures": [{"itemIdentifier": record.sequence_number}]}
    return {"batchItemFailures": []}


def _publish_one(
    event: OutboundEvent, outbox: Outbox, bus: EventBus, clock: Callable[[], datetime]
) -> None:
    state = outbox.claim(event.case_id, event.sequence, clock())
    if state != CLAIMED:
        # published already (a duplicate delivery, a retried batch), or claimed by an
        # attempt that may have put it: never put twice by a retry
        count("OutboundDuplicateSkipped" if state == PUBLISHED else "OutboundUnconfirmed")
        return
    try:
        bus_event_id = bus.put(event)
    except Exception:
        outbox.release(event.case_id, event.sequence)
        raise
    try:
        outbox.mark_published(event.case_id, event.sequence, bus_event_id, clock())
    except Exception:
        # it is on the bus: a retry must not put it again, so this is not a failure
        logger.exception(
            "outbound event published but not marked",
            extra={"case_id": event.case_id, "sequence": event.sequence},
        )
        count("OutboundUnconfirmed")
        return
    count("OutboundPublished", type=event.type)
    if event.type == DELINQUENCY_BUCKET_CHANGED:
        # roll and cure counts per bucket, counted once per fact (the claim decides)
        if event.detail.get("reason") == "cure":
            count("DelinquencyCures", bucket=str(event.detail.get("from_bucket") or "none"))
        else:
            count("DelinquencyRolls", bucket=str(event.detail.get("to_bucket")))


def republish(
    case_id: str,
    outbox: Outbox,
    bus: EventBus,
    sequences: Iterable[int] | None = None,
) -> list[OutboundEvent]:
    """Put a case's outbound events on the bus again (ops), with their own ids and
    ``republished: true``: consumers that dedupe on the id see nothing new."""
    wanted = set(sequences) if sequences is not None else None
    done = []
    for event, _state in outbox.events(case_id):
        if wanted is None or event.sequence in wanted:
            bus.put(event, republished=True)
            done.append(event)
    return done


def stream_records(
    event: Mapping[str, Any], decode: Callable[[Mapping[str, Any]], OutboundEvent]
) -> list[StreamRecord]:
    """The records of a DynamoDB stream Lambda event, new items decoded."""
    records = []
    for record in event.get("Records") or []:
        data = record.get("dynamodb") or {}
        image = data.get("NewImage") if record.get("eventName") == "INSERT" else None
        records.append(
            StreamRecord(
                sequence_number=str(data.get("SequenceNumber", "")),
                event=decode(image) if image else None,
            )
        )
    return records
