"""What a notice is rendered from: plain values the caller already holds, no AWS, no I/O.

Amounts are `Decimal`, dates are `date`, instants are timezone-aware `datetime`. Optional
fields may be `None`; a template shows them only inside an optional segment `[[ ... ]]`,
so a missing optional value drops a phrase instead of leaving a blank in a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from arrears.domain.balance import Breakdown


class TemplateId(StrEnum):
    """Message templates (SMS and email)."""

    PRE_DUE_REMINDER = "pre_due_reminder"
    REMINDER = "reminder"
    FOLLOW_UP = "follow_up"
    SOFT_REMINDER = "soft_reminder"  # for borrowers flagged as distressed / hardship
    RECEIPT = "receipt"
    PLAN_OFFER = "plan_offer"
    CALL_SCHEDULED = "call_scheduled"
    VALIDATION_NOTICE = "validation_notice"


class LetterKind(StrEnum):
    """PDF letters for postal dispatch."""

    REMINDER_LETTER = "reminder_letter"
    DEMAND_LETTER = "demand_letter"
    LAWYER_LETTER = "lawyer_letter"
    VALIDATION_NOTICE = "validation_notice"  # US, 12 CFR 1006.34


@dataclass(frozen=True)
class PlanTerms:
    """A repayment plan offered to the borrower."""

    installments: int
    installment_amount: Decimal
    first_due_date: date


@dataclass(frozen=True, kw_only=True)
class NoticeContext:
    """Everything a message template may refer to (see `VARIABLES` in templates.py)."""

    borrower_name: str
    amount_due: Decimal  # the case balance today; equals breakdown.total when given
    currency: str  # ISO 4217
    due_date: date
    creditor_name: str
    case_reference: str  # shown to the borrower; not PII
    pay_link: str | None = None
    payment_instructions: str | None = None  # e.g. bank transfer details, when no link
    contact_phone: str | None = None  # the creditor's support line
    contact_email: str | None = None
    opt_out_link: str | None = None
    days_past_due: int = 0
    breakdown: Breakdown | None = None
    amount_paid: Decimal | None = None  # receipt
    paid_at: datetime | None = None  # receipt, aware
    plan: PlanTerms | None = None  # plan_offer
    call_at: datetime | None = None  # call_scheduled, aware
    agent_name: str | None = None
    deadline: date | None = None
    timezone: str | None = None  # IANA; instants are shown in the borrower's local time
    jurisdiction: str | None = None  # ISO country of the rules that apply, e.g. "US"
    first_contact: bool = False  # US: the first communication carries the full disclosure
    debt_collector: bool = True  # US FDCPA disclosures apply to a debt collector
    # the policy's default language: written in when no template set has the borrower's
    fallback_locale: str | None = None

    def __post_init__(self) -> None:
        if self.pay_link is None and self.payment_instructions is None:
            raise ValueError("a notice needs pay_link or payment_instructions (how to pay)")
        if self.breakdown is not None and self.breakdown.total != self.amount_due:
            raise ValueError(
                f"breakdown total {self.breakdown.total} differs from amount due {self.amount_due}"
            )
        for name in ("paid_at", "call_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True, kw_only=True)
class LetterContext(NoticeContext):
    """A message context plus what a formal letter needs."""

    letter_date: date
    borrower_address: tuple[str, ...] = ()
    creditor_address: tuple[str, ...] = ()
    contract_reference: str | None = None
    sender_name: str | None = None  # the law firm for a lawyer's letter
    sender_address: tuple[str, ...] = ()
    # a third party's letter: the debt collector who sends it (US validation notice)
    collector_name: str | None = None
    collector_address: tuple[str, ...] = ()
    dispute_address: tuple[str, ...] = ()  # where a written dispute or reply form goes
    registration: str | None = None  # the creditor's regulatory status line
    # the jurisdiction's legal paragraphs for this letter, per language ("en": (...))
    legal_text: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    variant: str | None = None  # the jurisdiction's form of the letter (compliance pack)
    # US validation notice (12 CFR 1006.34(c)): the itemization since the itemization date
    itemization_date: date | None = None
    amount_on_itemization_date: Decimal | None = None
    interest_since: Decimal = Decimal("0.00")
    fees_since: Decimal = Decimal("0.00")
    payments_since: Decimal = Decimal("0.00")
    credits_since: Decimal = Decimal("0.00")
    extra_lines: tuple[str, ...] = field(default_factory=tuple)  # free text a reviewer added
