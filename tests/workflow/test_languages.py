"""Borrowers in every market are written to in their language, and never left in silence.

Each message is checked for its required content (the opt-out line) in the language it is
actually sent in; a locale no template set serves is written in the fallback language and
noted on the case at ingest (``language_fallback``), not discovered at send time.
"""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from arrears.adapters.cases import Repositories
from arrears.local.report import build_report
from escalation_support import (  # noqa: F401 - fixtures
    REPORT_SCHEMA,
    email_of,
    open_overdue,
    outbox,
    post_at,
    rt,
)

MARKETS = {
    # locale: (country, timezone, phone, currency, words every message in it carries)
    "es-MX": ("MX", "America/Mexico_City", "+525512345678", "MXN", "dejar de recibir"),
    "pt-BR": ("BR", "America/Sao_Paulo", "+5511912345678", "BRL", "não receber mais"),
    "id-ID": ("ID", "Asia/Jakarta", "+6281234567890", "IDR", "berhenti menerima"),
}


def _borrower(locale: str, account_id: str) -> dict[str, Any]:
    country, timezone, phone, _, _ = MARKETS.get(locale, MARKETS["es-MX"])
    return {"locale": locale, "country": country, "timezone": timezone, "phone": phone}


def _sent_to(outbox, account_id: str, phone: str) -> list[dict[str, Any]]:
    return [m for m in outbox.sent if m["to"] in (phone, email_of(account_id))]


def _timeline(case_id: str) -> list[Any]:
    return list(Repositories.dynamo().timeline.list(case_id))


@pytest.mark.parametrize("locale", sorted(MARKETS))
def test_a_borrower_is_reminded_and_thanked_in_their_own_language(rt, outbox, locale):
    # given an overdue borrower whose language is not English
    account_id = f"acc-lang-{locale.lower()}"
    _, _, phone, currency, opt_out_words = MARKETS[locale]
    opened = rt.now
    case_id = open_overdue(
        rt, account_id, borrower=_borrower(locale, account_id), currency=currency
    )
    post_at(
        rt,
        opened + timedelta(days=3),
        account_id,
        "PAID",
        amount_paid="1250.00",
        borrower=_borrower(locale, account_id),
        currency=currency,
    )

    # when the reminder is due and the borrower then pays
    rt.advance(timedelta(days=5))

    # then the reminder and the receipt went out by SMS and email, in their language
    sent = _sent_to(outbox, account_id, phone)
    assert [m["channel"] for m in sent].count("sms") == 2, [e.kind for e in _timeline(case_id)]
    assert [m["channel"] for m in sent].count("email") == 2
    for message in sent:
        assert opt_out_words in message["body"].casefold(), message["body"]
    kinds = [entry.kind for entry in _timeline(case_id)]
    assert "contact_blocked" not in kinds
    assert "language_fallback" not in kinds


def test_a_locale_no_template_set_serves_is_written_in_the_fallback_and_noted_at_ingest(rt, outbox):
    # given a borrower whose language no template set is written in (Thai)
    account_id = "acc-lang-th"
    borrower = {"locale": "th-TH", "country": "TH", "timezone": "Asia/Bangkok"}
    borrower["phone"] = "+66812345678"
    case_id = open_overdue(rt, account_id, borrower=borrower, currency="THB")

    # when the case opens and the reminder is due
    rt.advance(timedelta(days=2))

    # then ingest noted the fallback on the case, before any send
    timeline = _timeline(case_id)
    fallback = [entry for entry in timeline if entry.kind == "language_fallback"]
    assert len(fallback) == 1
    assert fallback[0].detail["requested"] == "th-TH"
    assert fallback[0].detail["served"] == "en-US"
    assert fallback[0].at <= min(e.at for e in timeline if e.kind == "contact_sent")
    # and the borrower was still written to, in the fallback language: never silence
    sent = _sent_to(outbox, account_id, borrower["phone"])
    assert {m["channel"] for m in sent} == {"sms", "email"}
    assert all("reply stop" in m["body"].casefold() for m in sent)

    # and the report lists the fallback on the case and in the totals
    report = build_report(rt)
    jsonschema.validate(report, REPORT_SCHEMA)
    listed = next(c for c in report["cases"] if c["case_id"] == case_id)
    assert listed["language_fallback"] == {"requested": "th-TH", "served": "en-US"}
    assert report["totals"]["language_fallbacks"]["th-TH -> en-US"] >= 1
