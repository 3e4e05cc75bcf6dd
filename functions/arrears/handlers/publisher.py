"""Lambda on the outbox table's stream: puts each new outbound event on the bus once, in
order per case (arrears.steps.publish, docs/integrations.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears.handlers._shell import logger, metrics, tracer
from arrears.settings import settings
from arrears.steps.publish import publish_batch, stream_records
from arrears.steps.unit_of_work import utc_now

if TYPE_CHECKING:  # the table models (pynamodb) load on the first batch, not on import
    from arrears.adapters.outbound_events import DynamoOutbox, EventBridgeBus
    from arrears.domain.outbound import OutboundEvent


Decode = Callable[[Mapping[str, Any]], "OutboundEvent"]


@cache
def _adapters() -> tuple[DynamoOutbox, EventBridgeBus, Decode]:
    from arrears.adapters.outbound_events import DynamoOutbox, EventBridgeBus, event_from_image

    return DynamoOutbox(), EventBridgeBus(settings().event_bus_name), event_from_image


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    outbox, bus, event_from_image = _adapters()
    return publish_batch(stream_records(event, event_from_image), outbox, bus, utc_now)
