"""The event contract's optional ``borrower.knowledge_check``: old events still validate,
a well-formed check is kept (hash only), a malformed one is refused without echoing it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from arrears.domain.case import BorrowerRecord
from arrears.domain.case import _with_contact_data as with_contact_data
from arrears.domain.errors import InvalidEvent
from arrears.domain.events import parse_payment_status
from arrears.domain.portal.knowledge import KnowledgeCheck, KnowledgeKind, make_check, verify

CHECK = make_check(KnowledgeKind.ACCOUNT_LAST4, "s4lt-for-this-account", "0042")


def event(**borrower: object) -> dict[str, object]:
    return {
        "event_id": "evt-1",
        "account_id": "acc-42",
        "obligation_id": "loan-7/inst-3",
        "status": "OVERDUE",
        "amount_due": "1250.00",
        "amount_paid": "0.00",
        "currency": "CNY",
        "due_date": "2026-11-01",
        "occurred_at": "2026-11-02T01:00:00Z",
        "sequence": 1,
        "borrower": {"locale": "zh-CN", "country": "CN", **borrower},
    }


def test_an_event_without_a_check_still_validates() -> None:
    assert parse_payment_status(event()).borrower.knowledge_check is None


def test_a_check_is_kept_as_its_hash_and_verifies_the_answer() -> None:
    sent = {"kind": "account_last4", "salt": CHECK.salt, "hash": CHECK.digest}
    parsed = parse_payment_status(event(knowledge_check=sent))
    now = datetime(2026, 11, 2, 1, tzinfo=UTC)
    merged = with_contact_data(BorrowerRecord("acc-42"), parsed, now)
    stored = KnowledgeCheck.decode(merged.knowledge_check)
    assert stored == CHECK and "0042" not in (merged.knowledge_check or "")
    assert verify(stored, "0042", 0, 5).value == "passed"
    # a later event without the check keeps it
    again = with_contact_data(merged, parse_payment_status(event()), now)
    assert again.knowledge_check == merged.knowledge_check


@pytest.mark.parametrize(
    "check",
    [
        {"kind": "mother_maiden_name", "salt": "s4lt-for-this-account", "hash": "0" * 64},
        {"kind": "birth_year", "salt": "short", "hash": "0" * 64},
        {"kind": "birth_year", "salt": "s4lt-for-this-account", "hash": "1984"},
        {"kind": "birth_year", "salt": "s4lt-for-this-account"},
    ],
)
def test_a_malformed_check_is_refused_without_echoing_it(check: dict[str, str]) -> None:
    with pytest.raises(InvalidEvent) as refused:
        parse_payment_status(event(knowledge_check=check))
    assert "1984" not in str(refused.value)
