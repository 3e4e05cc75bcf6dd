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
