"""The ingest DLQ adapter: its SQS client is created on the first rejection, not before
(most cold starts of the ingest function reject nothing)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from arrears.adapters import dead_letters


class Recording:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_message(self, **kwargs: Any) -> dict[str, str]:
        self.sent.append(kwargs)
        return {"MessageId": "m-1"}


def test_no_client_is_created_until_an_event_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[str] = []
    client = Recording()

    def make_client(service: str) -> Recording:
        created.append(service)
        return client

    monkeypatch.setattr(boto3, "client", make_client)
    # given the adapter the ingest function builds on its first record
    sink = dead_letters.DeadLetters("https://sqs.example/dlq")
    assert sink.configured and created == []
    # when an event is rejected, then the client is made once and the body sent
    assert sink.reject("{}", "bad_envelope", "source: Field required") == "m-1"
    sink.reject("{}", "bad_envelope", "again")
    assert created == ["sqs"]
    assert client.sent[0]["MessageAttributes"]["error_reason"]["StringValue"] == "bad_envelope"
