"""Session-wide check that no log line of the whole suite carries PII or a portal token.

Every record any logger emits (the handlers' Powertools loggers included) is checked as it
is emitted: its message, its arguments and its extra fields. A phone number, an e-mail
address, a test borrower's name, a portal link path or any portal token issued during the
session fails the session at teardown, naming the logger and the kind of leak (never the
value itself).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

PHONE = re.compile(r"\+[1-9]\d{8,14}\b")
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
LINK = re.compile(r"/c/[A-Za-z0-9_-]{22,}")
NAMES = ("Test Borrower", "Demo Borrower")
_STANDARD = set(vars(logging.LogRecord("x", 0, "x", 0, "", None, None)))


class PiiWatch(logging.Handler):
    def __init__(self, tokens: set[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self.tokens = tokens
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            parts = [record.getMessage(), *(str(a) for a in (record.args or ()))]
            parts += [
                f"{key}={value}" for key, value in vars(record).items() if key not in _STANDARD
            ]
            text = " ".join(parts)
        except Exception:  # a record that cannot be rendered is not this check's business
            return
        kinds = [
            kind
            for kind, found in (
                ("phone", PHONE.search(text)),
                ("email", EMAIL.search(text)),
                ("portal link", LINK.search(text)),
                ("name", any(name in text for name in NAMES)),
                ("token", any(token in text for token in self.tokens)),
            )
            if found
        ]
        if kinds:
            self.leaks.append(f"{record.name}:{record.lineno} ({', '.join(kinds)})")


@pytest.fixture(scope="session", autouse=True)
def no_pii_in_logs() -> Iterator[PiiWatch]:
    from arrears.domain.portal import tokens

    issued: set[str] = set()
    original = tokens.new_token

    def remembered() -> str:
        token = original()
        issued.add(token)
        return token

    tokens.new_token = remembered  # type: ignore[assignment]
    # Powertools takes the first handler of its logger as its own (append_keys and
    # remove_keys go to that handler's formatter): set it up before the watch is added
    from arrears.handlers import _shell  # noqa: F401

    watch = PiiWatch(issued)
    watched = [logging.getLogger(), logging.getLogger("arrears")]
    for logger in watched:
        logger.addHandler(watch)
    try:
        yield watch
    finally:
        for logger in watched:
            logger.removeHandler(watch)
        tokens.new_token = original  # type: ignore[assignment]
    assert not watch.leaks, f"PII or tokens in {len(watch.leaks)} log records: {watch.leaks[:20]}"
