"""Lambda for delivery outcomes: SES bounces, complaints and deliveries, SNS SMS failures
(arrears.steps.delivery)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears.adapters.cases import Repositories
from arrears.adapters.sent_messages import SentMessages
from arrears.handlers._shell import logger, tracer
from arrears.steps.delivery import count_actions, process


@cache
def _adapters() -> tuple[Repositories, SentMessages]:
    return Repositories.dynamo(), SentMessages()


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    repos, sent_messages = _adapters()
    counts = process(event, repos, sent_messages)
    count_actions(counts)
    return counts
