"""SNS Publish, EventBridge PutEvents, SES, Scheduler, SQS, S3 PutObject and Step Functions
StartExecution answered without the wire give what the full botocore + moto path gives: the
same results (random ids aside), the same errors, and the same effects in moto's backends
(the SMS recorded, the event routed to the queue, the letter's version kept)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from arrears.local.direct_calls import serving_directly
from botocore.exceptions import ClientError, ParamValidationError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID as ACCOUNT
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

REGION = "us-east-1"
ATTRIBUTES = {
    "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
    "attempt": {"DataType": "Number", "StringValue": "2"},
}


def _world() -> dict[str, Any]:
    """A topic with a queue subscribed, and a bus rule that sends to a queue."""
    sqs, sns, events = (boto3.client(s, region_name=REGION) for s in ("sqs", "sns", "events"))
    alerts = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    routed = sqs.create_queue(QueueName="routed")["QueueUrl"]
    arn = "arn:aws:sqs:us-east-1:123456789012:"
    topic = sns.create_topic(Name="ops")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn + "alerts")
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress="lender@example.com")
    events.create_event_bus(Name="bus")
    events.put_rule(Name="r", EventBusName="bus", EventPattern=json.dumps({"source": ["wallet"]}))
    events.put_targets(Rule="r", EventBusName="bus", Targets=[{"Id": "q", "Arn": arn + "routed"}])
    boto3.client("scheduler", region_name=REGION).create_schedule_group(Name="resume")
    return {"topic": topic, "alerts": alerts, "routed": routed, "sqs": sqs}


def _calls(topic: str) -> list[tuple[str, str, dict[str, Any]]]:
    entry = {"Source": "wallet", "DetailType": "Paid", "Detail": '{"a": 1}', "EventBusName": "bus"}
    return [
        ("sns", "publish", {"PhoneNumber": "+447700900123", "Message": "hi", "MessageAttributes": ATTRIBUTES}),  # noqa: E501
        ("sns", "publish", {"TopicArn": topic, "Message": "alert", "Subject": "legal review"}),
        ("sns", "publish", {"PhoneNumber": "07700 900123", "Message": "hi"}),  # not E.164
        ("sns", "publish", {"PhoneNumber": "+447700900123", "Message": "hi",
                            "MessageAttributes": {"x": {"DataType": "Float", "StringValue": "1"}}}),
        ("sns", "publish", {"PhoneNumber": "+447700900123", "Message": "hi",
                            "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "x"}}}),  # noqa: E501
        ("sns", "publish", {"TopicArn": topic + "-gone", "Message": "alert"}),
        ("events", "put_events", {"Entries": [entry]}),
        ("events", "put_events", {"Entries": [{**entry, "Time": datetime(2026, 11, 2, 9, tzinfo=UTC)}]}),  # noqa: E501
        ("events", "put_events", {"Entries": [{**entry, "Source": "other"}, {"Source": "wallet"}]}),
        ("events", "put_events", {"Entries": [{**entry, "EventBusName": "no-such-bus"}]}),
        ("sesv2", "send_email", _email("lender@example.com", "Text")),
        ("sesv2", "send_email", _email("lender@example.com", "Html")),
        ("sesv2", "send_email", _email("stranger@example.com", "Text")),  # not verified
        ("sesv2", "send_email", _email("lender@example.com", "Text", to="not an address")),
        ("scheduler", "create_schedule", _schedule("acc-1-1-c1-r1")),
        ("scheduler", "create_schedule", _schedule("acc-1-1-c1-r1")),  # exists: a retried park
        ("scheduler", "delete_schedule", {"Name": "acc-1-1-c1-r1", "GroupName": "resume"}),
        ("scheduler", "delete_schedule", {"Name": "acc-1-1-c1-r1", "GroupName": "resume"}),
    ]  # fmt: skip


def _schedule(name: str) -> dict[str, Any]:
    """A case's resume schedule, as the parking step creates it."""
    return {
        "Name": name,
        "GroupName": "resume",
        "ScheduleExpression": "at(2026-12-01T09:15:00)",
        "ScheduleExpressionTimezone": "UTC",
        "FlexibleTimeWindow": {"Mode": "OFF"},
        "ActionAfterCompletion": "DELETE",
        "Target": {
            "Arn": "arn:aws:scheduler:::aws-sdk:sfn:startExecution",
            "RoleArn": "arn:aws:iam::123456789012:role/resume",
            "Input": json.dumps({"Name": name}),
            "RetryPolicy": {"MaximumRetryAttempts": 10, "MaximumEventAgeInSeconds": 3600},
        },
    }


def _email(sender: str, kind: str, to: str = "b@example.com") -> dict[str, Any]:
    return {
        "FromEmailAddress": sender,
        "Destination": {"ToAddresses": [to]},
        "Content": {"Simple": {"Subject": {"Data": "Reminder"}, "Body": {kind: {"Data": "Pay"}}}},
        "EmailTags": [{"Name": "case_id", "Value": "acc-1_231"}],
        "ConfigurationSetName": "delivery",
    }


def _outcome(service: str, method: str, params: dict[str, Any]) -> Any:
    client = boto3.client(service, region_name=REGION)
    try:
        result = getattr(client, method)(**params)
    except ClientError as error:
        return ("error", type(error).__name__, error.response["Error"])
    result.pop("ResponseMetadata")
    for entry in result.get("Entries", []):
        entry.pop("EventId", None)
    return ("ok", sorted(result), result.get("FailedEntryCount"), result.get("Entries"))


def _run(direct: bool) -> tuple[list[Any], dict[str, Any]]:
    with mock_aws():
        world = _world()
        outcomes: list[Any] = []
        with serving_directly(ACCOUNT, REGION) if direct else _nothing():
            for service, method, params in _calls(world["topic"]):
                outcomes.append(_outcome(service, method, params))
        sqs = world["sqs"]
        delivered = {
            name: [
                json.loads(m["Body"]).get("Message") or json.loads(m["Body"]).get("detail-type")
                for m in sqs.receive_message(QueueUrl=world[name], MaxNumberOfMessages=10).get(
                    "Messages", []
                )
            ]
            for name in ("alerts", "routed")
        }
        texts = list(sns_backends[ACCOUNT][REGION].sms_messages.values())
        emails = [
            (m.source, m.subject, m.body, m.destinations)
            for m in ses_backends[ACCOUNT][REGION].sent_messages
        ]
        scheduler = boto3.client("scheduler", region_name=REGION)
        schedules = [
            (s["Name"], s["GroupName"], s["Target"]["Arn"])
            for s in scheduler.list_schedules()["Schedules"]
        ]
        effects = {"delivered": delivered, "texts": texts, "emails": emails, "schedules": schedules}
        return outcomes, effects


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_direct_calls_answer_fail_and_act_as_the_wire_does():
    # when the same calls are made through the wire and directly
    wire, wire_effects = _run(direct=False)
    direct, direct_effects = _run(direct=True)

    # then every result and error is the same, and so is what moto's backends did
    assert direct == wire
    assert direct_effects == wire_effects
    # and the cases are what they claim: two sends, four refusals, entries routed or failed
    kinds = [o[0] for o in wire]
    assert kinds[:6] == ["ok", "ok", "error", "error", "error", "error"]
    assert wire_effects["delivered"]["alerts"] == ["alert"]
    assert wire_effects["delivered"]["routed"] == ["Paid", "Paid"]
    assert wire_effects["texts"] == [("+447700900123", "hi")]
    assert [o[0] for o in wire[10:14]] == ["ok", "ok", "error", "error"]
    assert [e[2] for e in wire_effects["emails"]] == ["Pay", "Pay"]
    assert wire[8][2] == 1  # one of two entries failed (no DetailType)
    assert [o[0] for o in wire[14:]] == ["ok", "error", "ok", "error"]
    assert [o[2]["Code"] for o in wire[14:] if o[0] == "error"] == [
        "ConflictException",
        "ResourceNotFoundException",
    ]


def test_parameters_are_validated_before_anything_is_sent():
    with mock_aws(), serving_directly(ACCOUNT, REGION), pytest.raises(ParamValidationError):
        boto3.client("sns", region_name=REGION).publish(PhoneNumber="+447700900123")


def _sqs_run(direct: bool) -> list[Any]:
    """The runtime's event-source calls on a queue: receive, delete, and the refusals."""
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        url = sqs.create_queue(QueueName="ingest", Attributes={"VisibilityTimeout": "30"})[
            "QueueUrl"
        ]
        for n in range(3):
            sqs.send_message(
                QueueUrl=url, MessageBody=f"event {n}",
                MessageAttributes={"n": {"DataType": "Number", "StringValue": str(n)}},
            )  # fmt: skip
        outcomes: list[Any] = []

        def call(method: str, **params: Any) -> dict[str, Any]:
            try:
                result = getattr(sqs, method)(**params)
            except ClientError as error:
                outcomes.append(("error", type(error).__name__, error.response["Error"]))
                return {}
            result.pop("ResponseMetadata")
            outcomes.append(("ok", _stable(result)))
            return result

        with serving_directly(ACCOUNT, REGION) if direct else _nothing():
            everything = {"AttributeNames": ["All"], "MessageAttributeNames": ["All"]}
            got = call("receive_message", QueueUrl=url, MaxNumberOfMessages=2, **everything)
            handles = [m["ReceiptHandle"] for m in got["Messages"]]
            call("receive_message", QueueUrl=url, MaxNumberOfMessages=10)  # the third only
            call("receive_message", QueueUrl=url, MaxNumberOfMessages=10)  # none visible
            call("delete_message_batch", QueueUrl=url, Entries=[
                {"Id": "0", "ReceiptHandle": handles[0]}, {"Id": "1", "ReceiptHandle": "bad"},
            ])  # fmt: skip
            call("receive_message", QueueUrl=url, MaxNumberOfMessages=11)
            call("receive_message", QueueUrl=url + "-gone", MaxNumberOfMessages=1)
            call("delete_message_batch", QueueUrl=url, Entries=[])
        outcomes.append(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
            "Attributes"
        ]["ApproximateNumberOfMessagesNotVisible"])  # fmt: skip
        return outcomes


def _stable(result: dict[str, Any]) -> dict[str, Any]:
    """A result without the values drawn at random or from the clock."""
    drawn = {"MessageId", "ReceiptHandle", "SentTimestamp", "ApproximateFirstReceiveTimestamp"}

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in drawn}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(result)  # type: ignore[no-any-return]


def test_the_event_source_calls_answer_and_fail_as_the_wire_does():
    wire, direct = _sqs_run(direct=False), _sqs_run(direct=True)

    assert direct == wire
    assert [o[0] for o in wire[:-1]] == ["ok", "ok", "ok", "ok", "error", "error", "error"]
    assert len(wire[0][1]["Messages"]) == 2 and "Messages" not in wire[2][1]
    assert wire[3][1]["Successful"] == [{"Id": "0"}] and len(wire[3][1]["Failed"]) == 1


PDF = b"%PDF-1.7 a letter"
SHA256 = "mFt1/2PmuOBrh2Z3jPJtUR/JHvLo4Jmz6yNS7Xh8JNc="  # any value: moto keeps none it is sent
MACHINE = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}


def _letter(key: str, **extra: Any) -> dict[str, Any]:
    """A letter as the letter store puts it."""
    return {
        "Bucket": "arrears-letters", "Key": key, "Body": PDF, "ContentType": "application/pdf",
        "ChecksumSHA256": SHA256, "Metadata": {"sha256": "ab12", "kind": "demand"},
        "ServerSideEncryption": "aws:kms", **extra,
    }  # fmt: skip


def _letters_and_starts_run(direct: bool) -> tuple[list[Any], list[Any], int]:
    """The letters' PutObject and the escalation's StartExecution, their refusals too:
    outcomes, what the backends hold after, and how many calls went over the wire."""
    from botocore.client import BaseClient

    wire_calls = 0
    original = BaseClient._make_request

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal wire_calls
        wire_calls += 1
        return original(self, *args, **kwargs)

    with mock_aws():  # executions not run: a start is all there is to compare
        s3 = boto3.client("s3", region_name=REGION)
        sfn = boto3.client("stepfunctions", region_name=REGION)
        s3.create_bucket(Bucket="arrears-letters")
        s3.put_bucket_versioning(
            Bucket="arrears-letters", VersioningConfiguration={"Status": "Enabled"}
        )
        machine = sfn.create_state_machine(
            name="escalation", definition=json.dumps(MACHINE),
            roleArn="arn:aws:iam::123456789012:role/sfn",
        )["stateMachineArn"]  # fmt: skip
        start = {"stateMachineArn": machine, "name": "acc-1-1-c1", "input": '{"case_id": "c1"}'}
        calls = [
            ("s3", "put_object", _letter("letters/c1/demand.pdf")),
            ("s3", "put_object", _letter("letters/c1/demand.pdf")),  # a second version
            ("s3", "put_object", _letter("letters/c1/lawyer.pdf", SSEKMSKeyId="key-1",
                                         BucketKeyEnabled=True)),
            ("s3", "put_object", _letter("letters/c1/x.pdf", Bucket="no-such-bucket")),
            ("stepfunctions", "start_execution", start),
            ("stepfunctions", "start_execution", start),  # again: the same execution
            ("stepfunctions", "start_execution", {**start, "input": "{}"}),  # name taken
            ("stepfunctions", "start_execution", {**start, "name": "acc-1-1-c1-r1"}),
            ("stepfunctions", "start_execution", {**start, "stateMachineArn": machine + "-gone"}),
            ("stepfunctions", "start_execution", {**start, "name": "bad name?"}),
        ]  # fmt: skip
        outcomes: list[Any] = []
        BaseClient._make_request = counted
        try:
            with serving_directly(ACCOUNT, REGION) if direct else _nothing():
                for service, method, params in calls:
                    outcomes.append(_full_outcome(service, method, params))
        finally:
            BaseClient._make_request = original
        versions = s3.list_object_versions(Bucket="arrears-letters")["Versions"]
        held: list[Any] = [(v["Key"], v["Size"], v["ETag"]) for v in versions]
        for version in versions:
            got = s3.get_object(
                Bucket="arrears-letters", Key=version["Key"], VersionId=version["VersionId"],
                ChecksumMode="ENABLED",
            )  # fmt: skip
            body = got.pop("Body").read()
            held.append((body, {k: v for k, v in got.items() if k not in _DRAWN}))
        for execution in sfn.list_executions(stateMachineArn=machine)["executions"]:
            described = sfn.describe_execution(executionArn=execution["executionArn"])
            held.append((execution["name"], described["input"]))
        return outcomes, held, wire_calls


_DRAWN = {"ResponseMetadata", "VersionId", "LastModified", "startDate"}


def _full_outcome(service: str, method: str, params: dict[str, Any]) -> Any:
    """The whole result but its drawn values (a version id, the time), or the refusal."""
    try:
        result = getattr(boto3.client(service, region_name=REGION), method)(**params)
    except ClientError as error:
        return ("error", type(error).__name__, error.response["Error"])
    start = result.get("startDate")  # its form, as botocore parses the wire's
    form = None if start is None else (type(start.tzinfo).__name__, start.microsecond % 1000)
    return ("ok", {k: v for k, v in result.items() if k not in _DRAWN}, form)


def test_letters_and_execution_starts_answer_fail_and_act_as_the_wire_does():
    # when the letter store's puts and the escalation's starts are made both ways
    wire, wire_held, _ = _letters_and_starts_run(direct=False)
    direct, direct_held, direct_wire_calls = _letters_and_starts_run(direct=True)

    # then results, refusals and what S3 and Step Functions hold are the same
    assert direct == wire
    assert direct_held == wire_held
    # and the cases are what they claim: three letters kept as versions, one refused; two
    # executions started (one of them twice), a taken name, an unknown machine, a bad name
    kinds = [o[0] for o in wire]
    assert kinds == ["ok"] * 3 + ["error"] + ["ok", "ok", "error", "ok"] + ["error"] * 2
    assert wire[6][2]["Code"] == "ExecutionAlreadyExists"
    assert len(wire_held) == 3 * 2 + 2
    # and only the refusal whose shape the wire makes (no such bucket) went over it
    assert direct_wire_calls == 1


def test_a_sent_email_is_kept_with_its_body_compressed_and_reads_back_the_same():
    # given a long email body, sent without the wire
    body = "<p>Your payment of 120.00 is overdue.</p>" * 60
    with mock_aws():
        _world()
        params = _email("lender@example.com", "Html")
        params["Content"]["Simple"]["Body"]["Html"]["Data"] = body
        with serving_directly(ACCOUNT, REGION):
            boto3.client("sesv2", region_name=REGION).send_email(**params)

        # then moto's record reads back the body sent, and keeps it compressed
        (message,) = ses_backends[ACCOUNT][REGION].sent_messages
        assert message.body == body
        assert "body" not in vars(message)
        (packed,) = (value for name, value in vars(message).items() if "body" in name)
        assert len(packed._blob) < len(body) / 4
