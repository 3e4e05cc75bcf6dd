"""From a context to the strings templates substitute, formatted for the locale."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal

from arrears.domain.balance import Breakdown
from arrears.domain.notices import formatting as fmt
from arrears.domain.notices.context import LetterContext, NoticeContext
from arrears.domain.notices.templates import LocalePack
from arrears.domain.types import Channel

SMS_NAME_LIMIT = 40  # a long name must not push the amount or the opt-out line out of an SMS
FSI, PDI = "\u2068", "\u2069"  # Unicode first-strong isolate: keeps an RTL name from
# reordering the punctuation around it in a left-to-right message


def clean(value: str) -> str:
    """Borrower- or operator-supplied text: no control characters, single-spaced."""
    value = "".join(
        " " if unicodedata.category(ch).startswith("C") and ch not in (FSI, PDI) else ch
        for ch in value
    )
    return re.sub(r"\s+", " ", value).strip()


def _has_rtl(value: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in value)


def display_name(name: str, *, channel: Channel) -> str:
    name = clean(name)
    if channel is Channel.SMS and len(name) > SMS_NAME_LIMIT:
        name = name[: SMS_NAME_LIMIT - 1].rstrip() + "…"
    if channel in (Channel.SMS, Channel.EMAIL) and _has_rtl(name):
        name = f"{FSI}{name}{PDI}"
    return name


def variables(
    context: NoticeContext, pack: LocalePack, locale: str, channel: Channel
) -> dict[str, str | None]:
    """Every variable a template may name (None = no value; see templates.MESSAGE_OPTIONAL)."""

    def money(amount: Decimal | None) -> str | None:
        return None if amount is None else fmt.money(amount, context.currency, locale)

    def signed(amount: Decimal, sign: str) -> str:
        # Model Form B-1 prints the sign before a non-zero amount; nothing is never "- $0.00"
        shown = fmt.money(abs(amount), context.currency, locale)
        return shown if amount == 0 else f"{sign} {shown}"

    def day(value: date | None) -> str | None:
        return None if value is None else fmt.long_date(value, locale)

    breakdown = context.breakdown or Breakdown.principal_only(context.amount_due)
    contact_parts = [clean(p) for p in (context.contact_phone, context.contact_email) if p]
    contact = " / ".join(contact_parts) or None
    pay_link = clean(context.pay_link) if context.pay_link else None
    instructions = clean(context.payment_instructions) if context.payment_instructions else None
    plan = context.plan
    values: dict[str, str | None] = {
        "borrower_name": display_name(context.borrower_name, channel=channel),
        "amount_due": money(context.amount_due),
        "due_date": day(context.due_date),
        "creditor_name": clean(context.creditor_name),
        "case_reference": clean(context.case_reference),
        "how_to_pay": pay_link or instructions,
        "pay_link": pay_link,
        "payment_instructions": instructions,
        "contact": contact,
        "contact_phone": clean(context.contact_phone) if context.contact_phone else None,
        "contact_email": clean(context.contact_email) if context.contact_email else None,
        "opt_out_link": clean(context.opt_out_link) if context.opt_out_link else None,
        "days_past_due": str(context.days_past_due),
        "principal": money(breakdown.principal),
        "interest": money(breakdown.interest),
        "late_fees": money(breakdown.late_fees),
        "total": money(breakdown.total),
        "amount_paid": money(context.amount_paid),
        "paid_at": (
            fmt.local_datetime(context.paid_at, context.timezone, locale)
            if context.paid_at
            else None
        ),
        "plan_installments": str(plan.installments) if plan else None,
        "plan_installment_amount": money(plan.installment_amount) if plan else None,
        "plan_first_due_date": day(plan.first_due_date) if plan else None,
        "call_at": (
            fmt.local_datetime(context.call_at, context.timezone, locale)
            if context.call_at
            else None
        ),
        "agent_name": clean(context.agent_name) if context.agent_name else None,
        "deadline": day(context.deadline),
    }
    phrase_values = {
        "creditor_name": values["creditor_name"],
        "opt_out_link": values["opt_out_link"],
        "contact": contact,
    }
    opt_out_key = "opt_out_sms" if channel is Channel.SMS else "opt_out_email"
    values["opt_out"] = pack.phrases[opt_out_key].render(phrase_values)
    values["disclosure"] = None
    if (context.jurisdiction or "").upper() == "US" and context.debt_collector:
        key = "disclosure_initial" if context.first_contact else "disclosure_subsequent"
        values["disclosure"] = pack.phrases[key].render(phrase_values)
    if isinstance(context, LetterContext):
        values.update(
            {
                "letter_date": day(context.letter_date),
                "contract_reference": (
                    clean(context.contract_reference) if context.contract_reference else None
                ),
                "sender_name": clean(context.sender_name) if context.sender_name else None,
                "itemization_date": day(context.itemization_date),
                "amount_on_itemization_date": money(context.amount_on_itemization_date),
                "interest_since": money(context.interest_since),
                "fees_since": money(context.fees_since),
                "payments_since": money(context.payments_since),
                "credits_since": money(context.credits_since),
                "interest_added": signed(context.interest_since, "+"),
                "fees_added": signed(context.fees_since, "+"),
                "paid_or_credited": signed(context.payments_since + context.credits_since, "–"),
                "collector_name": (
                    clean(context.collector_name) if context.collector_name else None
                ),
                "dispute_address": (
                    ", ".join(clean(line) for line in context.dispute_address if line.strip())
                    or None
                ),
            }
        )
    return values
