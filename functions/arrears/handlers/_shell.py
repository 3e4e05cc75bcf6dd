"""What the Lambda shells share: Powertools, and the escalation steps' AWS adapters."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears import constants as c
from arrears.adapters.transient import names_transient_aws_errors

if TYPE_CHECKING:  # imported by the handlers that run a step, not by every shell
    from arrears.steps.unit_of_work import UnitOfWork

logger = Logger(service=c.SERVICE_NAME)
tracer = Tracer(service=c.SERVICE_NAME)
metrics = Metrics(namespace=c.METRICS_NAMESPACE, service=c.SERVICE_NAME)

Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def escalation_step(step: Handler) -> Handler:
    """Logs by case id, a trace segment, metrics flushed, AWS errors named for Retry."""

    @logger.inject_lambda_context(correlation_id_path="case_id", clear_state=True)
    @tracer.capture_lambda_handler
    @metrics.log_metrics
    @names_transient_aws_errors
    @functools.wraps(step)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return step(event, context)

    return handler


def aws_deps() -> UnitOfWork:
    """The escalation steps' adapters on AWS."""
    from arrears.adapters import letters, links, messaging
    from arrears.adapters.cases import Repositories
    from arrears.adapters.ledger import ContactLedger
    from arrears.adapters.plans import DynamoPlans
    from arrears.steps.unit_of_work import UnitOfWork

    return UnitOfWork(
        repos=Repositories.dynamo(),
        ledger=ContactLedger(),
        messenger=messaging.default_messenger(),
        plans=DynamoPlans(),
        links=links.portal_link_issuer(),
        **letters.letter_ports(),
    )


@functools.cache
def default_deps() -> UnitOfWork:
    """One set of adapters per Lambda container (the local runtime binds table names first)."""
    return aws_deps()
