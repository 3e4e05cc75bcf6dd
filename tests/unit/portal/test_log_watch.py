"""The session-wide log check (tests/support/pii_logs.py) really catches leaks."""

from __future__ import annotations

import logging

from arrears.domain.portal import tokens

from tests.support.pii_logs import PiiWatch


def test_the_watch_names_each_kind_of_leak_and_passes_clean_lines() -> None:
    token = tokens.new_token()
    watch = PiiWatch({token})
    logger = logging.getLogger("pii-watch-test")
    logger.addHandler(watch)
    logger.propagate = False
    try:
        logger.warning("sent", extra={"to": "+8613900001234"})
        logger.warning("sent to %s", "someone@example.com")
        logger.warning("opened /c/%s", "A" * 22)
        logger.warning("hello Test Borrower")
        logger.warning("token %s", token[::-1] + token)
        logger.warning("portal action applied", extra={"action": "promise", "case": "acc-1#1"})
    finally:
        logger.removeHandler(watch)
    kinds = [leak.split("(", 1)[1] for leak in watch.leaks]
    assert len(watch.leaks) == 5
    assert "phone)" in kinds[0] and "email)" in kinds[1] and "portal link" in kinds[2]
    assert "name)" in kinds[3] and "token)" in kinds[4]


def test_issued_tokens_are_remembered_for_the_session_check(no_pii_in_logs: PiiWatch) -> None:
    from datetime import UTC, datetime

    from arrears.adapters.links import InMemoryLinks, PortalLinks

    url = PortalLinks(InMemoryLinks(), "https://portal.test").issue(
        "acc-1#1", "acc-1", "sms", datetime(2026, 11, 2, tzinfo=UTC), 30
    )
    assert url.rsplit("/", 1)[1] in no_pii_in_logs.tokens
