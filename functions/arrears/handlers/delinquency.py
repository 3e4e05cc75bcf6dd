"""Lambda run once a day: the delinquency sweep (arrears.steps.delinquency)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears.adapters.delinquency_index import DynamoDelinquencyIndex
from arrears.handlers._shell import default_deps, logger, metrics, tracer
from arrears.steps.delinquency import sweep
from arrears.steps.unit_of_work import utc_now


@cache
def _index() -> DynamoDelinquencyIndex:
    return DynamoDelinquencyIndex()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    counts = sweep(default_deps(), _index(), utc_now())
    logger.info("delinquency sweep", extra=counts)
    return counts
