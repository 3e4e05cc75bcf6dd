"""The portal's defences on the local runtime: the knowledge check locks after five wrong
answers, a POST without its one-time form token (or with a used one) changes nothing,
unknown, expired and closed-case links all get the same 404, malformed input gets a clear
page in the borrower's language, and every response carries the security headers."""

from __future__ import annotations

from datetime import timedelta

from arrears.adapters.cases import Repositories
from arrears.domain.types import CaseStatus
from arrears.local.portal_server import call, http_event

from tests.workflow.escalation_support import case, post
from tests.workflow.portal_support import (  # noqa: F401 (fixtures)
    Browser,
    link_in,
    open_case,
    outbox,
    rt,
)


def _timeline(case_id: str) -> list[str]:
    return [entry.kind for entry in Repositories.dynamo().timeline.list(case_id)]


def test_five_wrong_answers_lock_the_link_even_for_the_right_one(rt, outbox) -> None:  # noqa: F811
    case_id = open_case(rt, "sec-brute")
    rt.advance(timedelta(hours=1))
    browser = Browser(rt, link_in(outbox, "sec-brute"))
    for attempt, guess in enumerate(("1980", "1981", "1982", "1983"), start=1):
        browser.sign_in(guess)
        assert browser.status == 400 and f"剩余次数：{5 - attempt}" in browser.page
        assert "¥1,250.00" not in browser.page  # nothing beyond the creditor's name
    browser.sign_in("1985")
    assert browser.status == 403 and "此链接已锁定" in browser.page
    browser.get()
    assert browser.status == 403 and "csrf" not in browser.page  # no form to try again
    # the right answer no longer opens it
    event = http_event("POST", browser.path + "/check", form={"csrf": "x", "answer": "1984"})
    assert call(rt, event)["statusCode"] in (403, 409)
    assert "portal_link_locked" in _timeline(case_id)
    assert "portal_opened" not in _timeline(case_id)


def test_a_malformed_answer_is_asked_again_without_counting(rt, outbox) -> None:  # noqa: F811
    open_case(rt, "sec-malformed")
    rt.advance(timedelta(hours=1))
    browser = Browser(rt, link_in(outbox, "sec-malformed"))
    for _ in range(6):
        browser.sign_in("nineteen")
        assert browser.status == 400 and "请输入4位数字" in browser.page
    browser.sign_in()
    assert browser.status == 200 and 'id="total"' in browser.page


def test_a_post_without_its_form_token_is_refused_and_changes_nothing(rt, outbox) -> None:  # noqa: F811
    case_id = open_case(rt, "sec-csrf")
    rt.advance(timedelta(hours=1))
    browser = Browser(rt, link_in(outbox, "sec-csrf")).sign_in()
    before = _timeline(case_id)
    for form in (
        {"action": "opt_out", "channel": "sms"},
        {"action": "opt_out", "channel": "sms", "csrf": "forged-token-value"},
    ):
        browser.post("/act", form)
        assert browser.status == 409 and "未做任何更改" in browser.page
    # a form posted as JSON or with a repeated field is not a form
    event = http_event(
        "POST",
        browser.path + "/act",
        body='{"action": "opt_out"}',
        content_type="application/json",
        cookies=browser.cookies,
    )
    assert call(rt, event)["statusCode"] == 409
    assert _timeline(case_id) == before
    borrower = Repositories.dynamo().borrowers.get("sec-csrf")
    assert borrower is not None and not borrower.opted_out


def test_a_replayed_post_changes_nothing_the_second_time(rt, outbox) -> None:  # noqa: F811
    case_id = open_case(rt, "sec-replay")
    rt.advance(timedelta(hours=1))
    browser = Browser(rt, link_in(outbox, "sec-replay")).sign_in()
    form = {"csrf": browser.csrf(), "action": "hardship", "note": "hospital"}
    browser.post("/act", dict(form))
    assert browser.status == 200
    browser.post("/act", dict(form))
    assert browser.status == 409 and "此表单已提交过" in browser.page
    assert _timeline(case_id).count("hardship_reported") == 1


def test_a_post_without_a_session_is_refused(rt, outbox) -> None:  # noqa: F811
    case_id = open_case(rt, "sec-nosession")
    rt.advance(timedelta(hours=1))
    path = link_in(outbox, "sec-nosession")
    stranger = Browser(rt, path).get()
    stranger.post("/act", {"csrf": stranger.csrf(), "action": "dispute", "reason": "x"})
    assert stranger.status == 403
    assert case(case_id).status is CaseStatus.OPEN


def test_bad_input_gets_a_clear_page_and_changes_nothing(rt, outbox) -> None:  # noqa: F811
    case_id = open_case(rt, "sec-input")
    rt.advance(timedelta(hours=1))
    browser = Browser(rt, link_in(outbox, "sec-input")).sign_in()
    far = (rt.now + timedelta(days=60)).date().isoformat()
    cases = [
        ({"action": "promise", "promise_date": far}, "日期必须在"),
        ({"action": "promise", "promise_date": "not-a-date"}, "请输入有效日期"),
        ({"action": "promise", "promise_date": far[:8] + "01", "promise_amount": "-5"}, ""),
        ({"action": "plan", "installments": "5"}, "您的账户不提供该计划"),
        ({"action": "dispute", "reason": ""}, "请说明原因"),
        ({"action": "nonsense"}, "表单中有内容缺失或无效"),
    ]
    before = _timeline(case_id)
    for form, text in cases:
        browser.act(**form)
        assert browser.status == 400, form
        assert "未做任何更改" in browser.page and text in browser.page
    assert _timeline(case_id) == before
    assert case(case_id).status is CaseStatus.OPEN


def test_unknown_expired_and_closed_links_all_get_the_same_404(rt, outbox) -> None:  # noqa: F811
    open_case(rt, "sec-404")
    rt.advance(timedelta(hours=1))
    path = link_in(outbox, "sec-404")
    unknown = call(rt, http_event("GET", "/c/AAAAAAAAAAAAAAAAAAAAAA"))
    malformed = call(rt, http_event("GET", "/c/not*a*token"))
    elsewhere = call(rt, http_event("GET", "/admin"))
    post(rt, "sec-404", "PAID", amount_paid="1250.00")  # the case closes: the link is revoked
    rt.advance(timedelta(minutes=5))
    closed = call(rt, http_event("GET", path))
    for response in (malformed, elsewhere, closed):
        assert response["statusCode"] == 404
        assert response["body"] == unknown["body"]
    assert unknown["statusCode"] == 404


def test_a_link_expires_after_the_policy_s_days(rt, outbox) -> None:  # noqa: F811
    open_case(rt, "sec-expiry")
    rt.advance(timedelta(hours=1))
    path = link_in(outbox, "sec-expiry")
    assert Browser(rt, path).get().status == 200
    rt.advance(timedelta(days=30))
    expired = call(rt, http_event("GET", path))
    assert expired["statusCode"] == 404
    assert expired["body"] == call(rt, http_event("GET", "/c/BBBBBBBBBBBBBBBBBBBBBB"))["body"]


def test_every_response_carries_the_security_headers(rt, outbox) -> None:  # noqa: F811
    open_case(rt, "sec-headers")
    rt.advance(timedelta(hours=1))
    browser = Browser(rt, link_in(outbox, "sec-headers"))
    for response in (browser.get(), browser.sign_in()):
        headers = response.headers
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert "default-src 'none'" in headers["Content-Security-Policy"]
        assert headers["Strict-Transport-Security"].startswith("max-age=")
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"
    session = call(
        rt, http_event("POST", browser.path + "/check", form={"csrf": "x", "answer": "1984"})
    )
    assert "Strict-Transport-Security" in session["headers"]


def test_requests_past_the_per_link_limit_are_refused(rt, outbox) -> None:  # noqa: F811
    open_case(rt, "sec-rate")
    rt.advance(timedelta(hours=1))
    browser = Browser(rt, link_in(outbox, "sec-rate"))
    statuses = [browser.get().status for _ in range(125)]
    assert statuses[0] == 200 and statuses[-1] == 429
    assert statuses.count(200) == 120  # the policy's requests_per_link in ten minutes
    rt.advance(timedelta(minutes=11))
    assert browser.get().status == 200


def test_an_address_guessing_tokens_is_slowed_down(rt, outbox) -> None:  # noqa: F811
    import secrets

    guesses = [
        call(rt, http_event("GET", f"/c/{secrets.token_urlsafe(16)}", source_ip="203.0.113.9"))
        for _ in range(305)
    ]
    statuses = [g["statusCode"] for g in guesses]
    assert statuses[:300] == [404] * 300 and set(statuses[300:]) == {429}
    # another address is not affected, and nothing tells a guess it was close
    other = call(rt, http_event("GET", "/c/CCCCCCCCCCCCCCCCCCCCCC", source_ip="203.0.113.10"))
    assert other["statusCode"] == 404 and other["body"] == guesses[0]["body"]
