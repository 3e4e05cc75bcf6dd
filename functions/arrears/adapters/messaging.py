"""SMS through SNS and email through SES v2.

Bodies come already rendered (`arrears.domain.notices.render_message`): the templates are
our own reviewed YAML files, formatted per locale with babel, so SES gets simple content
rather than SES-side templates (which could not format amounts and dates per locale).

Nothing here logs a phone number, an address or a body: only the channel, the message id
and sizes.

Module functions `send_sms(phone, body)` / `send_email(to, subject, body)` use a default
`Messenger` built from settings; tests and the local runtime may build their own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from arrears import constants as c
from arrears.adapters.sent_messages import SentMessage, SentMessageIndex, SentMessages
from arrears.adapters.transient import is_transient
from arrears.domain.errors import InvalidRecipient, ProviderRejected, ProviderThrottled
from arrears.domain.message_tags import encode_tag_value, tag_name
from arrears.domain.types import Channel
from arrears.settings import settings

logger = Logger(service=c.SERVICE_NAME, child=True)

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def provider_error(error: Exception) -> ProviderThrottled | ProviderRejected:
    """The domain error for a failed provider call: ProviderThrottled for throttling, a 5xx
    fault or a connection failure (worth retrying), ProviderRejected for anything else."""
    if isinstance(error, ClientError):
        code = str(error.response.get("Error", {}).get("Code") or "ClientError")
        return ProviderThrottled(code) if is_transient(error) else ProviderRejected(code)
    if is_transient(error):
        return ProviderThrottled(type(error).__name__)
    return ProviderRejected(type(error).__name__)


class Messenger:
    def __init__(
        self,
        *,
        sender_id: str = "",
        origination_number: str = "",
        email_from: str,
        configuration_set: str = "",
        sns: Any | None = None,
        sesv2: Any | None = None,
        sent_messages: SentMessageIndex | None = None,
    ) -> None:
        self._sender_id = sender_id
        self._origination_number = origination_number
        self._email_from = email_from
        self._configuration_set = configuration_set
        self._sns = sns
        self._sesv2 = sesv2
        self._sent_messages = sent_messages

    @classmethod
    def from_settings(cls) -> Messenger:
        s = settings()
        return cls(
            sender_id=s.sms_sender_id,
            origination_number=s.sms_origination_number,
            email_from=s.email_from,
            configuration_set=s.email_configuration_set,
            sent_messages=SentMessages(),
        )

    @property
    def sns(self) -> Any:
        if self._sns is None:
            self._sns = boto3.client("sns")
        return self._sns

    @property
    def sesv2(self) -> Any:
        if self._sesv2 is None:
            self._sesv2 = boto3.client("sesv2")
        return self._sesv2

    def send_sms(self, phone: str, body: str, tags: Mapping[str, str] | None = None) -> str:
        """Publish a transactional SMS to an E.164 number; returns the SNS message id.

        With `tags` ({"account_id": ..., "case_id": ...}) the message id is remembered
        (adapters.sent_messages), so SNS's delivery-status report, which names only the
        message id, finds the borrower.
        """
        phone = phone.replace(" ", "")
        if not E164.match(phone):
            raise InvalidRecipient("sms: the borrower's phone number is not E.164")
        if not body.strip():
            raise ValueError("sms: empty body")
        attributes: dict[str, dict[str, str]] = {
            "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
        }
        if self._sender_id:
            attributes["AWS.SNS.SMS.SenderID"] = {
                "DataType": "String",
                "StringValue": self._sender_id,
            }
        if self._origination_number:
            attributes["AWS.MM.SMS.OriginationNumber"] = {
                "DataType": "String",
                "StringValue": self._origination_number,
            }
        try:
            response = self.sns.publish(
                PhoneNumber=phone, Message=body, MessageAttributes=attributes
            )
        except (ClientError, BotoCoreError) as error:
            failure = provider_error(error)
            logger.warning("sms not sent", extra={"reason": failure.reason})
            raise failure from error
        message_id = str(response["MessageId"])
        logger.info("sms sent", extra={"message_id": message_id, "chars": len(body)})
        self._remember(message_id, tags)
        return message_id

    def _remember(self, message_id: str, tags: Mapping[str, str] | None) -> None:
        account_id = (tags or {}).get("account_id")
        if self._sent_messages is None or not account_id:
            return
        sent = SentMessage(
            message_id=message_id,
            account_id=account_id,
            case_id=(tags or {}).get("case_id") or None,
            channel=Channel.SMS,
            sent_at=datetime.now(UTC),
        )
        try:
            self._sent_messages.remember(sent)
        except Exception:  # the text is out: failing now would only invite a resend
            logger.warning(
                "sms not remembered for delivery reports", extra={"message_id": message_id}
            )

    def send_email(
        self, to: str, subject: str, body: str, tags: Mapping[str, str] | None = None
    ) -> str:
        """Send a plain-text email; returns the SES message id.

        `tags` (no PII: template id, case reference) come back on bounce and complaint
        events, so a delivery outcome finds its case.
        """
        if "@" not in to or any(ch.isspace() for ch in to.strip()):
            raise InvalidRecipient("email: the borrower's address is not valid")
        if not subject.strip() or not body.strip():
            raise ValueError("email: empty subject or body")
        request: dict[str, Any] = {
            "FromEmailAddress": self._email_from,
            "Destination": {"ToAddresses": [to.strip()]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": subject, "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
                }
            },
        }
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        if tags:
            # escaped reversibly (domain.message_tags): SES refuses "#" and most punctuation,
            # and the delivery function must get the exact account and case ids back
            request["EmailTags"] = [
                {"Name": tag_name(k), "Value": encode_tag_value(v)} for k, v in tags.items()
            ]
        try:
            response = self.sesv2.send_email(**request)
        except (ClientError, BotoCoreError) as error:
            failure = provider_error(error)
            logger.warning("email not sent", extra={"reason": failure.reason})
            raise failure from error
        message_id = str(response["MessageId"])
        logger.info("email sent", extra={"message_id": message_id, "chars": len(body)})
        return message_id


@cache
def default_messenger() -> Messenger:
    return Messenger.from_settings()


def send_sms(phone: str, body: str, tags: Mapping[str, str] | None = None) -> str:
    """`tags`: pass {"account_id": ..., "case_id": ...} so a delivery failure finds them."""
    return default_messenger().send_sms(phone, body, tags)


def send_email(to: str, subject: str, body: str, tags: Mapping[str, str] | None = None) -> str:
    """`tags`: pass {"account_id": ..., "case_id": ...} so a bounce finds its borrower."""
    return default_messenger().send_email(to, subject, body, tags)
