"""Run the same DynamoDB calls on moto and on the local runtime's in-memory engine and
put the outcomes in one comparable form."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from arrears.local.dynamodb.engine import DynamoDBError, InMemoryDynamoDB, copy_value
from botocore.exceptions import ClientError

# members only moto fills in (capacity accounting), and request metadata
_NOT_COMPARED = {"ResponseMetadata", "ConsumedCapacity", "ItemCollectionMetrics", "message"}

Outcome = tuple[str, Any]


def _comparable(operation: str, body: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in body.items() if k not in _NOT_COMPARED}
    if operation == "Scan" and "Items" in body:  # a scan's order is not part of its contract
        body["Items"] = sorted(body["Items"], key=lambda i: json.dumps(i, sort_keys=True))
    if operation in ("CreateTable", "DescribeTable", "DeleteTable"):
        return {"ok": True}  # descriptions carry timestamps and throughput moto makes up
    return body


def _error(operation: str, code: str, message: str, extra: dict[str, Any]) -> Outcome:
    # validation messages are compared by code: the reason is the same, the wording moto's
    shown = "" if code == "ValidationException" else message
    return ("error", (code, shown, _comparable(operation, extra)))


def on_moto(client: Any, operation: str, params: dict[str, Any]) -> Outcome:
    try:
        return ("ok", _comparable(operation, client._make_api_call(operation, params)))
    except ClientError as exc:
        response = dict(exc.response)
        error = response.pop("Error")
        return _error(operation, error["Code"], error.get("Message", ""), response)


def on_engine(engine: InMemoryDynamoDB, operation: str, params: dict[str, Any]) -> Outcome:
    try:
        return ("ok", _comparable(operation, engine.call(operation, copy_value(params))))
    except DynamoDBError as exc:
        return _error(operation, exc.code, exc.message, exc.extra)


@contextmanager
def moto_dynamodb() -> Iterator[Any]:
    """A botocore DynamoDB client on a fresh moto backend."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        yield boto3.client(
            "dynamodb",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
