"""The links table (docs/portal.md) through DynamoDB's low-level client, and in memory.

An item per link: ``link_id`` = ``tok#<sha256 of the token>``; the token itself is never
written anywhere. Rate-limit counters share the table (``rate#<scope>#<hash>#<window>``);
both expire by TTL (``expires_at``, epoch seconds). Nothing here holds PII.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from arrears.adapters.models import LinkModel, aws_region
from arrears.domain.case import iso_utc, parse_iso_utc
from arrears.domain.portal import tokens as portal_tokens
from arrears.domain.portal.tokens import Link, link_url, new_link

# a link's item outlives its expiry a little, so an expired link still reads as expired
TTL_MARGIN = timedelta(days=7)


def _dynamodb() -> Any:
    """The DynamoDB client every table model already sends through: a second client would
    parse DynamoDB's service model again on the contact function's first message."""
    return LinkModel._get_connection().connection.client


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _key(token_hash: str) -> dict[str, Any]:
    return {"link_id": _s(f"tok#{token_hash}")}


def _epoch(moment: datetime) -> dict[str, str]:
    return {"N": str(int(moment.timestamp()))}


class DynamoLinks:
    def __init__(self, client: Any | None = None) -> None:
        self._client = client or _dynamodb()

    @property
    def _table(self) -> str:
        return str(LinkModel.Meta.table_name)

    def put(self, link: Link) -> None:
        self._client.put_item(
            TableName=self._table,
            Item={
                **_key(link.token_hash),
                "case_id": _s(link.case_id),
                "account_id": _s(link.account_id),
                "channel": _s(link.channel or "-"),
                "created_at": _s(iso_utc(link.created_at)),
                "valid_until": _s(iso_utc(link.expires_at)),
                "revoked": {"BOOL": link.revoked},
                "failed_checks": {"N": str(link.failed_checks)},
                "expires_at": _epoch(link.expires_at + TTL_MARGIN),
            },
            ConditionExpression="attribute_not_exists(link_id)",
        )

    def get(self, token_hash: str) -> Link | None:
        item = self._client.get_item(
            TableName=self._table, Key=_key(token_hash), ConsistentRead=True
        ).get("Item")
        if item is None:
            return None

        def text(name: str) -> str | None:
            value = item.get(name, {}).get("S")
            return str(value) if value else None

        session_until = text("session_until")
        return Link(
            token_hash=token_hash,
            case_id=text("case_id") or "",
            account_id=text("account_id") or "",
            created_at=parse_iso_utc(text("created_at") or "1970-01-01T00:00:00Z"),
            expires_at=parse_iso_utc(text("valid_until") or "1970-01-01T00:00:00Z"),
            channel=text("channel") or "",
            revoked=bool(item.get("revoked", {}).get("BOOL", False)),
            failed_checks=int(item.get("failed_checks", {}).get("N", "0")),
            session_hash=text("session_hash"),
            session_expires_at=parse_iso_utc(session_until) if session_until else None,
        )

    def record_failure(self, token_hash: str) -> int:
        result = self._client.update_item(
            TableName=self._table,
            Key=_key(token_hash),
            UpdateExpression="ADD failed_checks :one",
            ConditionExpression="attribute_exists(link_id)",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(result["Attributes"]["failed_checks"]["N"])

    def start_session(self, token_hash: str, session_hash: str, until: datetime) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=_key(token_hash),
            UpdateExpression="SET session_hash = :h, session_until = :u",
            ConditionExpression="attribute_exists(link_id)",
            ExpressionAttributeValues={":h": _s(session_hash), ":u": _s(iso_utc(until))},
        )

    def add_nonce(self, token_hash: str, nonce_hash: str, until: datetime) -> None:
        # an item of its own (expiring by TTL), so a link's item never grows with page views
        self._client.put_item(
            TableName=self._table,
            Item={
                "link_id": _s(f"nonce#{nonce_hash}"),
                "link": _s(token_hash),
                "valid_until": _s(iso_utc(until)),
                "expires_at": _epoch(until + timedelta(hours=1)),
            },
        )

    def use_nonce(self, token_hash: str, nonce_hash: str, now: datetime) -> bool:
        try:
            self._client.delete_item(
                TableName=self._table,
                Key={"link_id": _s(f"nonce#{nonce_hash}")},
                ConditionExpression="#link = :link AND valid_until > :now",
                ExpressionAttributeNames={"#link": "link"},
                ExpressionAttributeValues={":link": _s(token_hash), ":now": _s(iso_utc(now))},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def hit(self, key: str, now: datetime, window_seconds: int) -> int:
        window = int(now.timestamp()) // window_seconds
        result = self._client.update_item(
            TableName=self._table,
            Key={"link_id": _s(f"rate#{key}#{window}")},
            UpdateExpression="ADD hits :one SET expires_at = if_not_exists(expires_at, :ttl)",
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":ttl": _epoch(now + timedelta(seconds=2 * window_seconds)),
            },
            ReturnValues="UPDATED_NEW",
        )
        return int(result["Attributes"]["hits"]["N"])


@dataclass
class InMemoryLinks:
    """The same behaviour in a dict (unit tests)."""

    links: dict[str, Link] = field(default_factory=dict)
    nonces: dict[tuple[str, str], datetime] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, link: Link) -> None:
        with self._lock:
            if link.token_hash in self.links:
                raise ValueError("link exists")
            self.links[link.token_hash] = link

    def get(self, token_hash: str) -> Link | None:
        return self.links.get(token_hash)

    def record_failure(self, token_hash: str) -> int:
        with self._lock:
            link = self.links[token_hash]
            self.links[token_hash] = replace(link, failed_checks=link.failed_checks + 1)
            return link.failed_checks + 1

    def start_session(self, token_hash: str, session_hash: str, until: datetime) -> None:
        link = self.links[token_hash]
        self.links[token_hash] = replace(link, session_hash=session_hash, session_expires_at=until)

    def add_nonce(self, token_hash: str, nonce_hash: str, until: datetime) -> None:
        self.nonces[(token_hash, nonce_hash)] = until

    def use_nonce(self, token_hash: str, nonce_hash: str, now: datetime) -> bool:
        with self._lock:
            until = self.nonces.pop((token_hash, nonce_hash), None)
            return until is not None and until > now

    def hit(self, key: str, now: datetime, window_seconds: int) -> int:
        slot = f"{key}#{int(now.timestamp()) // window_seconds}"
        with self._lock:
            self.hits[slot] = self.hits.get(slot, 0) + 1
            return self.hits[slot]


@dataclass(frozen=True)
class PortalLinks:
    """The contact step's ``LinkIssuer``: a new token per message, stored hashed."""

    store: Any  # LinkStore
    base_url: str

    def issue(
        self, case_id: str, account_id: str, channel: str, now: datetime, valid_days: int
    ) -> str:
        token = portal_tokens.new_token()  # looked up at call time: tests watch it
        self.store.put(new_link(token, case_id, account_id, now, valid_days, channel))
        return link_url(self.base_url, token)


class HmacSigner:
    """HMAC-SHA256 with a secret key (the local runtime; tests)."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def sign(self, message: bytes) -> str:
        mac = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")


class KmsSigner:
    """HMAC with a KMS HMAC_256 key (GenerateMac): the key never leaves KMS."""

    def __init__(self, key_id: str, client: Any | None = None) -> None:
        self._key_id = key_id
        self._given = client

    @functools.cached_property
    def _client(self) -> Any:
        """Made on the first signature: a borrower's first page signs nothing."""
        if self._given is not None:
            return self._given
        import boto3

        return boto3.client("kms", region_name=aws_region())

    def sign(self, message: bytes) -> str:
        mac = self._client.generate_mac(
            KeyId=self._key_id, MacAlgorithm="HMAC_SHA_256", Message=message
        )["Mac"]
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")


class BorrowerPreferences:
    """The borrower reads and the preference writes the portal needs (Borrowers table)."""

    def __init__(self, borrowers: Any | None = None) -> None:
        from arrears.adapters.cases import Repositories

        self._borrowers = borrowers or Repositories.dynamo().borrowers

    def get(self, account_id: str) -> Any:
        return self._borrowers.get(account_id)

    def set_preferences(self, account_id: str, prefs: Any) -> None:
        from arrears.adapters.models import BorrowerModel

        actions: list[Any] = []
        if prefs.locale:
            actions.append(BorrowerModel.locale.set(prefs.locale))
        if prefs.channel is not None:
            actions.append(BorrowerModel.preferred_channel.set(prefs.channel.value))
        if prefs.hours is not None:
            actions.append(BorrowerModel.preferred_hours.set(f"{prefs.hours[0]}-{prefs.hours[1]}"))
        if actions:
            BorrowerModel(account_id).update(actions=actions)

    def preferences(self, account_id: str) -> dict[str, str]:
        from arrears.adapters.models import BorrowerModel

        try:
            item = BorrowerModel.get(account_id, consistent_read=True)
        except BorrowerModel.DoesNotExist:
            return {}
        return {
            "preferred_channel": item.preferred_channel or "",
            "preferred_hours": item.preferred_hours or "",
        }


def signer() -> HmacSigner | KmsSigner:
    """The KMS HMAC key where one is configured (deployed), else a local secret."""
    from arrears.settings import settings

    env = settings()
    if env.portal_mac_key_id:
        return KmsSigner(env.portal_mac_key_id)
    secret = env.portal_signing_secret.encode() if env.portal_signing_secret else None
    return HmacSigner(secret)


class TopicAlerts:
    """The ops alerts topic (SNS): the message names the case and the deadline, no PII."""

    def __init__(self, topic_arn: str, client: Any | None = None) -> None:
        self._topic_arn = topic_arn
        self._given = client

    @functools.cached_property
    def _client(self) -> Any:
        """Made on the first alert: a borrower's first page sends none."""
        if self._given is not None:
            return self._given
        import boto3

        return boto3.client("sns", region_name=aws_region())

    def payment_claimed(self, case_id: str, reconcile_by: datetime) -> None:
        if not self._topic_arn:
            return
        self._client.publish(
            TopicArn=self._topic_arn,
            Subject="Arrears: payment claimed on the portal",
            Message=(
                f"Case {case_id}: the borrower says the payment was made. Contact is held "
                f"until {iso_utc(reconcile_by)} and the case is in the PAYMENT_RECONCILIATION "
                "work queue; find the payment before then and record reconcile_payment "
                "(docs/ops.md, Reconcile a claimed payment)."
            ),
            MessageAttributes={
                "kind": {"DataType": "String", "StringValue": "PAYMENT_RECONCILIATION"},
                "case_id": {"DataType": "String", "StringValue": case_id},
            },
        )


def portal_link_issuer() -> PortalLinks | None:
    """The contact step's link issuer when a portal URL is configured (docs/portal.md)."""
    from arrears.settings import settings

    if not settings().portal_url:
        return None
    return PortalLinks(DynamoLinks(), settings().portal_url)
