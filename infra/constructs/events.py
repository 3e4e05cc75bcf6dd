"""The Arrears event bus, its rules, and the ingest queue they deliver to."""

from __future__ import annotations

from arrears import topology
from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs
from constructs import Construct


class Events(Construct):
    """Custom bus + one rule per ``topology.RULES`` entry -> ingest queue (KMS, SSL, DLQ).

    The dead-letter queue also catches events EventBridge itself could not deliver, so every
    lost event ends up in the one place the DLQ-depth alarm watches.
    """

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        spec = topology.INGEST_QUEUE
        self.dead_letter_queue = sqs.Queue(
            self,
            spec.dlq_construct_id,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=Duration.days(spec.dlq_retention_days),
        )
        # Payment events carry names, phone numbers and emails: the bus encrypts them at rest
        # with the stack's key, and an event it cannot decrypt or deliver goes to the DLQ.
        self.bus = events.EventBus(
            self,
            topology.EVENT_BUS_CONSTRUCT_ID,
            kms_key=key,
            dead_letter_queue=self.dead_letter_queue,
        )
        self.ingest_queue = sqs.Queue(
            self,
            spec.construct_id,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            visibility_timeout=Duration.seconds(spec.visibility_timeout_seconds),
            dead_letter_queue=sqs.DeadLetterQueue(
                queue=self.dead_letter_queue, max_receive_count=spec.max_receive_count
            ),
        )
        self.rules: dict[str, events.Rule] = {}
        for rule_spec in topology.RULES:
            rule = events.Rule(
                self,
                rule_spec.construct_id,
                event_bus=self.bus,
                event_pattern=events.EventPattern(
                    source=rule_spec.event_pattern.get("source"),
                    detail_type=rule_spec.event_pattern.get("detail-type"),
                ),
            )
            rule.add_target(
                targets.SqsQueue(
                    self.ingest_queue,
                    dead_letter_queue=self.dead_letter_queue,
                    retry_attempts=185,  # EventBridge's maximum: keep retrying for 24 hours
                    max_event_age=Duration.hours(24),
                )
            )
            self.rules[rule_spec.construct_id] = rule
