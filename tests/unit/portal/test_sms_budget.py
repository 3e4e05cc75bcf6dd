"""SMS with a portal link still fit the policy's segment budget (GSM-7 or UCS-2 counted)
for English and Chinese, every SMS template, with the fewest and with every optional part."""

from __future__ import annotations

from dataclasses import replace

import pytest
from arrears.domain.notices import TemplateId, render_message
from arrears.domain.policy import load_policy
from arrears.domain.portal import sms
from arrears.domain.portal.tokens import link_url, new_token

from tests.unit.notices.notices_builders import full_notice, minimal_notice

# a portal on its own short domain (docs/deploy.md: the portal's domain name)
PORTAL = "https://pay.example.cn"
BUDGET = load_policy().portal.sms_max_segments
CONTEXTS = {"minimal": minimal_notice, "full": full_notice}


# templates that need a context field the minimal context lacks (a payment, a plan...)
NEEDS_MORE = {
    TemplateId.RECEIPT,
    TemplateId.PLAN_OFFER,
    TemplateId.CALL_SCHEDULED,
    TemplateId.VALIDATION_NOTICE,
}
CASES = [
    (template, context)
    for template in TemplateId
    for context in sorted(CONTEXTS)
    if context == "full" or template not in NEEDS_MORE
]


def _render(template: TemplateId, locale: str, context: str) -> str:
    notice = replace(CONTEXTS[context](), pay_link=link_url(PORTAL, new_token()))
    return render_message(template, "sms", locale, notice).body


@pytest.mark.parametrize(("template", "context"), CASES)
@pytest.mark.parametrize(("locale", "encoding"), [("en-US", "GSM-7"), ("zh-CN", "UCS-2")])
def test_sms_with_the_link_fits_the_budget(
    template: TemplateId, locale: str, encoding: str, context: str
) -> None:
    body = _render(template, locale, context)
    assert "/c/" in body  # the link is in the text
    assert sms.encoding(body) == encoding
    assert sms.segments(body) <= BUDGET, (len(body), sms.segments(body))


def test_the_link_costs_at_most_one_more_part_than_the_old_pay_link() -> None:
    for locale in ("en-US", "zh-CN"):
        old = render_message("reminder", "sms", locale, full_notice()).body
        new = _render(TemplateId("reminder"), locale, "full")
        assert sms.segments(new) - sms.segments(old) <= 1


# ------------------------------------------------------------------ the budget at send time


def _forms(template: str, locale: str, link: str, instructions: str | None = None):
    """The full, short and link-less forms of a message, as the contact step renders them."""
    context = replace(full_notice(), pay_link=link, payment_instructions=instructions)

    def render(notice):
        return render_message(template, "sms", locale, notice).body

    return sms.forms(context, render, lambda body: True)


LONG_PORTAL = "https://collections.example-lender.com/" + "p" * 70  # a long portal address
# the HTTP API's own address, without a custom domain (docs/portal.md, SMS length)
API_PORTAL = "https://a1b2c3d4e5.execute-api.ap-southeast-1.amazonaws.com"


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_a_full_sms_within_the_budget_goes_as_it_is(locale: str) -> None:
    chosen = sms.fit(_forms("follow_up", locale, link_url(PORTAL, new_token())), BUDGET)
    assert chosen is not None and chosen.candidate.form is sms.SmsForm.FULL
    assert not chosen.over_budget and chosen.note is None
    assert chosen.parts == sms.segments(chosen.candidate.body) <= BUDGET


@pytest.mark.parametrize(("locale", "budget"), [("en-US", 2), ("zh-CN", 3)])
def test_over_the_budget_the_optional_parts_go_first_and_the_link_stays(
    locale: str, budget: int
) -> None:
    link = link_url(API_PORTAL if locale == "zh-CN" else PORTAL, new_token())
    forms = list(_forms("follow_up", locale, link))
    assert sms.segments(forms[0].body) > budget  # the full form does not fit
    chosen = sms.fit(forms, budget)
    assert chosen is not None and chosen.candidate.form is sms.SmsForm.SHORT
    assert chosen.parts <= budget and link in chosen.candidate.body
    assert "+1 800 555 0100" not in chosen.candidate.body  # the help line left out
    assert chosen.note == "sms_short"


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_then_the_link_goes_where_the_policy_says_how_to_pay_in_words(locale: str) -> None:
    link = link_url(LONG_PORTAL, new_token())
    forms = list(_forms("reminder", locale, link, instructions="Bank transfer to 6222 0000"))
    budget = sms.segments(forms[2].body)
    assert sms.segments(forms[1].body) > budget  # even the short form with the link is over
    chosen = sms.fit(forms, budget)
    assert chosen is not None and chosen.candidate.form is sms.SmsForm.NO_LINK
    assert link not in chosen.candidate.body and "6222 0000" in chosen.candidate.body
    assert chosen.note == "sms_no_link" and not chosen.over_budget


@pytest.mark.parametrize(("locale", "encoding"), [("en-US", "GSM-7"), ("zh-CN", "UCS-2")])
def test_when_nothing_fits_the_shortest_form_goes_and_says_it_is_over(
    locale: str, encoding: str
) -> None:
    forms = list(_forms("follow_up", locale, link_url(LONG_PORTAL, new_token())))
    chosen = sms.fit(forms, 1)
    assert chosen is not None and chosen.over_budget and chosen.note == "sms_over_budget"
    fewest = min(sms.segments(f.body) for f in forms)
    # the fewest parts; on a tie the fuller form (it costs the same)
    assert chosen.candidate == next(f for f in forms if sms.segments(f.body) == fewest)
    assert chosen.parts == fewest > 1
    assert chosen.encoding == encoding


def test_a_form_missing_required_content_is_never_chosen() -> None:
    full, short = _forms("follow_up", "en-US", link_url(PORTAL, new_token()))
    chosen = sms.fit([full, replace(short, compliant=False)], 1)
    assert chosen is not None and chosen.candidate.form is sms.SmsForm.FULL
    assert sms.fit([replace(full, compliant=False)], BUDGET) is None


def test_gsm7_extension_characters_count_twice_and_one_accent_makes_ucs2() -> None:
    plain = "x" * 160
    assert sms.segments(plain) == 1 and sms.encoding(plain) == "GSM-7"
    assert sms.units("x" * 158 + "€") == 160 and sms.segments("x" * 159 + "€") == 2
    accented = "x" * 69 + "á"
    assert sms.encoding(accented) == "UCS-2" and sms.segments(accented) == 1
    assert sms.segments(accented + "y") == 2  # 71 UCS-2 units: two parts of 67
