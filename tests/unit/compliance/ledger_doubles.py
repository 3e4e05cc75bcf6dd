"""The contact ledger with two test hooks, on the in-memory fake or the pynamodb adapter.

``reads`` counts storage reads (head version, entries, single items); ``rivals`` are
callables run right before a sent commit, as another execution claiming and committing in
between this claim's read and its write.
"""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import pytest
from arrears.adapters.ledger import ContactLedger, InMemoryContactLedger, LedgerBase
from compliance_builders import profile


def _instrumented(base: type[LedgerBase]) -> type[LedgerBase]:
    class Instrumented(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.reads: Counter[str] = Counter()
            self.rivals: list = []

        def _head_version(self, account_id):
            self.reads["head"] += 1
            return super()._head_version(account_id)

        def _entries(self, account_id, since):
            self.reads["entries"] += 1
            return super()._entries(account_id, since)

        def _get(self, account_id, key):
            self.reads["get"] += 1
            return super()._get(account_id, key)

        def _commit_sent(self, entry, expected_version):
            while self.rivals:
                self.rivals.pop(0)()  # another execution claims and commits right now
            return super()._commit_sent(entry, expected_version)

    return Instrumented


RacingMemory = _instrumented(InMemoryContactLedger)
RacingDynamo = _instrumented(ContactLedger)


@pytest.fixture(params=["memory", "dynamodb"])
def make_ledger(request: Any) -> Any:
    """The ledger class under test: each test runs on the fake and on moto."""
    if request.param == "memory":
        return RacingMemory
    request.getfixturevalue("ledger_table")
    return RacingDynamo


def fresh_profile(**kwargs: Any) -> Any:
    """A borrower with an account id no other test uses (the moto table is shared)."""
    return profile(account_id=f"acc-{uuid.uuid4().hex[:10]}", **kwargs)
