"""Answering botocore client calls inside the process, at the client's API-call boundary.

The in-memory DynamoDB and the direct SNS, EventBridge and SES calls both replace what
``BaseClient._make_api_call`` does for some operations: the client still names the
operation, so fault injection (which wraps the same method later) and ``client.exceptions``
work unchanged, and a refusal is raised as the ``ClientError`` subclass botocore builds
from the same error response. What is skipped is serialization, the HTTP layer and moto's
dispatch.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

# (client, operation name, parameters) -> the parsed response, without ResponseMetadata
Answer = Callable[[Any, str, dict[str, Any]], dict[str, Any]]


class CallRefused(Exception):
    """An answer's error: ``error`` is the response's Error member (Code, Message, ...),
    ``extra`` any members beside it (a cancelled transaction's reasons)."""

    def __init__(self, error: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(error.get("Message", ""))
        self.error = dict(error)
        self.extra = dict(extra or {})


class OnTheWire(Exception):
    """Raised by an answer that changed nothing: the full client path answers the call
    instead (an error whose exact shape only the wire produces)."""


@contextmanager
def answering(answer_for: Callable[[Any, str], Answer | None]) -> Iterator[None]:
    """While the block runs, ``answer_for(client, operation)`` may take over a call."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def make_api_call(self: Any, operation_name: str, api_params: Any) -> Any:
        answer = answer_for(self, operation_name)
        if answer is None:
            return original(self, operation_name, api_params)
        metadata = {
            "RequestId": str(uuid.uuid4()),
            "HTTPStatusCode": 200,
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        }
        try:
            response = answer(self, operation_name, api_params)
        except OnTheWire:
            return original(self, operation_name, api_params)
        except CallRefused as refused:
            code = refused.error["Code"]
            body = {
                "Error": refused.error,
                "ResponseMetadata": {**metadata, "HTTPStatusCode": 400},
                **refused.extra,
            }
            raise self.exceptions.from_code(code)(body, operation_name) from None
        response["ResponseMetadata"] = metadata
        return response

    BaseClient._make_api_call = make_api_call
    try:
        yield
    finally:
        BaseClient._make_api_call = original
