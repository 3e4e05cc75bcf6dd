"""Ops alerts topic, the SES configuration set every email is sent with, and the SMS /
email sending rights of the contact function.

The configuration set's event destination (bounces, complaints, ...) belongs to the
delivery-outcomes construct (`infra/constructs/delivery.py`)."""

from __future__ import annotations

from arrears import topology
from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ses as ses
from aws_cdk import aws_sns as sns
from constructs import Construct


class Messaging(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        self.ops_topic = sns.Topic(
            self,
            topology.OPS_TOPIC_CONSTRUCT_ID,
            display_name="Arrears ops alerts",
            master_key=key,
            enforce_ssl=True,
        )
        # Emails are sent with this set so that SES reports what became of each one; an
        # address that hard-bounced or complained is also kept off by SES itself
        # (account-level suppression), a second line behind the borrower's reachability.
        self.configuration_set = ses.ConfigurationSet(
            self,
            topology.EMAIL_CONFIGURATION_SET_CONSTRUCT_ID,
            suppression_reasons=ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
            reputation_metrics=True,
        )

    @property
    def configuration_set_arn(self) -> str:
        return Stack.of(self).format_arn(
            service="ses",
            resource="configuration-set",
            resource_name=self.configuration_set.configuration_set_name,
        )

    def grant_publish_ops_alert(self, grantee: iam.IGrantable) -> None:
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=[self.ops_topic.topic_arn])
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[self.key.key_arn]
            )
        )

    def grant_send_sms(self, grantee: iam.IGrantable) -> None:
        # A direct-to-phone SMS publish has no topic ARN to scope to: SNS only accepts "*".
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["sns:Publish"], resources=["*"])
        )

    def grant_send_email(self, grantee: iam.IGrantable) -> None:
        stack = Stack.of(self)
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["ses:SendEmail", "ses:SendRawEmail"],
                resources=[
                    stack.format_arn(service="ses", resource="identity", resource_name="*"),
                    # SES authorizes the configuration set named on the send as well
                    self.configuration_set_arn,
                ],
            )
        )
