"""Outbound events: the outbox table's stream feeds the publisher function, which puts each
new outbox item on the event bus once (docs/integrations.md).

The event source reads new items only (a filter on INSERT: the publisher's own claim and
publish marks are MODIFY records), one batch at a time per shard, so a case's events reach
the bus in ``sequence`` order; a record the publisher reports failed is retried with what
follows it, and after the retries the batch's description goes to an encrypted
dead-letter queue, whose depth alarms ops.
"""

from __future__ import annotations

from arrears import topology
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events_
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge

DEAD_LETTER_RETENTION = Duration.days(14)


class Outbound(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        table: dynamodb.Table,
        function: lambda_.Function,
        bus: events_.IEventBus,
        ops_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = sqs.Queue(
            self,
            topology.PUBLISHER_DLQ_CONSTRUCT_ID,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
        )
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself the on-failure destination of the outbox stream's event source.",
        )
        function.add_event_source(
            event_sources.DynamoEventSource(
                table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=topology.OUTBOX_STREAM_BATCH_SIZE,
                retry_attempts=topology.OUTBOX_STREAM_RETRY_ATTEMPTS,
                report_batch_item_failures=True,
                # one batch per shard at a time: a case's events stay in sequence order
                parallelization_factor=1,
                bisect_batch_on_error=False,
                on_failure=event_sources.SqsDlq(self.dead_letter_queue),
                filters=[
                    lambda_.FilterCriteria.filter(
                        {"eventName": lambda_.FilterRule.is_equal("INSERT")}
                    )
                ],
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(actions=["events:PutEvents"], resources=[bus.event_bus_arn])
        )
        for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*"):
            acknowledge(
                function.role,  # type: ignore[arg-type]
                f"AwsSolutions-IAM5[Action::{action}]",
                "CDK's grant to send to the KMS-encrypted dead-letter queue (the stream's "
                "on-failure destination) and to read the encrypted stream; the statement's "
                "only resource is the stack's key.",
            )
        self.dead_letter_alarm = (
            self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ).create_alarm(
                self,
                "PublisherDeadLetterQueueNotEmptyAlarm",
                alarm_description="Outbound events were not published after the stream's "
                "retries: replay them with `arrears ops republish` (docs/integrations.md)",
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
        self.dead_letter_alarm.add_alarm_action(actions.SnsAction(ops_topic))
