"""Lambda for the ingest queue (payment events, replies): the Ingestor on AWS adapters."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears import constants as c
from arrears import topology
from arrears.adapters import cases, dead_letters, outbound_events, workflow
from arrears.handlers._shell import logger, metrics, tracer
from arrears.settings import settings
from arrears.steps.ingest import Ingestor, partial_batch, policy_rules


@cache
def idempotency_config() -> Any:
    """Powertools Idempotency imports boto3: both load with the first record's adapters."""
    from aws_lambda_powertools.utilities import idempotency

    return idempotency.IdempotencyConfig(
        event_key_jmespath="idempotency_key",
        expires_after_seconds=c.IDEMPOTENCY_TTL_SECONDS,
        raise_on_no_idempotency_key=True,
    )


@cache
def runtime() -> Ingestor:
    """Built on first use (the local runtime sets the environment before that)."""
    from aws_lambda_powertools.utilities import idempotency

    env = settings()
    table = env.idempotency_table or topology.IDEMPOTENCY.local_name
    store = idempotency.DynamoDBPersistenceLayer(table, boto3_client=cases.dynamodb_client())
    ingestor = Ingestor(
        repos=cases.Repositories.dynamo(),
        workflow=cache(workflow.EscalationWorkflow.configured),
        dead_letters=dead_letters.DeadLetters(env.ingest_dlq_url),
        clock=lambda: datetime.now(UTC),
        reply_adapters=cache(_reply_adapters),  # each holds a boto3 client: one per container
        credit_requests=outbound_events.credit_line_requests,
        **policy_rules(env.policy_file),
    )
    once = idempotency.idempotent_function
    ingestor.idempotent(
        once(data_keyword_argument="event", config=idempotency_config(), persistence_store=store)
    )
    return ingestor


def _reply_adapters() -> tuple[Any, Any]:  # imported on the first reply, not before
    from arrears.adapters import comprehend, plans

    return comprehend.ComprehendAnalyzer(), plans.DynamoPlans()


def reset() -> None:  # tests and the local runtime change the environment
    runtime.cache_clear()
    settings.cache_clear()


def record_handler(record: dict[str, Any]) -> dict[str, Any]:
    logger.remove_keys(["event_id", "account_id", "correlation_id"])
    body = record.get("body")
    return runtime().handle_record(body if isinstance(body, str) else None)


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency_config().register_lambda_context(context)
    if not isinstance(event, dict) or not event.get("Records"):
        logger.warning("invocation without SQS records ignored")
        return {"batchItemFailures": []}
    # an all-failed batch is reported record by record too, rather than raised
    return partial_batch(event["Records"], record_handler)
