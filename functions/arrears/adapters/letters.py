"""Letters bucket (S3, SSE-KMS, versioned) and the dispatch announcement (EventBridge).

`store_letter` writes `cases/<case_id>/<kind>-<UTC timestamp>.pdf`, encrypted with the
letters KMS key, with S3 checking the SHA-256 on arrival; it returns the key, the S3
version id and the SHA-256 hex digest that the audit timeline records. The PDF bytes
never go into logs or events.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger

from arrears import constants as c
from arrears.settings import settings

logger = Logger(service=c.SERVICE_NAME, child=True)


@dataclass(frozen=True)
class StoredLetter:
    key: str
    version_id: str
    sha256: str  # hex
    bucket: str = ""
    size: int = 0


class AnnounceFailed(RuntimeError):
    """EventBridge did not accept the LetterReadyForDispatch event."""


def letter_key(case_id: str, kind: str, at: datetime) -> str:
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"cases/{case_id}/{kind}-{stamp}.pdf"


class LetterStore:
    def __init__(
        self,
        *,
        bucket: str,
        kms_key_id: str,
        event_bus: str,
        s3: Any | None = None,
        events: Any | None = None,
    ) -> None:
        if not bucket:
            raise ValueError("letters bucket is not configured")
        self._bucket = bucket
        self._kms_key_id = kms_key_id
        self._event_bus = event_bus
        self._s3 = s3
        self._events = events

    @classmethod
    def from_settings(cls) -> LetterStore:
        s = settings()
        return cls(bucket=s.letters_bucket, kms_key_id=s.kms_key_arn, event_bus=s.event_bus_name)

    @property
    def bucket(self) -> str:
        return self._bucket

    @property
    def s3(self) -> Any:
        if self._s3 is None:
            self._s3 = boto3.client("s3")
        return self._s3

    @property
    def events(self) -> Any:
        if self._events is None:
            self._events = boto3.client("events")
        return self._events

    def store_letter(
        self, case_id: str, kind: str, pdf: bytes, at: datetime | None = None
    ) -> StoredLetter:
        # datetime.now is what the local runtime's virtual clock moves
        at = at or datetime.now(UTC)
        digest = hashlib.sha256(pdf)
        key = letter_key(case_id, kind, at)
        request: dict[str, Any] = {
            "Bucket": self._bucket,
            "Key": key,
            "Body": pdf,
            "ContentType": "application/pdf",
            "ChecksumSHA256": base64.b64encode(digest.digest()).decode(),
            "Metadata": {"sha256": digest.hexdigest(), "kind": kind},
            "ServerSideEncryption": "aws:kms",
        }
        if self._kms_key_id:
            request["SSEKMSKeyId"] = self._kms_key_id
            request["BucketKeyEnabled"] = True
        response = self.s3.put_object(**request)
        stored = StoredLetter(
            key=key,
            version_id=str(response.get("VersionId") or "null"),
            sha256=digest.hexdigest(),
            bucket=self._bucket,
            size=len(pdf),
        )
        logger.info(
            "letter stored",
            extra={"kind": kind, "key": key, "version_id": stored.version_id, "bytes": len(pdf)},
        )
        return stored

    def announce_letter_ready(
        self,
        *,
        case_id: str,
        kind: str,
        key: str,
        version_id: str,
        sha256: str | None = None,
        **extra: Any,
    ) -> str:
        """Put LetterReadyForDispatch on the bus for the print-and-post partner."""
        detail = {
            "case_id": case_id,
            "kind": kind,
            "bucket": self._bucket,
            "key": key,
            "version_id": version_id,
            **({"sha256": sha256} if sha256 else {}),
            **{k: v for k, v in extra.items() if isinstance(v, str | int | float | bool)},
        }
        response = self.events.put_events(
            Entries=[
                {
                    "Source": c.SOURCE_ARREARS,
                    "DetailType": c.DETAIL_LETTER_READY,
                    "Detail": json.dumps(detail),
                    "EventBusName": self._event_bus or "default",
                }
            ]
        )
        entry = response["Entries"][0]
        if response.get("FailedEntryCount") or "EventId" not in entry:
            raise AnnounceFailed(entry.get("ErrorCode", "unknown error"))
        return str(entry["EventId"])


class DigestLetterStore:
    """The letter store of a simulation (``ARREARS_LETTERS_MODE`` hash or none): what it is
    given is the letter's text, not a PDF; ``hash`` stores its SHA-256 in the bucket,
    ``none`` stores nothing. Announcing is the real store's."""

    def __init__(self, inner: LetterStore, keep_digest: bool) -> None:
        self._inner = inner
        self._keep_digest = keep_digest

    def store_letter(self, case_id: str, kind: str, content: bytes) -> StoredLetter:
        at = datetime.now(UTC)  # the virtual clock, as the real store reads it
        digest = hashlib.sha256(content).hexdigest()
        key = letter_key(case_id, kind, at).removesuffix(".pdf") + ".sha256"
        version = "none"
        if self._keep_digest:
            response = self._inner.s3.put_object(
                Bucket=self._inner.bucket, Key=key, Body=digest.encode(), ContentType="text/plain"
            )
            version = str(response.get("VersionId") or "null")
        return StoredLetter(key=key, version_id=version, sha256=digest, size=len(content))

    def announce_letter_ready(self, **detail: Any) -> str:
        return self._inner.announce_letter_ready(**detail)


@cache
def default_store() -> LetterStore | DigestLetterStore:
    store = LetterStore.from_settings()
    mode = settings().letters_mode
    return store if mode == "pdf" else DigestLetterStore(store, keep_digest=mode == "hash")


def letter_ports() -> dict[str, Any]:
    """The unit of work's letter store and renderer, as ``ARREARS_LETTERS_MODE`` says."""
    return {"letters": default_store(), "letter_renderer": default_renderer()}


def default_renderer() -> Callable[[str, str, Any], bytes] | None:
    """What letters are rendered with: None = the PDF; the text alone when the mode
    (``ARREARS_LETTERS_MODE``) does not keep PDFs."""
    if settings().letters_mode == "pdf":
        return None
    from arrears.domain.notices import render_letter_text

    return render_letter_text


def store_letter(case_id: str, kind: str, pdf: bytes) -> StoredLetter:
    return default_store().store_letter(case_id, kind, pdf)


def announce_letter_ready(**detail: Any) -> str:
    return default_store().announce_letter_ready(**detail)
