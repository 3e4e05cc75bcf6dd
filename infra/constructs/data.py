"""DynamoDB tables, one per record kind, built from ``topology.TABLES``."""

from __future__ import annotations

from arrears import topology
from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

_ATTRIBUTE_TYPES = {"S": dynamodb.AttributeType.STRING, "N": dynamodb.AttributeType.NUMBER}
_PROJECTIONS = {"ALL": dynamodb.ProjectionType.ALL, "KEYS_ONLY": dynamodb.ProjectionType.KEYS_ONLY}

# Explicit actions (no wildcards) that a function or state machine needs on a table it uses.
TABLE_READ_WRITE_ACTIONS = [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:UpdateItem",
]
KEY_USE_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"]


_STREAMS = {
    "NEW_IMAGE": dynamodb.StreamViewType.NEW_IMAGE,
    "NEW_AND_OLD_IMAGES": dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
}


def _attribute(key: topology.Key) -> dynamodb.Attribute:
    return dynamodb.Attribute(name=key.name, type=_ATTRIBUTE_TYPES[key.type])


class Data(Construct):
    """Cases, borrowers, contact ledger, audit timeline and idempotency records.

    Every table: on-demand billing, point-in-time recovery, the shared KMS key, retained on
    stack deletion (collections records are evidence), TTL where the spec names one.
    """

    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        self.tables: dict[str, dynamodb.Table] = {}
        for spec in topology.TABLES:
            table = dynamodb.Table(
                self,
                spec.construct_id,
                partition_key=_attribute(spec.partition_key),
                sort_key=_attribute(spec.sort_key) if spec.sort_key else None,
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                    point_in_time_recovery_enabled=True
                ),
                encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
                encryption_key=key,
                time_to_live_attribute=spec.ttl_attribute,
                deletion_protection=True,
                removal_policy=RemovalPolicy.RETAIN,
                stream=_STREAMS[spec.stream] if spec.stream else None,
            )
            for index in spec.indexes:
                table.add_global_secondary_index(
                    index_name=index.name,
                    partition_key=_attribute(index.partition_key),
                    sort_key=_attribute(index.sort_key) if index.sort_key else None,
                    projection_type=_PROJECTIONS[index.projection],
                )
            self.tables[spec.construct_id] = table

    def table(self, spec: topology.TableSpec) -> dynamodb.Table:
        return self.tables[spec.construct_id]

    def grant_read_write(self, grantee: iam.IGrantable, spec: topology.TableSpec) -> None:
        """Item-level read/write on the table and its indexes, named one by one."""
        table = self.table(spec)
        resources = [table.table_arn]
        resources += [f"{table.table_arn}/index/{index.name}" for index in spec.indexes]
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=TABLE_READ_WRITE_ACTIONS, resources=resources)
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=KEY_USE_ACTIONS, resources=[self.key.key_arn])
        )
