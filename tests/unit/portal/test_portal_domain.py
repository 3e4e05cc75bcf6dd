"""The portal's pure rules: tokens, the knowledge check, SMS parts, actions, pages."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from arrears.domain.case import CaseRecord
from arrears.domain.ops import CallOutcome, OfferPlan, OpsFacts, OptOut, RecordCallOutcome
from arrears.domain.portal import knowledge as kc
from arrears.domain.portal import pages, sms, tokens
from arrears.domain.portal.actions import (
    OPERATOR,
    PortalAction,
    PortalRefusal,
    parse_preferences,
    plan_for,
    to_ops_action,
)
from arrears.domain.portal.payments import payment_url, signed_message
from arrears.domain.portal.settings import PortalPolicy
from arrears.domain.types import CaseStatus, Channel, Stage

NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 10)
POLICY = PortalPolicy()


def a_case(status: CaseStatus = CaseStatus.OPEN, balance: str = "1250.00") -> CaseRecord:
    return CaseRecord(
        case_id="acc-9#1",
        account_id="acc-9",
        cycle=1,
        status=status,
        stage=Stage.REMINDER,
        balance=Decimal(balance),
        currency="CNY",
        opened_at=NOW - timedelta(days=9),
        task_token="tok-1",
        waiting_for="follow_up_due",
    )


# ------------------------------------------------------------------------------ tokens


def test_tokens_carry_128_random_bits_and_only_their_hash_is_kept() -> None:
    issued = {tokens.new_token() for _ in range(2000)}
    assert len(issued) == 2000
    for token in list(issued)[:50]:
        assert len(token) == 22 and tokens.well_formed(token)
        link = tokens.new_link(token, "acc-9#1", "acc-9", NOW, 30)
        assert token not in repr(link)
        assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert link.expires_at == NOW + timedelta(days=30)


def test_a_link_is_usable_only_while_unexpired_unrevoked_and_its_case_open() -> None:
    link = tokens.new_link(tokens.new_token(), "acc-9#1", "acc-9", NOW, 30)
    assert tokens.usable(link, True, NOW + timedelta(days=29))
    assert not tokens.usable(link, True, NOW + timedelta(days=30))
    assert not tokens.usable(link, False, NOW)
    assert not tokens.usable(None, True, NOW)
    from dataclasses import replace

    assert not tokens.usable(replace(link, revoked=True), True, NOW)


def test_session_holds_until_it_expires_and_only_for_its_own_id() -> None:
    from dataclasses import replace

    link = tokens.new_link(tokens.new_token(), "acc-9#1", "acc-9", NOW, 30)
    with_session = replace(
        link, session_hash=tokens.token_hash("s-1"), session_expires_at=NOW + timedelta(minutes=20)
    )
    assert tokens.session_valid(with_session, "s-1", NOW)
    assert not tokens.session_valid(with_session, "s-2", NOW)
    assert not tokens.session_valid(with_session, None, NOW)
    assert not tokens.session_valid(with_session, "s-1", NOW + timedelta(minutes=20))


# ------------------------------------------------------------------------------ the check


def test_knowledge_check_passes_on_the_right_answer_only() -> None:
    check = kc.make_check(kc.KnowledgeKind.BIRTH_YEAR, "salt-0123456789abcdef", "1984")
    assert "1984" not in check.encode()
    assert kc.verify(check, "1984", 0, 5) is kc.Verdict.PASSED
    assert kc.verify(check, " １９８４ ", 0, 5) is kc.Verdict.PASSED  # full-width digits
    assert kc.verify(check, "1985", 0, 5) is kc.Verdict.FAILED
    assert kc.verify(check, "84", 0, 5) is kc.Verdict.MALFORMED
    assert kc.verify(check, "abcd", 0, 5) is kc.Verdict.MALFORMED
    assert kc.verify(check, "1984", 5, 5) is kc.Verdict.LOCKED  # locked even when right
    assert kc.verify(None, "1984", 0, 5) is kc.Verdict.LOCKED


def test_account_last4_check_round_trips_through_its_stored_form() -> None:
    check = kc.make_check(kc.KnowledgeKind.ACCOUNT_LAST4, "another-salt-0000", "0042")
    stored = kc.KnowledgeCheck.decode(check.encode())
    assert stored == check
    assert kc.verify(stored, "0042", 4, 5) is kc.Verdict.PASSED
    assert kc.verify(stored, "0043", 4, 5) is kc.Verdict.FAILED


# ------------------------------------------------------------------------------ SMS parts


def test_sms_parts_count_gsm7_and_ucs2() -> None:
    assert sms.segments("a" * 160) == 1
    assert sms.segments("a" * 161) == 2
    assert sms.segments("€" * 80) == 1  # extension characters count twice: 160 septets
    assert sms.segments("€" * 81) == 2
    assert sms.encoding("还款") == "UCS-2"
    assert sms.segments("还" * 70) == 1
    assert sms.segments("还" * 71) == 2
    assert sms.segments("还" * 134) == 2
    assert sms.segments("还" * 135) == 3


# ------------------------------------------------------------------------------ actions


def test_a_promise_becomes_the_agents_promise_action_with_the_portal_as_operator() -> None:
    form = {"promise_date": "2026-11-20", "promise_amount": "500.00"}
    action = to_ops_action("promise", form, a_case(), POLICY, TODAY, 6)
    assert isinstance(action, RecordCallOutcome)
    assert action.outcome is CallOutcome.PROMISE_TO_PAY
    assert action.operator == OPERATOR
    assert action.promise_date == date(2026, 11, 20)
    assert action.promise_amount == Decimal("500.00")


@pytest.mark.parametrize(
    ("form", "key"),
    [
        ({"promise_date": "2026-12-11"}, "promise_out_of_range"),  # 31 days ahead
        ({"promise_date": "2026-11-09"}, "promise_out_of_range"),  # yesterday
        ({"promise_date": "20-11-2026"}, "bad_date"),
        ({"promise_date": "2026-11-20", "promise_amount": "1250.01"}, "bad_amount"),
        ({"promise_date": "2026-11-20", "promise_amount": "0"}, "bad_amount"),
        ({"promise_date": "2026-11-20", "promise_amount": "1e3"}, "bad_amount"),
        ({"promise_date": "2026-11-20", "promise_amount": "10.001"}, "bad_amount"),
    ],
)
def test_a_promise_outside_the_limits_is_refused(form: dict[str, str], key: str) -> None:
    with pytest.raises(PortalRefusal) as refused:
        to_ops_action("promise", form, a_case(), POLICY, TODAY, 6)
    assert refused.value.key == key


def test_the_last_day_of_the_promise_window_is_allowed() -> None:
    action = to_ops_action("promise", {"promise_date": "2026-12-10"}, a_case(), POLICY, TODAY, 6)
    assert isinstance(action, RecordCallOutcome)
    assert action.promise_amount == Decimal("1250.00")  # the balance when none is given


def test_only_a_plan_the_policy_offers_is_accepted() -> None:
    plan = to_ops_action("plan", {"installments": "3"}, a_case(), POLICY, TODAY, 6)
    assert isinstance(plan, OfferPlan) and plan.installments == 3 and plan.accepted
    for count in ("4", "12", "-3", "three", ""):
        with pytest.raises(PortalRefusal) as refused:
            to_ops_action("plan", {"installments": count}, a_case(), POLICY, TODAY, 6)
        assert refused.value.key == "plan_not_offered"
    # six installments would go under the minimum installment for this balance
    with pytest.raises(PortalRefusal):
        to_ops_action("plan", {"installments": "6"}, a_case(), POLICY, TODAY, 4)


def test_opt_out_dispute_hardship_and_paid_map_to_their_ops_actions() -> None:
    opt = to_ops_action("opt_out", {"channel": "sms"}, a_case(), POLICY, TODAY, 6)
    assert isinstance(opt, OptOut) and opt.channel is Channel.SMS
    with pytest.raises(PortalRefusal):
        to_ops_action("opt_out", {"channel": "pigeon"}, a_case(), POLICY, TODAY, 6)
    dispute = to_ops_action("dispute", {"reason": "already refunded"}, a_case(), POLICY, TODAY, 6)
    assert isinstance(dispute, RecordCallOutcome) and dispute.outcome is CallOutcome.DISPUTE
    with pytest.raises(PortalRefusal) as refused:
        to_ops_action("dispute", {"reason": "  "}, a_case(), POLICY, TODAY, 6)
    assert refused.value.key == "reason_needed"
    with pytest.raises(PortalRefusal):
        to_ops_action("dispute", {"reason": "x" * 501}, a_case(), POLICY, TODAY, 6)
    hard = to_ops_action("hardship", {}, a_case(), POLICY, TODAY, 6)
    assert isinstance(hard, RecordCallOutcome) and hard.outcome is CallOutcome.HARDSHIP
    paid = to_ops_action("paid", {}, a_case(), POLICY, TODAY, 6)
    assert isinstance(paid, RecordCallOutcome) and paid.outcome is CallOutcome.PAID_CLAIMED
    with pytest.raises(PortalRefusal):
        to_ops_action("write_off", {}, a_case(), POLICY, TODAY, 6)


def test_a_claimed_payment_holds_the_case_and_queues_it_for_reconciliation() -> None:
    action = to_ops_action("paid", {}, a_case(), POLICY, TODAY, 6)
    plan = plan_for(PortalAction.PAID, action, a_case(), NOW, OpsFacts(), 72)
    assert plan.case.set["status"] == CaseStatus.PAYMENT_PENDING.value
    assert plan.case.set["pending_since"] == "2026-11-10T03:00:00Z"
    assert plan.case.set["reconcile_by"] == "2026-11-13T03:00:00Z"
    assert "last_call_outcome" not in plan.case.set  # the portal is not a phone call
    assert plan.wake == {"wake": "AGENT_OUTCOME", "outcome": "paid_claimed"}
    assert plan.timeline_kind == "payment_claimed"
    with pytest.raises(PortalRefusal) as refused:
        pending = a_case(CaseStatus.PAYMENT_PENDING)
        plan_for(PortalAction.PAID, action, pending, NOW, OpsFacts(), 72)
    assert refused.value.key == "already_pending"


def test_a_promise_plan_is_the_ops_plan_and_a_closed_case_refuses() -> None:
    action = to_ops_action("promise", {"promise_date": "2026-11-20"}, a_case(), POLICY, TODAY, 6)
    plan = plan_for(PortalAction.PROMISE, action, a_case(), NOW, OpsFacts(), 72)
    assert plan.case.set["status"] == "PROMISED"
    assert plan.case.set["promise_date"] == "2026-11-20"
    assert plan.wake is not None and plan.wake["promise_date"] == "2026-11-20"
    assert plan.timeline_detail["operator"] == OPERATOR
    with pytest.raises(PortalRefusal) as refused:
        plan_for(PortalAction.PROMISE, action, a_case(CaseStatus.PAID), NOW, OpsFacts(), 72)
    assert refused.value.key == "case_closed"


def test_preferred_hours_must_sit_inside_the_legal_window() -> None:
    locales = ("en-US", "zh-CN")
    prefs = parse_preferences({"hour_from": "9", "hour_to": "18"}, locales, (8, 21))
    assert prefs.hours == (9, 18)
    for start, end in (("7", "12"), ("9", "22"), ("18", "9"), ("nine", "18")):
        with pytest.raises(PortalRefusal) as refused:
            parse_preferences({"hour_from": start, "hour_to": end}, locales, (8, 21))
        assert refused.value.key == "hours_outside_window"
    assert parse_preferences({"locale": "zh-CN"}, locales, (8, 21)).locale == "zh-CN"
    with pytest.raises(PortalRefusal):
        parse_preferences({"locale": "fr-FR"}, locales, (8, 21))
    assert parse_preferences({"channel": "email"}, locales, (8, 21)).channel is Channel.EMAIL


# ------------------------------------------------------------------------------ paying


def test_the_payment_url_carries_a_signature_over_reference_amount_and_currency() -> None:
    import hmac

    key = b"k" * 32

    def sign(message: bytes) -> str:
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    url = payment_url(POLICY.payment_url or "", "acc-9-1", Decimal("1250.00"), "CNY", sign)
    assert url.startswith("https://pay.example.com/checkout?reference=acc-9-1&amount=1250.00")
    signature = re.search(r"signature=([0-9a-f]+)", url)
    assert signature is not None
    assert signature.group(1) == sign(signed_message("acc-9-1", Decimal("1250.00"), "CNY"))
    assert signature.group(1) != sign(signed_message("acc-9-1", Decimal("1.00"), "CNY"))


def test_a_payment_url_without_a_signature_is_refused_by_the_policy() -> None:
    with pytest.raises(ValueError):
        PortalPolicy(payment_url="https://pay.example.com/?r={reference}")
    with pytest.raises(ValueError):
        PortalPolicy(payment_url="http://pay.example.com/?r={reference}&s={signature}")


# ------------------------------------------------------------------------------ pages


def test_every_language_has_every_text() -> None:
    english = set(pages.texts("en"))
    for language in pages.LANGUAGES:
        raw = pages.PORTAL_DIR / "text" / f"{language}.yaml"
        from arrears.domain import yaml_text

        own = set(yaml_text.safe_load(raw.read_text(encoding="utf-8")))
        assert own == english, (language, english ^ own)


def test_the_not_found_page_is_the_same_bytes_whatever_the_cause() -> None:
    first = pages.not_found_page()
    assert first == pages.not_found_page()
    for language in pages.LANGUAGES:
        assert pages.texts(language)["not_found_heading"] in first


def test_the_inline_style_matches_its_hash() -> None:
    import base64

    html = pages.render(
        "message", None, creditor="C", heading="H", text="T", is_error=False, back=None
    )
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"sha256-{digest}" == pages.STYLE_HASH
