"""What SES, SNS and CloudWatch Logs send the delivery function, built for the local runtime.

The deployed delivery function receives (``infra/constructs/delivery.py``):
- SNS notifications from the delivery-events topic, whose message is an SES event from the
  configuration set's event destination (``ses_event``), and
- CloudWatch Logs subscription deliveries from SNS's SMS delivery-status failure log group
  (``log_subscription_event`` around ``sms_failure_record``s).

Local runs and tests build the same shapes here and hand them to
``LocalRuntime.publish_delivery_event`` / ``LocalRuntime.deliver_sms_status_logs``. Nothing
here talks to AWS; no PII is logged (the builders only return dicts).
"""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from arrears.domain.message_tags import encode_tag_value

SES_EVENT_TYPES = ("Bounce", "Complaint", "Delivery", "Reject")


def _ses_time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def ses_event(
    event_type: str,
    *,
    message_id: str,
    tags: Mapping[str, str],
    recipient: str,
    at: datetime,
    source: str = "collections@example.com",
    configuration_set: str = "arrears-email",
    account: str = "123456789012",
    region: str = "us-east-1",
    bounce_type: str = "Permanent",
    bounce_sub_type: str = "General",
) -> dict[str, Any]:
    """An SES event-publishing record (the SNS message body) for one sent email.

    ``tags`` are the tags the sender passed; SES returns them as they were sent, i.e.
    escaped (``domain.message_tags``), next to its own ``ses:`` tags.
    """
    if event_type not in SES_EVENT_TYPES:
        raise ValueError(f"event_type must be one of {SES_EVENT_TYPES}")
    when = _ses_time(at)
    mail_tags: dict[str, list[str]] = {
        "ses:configuration-set": [configuration_set],
        "ses:from-domain": [source.rpartition("@")[2]],
        "ses:caller-identity": ["arrears-contact"],
    }
    mail_tags.update({name: [encode_tag_value(value)] for name, value in tags.items()})
    event: dict[str, Any] = {
        "eventType": event_type,
        "mail": {
            "timestamp": when,
            "source": source,
            "sourceArn": f"arn:aws:ses:{region}:{account}:identity/{source}",
            "sendingAccountId": account,
            "messageId": message_id,
            "destination": [recipient],
            "headersTruncated": False,
            "tags": mail_tags,
        },
    }
    if event_type == "Bounce":
        permanent = bounce_type == "Permanent"
        event["bounce"] = {
            "feedbackId": str(uuid.uuid4()),
            "bounceType": bounce_type,
            "bounceSubType": bounce_sub_type,
            "bouncedRecipients": [
                {
                    "emailAddress": recipient,
                    "action": "failed",
                    "status": "5.1.1" if permanent else "4.2.2",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown"
                    if permanent
                    else "smtp; 452 4.2.2 mailbox full",
                }
            ],
            "timestamp": when,
            "reportingMTA": "dsn; a1-23.smtp-out.amazonses.com",
        }
    elif event_type == "Complaint":
        event["complaint"] = {
            "feedbackId": str(uuid.uuid4()),
            "complainedRecipients": [{"emailAddress": recipient}],
            "complaintFeedbackType": "abuse",
            "timestamp": when,
            "userAgent": "Mail Provider Feedback Loop",
        }
    elif event_type == "Delivery":
        event["delivery"] = {
            "timestamp": when,
            "processingTimeMillis": 512,
            "recipients": [recipient],
            "smtpResponse": "250 2.0.0 OK",
            "reportingMTA": "a1-23.smtp-out.amazonses.com",
        }
    else:
        event["reject"] = {"reason": "Bad content"}
    return event


def sms_failure_record(
    *, message_id: str, destination: str, provider_response: str, at: datetime
) -> dict[str, Any]:
    """One record of SNS's ``DirectPublishToPhoneNumber/Failure`` delivery-status log."""
    return {
        "notification": {
            "messageId": message_id,
            "timestamp": at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
        },
        "delivery": {
            "mnc": 0,
            "numberOfMessageParts": 1,
            "destination": destination,
            "priceInUSD": 0.0,
            "smsType": "Transactional",
            "mcc": 460,
            "providerResponse": provider_response,
            "dwellTimeMs": 1385,
            "dwellTimeMsUntilDeviceAck": 3148,
        },
        "status": "FAILURE",
    }


def log_subscription_event(
    records: Sequence[Mapping[str, Any]], *, log_group: str, at: datetime, owner: str
) -> dict[str, Any]:
    """What a CloudWatch Logs subscription filter invokes its function with."""
    millis = int(at.timestamp() * 1000)
    document = {
        "messageType": "DATA_MESSAGE",
        "owner": owner,
        "logGroup": log_group,
        "logStream": str(uuid.uuid4()),
        "subscriptionFilters": ["arrears-sms-failures"],
        "logEvents": [
            {"id": f"{millis}{i:06d}", "timestamp": millis, "message": json.dumps(record)}
            for i, record in enumerate(records)
        ],
    }
    data = base64.b64encode(gzip.compress(json.dumps(document).encode("utf-8")))
    return {"awslogs": {"data": data.decode("ascii")}}


def sns_lambda_event(
    *, topic_arn: str, message_id: str, message: str, at: datetime
) -> dict[str, Any]:
    """What SNS invokes a subscribed Lambda function with, for one notification."""
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": f"{topic_arn}:{uuid.uuid4()}",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": topic_arn,
                    "Subject": None,
                    "Message": message,
                    "Timestamp": _ses_time(at),
                    "SignatureVersion": "1",
                    "Signature": "local",
                    "SigningCertUrl": "",
                    "UnsubscribeUrl": "",
                    "MessageAttributes": {},
                },
            }
        ]
    }
