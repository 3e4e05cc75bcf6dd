"""Delivery outcomes (SES bounce/complaint, SMS failure) -> borrower reachability.

Deployed, it is invoked by SNS (the delivery-events topic the SES configuration set
publishes to) and by CloudWatch Logs (the subscription filter on SNS's SMS delivery-status
failure log group: `infra/constructs/delivery.py`); it also accepts an EventBridge event
(a configuration set with an EventBridge destination) or SQS records carrying either.
Parses each record, applies it (`arrears.adapters.delivery`), returns counts by action;
a report about an older message than the one behind the borrower's current state, or a
duplicate, is counted `stale` and changes nothing. Logs carry the outcome and message id
only, never an address or a number.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from arrears import constants as c
from arrears.adapters import delivery
from arrears.domain.ports import Stores

logger = Logger(service=c.SERVICE_NAME)


def _messages(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The delivery events inside an EventBridge, SNS, SQS or CloudWatch Logs invocation."""
    if "awslogs" in event:
        yield from delivery.log_subscription_records(event)
        return
    records = event.get("Records")
    if not isinstance(records, list):
        yield event
        return
    for record in records:
        sns = record.get("Sns")
        body = sns.get("Message", "{}") if sns else record.get("body", "{}")
        try:
            message = json.loads(body)
        except json.JSONDecodeError:
            logger.warning("delivery record is not JSON")
            continue
        if isinstance(message, dict) and "Message" in message and "Type" in message:
            message = json.loads(message["Message"])  # SNS envelope delivered through SQS
        if isinstance(message, dict):
            yield message


def process(
    event: dict[str, Any],
    repos: Stores,
    sent_messages: delivery.SentMessageLookup | None = None,
) -> dict[str, int]:
    actions: Counter[str] = Counter()
    for message in _messages(event):
        outcome = delivery.parse(message)
        if outcome is None:
            actions["ignored"] += 1
            continue
        outcome = delivery.resolve(outcome, sent_messages)
        action = delivery.apply(outcome, repos.borrowers, repos.timeline)
        actions[action] += 1
        logger.info(
            "delivery outcome",
            extra={
                "channel": outcome.channel.value,
                "outcome": outcome.outcome.value,
                "action": action,
                "message_id": outcome.message_id,
            },
        )
    return dict(actions)


def count_actions(counts: dict[str, int]) -> None:
    """One metric per action, the action as a dimension: the dashboard graphs them at once."""
    for action, count in counts.items():
        with single_metric(
            name=c.METRIC_DELIVERY_OUTCOMES,
            unit=MetricUnit.Count,
            value=count,
            namespace=c.METRICS_NAMESPACE,
        ) as metric:
            metric.add_dimension(name="service", value=c.SERVICE_NAME)
            metric.add_dimension(name="action", value=action)
