"""The local runtime's DynamoDB: an in-memory engine (``engine.py``) answering every
DynamoDB client in the process (handlers, pynamodb, the Step Functions interpreter, the
report) in place of moto's, at the botocore client's API-call boundary."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from arrears.local.dynamodb.engine import DynamoDBError, InMemoryDynamoDB

__all__ = ["DynamoDBError", "InMemoryDynamoDB", "serving"]


@contextmanager
def serving(engine: InMemoryDynamoDB) -> Iterator[None]:
    """While the block runs, every botocore DynamoDB client call goes to ``engine``.

    The client still names the operation, so fault injection (wrapping the same method
    later) and ``client.exceptions`` work unchanged; what is skipped is parameter
    serialization, the HTTP layer and moto. An error comes back as the ``ClientError``
    subclass botocore builds from the same error response.
    """
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def make_api_call(self: Any, operation_name: str, api_params: Any) -> Any:
        if self.meta.service_model.service_name != "dynamodb" or not engine.handles(operation_name):
            return original(self, operation_name, api_params)
        metadata = {
            "RequestId": str(uuid.uuid4()),
            "HTTPStatusCode": 200,
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        }
        try:
            response = engine.call(operation_name, api_params)
        except DynamoDBError as error:
            body: dict[str, Any] = {
                "Error": {"Code": error.code, "Message": error.message},
                "ResponseMetadata": {**metadata, "HTTPStatusCode": 400},
                "message": error.message,
                **error.extra,
            }
            raise self.exceptions.from_code(error.code)(body, operation_name) from None
        response["ResponseMetadata"] = metadata
        return response

    BaseClient._make_api_call = make_api_call
    try:
        yield
    finally:
        BaseClient._make_api_call = original
