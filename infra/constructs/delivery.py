"""Delivery outcomes: what became of each email and SMS, fed back to the delivery function.

- Email: the SES configuration set every email is sent with (``Messaging``) publishes
  bounce, complaint, delivery and reject events to a KMS-encrypted SNS topic; the delivery
  function is subscribed to it, with a dead-letter queue for what SNS cannot deliver.
- SMS: SNS writes a delivery-status record of every failed direct-to-phone SMS to the log
  group ``sns/<region>/<account>/DirectPublishToPhoneNumber/Failure`` once the account's
  ``DeliveryStatusIAMRole`` SMS attribute names a role that may write there. The stack
  creates that log group (KMS, short retention: the records hold phone numbers), the role
  (output ``SmsDeliveryStatusRoleArn``) and a subscription filter to the delivery function.
  Setting the account attribute is a deploy step (docs/deploy.md), not a stack resource:
  it is one per account and region, shared with whatever else sends SMS there.

Both paths invoke the function asynchronously; an invocation that still fails after
Lambda's retries lands in the same dead-letter queue, and the queue's depth alarms ops.
"""

from __future__ import annotations

from arrears import topology
from aws_cdk import ArnFormat, Aws, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as lambda_destinations
from aws_cdk import aws_logs as logs
from aws_cdk import aws_logs_destinations as logs_destinations
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge, acknowledge_wildcard_resource

DEAD_LETTER_RETENTION = Duration.days(14)
# SMS delivery-status records carry the destination phone number: keep them no longer than
# it takes to notice and redrive a failure
SMS_STATUS_LOG_RETENTION = logs.RetentionDays.ONE_MONTH
SES_EVENTS = {
    "BOUNCE": ses.EmailSendingEvent.BOUNCE,
    "COMPLAINT": ses.EmailSendingEvent.COMPLAINT,
    "DELIVERY": ses.EmailSendingEvent.DELIVERY,
    "REJECT": ses.EmailSendingEvent.REJECT,
}


def sms_failure_log_group_name() -> str:
    """Where SNS writes failed direct-to-phone SMS delivery records (a fixed name)."""
    return f"sns/{Aws.REGION}/{Aws.ACCOUNT_ID}/DirectPublishToPhoneNumber/Failure"


class Delivery(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.Key,
        configuration_set: ses.ConfigurationSet,
        function: lambda_.Function,
        ops_topic: sns.ITopic,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.key = key
        self.function = function

        self.dead_letter_queue = sqs.Queue(
            self,
            topology.DELIVERY_DLQ_CONSTRUCT_ID,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=DEAD_LETTER_RETENTION,
        )
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the delivery-events subscription "
            "and of the delivery function's failed asynchronous invocations.",
        )

        # ---- email: SES configuration set -> topic -> function -------------------------
        self.topic = sns.Topic(
            self,
            topology.DELIVERY_TOPIC_CONSTRUCT_ID,
            display_name="Arrears delivery outcomes",
            master_key=key,
            enforce_ssl=True,
        )
        # SES publishes to an encrypted topic only if it may use the topic's key; SNS needs
        # the key to put an undeliverable message in the (encrypted) dead-letter queue.
        for sid, service in (
            ("AllowSesToPublishToTheDeliveryTopic", "ses.amazonaws.com"),
            ("AllowSnsToDeadLetterDeliveryEvents", "sns.amazonaws.com"),
        ):
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    principals=[iam.ServicePrincipal(service)],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],  # in a key policy, "*" means this key
                    conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
                )
            )
        # (the SNS destination adds the topic-policy statement letting SES publish, limited
        # to this configuration set and account)
        self.event_destination = configuration_set.add_event_destination(
            "DeliveryEvents",
            destination=ses.EventDestination.sns_topic(self.topic),
            events=[SES_EVENTS[name] for name in topology.DELIVERY_EVENT_TYPES],
        )
        # SES checks that it may publish when the destination is created
        self.event_destination.node.add_dependency(self.topic)
        self.topic.add_subscription(
            subscriptions.LambdaSubscription(function, dead_letter_queue=self.dead_letter_queue)
        )

        # ---- SMS: SNS delivery-status failure log -> subscription filter -> function ----
        self.sms_failure_log_group = logs.LogGroup(
            self,
            "SmsFailureLogs",
            log_group_name=sms_failure_log_group_name(),
            encryption_key=key,
            retention=SMS_STATUS_LOG_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.sms_failure_subscription = logs.SubscriptionFilter(
            self,
            "SmsFailureSubscription",
            log_group=self.sms_failure_log_group,
            destination=logs_destinations.LambdaDestination(function),
            filter_pattern=logs.FilterPattern.all_events(),
        )
        self.sms_delivery_status_role = self._sms_delivery_status_role(stack)

        # ---- failures of the function itself ------------------------------------------
        function.configure_async_invoke(
            on_failure=lambda_destinations.SqsDestination(self.dead_letter_queue),
            retry_attempts=topology.DELIVERY_RETRY_ATTEMPTS,
        )
        for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*"):
            acknowledge(
                function.role,  # type: ignore[arg-type]
                f"AwsSolutions-IAM5[Action::{action}]",
                "CDK's grant to send to the KMS-encrypted dead-letter queue (the on-failure "
                "destination); the statement's only resource is the stack's key.",
            )
        self.dead_letter_alarm = (
            self.dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=Duration.minutes(5), statistic="Maximum"
            ).create_alarm(
                self,
                "DeliveryDeadLetterQueueNotEmptyAlarm",
                alarm_description="A delivery outcome (bounce, complaint, SMS failure) was not "
                "applied: reachability may be stale (docs/ops.md)",
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
        self.dead_letter_alarm.add_alarm_action(actions.SnsAction(ops_topic))

    def _sms_delivery_status_role(self, stack: Stack) -> iam.Role:
        """The role SNS assumes to write SMS delivery-status logs (account attribute
        ``DeliveryStatusIAMRole``, set at deploy time: docs/deploy.md)."""
        role = iam.Role(
            self,
            "SmsDeliveryStatusRole",
            assumed_by=iam.ServicePrincipal(
                "sns.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}},
            ),
            description="SNS writes SMS delivery-status logs for Arrears",
        )
        # SNS writes both DirectPublishToPhoneNumber (failure) and .../Success groups
        log_groups = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"sns/{Aws.REGION}/{Aws.ACCOUNT_ID}/DirectPublishToPhoneNumber*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:PutMetricFilter",
                    "logs:PutRetentionPolicy",
                ],
                resources=[log_groups],
            )
        )
        acknowledge_wildcard_resource(
            role,
            log_groups,
            "SNS names the delivery-status log groups (Failure and Success) and their streams "
            "itself; the grant is limited to this account's DirectPublishToPhoneNumber groups.",
        )
        return role
