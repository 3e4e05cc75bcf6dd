"""What the steps send: a notice's context from the case, the borrower's compliance pack
and the policy; a message rendered and sent; a letter rendered, stored and announced."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from arrears.domain.case import BorrowerRecord, CaseRecord, TimelineEntry, payments_received
from arrears.domain.compliance.pack import LetterRules
from arrears.domain.policy import Policy
from arrears.steps.unit_of_work import UnitOfWork, count

# the audit lines a letter's itemization reads: the opening balance, the producer's first
# split of each obligation, the payments since
ITEMIZATION_LINES = ("case_opened", "event_received", "payment")


def case_reference(case: CaseRecord) -> str:
    """What the borrower sees as the case reference (no PII: account id and cycle)."""
    return case.case_id.replace("#", "-")


def notice_context(
    case: CaseRecord,
    borrower: BorrowerRecord,
    policy: Policy,
    now: datetime,
    first_contact: bool = False,
) -> Any:
    """``first_contact``: the first collection communication about this debt (US: it
    carries the full debt-collection disclosure, later ones the short form)."""
    from arrears.domain.compliance import load_pack
    from arrears.domain.notices import NoticeContext

    rules = load_pack(borrower.country or None).letters
    fields = _notice_fields(case, borrower, policy, now, rules)
    return NoticeContext(**fields, first_contact=first_contact)


def letter_context(
    case: CaseRecord,
    borrower: BorrowerRecord,
    policy: Policy,
    now: datetime,
    timeline: Sequence[TimelineEntry] = (),
    kind: str | None = None,
) -> Any:
    """A letter's context: who it comes from, where a dispute goes and the legal text
    come from the borrower's compliance pack (``letters``), the rest from the policy. The
    itemization (US validation notice, 12 CFR 1006.34(c)(2)) starts on the day the case
    opened, at the balance ingest recorded on the ``case_opened`` audit line, with the
    payments recorded since; pass the case's ``timeline`` for it."""
    from datetime import timedelta

    from arrears.domain.balance import caps_for, itemize_since
    from arrears.domain.compliance import load_pack
    from arrears.domain.notices import LetterContext

    rules = load_pack(borrower.country or None).letters
    fields = _notice_fields(case, borrower, policy, now, rules)
    days = rules.response_days(kind or "", policy.notices.letter_deadline_days)
    creditor, collector, firm = rules.creditor, rules.collector, rules.law_firm
    since = itemize_since(
        case.obligations,
        case.stated_splits,
        _first_stated_splits(timeline),
        fields["days_past_due"],
        policy.charges.as_charge_policy(),
        caps_for(borrower.country),
    )
    return LetterContext(
        **fields,
        letter_date=now.date(),
        deadline=now.date() + timedelta(days=days),
        contract_reference=", ".join(sorted(case.obligations)) or None,
        creditor_address=creditor.address if creditor else (),
        registration=creditor.registration if creditor else None,
        sender_name=firm.name if firm else None,
        sender_address=firm.address if firm else (),
        collector_name=collector.name if collector else None,
        collector_address=collector.address if collector else (),
        dispute_address=rules.dispute_to,
        legal_text=rules.legal_text.get(kind or "", {}),
        variant=rules.variants.get(kind or ""),
        itemization_date=case.opened_at.date(),
        amount_on_itemization_date=opening_balance(case, timeline),
        interest_since=since.interest,
        fees_since=since.fees,
        credits_since=since.credits,
        payments_since=payments_received(case, timeline),
    )


def _first_stated_splits(timeline: Sequence[TimelineEntry]) -> dict[str, Any]:
    """Each obligation's first split the producer sent (the audit of its events)."""
    from arrears.domain.balance import StatedSplit

    first: dict[str, Any] = {}
    for entry in timeline:
        split = entry.detail.get("breakdown") if entry.kind == "event_received" else None
        obligation = entry.detail.get("obligation_id")
        if split and obligation and obligation not in first:
            first[obligation] = StatedSplit.parse(
                {**split, "amount_due": entry.detail["amount_due"]}
            )
    return first


def opening_balance(case: CaseRecord, timeline: Sequence[TimelineEntry]) -> Decimal:
    """The balance when the case opened (``case_opened`` audit line); today's if unrecorded."""
    for entry in timeline:
        if entry.kind == "case_opened" and entry.detail.get("balance") not in (None, ""):
            return Decimal(str(entry.detail["balance"]))
    return case.balance


def render_and_store_letter(
    deps: UnitOfWork,
    case: CaseRecord,
    borrower: BorrowerRecord,
    policy: Policy,
    kind: str,
    now: datetime,
    deadline: date | None = None,
) -> dict[str, Any]:
    """Render a letter of ``kind`` in the borrower's language (``deadline`` overrides the
    policy's), store it and announce it: ``store_and_announce_letter``'s audit detail."""
    from arrears.domain.notices import render_letter

    timeline = deps.repos.timeline.list(case.case_id, ITEMIZATION_LINES)
    context = letter_context(case, borrower, policy, now, timeline, kind)
    if deadline is not None:
        context = replace(context, deadline=deadline)
    pdf = (deps.letter_renderer or render_letter)(kind, borrower.locale, context)
    return store_and_announce_letter(deps, case.case_id, kind, pdf)


def store_and_announce_letter(
    deps: UnitOfWork, case_id: str, kind: str, pdf: bytes
) -> dict[str, Any]:
    """Store the PDF (versioned, KMS) and announce it for postal dispatch; the audit detail
    (key, version id, SHA-256, size) is returned, never the content."""
    from arrears import constants as c

    deps.flush()  # the audit lines gathered so far are written before anything goes out
    stored = deps.letters.store_letter(case_id, kind, pdf)
    count(c.METRIC_LETTERS_STORED, kind=kind)
    deps.letters.announce_letter_ready(
        case_id=case_id,
        kind=kind,
        key=stored.key,
        version_id=stored.version_id,
        sha256=stored.sha256,
    )
    return {
        "kind": kind,
        "key": stored.key,
        "version_id": stored.version_id,
        "sha256": stored.sha256,
        "bytes": len(pdf),
    }


def _notice_fields(
    case: CaseRecord,
    borrower: BorrowerRecord,
    policy: Policy,
    now: datetime,
    rules: LetterRules,
) -> dict[str, Any]:
    """What every notice says: the creditor and its contact details from the borrower's
    compliance pack when it names them (each market its own number), else the policy's;
    the amount itemized from the producer's split, else with the policy's charges."""
    from arrears.domain.balance import caps_for, case_breakdown

    reference = case_reference(case)
    defaults = policy.notices
    due = case.due_date or case.opened_at.date()
    days_past_due = max((now.date() - due).days, 0)
    breakdown = case_breakdown(
        case.obligations,
        case.stated_splits,
        days_past_due,
        policy.charges.as_charge_policy(),
        caps_for(borrower.country),
    )
    return {
        "borrower_name": borrower.name or "",
        "amount_due": breakdown.total,
        "breakdown": breakdown,
        "currency": case.currency,
        "due_date": due,
        "creditor_name": rules.creditor.name if rules.creditor else defaults.creditor_name,
        "case_reference": reference,
        "pay_link": defaults.pay_link.format(case_reference=reference)
        if defaults.pay_link
        else None,
        "payment_instructions": defaults.payment_instructions,
        "contact_phone": rules.contact_phone or defaults.contact_phone,
        "contact_email": rules.contact_email or defaults.contact_email,
        "opt_out_link": defaults.opt_out_link,
        "days_past_due": days_past_due,
        "timezone": borrower.timezone,
        "jurisdiction": borrower.country or None,
        "debt_collector": rules.is_debt_collector,
        "fallback_locale": defaults.default_locale,
    }


def send_rendered(
    deps: UnitOfWork,
    borrower: BorrowerRecord,
    template: str,
    channel: Any,
    context: Any,
    case_id: str = "",
) -> str:
    """Render for the borrower's locale and send on one channel; returns the message id."""
    from arrears.domain.notices import render_message

    message = render_message(template, channel, borrower.locale, context)
    return send_message(deps, borrower, channel, message, case_id)


def send_message(
    deps: UnitOfWork, borrower: BorrowerRecord, channel: Any, message: Any, case_id: str = ""
) -> str:
    """Send an already rendered message on one channel; returns the message id."""
    from arrears.domain.types import Channel

    deps.flush()  # the audit lines gathered so far are written before anything goes out
    # the tags let an SES bounce or complaint, or an SNS SMS delivery report (which names
    # only the message id), find its borrower (adapters.delivery, adapters.sent_messages)
    tags = {"account_id": borrower.account_id, "case_id": case_id}
    if Channel(channel) is Channel.SMS:
        return str(deps.messenger.send_sms(borrower.phone or "", message.body, tags))
    return str(
        deps.messenger.send_email(borrower.email or "", message.subject or "", message.body, tags)
    )
