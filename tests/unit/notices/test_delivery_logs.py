"""SMS delivery status as CloudWatch Logs delivers it to the delivery function.

SNS writes one JSON record per failed direct-to-phone SMS to the log group
``sns/<region>/<account>/DirectPublishToPhoneNumber/Failure``; a subscription filter hands
the lines to the function as ``{"awslogs": {"data": base64(gzip(document))}}``.
"""

from __future__ import annotations

import base64
import gzip
import json
import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from arrears.adapters import delivery
from arrears.adapters.cases import Repositories
from arrears.domain.case import BorrowerRecord
from arrears.domain.types import Channel
from arrears.handlers.delivery import process
from arrears.local import delivery_events

PHONE = "+8613800000000"
LOG_GROUP = "sns/us-east-1/123456789012/DirectPublishToPhoneNumber/Failure"


def sms_failure_record(provider_response: str, message_id: str = "6e2c9a41-1f0b") -> dict:
    """A delivery-status record as SNS logs it for a failed transactional SMS."""
    return delivery_events.sms_failure_record(
        message_id=message_id,
        destination=PHONE,
        provider_response=provider_response,
        at=datetime(2026, 11, 25, 9, 0, 1, 379000, tzinfo=UTC),
    )


def subscription_event(lines: list[str], message_type: str = "DATA_MESSAGE") -> dict[str, Any]:
    document = {
        "messageType": message_type,
        "owner": "123456789012",
        "logGroup": LOG_GROUP,
        "logStream": "a1b2c3d4-0000-4000-8000-000000000001",
        "subscriptionFilters": ["ArrearsStack-DeliverySmsFailureSubscription"],
        "logEvents": [
            {"id": f"3719{i:04d}", "timestamp": 1795597201379 + i, "message": line}
            for i, line in enumerate(lines)
        ],
    }
    data = base64.b64encode(gzip.compress(json.dumps(document).encode())).decode()
    return {"awslogs": {"data": data}}


def test_each_log_line_comes_back_as_its_record() -> None:
    # given two failure records delivered in one subscription batch
    first = sms_failure_record("Invalid phone number", "m-1")
    second = sms_failure_record("Phone is currently unreachable/unavailable", "m-2")
    event = subscription_event([json.dumps(first), json.dumps(second)])

    # when the payload is decoded
    records = delivery.log_subscription_records(event)

    # then the records are the logged ones, in order
    assert records == [first, second]


def test_decoded_record_parses_to_a_permanent_sms_failure() -> None:
    # given an invalid-number record from the failure log
    event = subscription_event([json.dumps(sms_failure_record("Invalid phone number", "m-7"))])

    # when decoded and parsed
    (record,) = delivery.log_subscription_records(event)
    outcome = delivery.parse(record)

    # then it is a permanent SMS failure of that message, at the logged time (UTC)
    assert outcome is not None
    assert outcome.channel is Channel.SMS
    assert outcome.outcome is delivery.Outcome.SMS_PERMANENT_FAILURE
    assert outcome.message_id == "m-7"
    assert outcome.at.isoformat() == "2026-11-25T09:00:01.379000+00:00"


def test_the_control_message_of_a_new_subscription_carries_no_records() -> None:
    event = subscription_event(
        ["CWL CONTROL MESSAGE: Checking health of destination"], "CONTROL_MESSAGE"
    )
    assert delivery.log_subscription_records(event) == []


def test_lines_that_are_not_json_objects_are_skipped() -> None:
    record = sms_failure_record("Phone has blocked SMS")
    event = subscription_event(["not json", "[1, 2]", json.dumps(record)])
    assert delivery.log_subscription_records(event) == [record]


@pytest.mark.parametrize(
    "event",
    [
        {"awslogs": {"data": "%%% not base64 %%%"}},
        {"awslogs": {"data": base64.b64encode(b"not gzip").decode()}},
        {"awslogs": {}},
    ],
)
def test_a_broken_payload_is_an_error_not_an_empty_batch(event: dict[str, Any]) -> None:
    # a silent [] would hide a broken subscription; the invocation fails and is retried
    with pytest.raises(ValueError, match="CloudWatch Logs"):
        delivery.log_subscription_records(event)


def test_handler_path_counts_an_sns_sms_failure_it_cannot_match_and_logs_no_number(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # given a borrower, and an SNS failure record (SNS records carry no account or case)
    repos = Repositories.in_memory()
    repos.borrowers.save_profile(BorrowerRecord(account_id="acc-42", phone=PHONE))
    event = subscription_event([json.dumps(sms_failure_record("Invalid phone number"))])

    # when the delivery handler processes the subscription delivery
    with caplog.at_level(logging.INFO):
        counts = process(event, repos)

    # then it is counted as unmatched (never looked up by phone number), nothing changes,
    # and the number appears in no log line
    assert counts == {"unmatched": 1}
    stored = repos.borrowers.get("acc-42")
    assert stored is not None and stored.sms_failed is False
    logged = [json.dumps(vars(r), default=str) for r in caplog.records]
    assert any('"outcome": "sms_permanent_failure"' in line for line in logged)
    assert not any(PHONE in line for line in logged)
