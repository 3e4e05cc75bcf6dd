"""One in-memory escalation step: a borrower, an open case and a recording messenger.

Shared by the unit tests that call the step handlers (contact, letter, record, plans)
directly, without the state machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from arrears.adapters.cases import Repositories
from arrears.adapters.ledger import InMemoryContactLedger
from arrears.adapters.plans import InMemoryPlans
from arrears.domain.case import BorrowerRecord, CaseRecord
from arrears.domain.types import CaseStatus, Channel, Stage
from arrears.steps.unit_of_work import UnitOfWork

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
ACCOUNT_ID = "acc-9"
CASE_ID = f"{ACCOUNT_ID}#1"


@dataclass
class FakeMessenger:
    sent: list[tuple[str, str, str]] = field(default_factory=list)  # channel, to, body

    def send_sms(self, phone: str, body: str, tags: Any = None) -> str:
        self.sent.append(("sms", phone, body))
        return "m-sms"

    def send_email(self, to: str, subject: str, body: str, tags: Any = None) -> str:
        self.sent.append(("email", to, body))
        return "m-email"


def make_deps(
    now: datetime = NOW,
    borrower: dict[str, Any] | None = None,
    unreachable: tuple[Channel, ...] = (),
    flags: tuple[str, ...] = (),
    **case: Any,
) -> UnitOfWork:
    """A CN borrower reachable on every channel, with an open 800.00 CNY reminder case.

    `borrower` and `case` override the profile and case fields; `unreachable` and `flags`
    are applied the way the delivery handler and ops actions apply them.
    """
    repos = Repositories.in_memory()
    profile: dict[str, Any] = {
        "account_id": ACCOUNT_ID,
        "name": "Test",
        "phone": "+8613912345678",
        "email": "acc-9@example.com",
        "locale": "zh-CN",
        "timezone": "Asia/Shanghai",
        "country": "CN",
        "verified_channels": frozenset(Channel),
    }
    profile.update(borrower or {})
    repos.borrowers.save_profile(BorrowerRecord(**profile))
    for channel in unreachable:
        repos.borrowers.mark_unreachable(ACCOUNT_ID, channel)
    for flag in flags:
        repos.borrowers.add_flag(ACCOUNT_ID, flag)
    fields: dict[str, Any] = {
        "case_id": CASE_ID,
        "account_id": ACCOUNT_ID,
        "cycle": 1,
        "status": CaseStatus.OPEN,
        "stage": Stage.REMINDER,
        "balance": Decimal("800.00"),
        "currency": "CNY",
        "opened_at": datetime(2026, 11, 2, 1, tzinfo=UTC),
        "obligations": {"loan-1": Decimal("800.00")},
        "due_date": date(2026, 11, 1),
        "segment": "standard",
    }
    fields.update(case)
    repos.cases.create(CaseRecord(**fields))
    return UnitOfWork(
        repos=repos,
        ledger=InMemoryContactLedger(),
        messenger=FakeMessenger(),
        letters=None,  # type: ignore[arg-type]
        clock=lambda: now,
        plans=InMemoryPlans(),
    )


def sent_channels(deps: UnitOfWork) -> list[str]:
    return [s[0] for s in deps.messenger.sent]  # type: ignore[attr-defined]
