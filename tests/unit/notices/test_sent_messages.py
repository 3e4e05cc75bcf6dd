"""A failed SMS finds its borrower through the sent-messages index, never by phone number."""

from __future__ import annotations

import base64
import gzip
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import boto3
import pytest
from arrears.adapters import delivery
from arrears.adapters.cases import Repositories
from arrears.adapters.messaging import Messenger
from arrears.adapters.models import bind_tables
from arrears.adapters.sent_messages import (
    KEEP_FOR,
    InMemorySentMessages,
    SentMessage,
    SentMessages,
)
from arrears.domain.case import BorrowerRecord
from arrears.domain.types import Channel
from arrears.handlers.delivery import process
from arrears.steps.delivery import resolve
from arrears.topology import SENT_MESSAGES
from moto import mock_aws

from tests.support.aws import REGION, use_fake_credentials

PHONE = "+8613800000000"
TAGS = {"account_id": "acc-42", "case_id": "acc-42#1"}


def _sns() -> object:
    return boto3.client("sns", region_name=REGION)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    use_fake_credentials(monkeypatch)
    with mock_aws():
        yield


def _sms_failure_logs(message_id: str, provider_response: str) -> dict[str, object]:
    record = {
        "notification": {"messageId": message_id, "timestamp": "2026-11-25 09:00:01.379"},
        "delivery": {"destination": PHONE, "providerResponse": provider_response},
        "status": "FAILURE",
    }
    document = {
        "messageType": "DATA_MESSAGE",
        "logGroup": "sns/us-east-1/123456789012/DirectPublishToPhoneNumber/Failure",
        "logEvents": [{"id": "1", "timestamp": 1795597201379, "message": json.dumps(record)}],
    }
    data = base64.b64encode(gzip.compress(json.dumps(document).encode())).decode()
    return {"awslogs": {"data": data}}


def test_a_tagged_sms_is_remembered_by_its_message_id(aws: None) -> None:
    # given a messenger with an index
    index = InMemorySentMessages()
    messenger = Messenger(email_from="x@example.com", sns=_sns(), sent_messages=index)

    # when it sends one SMS with the case's tags and one without
    tagged = messenger.send_sms(PHONE, "Payment overdue. Reply STOP to opt out.", TAGS)
    untagged = messenger.send_sms(PHONE, "Test message.")

    # then only the tagged one is remembered, with its account and case (no phone number)
    remembered = index.find(tagged)
    assert remembered is not None
    assert (remembered.account_id, remembered.case_id, remembered.channel) == (
        "acc-42",
        "acc-42#1",
        Channel.SMS,
    )
    assert PHONE not in repr(remembered)
    assert index.find(untagged) is None


def test_a_failing_index_never_fails_a_text_that_went_out(
    aws: None, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(InMemorySentMessages):
        def remember(self, message: SentMessage) -> None:
            raise RuntimeError("throttled")

    messenger = Messenger(email_from="x@example.com", sns=_sns(), sent_messages=Broken())
    with caplog.at_level(logging.WARNING):
        message_id = messenger.send_sms(PHONE, "Payment overdue.", TAGS)
    assert message_id
    assert any("not remembered" in r.getMessage() for r in caplog.records)


def test_an_sns_sms_failure_stops_sms_for_the_remembered_borrower() -> None:
    # given a borrower and the index entry their reminder SMS left
    repos = Repositories.in_memory()
    repos.borrowers.save_profile(BorrowerRecord(account_id="acc-42", phone=PHONE))
    index = InMemorySentMessages()
    index.remember(SentMessage("sns-msg-9", "acc-42", "acc-42#1", Channel.SMS, datetime.now(UTC)))

    # when SNS reports that message as sent to an invalid number
    counts = process(_sms_failure_logs("sns-msg-9", "Invalid phone number"), repos, index)

    # then SMS is stopped for that borrower, and the case timeline says so
    assert counts == {"channel_stopped": 1}
    borrower = repos.borrowers.get("acc-42")
    assert borrower is not None and borrower.sms_failed is True
    (entry,) = [e for e in repos.timeline.list("acc-42#1") if e.kind == "delivery_outcome"]
    assert entry.detail == {
        "channel": "sms",
        "outcome": "sms_permanent_failure",
        "action": "channel_stopped",
        "message_id": "sns-msg-9",
    }


def test_a_message_id_the_index_does_not_know_stays_unmatched() -> None:
    repos = Repositories.in_memory()
    counts = process(
        _sms_failure_logs("unknown", "Invalid phone number"), repos, InMemorySentMessages()
    )
    assert counts == {"unmatched": 1}


def test_resolve_keeps_tags_and_never_crosses_channels() -> None:
    index = InMemorySentMessages()
    index.remember(SentMessage("m-1", "acc-9", "acc-9#1", Channel.SMS, datetime.now(UTC)))
    tagged = delivery.DeliveryOutcome(
        Channel.SMS, delivery.Outcome.DELIVERED, "m-1", "acc-42", None, datetime.now(UTC)
    )
    email = delivery.DeliveryOutcome(
        Channel.EMAIL, delivery.Outcome.HARD_BOUNCE, "m-1", None, None, datetime.now(UTC)
    )
    assert resolve(tagged, index) is tagged
    assert resolve(email, index) is email


def test_the_dynamodb_index_round_trips_and_expires(aws: None) -> None:
    # given the sent-messages table as the stack defines it
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    dynamodb.create_table(
        TableName=SENT_MESSAGES.local_name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "message_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "message_id", "AttributeType": "S"}],
    )
    bind_tables({})
    index = SentMessages()
    sent_at = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    # when a message is remembered
    index.remember(SentMessage("sns-msg-1", "acc-42", "acc-42#1", Channel.SMS, sent_at))

    # then it is found by its id, and the item expires KEEP_FOR after sending
    assert index.find("sns-msg-1") == SentMessage(
        "sns-msg-1", "acc-42", "acc-42#1", Channel.SMS, sent_at
    )
    assert index.find("other") is None
    item = dynamodb.get_item(
        TableName=SENT_MESSAGES.local_name, Key={"message_id": {"S": "sns-msg-1"}}
    )["Item"]
    assert int(item["expires_at"]["N"]) == int((sent_at + KEEP_FOR).timestamp())
    assert PHONE not in json.dumps(item)
