"""render_message: every template, every locale, realistic and hostile contexts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from arrears.domain.notices import (
    LetterKind,
    RenderError,
    TemplateId,
    catalogue,
    render_letter,
    render_message,
)
from arrears.domain.types import Channel
from notices_builders import (
    HEBREW_NAME,
    LOCALES,
    LONG_NAME,
    RTL_NAME,
    full_letter,
    full_notice,
    minimal_notice,
)

CHANNELS = (Channel.SMS, Channel.EMAIL)
ALL = [(t, c, loc) for t in TemplateId for c in CHANNELS for loc in LOCALES]
# Templates that need a context field beyond the always-present ones.
NEEDS = {
    TemplateId.RECEIPT: "amount_paid",
    TemplateId.PLAN_OFFER: "plan",
    TemplateId.CALL_SCHEDULED: "call_at",
    TemplateId.VALIDATION_NOTICE: "deadline",
}
AMOUNT_TEXT = {"en-US": "$1,276.35", "zh-CN": "US$1,276.35"}
OPT_OUT_TEXT = {
    ("en-US", Channel.SMS): "Reply STOP",
    ("en-US", Channel.EMAIL): "reply STOP",
    ("zh-CN", Channel.SMS): "回复TD退订",
    ("zh-CN", Channel.EMAIL): "退订",
}


def test_catalogue_has_every_template_in_every_locale() -> None:
    # Given the packaged templates, When the catalogue loads, Then both locales are complete
    cat = catalogue()
    assert set(LOCALES) <= set(cat.locales)
    for loc in LOCALES:
        assert set(cat.pack(loc).messages) == set(TemplateId)


@pytest.mark.parametrize(("template_id", "channel", "locale"), ALL)
def test_full_context_shows_amount_how_to_pay_and_opt_out(
    template_id: TemplateId, channel: Channel, locale: str
) -> None:
    # Given a realistic context, When the template renders
    message = render_message(template_id, channel, locale, full_notice())
    # Then the amount due, the pay link and the opt-out line are all there, nothing blank
    assert AMOUNT_TEXT[locale] in message.body
    assert "https://pay.example.com/c/abc123" in message.body
    assert OPT_OUT_TEXT[(locale, channel)] in message.body
    assert "{" not in message.body and "[[" not in message.body
    assert message.locale == locale
    if channel is Channel.SMS:
        assert message.subject is None
    else:
        assert message.subject and "{" not in message.subject and "\n" not in message.subject


@pytest.mark.parametrize(("template_id", "channel", "locale"), ALL)
def test_minimal_context_drops_optional_parts(
    template_id: TemplateId, channel: Channel, locale: str
) -> None:
    # Given only the required fields plus what the template itself needs
    extra = {}
    if template_id in NEEDS:
        extra = {NEEDS[template_id]: getattr(full_notice(), NEEDS[template_id])}
    context = minimal_notice(**extra)
    # When it renders
    message = render_message(template_id, channel, locale, context)
    # Then the smallest amount shows to the cent and how-to-pay falls back to instructions
    assert ("$0.01" if locale == "en-US" else "US$0.01") in message.body
    assert "Pay in the Acme app under Loans." in message.body
    assert "None" not in message.body and "  " not in message.body
    assert "Sam Lee" not in message.body  # no agent was given


@pytest.mark.parametrize("template_id", list(NEEDS))
def test_missing_needed_field_is_an_error_not_a_blank(template_id: TemplateId) -> None:
    # Given a context without the field this template needs
    # When it renders, Then it fails loudly naming what is missing
    with pytest.raises(RenderError, match="no value for"):
        render_message(template_id, Channel.EMAIL, "en-US", minimal_notice())


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", [LONG_NAME, RTL_NAME, HEBREW_NAME, "Zoë\n\x00{amount_due}"])
def test_hostile_names_render_safely(locale: str, name: str) -> None:
    # Given names that are very long, right-to-left, or carry control chars and braces
    context = full_notice(borrower_name=name)
    # When the SMS and email render
    sms = render_message(TemplateId.REMINDER, Channel.SMS, locale, context)
    email = render_message(TemplateId.REMINDER, Channel.EMAIL, locale, context)
    # Then the SMS keeps the amount and the opt-out line and a long name is cut
    assert AMOUNT_TEXT[locale] in sms.body and OPT_OUT_TEXT[(locale, Channel.SMS)] in sms.body
    assert name[:20].split("\n")[0] in sms.body
    first_line = email.body.splitlines()[0]
    assert "\x00" not in email.body
    assert " ".join(name.replace("\x00", " ").split())[:30] in first_line  # one line, cleaned
    if name == LONG_NAME:
        assert LONG_NAME.strip() not in sms.body and LONG_NAME.strip() in email.body
    if name in (RTL_NAME, HEBREW_NAME):
        assert f"\u2068{name}\u2069" in email.body  # isolated, so punctuation stays put
    # a brace in a name is text, never a placeholder
    if "{amount_due}" in name:
        assert "{amount_due}" in email.body


def test_very_large_amount_is_grouped_for_the_locale() -> None:
    # Given a balance in the trillions in CNY
    context = full_notice(amount_due=Decimal("1234567890123.45"), currency="CNY", breakdown=None)
    # When rendered for each locale, Then babel groups digits and picks the symbol
    assert "¥1,234,567,890,123.45" in render_message("reminder", "sms", "zh-CN", context).body
    assert "CN¥1,234,567,890,123.45" in render_message("reminder", "sms", "en-US", context).body


def test_dates_and_times_follow_locale_and_borrower_timezone() -> None:
    # Given a call at 15:00 UTC for a borrower in Shanghai
    context = full_notice(
        call_at=datetime(2026, 11, 21, 15, 0, tzinfo=UTC), timezone="Asia/Shanghai"
    )
    # When the confirmation renders, Then it shows 23:00 local time with the offset
    zh = render_message(TemplateId.CALL_SCHEDULED, Channel.SMS, "zh-CN", context).body
    en = render_message(TemplateId.CALL_SCHEDULED, Channel.EMAIL, "en-US", context).body
    assert "2026年11月21日 23:00 (GMT+08:00)" in zh
    assert "November 21, 2026 11:00" in en and "PM (GMT+08:00)" in en


def test_us_disclosure_full_on_first_contact_short_later_absent_elsewhere() -> None:
    first = render_message("reminder", "email", "en-US", full_notice(first_contact=True)).body
    later = render_message("reminder", "email", "en-US", full_notice(first_contact=False)).body
    cn = render_message("reminder", "email", "en-US", full_notice(jurisdiction="CN")).body
    assert "attempt to collect a debt" in first
    assert "from a debt collector" in later and "attempt to collect" not in later
    assert "debt collector" not in cn


def test_unknown_locale_falls_back_by_language_then_default() -> None:
    context = full_notice()
    assert render_message("reminder", "sms", "zh-TW", context).locale == "zh-CN"
    assert render_message("reminder", "sms", "en-GB", context).locale == "en-US"
    assert render_message("reminder", "sms", "fr-FR", context).locale == "en-US"
    # en-GB keeps British date order: the text is English, the format the borrower's
    assert "1 November 2026" in render_message("reminder", "sms", "en-GB", context).body


def test_a_language_no_set_serves_falls_back_to_the_policys_default_language() -> None:
    # a lender whose portfolio speaks Spanish sets its policy's default language to es-MX
    context = replace(full_notice(), fallback_locale="es-MX")
    assert render_message("reminder", "sms", "fr-FR", context).locale == "es-MX"
    # a borrower's own language still comes first, then the same language's set
    assert render_message("reminder", "sms", "zh-TW", context).locale == "zh-CN"
    assert render_message("reminder", "sms", "en-GB", context).locale == "en-US"
    # a default no set serves is ignored rather than leaving the borrower unwritten to
    odd = replace(full_notice(), fallback_locale="fr-FR")
    assert render_message("reminder", "sms", "de-DE", odd).locale == "en-US"
    # and a letter follows the same order
    letter = replace(full_letter(), fallback_locale="pt-BR")
    assert render_letter("reminder_letter", "fr-FR", letter)[:5] == b"%PDF-"
    assert (
        catalogue().letter(LetterKind.REMINDER_LETTER, "fr-FR", None, "pt-BR")[0].locale == "pt-BR"
    )


def test_call_channel_is_not_a_message_channel() -> None:
    with pytest.raises(ValueError, match="sms or email"):
        render_message("reminder", Channel.CALL, "en-US", full_notice())


def test_context_rejects_a_breakdown_that_does_not_match_the_balance() -> None:
    from arrears.domain.balance import Breakdown

    with pytest.raises(ValueError, match="differs"):
        full_notice(amount_due=Decimal("1.00"), breakdown=Breakdown.principal_only(Decimal(2)))


def test_sms_segments_count_ucs2_for_chinese() -> None:
    zh = render_message("reminder", "sms", "zh-CN", full_notice())
    en = render_message("pre_due_reminder", "sms", "en-US", minimal_notice())
    assert zh.sms_segments >= 2  # Chinese needs UCS-2: 70 characters per single SMS
    assert en.sms_segments == -(-len(en.body) // 153) or len(en.body) <= 160


def test_garbage_locale_falls_back_to_default() -> None:
    message = render_message("reminder", "sms", "not a locale!", full_notice())
    assert message.locale == "en-US" and "$1,276.35" in message.body


@pytest.mark.parametrize("template_id", list(TemplateId))
def test_english_sms_stays_within_three_segments_with_every_optional_part(
    template_id: TemplateId,
) -> None:
    # SMS is billed per segment: with every optional part present an English text stays
    # within three (a US first contact carries the full disclosure)
    message = render_message(template_id, Channel.SMS, "en-US", full_notice())
    assert message.sms_segments <= 3
