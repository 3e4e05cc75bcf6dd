"""Link tokens: random, shown once in a message, stored only as a SHA-256 hash.

A token is 16 random bytes (128 bits) written in URL-safe base64 (22 characters). The links
table keeps its hash, the case it opens, when it expires and how many wrong answers the
knowledge check has had. A link that is unknown, expired, revoked, locked or whose case has
closed gets the same refusal (``usable`` is False), so a stranger learns nothing from it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

TOKEN_BYTES = 16  # 128 bits
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{22,86}$")


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What is stored and looked up: the token itself never is."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def well_formed(token: str) -> bool:
    return bool(TOKEN_SHAPE.match(token))


def link_url(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/c/{token}"


@dataclass(frozen=True)
class Link:
    token_hash: str
    case_id: str
    account_id: str
    created_at: datetime
    expires_at: datetime
    channel: str = ""
    revoked: bool = False
    failed_checks: int = 0
    # a passed knowledge check: the hash of the browser's session id, until when it holds
    session_hash: str | None = None
    session_expires_at: datetime | None = None

    def locked(self, max_failed_checks: int) -> bool:
        return self.failed_checks >= max_failed_checks


def new_link(
    token: str, case_id: str, account_id: str, now: datetime, valid_days: int, channel: str = ""
) -> Link:
    return Link(
        token_hash=token_hash(token),
        case_id=case_id,
        account_id=account_id,
        created_at=now,
        expires_at=now + timedelta(days=valid_days),
        channel=channel,
    )


def usable(link: Link | None, case_open: bool, now: datetime) -> bool:
    """Whether the link opens anything at all (False: the one "not found" page)."""
    return link is not None and not link.revoked and now < link.expires_at and case_open


def session_valid(link: Link, session_id: str | None, now: datetime) -> bool:
    if not session_id or link.session_hash is None or link.session_expires_at is None:
        return False
    if now >= link.session_expires_at:
        return False
    return secrets.compare_digest(link.session_hash, token_hash(session_id))
