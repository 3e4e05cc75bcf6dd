"""Agency case files to S3 (the letters bucket, under ``agency/``), encrypted with the
stack's KMS key (domain/case_file.py builds them)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3

from arrears.adapters.cases import DynamoCases, DynamoTimeline
from arrears.domain import case_file
from arrears.domain.errors import CaseNotFound
from arrears.settings import settings


def write_case_file(case_id: str, agency: str) -> str:
    """Build the case's file as it stands and store it; its key."""
    case = DynamoCases().get(case_id)
    if case is None:
        raise CaseNotFound(case_id)
    now = datetime.now(UTC)  # the local runtime's virtual clock moves datetime.now
    key = case_file.case_file_key(case_id, now)
    body = case_file.build(case, DynamoTimeline().list(case_id), agency, now)
    env = settings()
    request: dict[str, object] = {
        "Bucket": env.letters_bucket,
        "Key": key,
        "Body": json.dumps(body, sort_keys=True, default=str).encode(),
        "ContentType": "application/json",
        "ServerSideEncryption": "aws:kms",
    }
    if env.kms_key_arn:
        request["SSEKMSKeyId"] = env.kms_key_arn
        request["BucketKeyEnabled"] = True
    boto3.client("s3").put_object(**request)
    return key
