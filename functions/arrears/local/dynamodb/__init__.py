"""The local runtime's DynamoDB: an in-memory engine (``engine.py``) answering every
DynamoDB client in the process (handlers, pynamodb, the Step Functions interpreter, the
report) in place of moto's, at the botocore client's API-call boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from arrears.local.dynamodb.engine import DynamoDBError, InMemoryDynamoDB

__all__ = ["DynamoDBError", "InMemoryDynamoDB", "serving"]


@contextmanager
def serving(engine: InMemoryDynamoDB) -> Iterator[None]:
    """While the block runs, every botocore DynamoDB client call goes to ``engine``
    (``arrears.local.in_process``: the client still names the operation, errors are the
    ``ClientError`` subclasses botocore builds from the same error response)."""
    from arrears.local.in_process import CallRefused, answering

    def answer(client: Any, operation_name: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return engine.call(operation_name, params)
        except DynamoDBError as error:
            refusal = {"Code": error.code, "Message": error.message}
            raise CallRefused(refusal, {"message": error.message, **error.extra}) from None

    def answer_for(client: Any, operation_name: str) -> Any:
        dynamodb = client.meta.service_model.service_name == "dynamodb"
        return answer if dynamodb and engine.handles(operation_name) else None

    with answering(answer_for):
        yield
