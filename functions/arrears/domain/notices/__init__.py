"""Notices: borrower messages (SMS, email) and PDF letters in the borrower's language.

Public API (docs/notices.md):

    render_message(template_id, channel, locale, context) -> RenderedMessage(subject, body)
    render_letter(kind, locale, context) -> bytes  (a PDF; context.variant: the pack's form)
    catalogue() -> Catalogue  (every template, validated at load)

Pure: no AWS, no network. Templates are YAML files under `arrears/templates/`.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel import UnknownLocaleError

from arrears.domain.notices.context import (
    LetterContext,
    LetterKind,
    NoticeContext,
    PlanTerms,
    TemplateId,
)
from arrears.domain.notices.formatting import babel_locale
from arrears.domain.notices.templates import (
    Catalogue,
    RenderError,
    TemplateError,
    catalogue,
    load_catalogue,
)
from arrears.domain.notices.variables import variables
from arrears.domain.types import Channel

__all__ = [
    "Catalogue",
    "LetterContext",
    "LetterKind",
    "NoticeContext",
    "PlanTerms",
    "RenderError",
    "RenderedMessage",
    "TemplateError",
    "TemplateId",
    "catalogue",
    "load_catalogue",
    "render_letter",
    "render_message",
]

MESSAGE_CHANNELS = (Channel.SMS, Channel.EMAIL)
# babel's narrow and no-break spaces (e.g. "10:00\u202fAM") and the ellipsis would turn a
# whole SMS into UCS-2, which fits 70 characters per part instead of 160
_SMS_PLAIN = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2009": " ", "…": "..."})


@dataclass(frozen=True)
class RenderedMessage:
    subject: str | None  # None for SMS
    body: str
    locale: str = ""  # the template locale actually used (after fallback)
    template_id: str = ""
    channel: str = ""

    @property
    def sms_segments(self) -> int:
        """SMS parts this body needs: GSM-7 fits 153 per part, anything else UCS-2, 67.

        Approximate: ASCII-only counts as GSM-7 (a few ASCII signs take two GSM units)."""
        gsm = all(ord(ch) < 128 for ch in self.body)
        single, multi = (160, 153) if gsm else (70, 67)
        length = len(self.body)
        return 1 if length <= single else -(-length // multi)


def render_message(
    template_id: TemplateId | str, channel: Channel | str, locale: str, context: NoticeContext
) -> RenderedMessage:
    """Render a message template for the borrower's locale (fallback: the same language,
    then the policy's default language, ``context.fallback_locale``, then en-US)."""
    template_id = TemplateId(template_id)
    channel = Channel(channel)
    if channel not in MESSAGE_CHANNELS:
        raise ValueError(f"messages go by sms or email, not {channel.value}")
    cat = catalogue()
    pack = cat.pack(locale, context.fallback_locale)
    fmt_locale = _format_locale(locale, pack.locale)
    template = pack.messages[template_id]
    values = variables(context, pack, fmt_locale, channel)
    if channel is Channel.SMS:
        subject, body = None, template.sms.render(values).translate(_SMS_PLAIN)
    else:
        subject = template.email_subject.render(values)
        body = template.email_body.render(values)
    return RenderedMessage(subject, body, pack.locale, template_id.value, channel.value)


def render_letter(kind: LetterKind | str, locale: str, context: LetterContext) -> bytes:
    """A PDF letter (bytes) in the borrower's locale, CJK font embedded and subset; in the
    jurisdiction's form of the letter when the context names one (``context.variant``)."""
    from arrears.domain.notices.letters import render_letter_pdf

    pack, template = catalogue().letter(
        LetterKind(kind), locale, context.variant, context.fallback_locale
    )
    return render_letter_pdf(template, pack, _format_locale(locale, pack.locale), context)


def render_letter_text(kind: LetterKind | str, locale: str, context: LetterContext) -> bytes:
    """The same letter's texts (UTF-8, one per line) without laying out a PDF: for runs
    that need what a letter says and its digest, not the document (arrears simulate)."""
    from arrears.domain.notices.letters import letter_text

    pack, template = catalogue().letter(
        LetterKind(kind), locale, context.variant, context.fallback_locale
    )
    values = variables(context, pack, _format_locale(locale, pack.locale), Channel.LETTER)
    return letter_text(template, pack, context, values).content()


def _format_locale(requested: str, template_locale: str) -> str:
    """Format numbers and dates the borrower's way when the language matches the text."""
    requested = (requested or template_locale).replace("_", "-")
    try:
        babel_locale(requested)
    except (ValueError, UnknownLocaleError):
        return template_locale
    same_language = requested.split("-")[0].lower() == template_locale.split("-")[0].lower()
    return requested if same_language else template_locale
