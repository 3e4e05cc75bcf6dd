"""Lambda for the ops-action state machine's Tasks: check, apply, record
(statemachines/ops-action.asl.json, arrears.steps.ops)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears.adapters.transient import names_transient_aws_errors
from arrears.handlers._shell import logger, metrics, tracer
from arrears.steps.ops import STEPS, apply


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context(log_event=False)  # the event holds operator notes
@names_transient_aws_errors
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # the adapters (boto3, pynamodb and the table models) load with the first invocation
    from arrears.adapters.ops import OpsStore

    if event["step"] == "apply":
        from arrears.adapters.case_files import write_case_file

        return apply(event, OpsStore(), resume_parked, republish, write_case_file)
    return STEPS[event["step"]](event, OpsStore())


def resume_parked(case_id: str, wake: dict[str, Any]) -> bool:
    """A parked case has no execution to wake: park the wake, start its resumed one."""
    from arrears.adapters.cases import Repositories
    from arrears.adapters.workflow import EscalationWorkflow
    from arrears.steps.waking import deliver_wake

    cases = Repositories.dynamo().cases
    parked = cases.get(case_id)
    if parked is None or parked.parked is None:
        return False  # between two waits, not parked: the case change stands (docs/ops.md)
    return deliver_wake(cases, EscalationWorkflow.configured, case_id, wake).resumed


def republish(case_id: str, sequences: list[int] | None) -> object:
    """Put the case's outbound events on the bus again (docs/integrations.md)."""
    from arrears.adapters.outbound_events import DynamoOutbox, EventBridgeBus
    from arrears.settings import settings
    from arrears.steps.publish import republish as put_again

    return put_again(case_id, DynamoOutbox(), EventBridgeBus(settings().event_bus_name), sequences)
