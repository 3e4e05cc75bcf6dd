"""Work-queue depth for the dashboard: agent calls and legal reviews waiting, and overdue.

Run on a schedule (topology: ``QUEUE_METRICS_FUNCTION.schedule_minutes``). The queue lives
on the case items (the sparse ``work_queue`` index), written by the escalation's own
DynamoDB tasks, so no Lambda sees a task enter or leave it; a periodic count is the
simplest gauge. Emits ``AgentTasksWaiting``, ``LegalReviewsWaiting`` and their
``...Overdue`` counterparts (tasks past ``queue_due_at``), and ``CasesStuck``: cases
whose step still failed after its retries, waiting in the STUCK queue for ops.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from arrears import constants as c
from arrears.domain.queues import (
    QUEUE_AGENCY_PLACEMENT,
    QUEUE_AGENT_CALL,
    QUEUE_LEGAL_REVIEW,
    QUEUE_LEGAL_REVIEW_ESCALATED,
    QUEUE_LITIGATION_REJECTED,
    QUEUE_PAYMENT_RECONCILIATION,
    QUEUE_REPLY_REVIEW,
    QUEUE_STUCK,
)

logger = Logger(service=c.SERVICE_NAME)

# queue -> (waiting, overdue) metric names; a stuck case is overdue from the start
METRIC_NAMES: dict[str, tuple[str, str | None]] = {
    QUEUE_AGENT_CALL: (c.METRIC_AGENT_TASKS_WAITING, c.METRIC_AGENT_TASKS_OVERDUE),
    QUEUE_REPLY_REVIEW: (c.METRIC_REPLY_REVIEWS_WAITING, c.METRIC_REPLY_REVIEWS_OVERDUE),
    QUEUE_LEGAL_REVIEW: (c.METRIC_LEGAL_REVIEWS_WAITING, c.METRIC_LEGAL_REVIEWS_OVERDUE),
    QUEUE_LEGAL_REVIEW_ESCALATED: (c.METRIC_LEGAL_REVIEWS_ESCALATED, None),
    QUEUE_LITIGATION_REJECTED: (c.METRIC_REJECTED_CASES_HELD, None),
    QUEUE_AGENCY_PLACEMENT: (c.METRIC_AGENCY_PLACEMENTS_WAITING, None),
    QUEUE_STUCK: (c.METRIC_CASES_STUCK, None),
    # the hold ends at the deadline and takes the case out: nothing stays overdue
    QUEUE_PAYMENT_RECONCILIATION: (c.METRIC_PAYMENT_RECONCILIATIONS_WAITING, None),
}


def count_queues(
    count_waiting: Callable[[str, datetime], tuple[int, int]], now: datetime, metrics: Metrics
) -> dict[str, int]:
    """Count the cases waiting (and overdue) in each work queue now, as metrics; returns
    metric name -> count."""
    counts: dict[str, int] = {}
    for queue, (waiting_metric, overdue_metric) in METRIC_NAMES.items():
        waiting, overdue = count_waiting(queue, now)
        counts[waiting_metric] = waiting
        if overdue_metric:
            counts[overdue_metric] = overdue
    for metric, value in counts.items():
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=value)
    logger.info("work queue counted", extra=counts)
    return counts
