"""Contexts shared by the notices tests: a realistic one and hostile variations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from arrears.domain.balance import Breakdown
from arrears.domain.notices import LetterContext, NoticeContext, PlanTerms

LOCALES = ("en-US", "zh-CN")
LONG_NAME = "Maximilian-Alexander " * 12 + "Wolfeschlegelsteinhausenbergerdorff" * 3
RTL_NAME = "محمد عبد الله"  # Arabic
HEBREW_NAME = "דוד כהן"


def full_notice(**overrides: object) -> NoticeContext:
    values: dict[str, object] = {
        "borrower_name": "Jane Doe",
        "amount_due": Decimal("1276.35"),
        "currency": "USD",
        "due_date": date(2026, 11, 1),
        "creditor_name": "Acme Lending",
        "case_reference": "acc-42#1",
        "pay_link": "https://pay.example.com/c/abc123",
        "payment_instructions": "Bank transfer to account 0001-2345, reference acc-42.",
        "contact_phone": "+1 800 555 0100",
        "contact_email": "help@acme.example",
        "opt_out_link": "https://acme.example/stop",
        "days_past_due": 17,
        "breakdown": Breakdown.of(Decimal("1250.00"), Decimal("6.35"), Decimal("20.00")),
        "amount_paid": Decimal("100.00"),
        "paid_at": datetime(2026, 11, 20, 3, 30, tzinfo=UTC),
        "plan": PlanTerms(3, Decimal("425.45"), date(2026, 12, 1)),
        "call_at": datetime(2026, 11, 21, 15, 0, tzinfo=UTC),
        "agent_name": "Sam Lee",
        "deadline": date(2026, 12, 15),
        "timezone": "America/New_York",
        "jurisdiction": "US",
        "first_contact": True,
    }
    values.update(overrides)
    return NoticeContext(**values)  # type: ignore[arg-type]


def minimal_notice(**overrides: object) -> NoticeContext:
    """Only the required fields: every optional part must drop out cleanly."""
    values: dict[str, object] = {
        "borrower_name": "Jane Doe",
        "amount_due": Decimal("0.01"),
        "currency": "USD",
        "due_date": date(2026, 11, 1),
        "creditor_name": "Acme Lending",
        "case_reference": "acc-42#1",
        "payment_instructions": "Pay in the Acme app under Loans.",
    }
    values.update(overrides)
    return NoticeContext(**values)  # type: ignore[arg-type]


def full_letter(**overrides: object) -> LetterContext:
    notice = full_notice()
    values = {f: getattr(notice, f) for f in notice.__dataclass_fields__}
    values.update(
        {
            "letter_date": date(2026, 11, 25),
            "borrower_address": ("12 Elm Street", "Springfield, IL 62701", "USA"),
            "creditor_address": ("Acme Lending Inc.", "1 Market St", "San Francisco, CA 94105"),
            "contract_reference": "LN-2024-000777",
            "sender_name": "Smith & Partners LLP",
            "sender_address": ("500 Main St", "Chicago, IL 60601"),
            "itemization_date": date(2026, 10, 1),
            "amount_on_itemization_date": Decimal("1250.00"),
            "interest_since": Decimal("6.35"),
            "fees_since": Decimal("20.00"),
            "collector_name": "Example Collections LLC",
            "collector_address": ("300 Example Street", "Wilmington, DE 19801"),
            "dispute_address": ("Disputes", "PO Box 100", "Wilmington, DE 19801"),
        }
    )
    values.update(overrides)
    return LetterContext(**values)  # type: ignore[arg-type]
