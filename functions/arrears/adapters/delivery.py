"""Delivery outcomes: SES bounces and complaints, SMS delivery failures -> reachability.

Three event shapes are understood:

- SES through EventBridge (configuration-set event destination): `source: aws.ses`,
  `detail-type: "Email Bounced" | "Email Complaint" | "Email Delivered"`, detail with
  `eventType`, `bounce.bounceType`, `mail.messageId`, `mail.tags`;
- SES notifications through SNS (`notificationType: Bounce | Complaint | Delivery`);
- SMS events of AWS End User Messaging SMS (`eventType: TEXT_PERMANENT_FAILURE`, ...,
  `context` with the account) and SNS SMS delivery-status records (`status: FAILURE`),
  the latter as CloudWatch Logs delivers them to a subscription filter
  (`{"awslogs": {"data": <base64 gzip>}}`, decoded by `log_subscription_records`).

The account comes from the message's tags (`account_id`, `case_id`), which the sender
attaches (`messaging.send_email(..., tags=...)`); an SNS SMS report has none, so its
message id is looked up in the sent-messages index the messenger writes
(`adapters.sent_messages`, `resolve`). An outcome still without an account is counted and
dropped, never matched by address or number (that would need PII in a lookup).

What an outcome does:
- permanent (hard) bounce -> `email_bounced` on the borrower: that channel is stopped;
- complaint (the borrower marked it as spam) -> email opt-out, as if they had replied STOP;
- permanent SMS failure (unknown or unreachable number) -> `sms_failed`: channel stopped;
- transient (or undetermined) bounces and temporary SMS failures leave the channel open:
  the next message may well arrive; the case timeline notes that this one did not;
- a reject (SES refused to send the message: it found a virus in it) is about our content,
  not the borrower's address: the channel stays open, the timeline notes it;
- a delivery clears a previous bounce or failure on that channel.
Each outcome with a case writes a `delivery_outcome` line on its timeline, without PII.

Reports arrive late, out of order and more than once, so a stop or a clear applies only if
the message it is about was sent at or after the message behind the channel's current
state (`BorrowerRepository.record_reachability`, a conditional write on the borrower's
`email_reachability_at` / `sms_reachability_at`). One that loses is `stale`: a late
delivery of an email sent before the address bounced must not reopen it, nor an old
bounce stop a channel a newer delivery proved. A duplicate of the report applied last is
stale too, so it neither changes the borrower nor writes a second timeline line.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from arrears import constants as c
from arrears.domain.delivery import DeliveryOutcome, Outcome
from arrears.domain.message_tags import decode_tag_value
from arrears.domain.types import Channel

logger = Logger(service=c.SERVICE_NAME)

_SMS_PERMANENT = {
    "TEXT_PERMANENT_FAILURE",
    "TEXT_INVALID",
    "TEXT_INVALID_MESSAGE",
    "TEXT_UNREACHABLE",
    "TEXT_CARRIER_UNREACHABLE",
    "TEXT_BLOCKED",
    "TEXT_CARRIER_BLOCKED",
    "TEXT_OPTED_OUT",
}
_SMS_TEMPORARY = {"TEXT_TTL_EXPIRED", "TEXT_SPAM", "TEXT_UNKNOWN", "TEXT_QUEUED_TOO_LONG"}
# SNS SMS delivery-status provider responses that say the number itself will not work.
# Anything else ("Phone is currently unreachable/unavailable": switched off, "Unknown
# error attempting to reach phone", "Phone carrier has blocked this message": the
# carrier filtered this text) leaves the channel open: stopping a channel on an
# ambiguous answer would silence a borrower who can be reached tomorrow.
_SNS_PERMANENT_RESPONSES = (
    "invalid phone number",
    "invalid destination",
    "phone number is opted out",
    "phone has blocked sms",
    "phone is on a blocked list",
    "not a mobile number",
    "no longer in service",
)


def _time(value: Any) -> datetime:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000 if value > 1e11 else value, UTC)
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _ses_tags(mail: dict[str, Any]) -> dict[str, str]:
    # SES reports tags as {"name": ["value"]}; ours were escaped for SES on the way out
    tags = mail.get("tags") or {}
    values = {k: (v[0] if isinstance(v, list) and v else str(v)) for k, v in tags.items()}
    return {k: decode_tag_value(values[k]) for k in ("account_id", "case_id") if values.get(k)}


def _from_ses(message: dict[str, Any]) -> DeliveryOutcome | None:
    kind = str(message.get("eventType") or message.get("notificationType") or "")
    mail = message.get("mail") or {}
    tags = _ses_tags(mail)
    if kind == "Bounce":
        bounce = message.get("bounce") or {}
        outcome = (
            Outcome.HARD_BOUNCE if bounce.get("bounceType") == "Permanent" else Outcome.SOFT_BOUNCE
        )
        at = _time(bounce.get("timestamp") or mail.get("timestamp"))
    elif kind == "Complaint":
        complaint = message.get("complaint") or {}
        if complaint.get("complaintFeedbackType") == "not-spam":
            return None  # the recipient's provider reports it as wanted mail
        outcome = Outcome.COMPLAINT
        at = _time(complaint.get("timestamp") or mail.get("timestamp"))
    elif kind == "Reject":
        outcome = Outcome.REJECTED
        at = _time(mail.get("timestamp"))
    elif kind == "Delivery":
        outcome = Outcome.DELIVERED
        at = _time((message.get("delivery") or {}).get("timestamp") or mail.get("timestamp"))
    else:
        return None
    return DeliveryOutcome(
        Channel.EMAIL,
        outcome,
        str(mail.get("messageId", "")),
        tags.get("account_id") or None,
        tags.get("case_id") or None,
        at,
        _time(mail["timestamp"]) if mail.get("timestamp") else None,  # SES: when sent
    )


def _from_sms(message: dict[str, Any]) -> DeliveryOutcome | None:
    event_type = str(message.get("eventType", ""))
    if event_type.startswith("TEXT_"):
        if event_type in ("TEXT_DELIVERED", "TEXT_SUCCESSFUL"):
            outcome = Outcome.DELIVERED
        elif event_type in _SMS_PERMANENT:
            outcome = Outcome.SMS_PERMANENT_FAILURE
        elif event_type in _SMS_TEMPORARY:
            outcome = Outcome.SMS_TEMPORARY_FAILURE
        else:
            return None  # TEXT_PENDING, TEXT_QUEUED, ...: not an outcome yet
        context = message.get("context") or {}
        return DeliveryOutcome(
            Channel.SMS,
            outcome,
            str(message.get("messageId", "")),
            context.get("account_id") or None,
            context.get("case_id") or None,
            _time(message.get("eventTimestamp")),
            _time(message["messageRequestTimestamp"])
            if message.get("messageRequestTimestamp")
            else None,
        )
    if "delivery" in message and "status" in message:  # SNS SMS delivery-status log
        notification = message.get("notification") or {}
        delivery = message.get("delivery") or {}
        if message["status"] == "SUCCESS":
            outcome = Outcome.DELIVERED
        else:
            response = str(delivery.get("providerResponse", "")).lower()
            permanent = any(known in response for known in _SNS_PERMANENT_RESPONSES)
            outcome = Outcome.SMS_PERMANENT_FAILURE if permanent else Outcome.SMS_TEMPORARY_FAILURE
        return DeliveryOutcome(
            Channel.SMS,
            outcome,
            str(notification.get("messageId", "")),
            message.get("account_id") or None,
            message.get("case_id") or None,
            _time(notification.get("timestamp")),  # when SNS took the publish: the send
        )
    return None


def log_subscription_records(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The JSON log records in a CloudWatch Logs subscription delivery.

    CloudWatch Logs invokes a subscribed function with ``{"awslogs": {"data": ...}}``:
    base64 of a gzip-compressed document whose ``logEvents[].message`` are the log lines
    (for SNS SMS delivery status, one JSON record each). The ``CONTROL_MESSAGE`` sent when
    the subscription is created carries no records; a line that is not a JSON object is
    skipped (it cannot be a delivery-status record).
    """
    try:
        compressed = base64.b64decode(str(event["awslogs"]["data"]), validate=True)
        document = json.loads(gzip.decompress(compressed))
    except (KeyError, TypeError, binascii.Error, OSError, EOFError, ValueError) as exc:
        raise ValueError("not a CloudWatch Logs subscription payload") from exc
    if not isinstance(document, dict) or document.get("messageType") != "DATA_MESSAGE":
        return []
    records: list[dict[str, Any]] = []
    for log_event in document.get("logEvents") or []:
        try:
            record = json.loads(log_event.get("message", ""))
        except (AttributeError, ValueError):
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def parse(event: dict[str, Any]) -> DeliveryOutcome | None:
    """One delivery event in any of the supported shapes; None when it is not an outcome."""
    if event.get("source") == "aws.ses" and isinstance(event.get("detail"), dict):
        return _from_ses(event["detail"])
    if ("eventType" in event and "mail" in event) or "notificationType" in event:
        return _from_ses(event)
    return _from_sms(event)


def _messages(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The delivery events inside an EventBridge, SNS, SQS or CloudWatch Logs invocation."""
    if "awslogs" in event:
        yield from log_subscription_records(event)
        return
    records = event.get("Records")
    if not isinstance(records, list):
        yield event
        return
    for record in records:
        sns = record.get("Sns")
        body = sns.get("Message", "{}") if sns else record.get("body", "{}")
        try:
            message = json.loads(body)
        except json.JSONDecodeError:
            logger.warning("delivery record is not JSON")
            continue
        if isinstance(message, dict) and "Message" in message and "Type" in message:
            message = json.loads(message["Message"])  # SNS envelope delivered through SQS
        if isinstance(message, dict):
            yield message


def outcomes(event: dict[str, Any]) -> Iterator[DeliveryOutcome | None]:
    """Each delivery report in an invocation, parsed (None where a record is no outcome)."""
    for message in _messages(event):
        yield parse(message)
