"""Lambda for delivery outcomes: SES bounces, complaints and deliveries, SNS SMS failures
(arrears.steps.delivery). Reads the reports out of SNS, SQS or CloudWatch Logs records."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears.adapters import delivery
from arrears.adapters.cases import Repositories
from arrears.adapters.sent_messages import SentMessages
from arrears.domain.ports import SentMessageLookup, Stores
from arrears.handlers._shell import logger, tracer
from arrears.steps.delivery import apply_outcomes, count_actions


@cache
def _adapters() -> tuple[Repositories, SentMessages]:
    return Repositories.dynamo(), SentMessages()


def process(
    event: dict[str, Any], repos: Stores, sent_messages: SentMessageLookup | None = None
) -> dict[str, int]:
    """The invocation's reports, parsed and applied; counts by action."""
    return apply_outcomes(delivery.outcomes(event), repos, sent_messages)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    counts = process(event, *_adapters())
    count_actions(counts)
    return counts
