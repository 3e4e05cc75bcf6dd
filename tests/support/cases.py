"""A case record for unit tests: one open case of 1,250.00, changed where a test needs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from arrears.domain.case import CaseRecord
from arrears.domain.types import CaseStatus, Stage


def a_case(**changes: Any) -> CaseRecord:
    base = CaseRecord(
        case_id="acc-42#1",
        account_id="acc-42",
        cycle=1,
        status=CaseStatus.OPEN,
        stage=Stage.REMINDER,
        balance=Decimal("1250.00"),
        currency="CNY",
        opened_at=datetime(2026, 11, 2, tzinfo=UTC),
        due_date=date(2026, 11, 1),
    )
    return replace(base, **changes)
