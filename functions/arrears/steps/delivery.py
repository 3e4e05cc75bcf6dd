"""Delivery outcomes (SES bounce/complaint, SMS failure) -> borrower reachability.

Deployed, it is invoked by SNS (the delivery-events topic the SES configuration set
publishes to) and by CloudWatch Logs (the subscription filter on SNS's SMS delivery-status
failure log group: `infra/constructs/delivery.py`); it also accepts an EventBridge event
(a configuration set with an EventBridge destination) or SQS records carrying either.
The handler reads the reports out of the records (`arrears.adapters.delivery`); this step
fills in the borrower of an untagged one and applies each, returning counts by action; a
report about an older message than the one behind the borrower's current state, or a
duplicate, is counted `stale` and changes nothing. Logs carry the outcome and message id
only, never an address or a number.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import replace

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from arrears import constants as c
from arrears.domain.case import TimelineEntry
from arrears.domain.delivery import ACTOR, DeliveryOutcome, Outcome
from arrears.domain.ports import BorrowerRepository, SentMessageLookup, Stores, TimelineRepository
from arrears.domain.types import Channel

logger = Logger(service=c.SERVICE_NAME)


def apply_outcomes(
    outcomes: Iterable[DeliveryOutcome | None],
    repos: Stores,
    sent_messages: SentMessageLookup | None = None,
) -> dict[str, int]:
    """Apply each parsed report (None: not a delivery outcome); counts by action."""
    actions: Counter[str] = Counter()
    for outcome in outcomes:
        if outcome is None:
            actions["ignored"] += 1
            continue
        outcome = resolve(outcome, sent_messages)
        action = apply(outcome, repos.borrowers, repos.timeline)
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


def resolve(outcome: DeliveryOutcome, sent: SentMessageLookup | None) -> DeliveryOutcome:
    """Fill in the account and case of an untagged outcome from the sent-messages index."""
    if outcome.account_id is not None or sent is None:
        return outcome
    found = sent.find(outcome.message_id)
    if found is None or found.channel is not outcome.channel:
        return outcome
    return replace(outcome, account_id=found.account_id, case_id=outcome.case_id or found.case_id)


def apply(
    outcome: DeliveryOutcome, borrowers: BorrowerRepository, timeline: TimelineRepository
) -> str:
    """Update reachability; returns what was done (for metrics), never raises on no-ops."""
    if outcome.account_id is None:
        return "unmatched"
    account = outcome.account_id
    action = "none"
    if outcome.outcome in (Outcome.HARD_BOUNCE, Outcome.SMS_PERMANENT_FAILURE, Outcome.DELIVERED):
        stops = outcome.outcome is not Outcome.DELIVERED
        if not borrowers.record_reachability(
            account, outcome.channel, stops, outcome.message_sent_at
        ):
            # a report about an older message, or one already applied: a newer fact stands
            return "stale"
        action = "channel_stopped" if stops else "reachable"
    elif outcome.outcome is Outcome.COMPLAINT:
        borrowers.add_opt_out(account, Channel.EMAIL)
        action = "opted_out"
    elif outcome.outcome in (
        Outcome.SOFT_BOUNCE,
        Outcome.SMS_TEMPORARY_FAILURE,
        Outcome.REJECTED,
    ):
        action = "not_delivered"  # this message did not arrive; the channel stays open
    if outcome.case_id:
        timeline.append(
            TimelineEntry(
                case_id=outcome.case_id,
                at=outcome.at,
                kind="delivery_outcome",
                actor=ACTOR,
                detail={
                    "channel": outcome.channel.value,
                    "outcome": outcome.outcome.value,
                    "action": action,
                    "message_id": outcome.message_id,
                },
            )
        )
    return action


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
