"""The portal's KMS and SNS clients are created when first used, not with the adapters: a
borrower's first page (the knowledge check) signs nothing and alerts no one, and creating
a client costs tens of milliseconds of the function's first invocation."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from arrears.adapters.links import KmsSigner, TopicAlerts


class Recording:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def generate_mac(self, **kwargs: Any) -> dict[str, bytes]:
        self.calls.append(("generate_mac", kwargs))
        return {"Mac": b"\x01" * 32}

    def publish(self, **kwargs: Any) -> dict[str, str]:
        self.calls.append(("publish", kwargs))
        return {"MessageId": "m-1"}


@pytest.fixture
def created(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], Recording]:
    services: list[str] = []
    client = Recording()

    def make_client(service: str, **kwargs: Any) -> Recording:
        services.append(service)
        return client

    monkeypatch.setattr(boto3, "client", make_client)
    return services, client


def test_the_kms_client_is_made_on_the_first_signature(created) -> None:
    services, client = created
    signer = KmsSigner("key-1")
    assert services == []
    signer.sign(b"one")
    signer.sign(b"two")
    assert services == ["kms"] and [name for name, _ in client.calls] == ["generate_mac"] * 2


def test_the_sns_client_is_made_on_the_first_alert(created) -> None:
    services, client = created
    alerts = TopicAlerts("arn:aws:sns:us-east-1:123456789012:ops")
    assert services == []
    alerts.payment_claimed("acc-1#1", datetime(2026, 12, 6, tzinfo=UTC))
    assert services == ["sns"] and client.calls[0][0] == "publish"
