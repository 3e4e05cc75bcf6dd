"""The letters bucket: every generated PDF, versioned and KMS-encrypted, never public."""

from __future__ import annotations

from arrears import topology
from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.nag import acknowledge

LETTERS_PREFIX = "letters/"


class Letters(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, key: kms.IKey) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        # S3 server access logs can only be delivered to an SSE-S3 bucket.
        self.access_logs_bucket = s3.Bucket(
            self,
            "LettersAccessLogsBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(400))],
            removal_policy=RemovalPolicy.RETAIN,
        )
        acknowledge(
            self.access_logs_bucket,
            "AwsSolutions-S1",
            "This bucket is the access-log target of the letters bucket; logging it into "
            "itself would loop.",
        )
        self.bucket = s3.Bucket(
            self,
            topology.LETTERS_BUCKET_CONSTRUCT_ID,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,  # a sent letter is evidence: an overwrite keeps the original
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix="letters-bucket/",
            removal_policy=RemovalPolicy.RETAIN,
        )

    def grant_store_case_files(self, grantee: iam.IGrantable) -> str:
        """Write agency case files under ``agency/`` (ops placements); the wildcard granted."""
        objects = self.bucket.arn_for_objects("agency/*")
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[objects])
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=["kms:GenerateDataKey"], resources=[self.key.key_arn])
        )
        return objects

    def grant_store_letters(self, grantee: iam.IGrantable) -> str:
        """Write and read letters under ``letters/``; returns the wildcard resource granted."""
        objects = self.bucket.arn_for_objects(f"{LETTERS_PREFIX}*")
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject", "s3:GetObjectVersion"],
                resources=[objects],
            )
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[self.key.key_arn]
            )
        )
        return objects
