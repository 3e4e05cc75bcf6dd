"""The portal on the local runtime: a link from a really sent SMS, the knowledge check, and
the borrower's actions waking the case's escalation (real ASL, real handlers)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from arrears.adapters.cases import Repositories
from arrears.domain.types import CaseStatus

from tests.workflow.escalation_support import START, Outbox, case, post
from tests.workflow.portal_support import (  # noqa: F401 (fixtures)
    Browser,
    link_in,
    open_case,
    outbox,
    rt,
)


def _portal_lines(case_id: str) -> list[tuple[str, str]]:
    return [
        (entry.kind, entry.actor)
        for entry in Repositories.dynamo().timeline.list(case_id)
        if entry.actor == "borrower:portal"
    ]


def _collection_sent(box: Outbox, account_id: str, since: datetime) -> list[dict[str, Any]]:
    return [m for m in box.to(account_id) if m["at"] > since and m["channel"] != "letter"]


def test_the_case_page_shows_what_the_borrower_has_paid(rt, outbox) -> None:  # noqa: F811
    case_id = open_case(rt, "portal-partial")
    rt.advance(timedelta(hours=3))
    post(rt, "portal-partial", "PARTIALLY_PAID", amount_paid="400.00")
    rt.advance(timedelta(minutes=5))
    assert "payment" in [e.kind for e in Repositories.dynamo().timeline.list(case_id)]
    page = Browser(rt, link_in(outbox, "portal-partial")).sign_in().page
    rows = re.findall(r'<tr><th scope="row">([^<]*)</th><td class="num">([^<]*)</td>', page)
    assert len(rows) == 4, rows  # principal, interest, fees, payments
    assert "400.00" in rows[-1][1]


def test_a_promise_made_from_the_sms_link_moves_the_next_contact(rt, outbox) -> None:  # noqa: F811
    promised = open_case(rt, "portal-promise")
    control = open_case(rt, "portal-control")
    rt.advance(timedelta(hours=3))
    browser = Browser(rt, link_in(outbox, "portal-promise")).sign_in()
    assert browser.status == 200 and 'id="total"' in browser.page
    promise_date = (rt.now + timedelta(days=14)).date()
    browser.act("promise", promise_date=promise_date.isoformat(), promise_amount="1250.00")
    assert browser.status == 200
    assert "承诺" in browser.page  # the confirmation and the promise, in the borrower's language
    assert case(promised).status is CaseStatus.PROMISED
    assert ("promise_to_pay", "borrower:portal") in _portal_lines(promised)
    woken_at = rt.now
    rt.advance(timedelta(days=12))
    # the ladder's follow-up (day 7) reached the control borrower, not the one who promised
    assert [m["channel"] for m in _collection_sent(outbox, "portal-control", woken_at)]
    assert _collection_sent(outbox, "portal-promise", woken_at) == []
    # after the promised date and its grace the promise is broken and contact resumes: the
    # rescored case goes on with the agent's call (day 14 had passed meanwhile)
    rt.advance(timedelta(days=6))
    record = case(promised)
    assert record.status is CaseStatus.OPEN
    kinds = [e.kind for e in Repositories.dynamo().timeline.list(promised)]
    assert kinds.index("promise_broken") > kinds.index("promise_to_pay")
    assert record.queue == "AGENT_CALL"
    assert control != promised


def test_a_plan_chosen_on_the_page_stops_the_ladder(rt, outbox) -> None:  # noqa: F811
    case_id = open_case(rt, "portal-plan")
    rt.advance(timedelta(hours=3))
    browser = Browser(rt, link_in(outbox, "portal-plan")).sign_in()
    assert browser.page.count("<table") == 3  # the balance, then each plan's full schedule
    browser.act("plan", installments="3")
    assert case(case_id).status is CaseStatus.ON_PLAN
    assert ("plan_accepted", "borrower:portal") in _portal_lines(case_id)
    accepted = rt.now
    rt.advance(timedelta(days=9))  # the first installment is due in 7 days, grace 3
    assert _collection_sent(outbox, "portal-plan", accepted) == []
    assert case(case_id).status is CaseStatus.ON_PLAN


def test_an_opt_out_on_the_page_stops_that_channel_only(rt, outbox) -> None:  # noqa: F811
    case_id = open_case(rt, "portal-optout")
    rt.advance(timedelta(hours=3))
    assert {m["channel"] for m in outbox.to("portal-optout")} == {"sms", "email"}
    Browser(rt, link_in(outbox, "portal-optout", "email")).sign_in().act("opt_out", channel="sms")
    assert ("opted_out", "borrower:portal") in _portal_lines(case_id)
    borrower = Repositories.dynamo().borrowers.get("portal-optout")
    assert borrower is not None and "sms" in {ch.value for ch in borrower.opted_out}
    opted = rt.now
    rt.advance(timedelta(days=10))  # the follow-up (day 7) goes by SMS only: blocked
    assert [m for m in outbox.to("portal-optout") if m["at"] > opted] == []
    kinds = [e.kind for e in Repositories.dynamo().timeline.list(case_id)]
    assert "contact_blocked" in kinds or "contact_skipped" in kinds or "stage_skipped" in kinds


def test_already_paid_holds_contact_and_lists_the_case_for_ops(rt, outbox) -> None:  # noqa: F811
    case_id = open_case(rt, "portal-paid")
    rt.advance(timedelta(hours=3))
    browser = Browser(rt, link_in(outbox, "portal-paid")).sign_in().act("paid")
    record = case(case_id)
    assert record.status is CaseStatus.PAYMENT_PENDING
    kinds = [e.kind for e in Repositories.dynamo().timeline.list(case_id)]
    assert "payment_claimed" in kinds
    assert "还款处理中" in browser.page  # "payment pending" on the page
    claimed = rt.now
    rt.advance(timedelta(days=2))  # inside the 72-hour grace window
    assert _collection_sent(outbox, "portal-paid", claimed) == []
    # a second claim (the session has ended meanwhile: confirm again) changes nothing
    browser.sign_in().act("paid")
    assert browser.status == 400 and "未做任何更改" in browser.page


def test_dispute_and_hardship_go_through_the_ops_rules(rt, outbox) -> None:  # noqa: F811
    disputed = open_case(rt, "portal-dispute")
    hardship = open_case(rt, "portal-hardship")
    rt.advance(timedelta(hours=3))
    Browser(rt, link_in(outbox, "portal-dispute")).sign_in().act(
        "dispute", reason="I returned the goods"
    )
    assert case(disputed).status is CaseStatus.DISPUTED
    Browser(rt, link_in(outbox, "portal-hardship")).sign_in().act("hardship", note="lost job")
    borrower = Repositories.dynamo().borrowers.get("portal-hardship")
    assert borrower is not None and "hardship" in borrower.flags
    lines = _portal_lines(disputed) + _portal_lines(hardship)
    assert ("dispute_opened", "borrower:portal") in lines
    assert ("hardship_reported", "borrower:portal") in lines


def test_pay_now_redirects_with_a_signed_reference_and_pending_shows(rt, outbox) -> None:  # noqa: F811
    from tests.workflow.escalation_support import post

    case_id = open_case(rt, "portal-pay")
    rt.advance(timedelta(hours=3))
    browser = Browser(rt, link_in(outbox, "portal-pay")).sign_in()
    browser.post("/pay", {"csrf": browser.csrf()}, follow=False)
    assert browser.status == 303
    location = browser.headers["Location"]
    assert location.startswith("https://pay.example.com/checkout?reference=portal-pay-1")
    assert "amount=1250.00" in location and "signature=" in location
    assert "还款处理中" not in browser.get().page
    post(rt, "portal-pay", "PAYMENT_PENDING")  # the wallet reports the payment in flight
    rt.advance(timedelta(minutes=5))
    assert case(case_id).status is CaseStatus.PAYMENT_PENDING
    assert "还款处理中" in browser.get().page


def test_preferences_change_the_language_of_the_page(rt, outbox) -> None:  # noqa: F811
    open_case(rt, "portal-prefs")
    rt.advance(timedelta(hours=3))
    browser = Browser(rt, link_in(outbox, "portal-prefs")).sign_in()
    browser.act("preferences", locale="en-US", channel="email", hour_from="9", hour_to="18")
    assert browser.status == 200 and "Your preferences are saved." in browser.page
    assert '<html lang="en">' in browser.page
    browser.act("preferences", hour_from="6", hour_to="18")
    assert browser.status == 400 and "between 8 and 21" in browser.page
    assert rt.now > START


def test_preferred_hours_move_the_next_message_into_them(rt, outbox) -> None:  # noqa: F811
    from zoneinfo import ZoneInfo

    open_case(rt, "portal-hours")
    rt.advance(timedelta(hours=1))
    browser = Browser(rt, link_in(outbox, "portal-hours")).sign_in()
    browser.act("preferences", hour_from="18", hour_to="20")
    assert browser.status == 200
    chosen = rt.now
    rt.advance(timedelta(days=8))  # the follow-up (day 7) by SMS
    later = [m for m in outbox.to("portal-hours") if m["at"] > chosen]
    assert later, "the follow-up was not sent"
    for message in later:
        local = message["at"].astimezone(ZoneInfo("Asia/Shanghai"))
        assert 18 <= local.hour < 20, local
