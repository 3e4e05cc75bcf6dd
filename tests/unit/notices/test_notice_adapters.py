"""Messaging (SNS, SES v2) and letters (S3 + KMS, EventBridge) adapters on moto."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from arrears import constants as c
from arrears.adapters.letters import LetterStore, letter_key
from arrears.adapters.messaging import InvalidRecipient, Messenger
from moto import mock_aws

from tests.support.aws import REGION, use_fake_credentials

SENDER = "collections@acme.example"


class Spy:
    """Delegates to a real (moto) client and keeps the requests made through it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            return method(**kwargs)

        return call


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    use_fake_credentials(monkeypatch)
    with mock_aws():
        yield


def test_sms_is_transactional_with_sender_id_and_returns_the_message_id(aws: None) -> None:
    # Given a messenger with a sender id and an origination number
    sns = Spy(boto3.client("sns", region_name=REGION))
    messenger = Messenger(
        sender_id="ACME", origination_number="+18005550199", email_from=SENDER, sns=sns
    )
    # When an SMS goes to a borrower
    message_id = messenger.send_sms(
        "+86 138 0000 0000", "【Acme】您的还款 ¥1,250.00 已逾期。回复TD退订。"
    )
    # Then SNS got a transactional SMS to the E.164 number, and moto holds it
    name, request = sns.calls[0]
    assert name == "publish" and request["PhoneNumber"] == "+8613800000000"
    attributes = request["MessageAttributes"]
    assert attributes["AWS.SNS.SMS.SMSType"]["StringValue"] == "Transactional"
    assert attributes["AWS.SNS.SMS.SenderID"]["StringValue"] == "ACME"
    assert attributes["AWS.MM.SMS.OriginationNumber"]["StringValue"] == "+18005550199"
    from moto.sns.models import sns_backends

    sent = sns_backends["123456789012"][REGION].sms_messages
    assert sent[message_id] == ("+8613800000000", "【Acme】您的还款 ¥1,250.00 已逾期。回复TD退订。")


def test_sms_refuses_a_number_that_is_not_e164_without_echoing_it(aws: None) -> None:
    messenger = Messenger(email_from=SENDER, sns=boto3.client("sns", region_name=REGION))
    with pytest.raises(InvalidRecipient) as error:
        messenger.send_sms("13800000000", "hello")
    assert "13800000000" not in str(error.value)


def test_email_goes_through_sesv2_from_a_verified_identity(aws: None) -> None:
    # Given a verified sender identity and a configuration set for delivery events
    sesv2 = Spy(boto3.client("sesv2", region_name=REGION))
    sesv2.create_email_identity(EmailIdentity=SENDER)
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
    sesv2.create_configuration_set(ConfigurationSetName="arrears-delivery")
    messenger = Messenger(email_from=SENDER, configuration_set="arrears-delivery", sesv2=sesv2)
    # When an email is sent with tags
    message_id = messenger.send_email(
        "jane@example.com",
        "Payment of $1,276.35 overdue",
        "Dear Jane Doe, ...",
        tags={"template": "reminder", "case": "acc-42#1"},
    )
    # Then SES v2 accepted it, simple UTF-8 content, tags without characters SES refuses
    assert message_id
    request = sesv2.calls[-1][1]
    assert request["FromEmailAddress"] == SENDER
    assert request["Destination"] == {"ToAddresses": ["jane@example.com"]}
    assert request["Content"]["Simple"]["Body"]["Text"]["Charset"] == "UTF-8"
    assert request["ConfigurationSetName"] == "arrears-delivery"
    # ("#" escaped reversibly: domain.message_tags, so a bounce finds the exact case)
    assert {"Name": "case", "Value": "acc-42_231"} in request["EmailTags"]
    quota = boto3.client("ses", region_name=REGION).get_send_quota()
    assert quota["SentLast24Hours"] == 1


def test_email_refuses_a_malformed_address(aws: None) -> None:
    messenger = Messenger(email_from=SENDER, sesv2=boto3.client("sesv2", region_name=REGION))
    with pytest.raises(InvalidRecipient):
        messenger.send_email("not-an-address", "s", "b")


@pytest.fixture
def letters_env(aws: None) -> dict[str, str]:
    kms_key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="arrears-letters")
    s3.put_bucket_versioning(
        Bucket="arrears-letters", VersioningConfiguration={"Status": "Enabled"}
    )
    events = boto3.client("events", region_name=REGION)
    events.create_event_bus(Name="arrears")
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName="dispatch")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events.put_rule(
        Name="letters-ready",
        EventBusName="arrears",
        EventPattern=json.dumps(
            {"source": [c.SOURCE_ARREARS], "detail-type": [c.DETAIL_LETTER_READY]}
        ),
    )
    events.put_targets(
        Rule="letters-ready", EventBusName="arrears", Targets=[{"Id": "q", "Arn": queue_arn}]
    )
    return {"kms_key": kms_key, "queue_url": queue_url}


def test_letter_is_stored_under_the_case_encrypted_with_kms(letters_env: dict[str, str]) -> None:
    # Given the letters bucket (versioned) and its KMS key
    store = LetterStore(
        bucket="arrears-letters", kms_key_id=letters_env["kms_key"], event_bus="arrears"
    )
    pdf = b"%PDF-1.4 a letter"
    at = datetime(2026, 11, 25, 9, 30, 1, 5, tzinfo=UTC)
    # When a letter is stored twice (a retried step)
    first = store.store_letter("acc-42#1", "demand_letter", pdf, at=at)
    second = store.store_letter("acc-42#1", "demand_letter", pdf, at=at)
    # Then the key follows the layout, versions differ, and S3 holds the encrypted bytes
    assert first.key == "cases/acc-42#1/demand_letter-20261125T093001000005Z.pdf"
    assert first.sha256 == hashlib.sha256(pdf).hexdigest() == second.sha256
    assert first.version_id not in ("", "null") and first.version_id != second.version_id
    s3 = boto3.client("s3", region_name=REGION)
    head = s3.head_object(Bucket="arrears-letters", Key=first.key, VersionId=first.version_id)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == letters_env["kms_key"]
    assert head["Metadata"]["sha256"] == first.sha256
    body = s3.get_object(Bucket="arrears-letters", Key=first.key)["Body"].read()
    assert body == pdf


def test_put_carries_the_sha256_checksum_for_s3_to_verify(letters_env: dict[str, str]) -> None:
    # Given a stored letter: real S3 rejects a body that does not match ChecksumSHA256
    # (moto neither checks nor keeps it, so the request itself is what is checked here)
    s3 = Spy(boto3.client("s3", region_name=REGION))
    store = LetterStore(bucket="arrears-letters", kms_key_id="", event_bus="arrears", s3=s3)
    pdf = b"%PDF-1.4 checksum"
    stored = store.store_letter("acc-1#1", "reminder_letter", pdf)
    request = s3.calls[0][1]
    assert request["ChecksumSHA256"] == base64.b64encode(hashlib.sha256(pdf).digest()).decode()
    assert request["ServerSideEncryption"] == "aws:kms" and "SSEKMSKeyId" not in request
    assert stored.size == len(pdf)
    head = boto3.client("s3", region_name=REGION).head_object(
        Bucket="arrears-letters", Key=stored.key
    )
    assert head["ServerSideEncryption"] == "aws:kms"  # the bucket's key when none is named


def test_letter_ready_event_reaches_the_dispatch_rule(letters_env: dict[str, str]) -> None:
    store = LetterStore(
        bucket="arrears-letters", kms_key_id=letters_env["kms_key"], event_bus="arrears"
    )
    stored = store.store_letter("acc-42#1", "lawyer_letter", b"%PDF-1.4 x")
    # When the letter is announced
    event_id = store.announce_letter_ready(
        case_id="acc-42#1",
        kind="lawyer_letter",
        key=stored.key,
        version_id=stored.version_id,
        sha256=stored.sha256,
    )
    # Then a LetterReadyForDispatch event with the key, version and hash is delivered
    assert event_id
    messages = boto3.client("sqs", region_name=REGION).receive_message(
        QueueUrl=letters_env["queue_url"], MaxNumberOfMessages=1
    )["Messages"]
    event = json.loads(messages[0]["Body"])
    assert event["source"] == c.SOURCE_ARREARS
    assert event["detail-type"] == c.DETAIL_LETTER_READY
    assert event["detail"] == {
        "case_id": "acc-42#1",
        "kind": "lawyer_letter",
        "bucket": "arrears-letters",
        "key": stored.key,
        "version_id": stored.version_id,
        "sha256": stored.sha256,
    }


def test_letter_key_is_in_utc() -> None:
    from zoneinfo import ZoneInfo

    at = datetime(2026, 11, 25, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert (
        letter_key("c#1", "demand_letter", at)
        == "cases/c#1/demand_letter-20261125T000000000000Z.pdf"
    )
