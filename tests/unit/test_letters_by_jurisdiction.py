"""Letters a lawyer would sign: who writes, where a dispute goes, the number to call and
the legal form come from the borrower's compliance pack, through the real letter step."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from arrears.domain.balance import StatedSplit
from arrears.domain.policy import policy_by_version
from arrears.domain.types import Stage
from arrears.steps.contact import act_on_stage, deliver_message
from arrears.steps.letter import deliver_letter
from arrears.steps.notices import letter_context
from hypothesis import given, settings
from hypothesis import strategies as st
from pypdf import PdfReader
from step_support import CASE_ID, make_deps
from test_contact_step_compliance import FakeLetters

MORNING = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday, 10:00 in London
MARKETS: dict[str, dict[str, Any]] = {
    "GB": {"phone": "+447911123456", "locale": "en-GB", "timezone": "Europe/London"},
    "US": {"phone": "+12025550101", "locale": "en-US", "timezone": "America/New_York"},
    "CN": {"phone": "+8613912345678", "locale": "zh-CN", "timezone": "Asia/Shanghai"},
    "IN": {"phone": "+919812345678", "locale": "en-IN", "timezone": "Asia/Kolkata"},
    "MX": {"phone": "+525512345678", "locale": "es-MX", "timezone": "America/Mexico_City"},
}
# the number each market's letters print (the packs'; Mexico has no pack: the policy's)
CONTACT_NUMBER = {
    "GB": "+44 20 7946 0100",
    "US": "+1 302 555 0100",
    "CN": "+86 21 5555 0100",
    "IN": "+91 22 5555 0100",
    "MX": "+1 555 0100",
}
NEGATIVE_ZERO = re.compile(r"[-–−]\s*\D{0,4}0(?:[.,]00?)?(?!\d|[.,]\d*[1-9])")


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    return " ".join(text.split())


def letter_for(country: str, stage: Stage, **case: Any) -> tuple[dict[str, Any], list[str]]:
    """Run one letter stage for a borrower of ``country``: the step's output and the PDF."""
    market = MARKETS[country]
    currency = {"GB": "GBP", "US": "USD", "CN": "CNY", "IN": "INR", "MX": "MXN"}[country]
    deps = make_deps(
        borrower={"country": country, **market}, stage=stage, currency=currency, **case
    )
    local_morning = datetime.combine(MORNING.date(), time(10), ZoneInfo(market["timezone"]))
    deps.clock = lambda: local_morning.astimezone(UTC)  # type: ignore[assignment]
    letters = FakeLetters()
    deps.letters = letters  # type: ignore[assignment]
    out = act_on_stage(deps, CASE_ID, stage, deliver_letter)
    assert out["outcome"] == "sent", out
    (stored,) = [pdf for _, kind, pdf in letters.stored if kind != "validation_notice"]
    return out, pages(stored)


def test_a_gb_lawyers_letter_is_a_letter_of_claim_under_the_pre_action_protocol():
    # given a GB borrower at the lawyer's letter stage
    out, text = letter_for("GB", Stage.LAWYER_LETTER)
    first_enclosure = next(i for i, page in enumerate(text) if page.startswith("Information"))
    letter = flat(" ".join(text[:first_enclosure]))
    enclosed = [flat(page) for page in text[first_enclosure:]]
    # then the letter says what the protocol asks for, and gives 30 days to reply
    assert "Pre-Action Protocol for Debt Claims" in letter
    reply_by = (MORNING.date() + timedelta(days=30)).strftime("%-d %B %Y")
    assert "within 30 days" in letter and reply_by in letter
    assert "without further notice" not in " ".join(text)
    assert "copy of it" in letter  # a copy of the agreement can be requested
    # it comes from the pack's law firm for the pack's creditor, with its FCA status line,
    # and tells the borrower where the reply form goes and where free advice is
    assert "Example & Partners Solicitors LLP" in letter
    assert "Arrears Demo Lending UK Ltd." in letter and "Financial Conduct Authority" in letter
    assert "PO Box 100" in letter and "MoneyHelper" in letter
    # and the information sheet and the reply form are enclosed, each on its own page
    assert [page.split(" ")[0:2] for page in enclosed] == [
        ["Information", "sheet"],
        ["Reply", "form"],
    ]
    assert "I agree I owe this amount" in enclosed[1] and "debt advice" in enclosed[1]
    # and the ladder does not move to legal review before the 30 days have passed
    assert datetime.fromisoformat(out["wait_until"]) > MORNING + timedelta(days=30)


def test_a_us_lawyers_letter_keeps_its_own_form_and_the_policy_deadline():
    out, text = letter_for("US", Stage.LAWYER_LETTER)
    letter = flat(text[0])
    assert "Notice before legal action" in letter and len(text) == 1
    assert "Example Law Group LLP" in letter and "Arrears Demo Lending Inc." in letter
    deadline = MORNING.date() + timedelta(days=policy_by_version(None).notices.letter_deadline_days)
    assert deadline.strftime("%B %-d, %Y") in letter
    # the next step still waits for the letter's own deadline to pass
    assert datetime.fromisoformat(out["wait_until"]).date() > deadline


@pytest.mark.parametrize("country", sorted(MARKETS))
def test_each_markets_letter_prints_its_own_contact_number(country):
    # when a demand letter goes to a borrower in this market
    _, text = letter_for(country, Stage.DEMAND_LETTER)
    letter = "".join(" ".join(text).split())
    # then it prints this market's number, and no other market's
    assert "".join(CONTACT_NUMBER[country].split()) in letter
    others = {n for c, n in CONTACT_NUMBER.items() if n != CONTACT_NUMBER[country]}
    assert not [n for n in others if "".join(n.split()) in letter]


def test_a_gb_demand_letter_carries_the_packs_legal_text():
    _, text = letter_for("GB", Stage.DEMAND_LETTER)
    assert "National Debtline" in flat(text[0])


# ----------------------------------------------------------- US validation notice (B-1)


def _first_contact_letters(**case: Any) -> list[bytes]:
    deps = make_deps(borrower={"country": "US", **MARKETS["US"]}, currency="USD", **case)
    deps.clock = lambda: datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # type: ignore[assignment]
    letters = FakeLetters()
    deps.letters = letters  # type: ignore[assignment]
    act_on_stage(deps, CASE_ID, Stage.REMINDER, deliver_message)
    return [pdf for _, kind, pdf in letters.stored if kind == "validation_notice"]


def test_a_us_creditor_collecting_its_own_debt_sends_no_validation_notice():
    assert _first_contact_letters() == []


def test_a_debt_collectors_validation_notice_follows_model_form_b1(us_debt_collector):
    # given a US case whose event split the 800.00 into principal, interest and fees
    split = StatedSplit(Decimal("800.00"), Decimal("740.00"), Decimal("25.00"), Decimal("35.00"))
    (pdf,) = _first_contact_letters(stated_splits={"loan-1": split})
    text = pages(pdf)
    *notice_pages, form = [flat(page) for page in text]
    notice = " ".join(notice_pages)
    # then the notice reads in B-1's order, from the collector for the creditor
    order = [
        "Example Collections LLC is a debt collector",
        "a debt that you owe to Arrears Demo Lending Inc.",
        "Our information shows:",
        "As of November 2, 2026, you owed: $800.00",
        "You were charged this amount in interest: $0.00",
        "You were charged this amount in fees: $0.00",
        "You paid or were credited this amount toward the debt: $0.00",
        "Total amount of the debt now: $800.00",
        "How can you dispute the debt?",
        "What else can you do?",
        "www.cfpb.gov/debt-collection",
    ]
    positions = [notice.find(line) for line in order]
    assert -1 not in positions, [line for line, at in zip(order, positions, strict=True) if at < 0]
    assert positions == sorted(positions)
    # the response form is mailed to the pack's dispute address
    assert form.startswith("How do you want to respond?")
    assert "Mail this form to: Example Collections LLC, 300 Example Street, Wilmington" in form
    assert "This is not my debt." in form and "The amount is wrong." in form
    # and nothing is printed as a negative zero
    assert not NEGATIVE_ZERO.search(notice + form)


@settings(max_examples=60, deadline=None)
@given(
    paid=st.integers(0, 80_000),
    interest_now=st.integers(0, 5_000),
    fees_now=st.integers(0, 5_000),
    interest_then=st.integers(0, 5_000),
)
def test_the_itemization_adds_up_and_never_shows_a_negative_zero(
    paid, interest_now, fees_now, interest_then
):
    # given an obligation whose producer split moved since the case opened
    cents = Decimal("0.01")
    principal = Decimal(80_000) * cents
    now_split = StatedSplit(
        principal + (interest_now + fees_now) * cents,
        principal,
        interest_now * cents,
        fees_now * cents,
    )
    owed = max(now_split.amount_due - paid * cents, Decimal("0.01"))
    deps = make_deps(
        borrower={"country": "US", **MARKETS["US"]},
        currency="USD",
        balance=owed,
        obligations={"loan-1": owed},
        stated_splits={"loan-1": now_split},
    )
    case = deps.repos.cases.get(CASE_ID)
    borrower = deps.repos.borrowers.get("acc-9")
    assert case is not None and borrower is not None
    from arrears.domain.case import TimelineEntry

    opened = TimelineEntry(
        CASE_ID,
        case.opened_at,
        "event_received",
        "system:ingest",
        {
            "obligation_id": "loan-1",
            "amount_due": str(principal + interest_then * cents),
            "breakdown": {
                "principal": str(principal),
                "interest": str(interest_then * cents),
                "fees": "0.00",
            },
        },
    )
    balance = TimelineEntry(
        CASE_ID,
        case.opened_at,
        "case_opened",
        "system:ingest",
        {"balance": str(principal + interest_then * cents)},
    )
    paid_line = TimelineEntry(
        CASE_ID,
        case.opened_at,
        "payment",
        "system:ingest",
        {"amount_paid": str(now_split.amount_due - owed)},
    )
    context = letter_context(
        case,
        borrower,
        policy_by_version(None),
        MORNING,
        [opened, balance, paid_line],
        "validation_notice",
    )
    # then the B-1 arithmetic holds to the cent
    start = context.amount_on_itemization_date
    assert (
        start
        + context.interest_since
        + context.fees_since
        - context.payments_since
        - context.credits_since
        == context.amount_due
    )
    # and the signed lines never read as a negative zero
    from arrears.domain.notices import catalogue
    from arrears.domain.notices.variables import variables
    from arrears.domain.types import Channel

    values = variables(context, catalogue().pack("en-US"), "en-US", Channel.LETTER)
    for name in ("interest_added", "fees_added", "paid_or_credited"):
        assert not NEGATIVE_ZERO.search(values[name] or ""), values[name]
