"""Lambda for the ingest queue: payment-status events and borrower replies
(arrears.steps.ingest). Builds the Ingestor's AWS adapters once per container."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears import constants as c
from arrears import topology
from arrears.adapters.cases import Repositories
from arrears.adapters.dead_letters import DeadLetters
from arrears.adapters.workflow import EscalationWorkflow
from arrears.handlers._shell import logger, metrics, tracer
from arrears.settings import settings
from arrears.steps.ingest import Ingestor, policy_rules


@dataclass(frozen=True)
class _Runtime:
    ingestor: Ingestor
    config: IdempotencyConfig


@cache
def runtime() -> _Runtime:
    """Built on first use (the local runtime sets the environment before that)."""
    env = settings()
    workflow = cache(lambda: EscalationWorkflow(env.escalation_state_machine_arn))
    config = IdempotencyConfig(
        event_key_jmespath="idempotency_key",
        expires_after_seconds=c.IDEMPOTENCY_TTL_SECONDS,
        raise_on_no_idempotency_key=True,
    )
    table = env.idempotency_table or topology.IDEMPOTENCY.local_name
    once = idempotent_function(
        data_keyword_argument="event",
        config=config,
        persistence_store=DynamoDBPersistenceLayer(table_name=table),
    )
    ingestor = Ingestor(
        repos=Repositories.dynamo(),
        workflow=workflow,
        dead_letters=DeadLetters(env.ingest_dlq_url),
        clock=lambda: datetime.now(UTC),
        **policy_rules(env.policy_file),
    )
    ingestor.idempotent(once)
    return _Runtime(ingestor, config)


def reset() -> None:
    """Forget the wiring (tests and the local runtime change the environment)."""
    runtime.cache_clear()
    settings.cache_clear()


def record_handler(record: SQSRecord) -> dict[str, Any]:
    logger.remove_keys(["event_id", "account_id", "correlation_id"])
    body = record.raw_event.get("body")
    return runtime().ingestor.handle_record(body if isinstance(body, str) else None)


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    runtime().config.register_lambda_context(context)
    if not isinstance(event, dict) or not event.get("Records"):
        logger.warning("invocation without SQS records ignored")
        return {"batchItemFailures": []}
    # an all-failed batch is reported record by record too, rather than raised
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return dict(process_partial_response(event, record_handler, processor, context))
