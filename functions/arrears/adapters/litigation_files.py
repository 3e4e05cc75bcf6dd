"""The litigation file to S3 (domain/litigation_file.py builds it): the case's letters read
back from the letters bucket, the zip stored beside them, encrypted with the stack's key."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from arrears.adapters.cases import DynamoBorrowers, DynamoCases, DynamoTimeline
from arrears.domain import litigation_file
from arrears.domain.balance import caps_for, case_breakdown
from arrears.domain.errors import CaseNotFound
from arrears.domain.policy import policy_by_version
from arrears.settings import settings

_GONE = ("NoSuchKey", "NoSuchVersion", "404")


def write_litigation_file(case_id: str, approval: Mapping[str, Any]) -> dict[str, str]:
    """Build and store the case's litigation file; its bucket, key and SHA-256."""
    case = DynamoCases().get(case_id)
    if case is None:
        raise CaseNotFound(case_id)
    now = datetime.now(UTC)  # the local runtime's virtual clock moves datetime.now
    env = settings()
    s3 = boto3.client("s3")
    timeline = DynamoTimeline().list(case_id)
    letters = []
    for entry in timeline:
        if entry.kind != "letter_stored" or not entry.detail.get("key"):
            continue
        request = {"Bucket": env.letters_bucket, "Key": str(entry.detail["key"])}
        version = entry.detail.get("version_id")
        if version and version != "null":
            request["VersionId"] = str(version)
        try:
            content: bytes | None = s3.get_object(**request)["Body"].read()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in _GONE:
                raise
            content = None  # listed in the file as missing from storage

        letters.append(
            litigation_file.Letter(
                kind=str(entry.detail.get("kind") or "letter"),
                key=str(entry.detail["key"]),
                sha256=str(entry.detail.get("sha256") or ""),
                at=entry.at.isoformat(),
                content=content,
            )
        )
    borrower = DynamoBorrowers().get(case.account_id)
    policy = policy_by_version(case.policy_version)
    due = case.due_date or case.opened_at.date()
    breakdown = case_breakdown(
        case.obligations,
        case.stated_splits,
        max((now.date() - due).days, 0),
        policy.charges.as_charge_policy(),
        caps_for(borrower.country if borrower else None),
    )
    data = litigation_file.index(case, timeline, breakdown, letters, approval, now)
    body = litigation_file.bundle(data, letters)
    key = litigation_file.file_key(case_id)
    put: dict[str, Any] = {
        "Bucket": env.letters_bucket,
        "Key": key,
        "Body": body,
        "ContentType": "application/zip",
        "ServerSideEncryption": "aws:kms",
    }
    if env.kms_key_arn:
        put["SSEKMSKeyId"] = env.kms_key_arn
        put["BucketKeyEnabled"] = True
    s3.put_object(**put)
    return {"bucket": env.letters_bucket, "key": key, "sha256": hashlib.sha256(body).hexdigest()}
