"""Lambda that counts the work queues every few minutes for the dashboard
(arrears.steps.queue_metrics)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears.adapters.queue_counts import count_waiting
from arrears.handlers._shell import logger, metrics, tracer
from arrears.steps.queue_metrics import count_queues


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    return count_queues(count_waiting, datetime.now(UTC), metrics)
