"""What the portal's use cases need from outside (implemented in ``adapters/links.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from arrears.domain.portal.tokens import Link


class LinkStore(Protocol):
    """The links table: links by token hash, their checks, sessions and form tokens."""

    def put(self, link: Link) -> None: ...

    def get(self, token_hash: str) -> Link | None: ...

    def record_failure(self, token_hash: str) -> int:
        """Count one wrong answer; returns the count now."""
        ...

    def start_session(self, token_hash: str, session_hash: str, until: datetime) -> None: ...

    def add_nonce(self, token_hash: str, nonce_hash: str, until: datetime) -> None: ...

    def use_nonce(self, token_hash: str, nonce_hash: str, now: datetime) -> bool:
        """Take a one-time form token: True once, while it is unexpired; False after."""
        ...

    def hit(self, key: str, now: datetime, window_seconds: int) -> int:
        """Count one request for ``key`` in the current window; returns the count now."""
        ...


class LinkIssuer(Protocol):
    """What the contact step needs: a new link for a case, as a URL to put in a message."""

    def issue(
        self, case_id: str, account_id: str, channel: str, now: datetime, valid_days: int
    ) -> str: ...


class Signer(Protocol):
    """An HMAC over a message (a KMS HMAC key where deployed), as URL-safe text."""

    def sign(self, message: bytes) -> str: ...


class OpsAlerts(Protocol):
    """Tells ops a borrower says a payment was made that has not arrived (reconcile it)."""

    def payment_claimed(self, case_id: str, reconcile_by: datetime) -> None: ...
