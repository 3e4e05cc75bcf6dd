"""Rejected events go to the ingest DLQ with the reason attached (SQS SendMessage)."""

from __future__ import annotations

import functools
from typing import Any

# SQS message attribute values are limited to 256 KiB; a validation summary is far
# shorter, but an attacker-sized event could produce a long one.
_MAX_DETAIL_CHARS = 4000


class DeadLetters:
    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        self._url = queue_url
        self._given = client

    @functools.cached_property
    def _client(self) -> Any:
        """Made on the first rejection: most invocations reject nothing."""
        if self._given is not None:
            return self._given
        import boto3  # with the client: the function's cold start needs neither

        return boto3.client("sqs")

    @property
    def configured(self) -> bool:
        return bool(self._url)

    def reject(self, body: str, reason: str, detail: str) -> str:
        """Send the original body with `error_reason` / `error_detail`; returns the message id."""
        response = self._client.send_message(
            QueueUrl=self._url,
            MessageBody=body or "<empty>",  # SQS refuses an empty body
            MessageAttributes={
                "error_reason": {"DataType": "String", "StringValue": reason or "unknown"},
                "error_detail": {
                    "DataType": "String",
                    "StringValue": (detail or "-")[:_MAX_DETAIL_CHARS],
                },
            },
        )
        message_id: str = response["MessageId"]
        return message_id
