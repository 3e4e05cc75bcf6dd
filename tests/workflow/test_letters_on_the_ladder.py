"""Letters through the real path (ingest, DynamoDB, the escalation ASL): itemized from
the producer's own breakdown, and in the jurisdiction's legal form with its timing."""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

import io
from datetime import timedelta

from arrears.adapters.cases import Repositories
from escalation_support import (  # noqa: F401 - fixtures
    open_overdue,
    outbox,
    rt,
)
from pypdf import PdfReader

GB_BORROWER = {
    "phone": "+447911123456",
    "locale": "en-GB",
    "timezone": "Europe/London",
    "country": "GB",
}


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)


def _letters(outbox, account_id: str) -> dict[str, dict]:
    return {s["kind"]: s for s in outbox.to(account_id) if s["channel"] == "letter"}


def test_a_producers_breakdown_is_what_the_letters_itemize(rt, outbox):
    # given an overdue GB account whose event splits the 1250.00 into its parts
    case_id = open_overdue(
        rt,
        "acc-gb-split",
        country="GB",
        currency="GBP",
        borrower=GB_BORROWER,
        principal="1180.00",
        interest="45.50",
        fees="24.50",
    )
    # when the ladder runs to the demand letter
    rt.advance(timedelta(days=40))
    # the split is kept on the case
    stored = Repositories.dynamo().cases.get(case_id)
    assert stored is not None and "loan-7/inst-3" in stored.stated_splits
    letters = _letters(outbox, "acc-gb-split")
    assert "demand_letter" in letters, list(letters)
    # then the letter's table shows the producer's interest and fees, not all principal
    text = _text(letters["demand_letter"]["pdf"])
    for amount in ("£1,180.00", "£45.50", "£24.50", "£1,250.00"):
        assert amount in text


def test_a_gb_case_gets_a_letter_of_claim_and_30_days_before_legal_review(rt, outbox):
    # given an overdue GB account nobody pays
    case_id = open_overdue(rt, "acc-gb-claim", country="GB", currency="GBP", borrower=GB_BORROWER)
    # when the whole ladder runs
    rt.advance(timedelta(days=120))
    letters = _letters(outbox, "acc-gb-claim")
    assert "lawyer_letter" in letters, [
        e.kind for e in Repositories.dynamo().timeline.list(case_id)
    ]
    # then the lawyer's letter is the protocol's letter of claim, with its enclosures
    claim = letters["lawyer_letter"]
    text = _text(claim["pdf"])
    assert "Pre-Action Protocol for Debt Claims" in text
    assert "Information sheet" in text and "Reply form" in text
    assert "without further notice" not in text
    # and legal review starts only after the 30 days the letter gives to reply
    entered = [
        e.at
        for e in Repositories.dynamo().timeline.list(case_id)
        if e.kind == "stage_entered" and e.detail.get("stage") == "legal_review"
    ]
    assert entered, "the case never reached legal review"
    assert entered[0] > claim["at"] + timedelta(days=30)
