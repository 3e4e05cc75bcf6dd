"""Lambda for the ops-action state machine's Tasks: check, apply, record
(statemachines/ops-action.asl.json, arrears.steps.ops)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears.adapters.ops import OpsStore
from arrears.adapters.transient import names_transient_aws_errors
from arrears.handlers._shell import logger, metrics, tracer
from arrears.steps.ops import STEPS


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(log_event=False)  # the event holds operator notes
@names_transient_aws_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return STEPS[event["step"]](event, OpsStore())
