"""The hottest AWS calls after DynamoDB, answered by moto's own backends without the wire.

A never-paying case publishes about nine SNS messages (texts, and the ops alerts its legal
review raises every week), three EventBridge events and an email, stores two letters in S3,
creates a resume schedule each time it parks and starts an execution each time it resumes,
and the runtime's own emulation of Lambda's SQS event source receives and deletes every
inbound event. Through
botocore and moto, each call is serialized, matched against moto's URL patterns, parsed
again by moto's response class and serialized back: about 1.5 ms of CPU, of which the
backend's own work is a small part. Here the call keeps botocore's parameter validation,
then does what moto's response method does with the parameters (the same checks, the same
backend call; for SQS, moto's response method itself) and returns what botocore would have
parsed; a moto error is raised as the ``ClientError`` subclass the client builds from the
same code and message, or, for SQS, the call is answered by the wire. The differential tests
in ``tests/unit/local/test_direct_calls.py`` run every call shape the project makes both
ways, refusals included, and compare results, errors and what the backends did.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from botocore.parsers import DEFAULT_TIMESTAMP_PARSER
from botocore.serialize import JSONSerializer

from arrears.local.in_process import OnTheWire
from arrears.local.packed import pack_attributes

Direct = Callable[[str, str, dict[str, Any]], dict[str, Any]]


def _sns_publish(account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    from moto.sns.exceptions import SNSInvalidParameter
    from moto.sns.models import sns_backends
    from moto.sns.utils import is_e164

    phone_number = params.get("PhoneNumber")
    if phone_number is not None and not is_e164(phone_number):
        raise SNSInvalidParameter("Phone number does not meet the E164 format")
    attributes = _sns_response()._transform_message_attributes(params.get("MessageAttributes", {}))
    target = params.get("TargetArn", params.get("TopicArn"))
    try:
        message_id = sns_backends[account][region].publish(
            params["Message"],
            arn=None if phone_number is not None else target,
            phone_number=phone_number,
            subject=params.get("Subject"),
            message_attributes=attributes,
            group_id=params.get("MessageGroupId"),
            deduplication_id=params.get("MessageDeduplicationId"),
            message_structure=params.get("MessageStructure"),
        )
    except ValueError as error:
        raise SNSInvalidParameter(str(error)) from None
    return {"MessageId": message_id}


def _put_events(account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    from moto.events.models import events_backends

    # the entries as the JSON wire carries them: copies, times as epoch seconds
    wire = [
        {**entry, "Time": _WIRE_TIME(entry["Time"], "unixtimestamp")} if "Time" in entry else entry
        for entry in params["Entries"]
    ]
    entries = events_backends[account][region].put_events(json.loads(json.dumps(wire)))
    return {"FailedEntryCount": sum(1 for e in entries if "ErrorCode" in e), "Entries": entries}


def _send_email(account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    from moto.sesv2.models import sesv2_backends

    simple = params["Content"]["Simple"]  # the only content Arrears sends
    body = simple["Body"]
    message = sesv2_backends[account][region].send_email(
        source=params["FromEmailAddress"],
        destinations=params.get("Destination", {}),
        subject=simple["Subject"]["Data"],
        body=(body.get("Html") or body["Text"])["Data"],
    )
    # moto keeps every email sent until the process ends: a portfolio run sends one or two
    # a case, and their bodies were about 2 KB of what each case leaves in memory
    pack_attributes(message, ("body",), "PackedBody")
    return {"MessageId": message.id}


def _create_schedule(account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    from moto.scheduler.models import scheduler_backends

    # the parameters as the REST-JSON wire carries them: copies, times as epoch seconds
    wire = json.loads(json.dumps(params, default=lambda t: _WIRE_TIME(t, "unixtimestamp")))
    schedule = scheduler_backends[account][region].create_schedule(
        description=wire.get("Description"),
        end_date=wire.get("EndDate"),
        flexible_time_window=wire.get("FlexibleTimeWindow"),
        group_name=wire.get("GroupName"),
        kms_key_arn=wire.get("KmsKeyArn"),
        name=wire["Name"],
        schedule_expression=wire.get("ScheduleExpression"),
        schedule_expression_timezone=wire.get("ScheduleExpressionTimezone"),
        start_date=wire.get("StartDate"),
        state=wire.get("State"),
        target=wire.get("Target"),
        action_after_completion=wire.get("ActionAfterCompletion"),
    )
    return {"ScheduleArn": schedule.arn}


def _delete_schedule(account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    from moto.scheduler.models import scheduler_backends

    scheduler_backends[account][region].delete_schedule(params.get("GroupName"), params["Name"])
    return {}


# The letter store's PutObject (a PDF with its SHA-256): any other shape of the call, or a
# bucket with Object Lock (whose default retention and header checks the wire applies),
# goes over the wire.
_LETTER_PUT = frozenset(
    {"Bucket", "Key", "Body", "ContentType", "ChecksumSHA256", "Metadata",
     "ServerSideEncryption", "SSEKMSKeyId", "BucketKeyEnabled"}
)  # fmt: skip


def _s3_put_object(account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    from moto.s3.models import s3_backends
    from moto.s3.utils import metadata_from_headers
    from moto.utilities.utils import get_partition

    body = params.get("Body")
    if not (params.keys() <= _LETTER_PUT and "ChecksumSHA256" in params):
        raise OnTheWire
    if not isinstance(body, bytes):
        raise OnTheWire
    backend = s3_backends[account][get_partition(region)]
    try:
        bucket = backend.get_bucket(params["Bucket"])
    except Exception as missing:  # refused before any change: the wire shapes the error
        raise OnTheWire from missing
    if bucket.object_lock_enabled:
        raise OnTheWire
    # What moto's response method does with the headers botocore sends. A checksum value
    # sent without ``x-amz-sdk-checksum-algorithm`` (botocore sends none with a given
    # SHA-256) is not kept, so none is here either.
    enabled = params.get("BucketKeyEnabled")
    key = backend.put_object(
        bucket.name,
        params["Key"],
        body,
        storage="STANDARD",
        encryption=params.get("ServerSideEncryption"),
        kms_key_id=params.get("SSEKMSKeyId"),
        bucket_key_enabled=None if enabled is None else str(enabled).lower(),
    )
    headers = {f"x-amz-meta-{k}": v for k, v in params.get("Metadata", {}).items()}
    if "ContentType" in params:
        headers["Content-Type"] = params["ContentType"]
    key.set_metadata(metadata_from_headers(headers))
    key.set_acl(bucket.acl)
    backend.put_object_tagging(key, {})
    headers = {k: v for k, v in key.response_dict.items() if k != "content-length"}
    return _parsed("s3", "PutObject", {"status_code": 200, "headers": headers, "body": b""})


def _start_execution(account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
    from moto.core.serialize import TimestampSerializer
    from moto.stepfunctions.responses import get_backend

    if "name" not in params:  # AWS names it: the project always does
        raise OnTheWire
    execution = get_backend(account, region).start_execution(
        params["stateMachineArn"], params["name"], params.get("input") or "{}"
    )
    # the start time as the JSON wire carries it (epoch seconds to the millisecond)
    started = TimestampSerializer._timestamp_unixtimestamp(execution.start_date)
    return {"executionArn": execution.execution_arn, "startDate": _PARSE_TIME(started)}


def _sqs(method: str) -> Direct:
    """An SQS action as moto's response method performs it, from the call's parameters
    (moto parses SQS requests into the same parameters), without the wire."""

    def direct(account: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
        from moto.sqs.responses import SQSResponse

        response = SQSResponse()
        response.automated_parameter_parsing = True
        response.params = params
        response.uri_match = {}
        response.current_account, response.region = account, region
        try:
            result: dict[str, Any] = getattr(response, method)().result
        except Exception as refused:  # refused before any change: the wire shapes the error
            raise OnTheWire from refused
        # the JSON wire leaves out an empty list (no messages received)
        return {k: v for k, v in result.items() if v != []}

    return direct


_WIRE_TIME = JSONSerializer()._convert_timestamp_to_str
_PARSE_TIME = DEFAULT_TIMESTAMP_PARSER

DIRECT: dict[tuple[str, str], Direct] = {
    ("sns", "Publish"): _sns_publish,
    ("events", "PutEvents"): _put_events,
    ("sesv2", "SendEmail"): _send_email,
    # a case parking between distant stages, and its resume schedule deleted on a wake
    ("scheduler", "CreateSchedule"): _create_schedule,
    ("scheduler", "DeleteSchedule"): _delete_schedule,
    # the runtime's own emulation of Lambda's SQS event source
    ("sqs", "ReceiveMessage"): _sqs("receive_message"),
    ("sqs", "DeleteMessageBatch"): _sqs("delete_message_batch"),
    # each letter's PDF, and each start of a case's escalation (its first, and every resume)
    ("s3", "PutObject"): _s3_put_object,
    ("stepfunctions", "StartExecution"): _start_execution,
}


def _parsed(service: str, operation: str, response: dict[str, Any]) -> dict[str, Any]:
    """``response`` (status, headers, body) parsed as botocore parses the wire's answer."""
    parser, output = _parser(service, operation)
    parsed: dict[str, Any] = parser.parse(response, output)
    parsed.pop("ResponseMetadata", None)
    return parsed


@cache
def _parser(service: str, operation: str) -> tuple[Any, Any]:
    from botocore.parsers import create_parser
    from botocore.session import get_session

    model = get_session().get_service_model(service)
    return create_parser(model.protocol), model.operation_model(operation).output_shape


@cache
def _sns_response() -> Any:
    """moto's SNS response object, for its message-attribute checks."""
    from moto.sns.responses import SNSResponse

    return SNSResponse()


@contextmanager
def serving_directly(account: str, region: str) -> Iterator[None]:
    """While the block runs, the ``DIRECT`` calls of every botocore client skip the wire."""
    from botocore.validate import validate_parameters
    from moto.core.exceptions import JsonRESTError, ServiceException

    from arrears.local.in_process import CallRefused, answering

    def answer_for(client: Any, operation_name: str) -> Any:
        direct = DIRECT.get((client.meta.service_model.service_name, operation_name))
        if direct is None:
            return None

        def answer(client: Any, operation_name: str, params: dict[str, Any]) -> dict[str, Any]:
            operation = client.meta.service_model.operation_model(operation_name)
            validate_parameters(params, operation.input_shape)
            try:
                return direct(account, region, dict(params))
            except (ServiceException, JsonRESTError) as error:
                code = error.error_type if isinstance(error, JsonRESTError) else error.code
                refusal: dict[str, Any] = {"Code": code, "Message": error.message}
                if client.meta.service_model.protocol == "query":  # as botocore parses XML
                    refusal.update({"Type": "Sender", "message": error.message})
                raise CallRefused(refusal) from None

        return answer

    with answering(answer_for):
        yield
