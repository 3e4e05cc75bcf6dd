"""The portal's pages: server-rendered HTML (jinja2), one text file per language.

Mobile-first, no JavaScript, WCAG 2.1 AA (labels, a skip link, landmarks, headings in order,
visible focus, contrast above 4.5:1). The style sheet is inline and allowed by its hash in
the Content-Security-Policy (``STYLE_HASH``), so the policy can forbid everything else.
Text comes from ``templates/portal/text/<language>.yaml``; a key missing in a language
falls back to English (a test keeps every language complete).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # jinja2, babel and PyYAML load with the first page rendered
    from jinja2 import Environment

PORTAL_DIR = Path(__file__).resolve().parents[2] / "templates" / "portal"
LANGUAGES = ("en", "zh", "es", "pt", "id")
DEFAULT_LANGUAGE = "en"

# inline in every page, allowed by its hash in the Content-Security-Policy
STYLE = (PORTAL_DIR / "portal.css").read_text(encoding="utf-8").strip()
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()


def language_of(locale: str | None) -> str:
    language = (locale or "").replace("_", "-").split("-")[0].lower()
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


@cache
def texts(language: str) -> Mapping[str, str]:
    from arrears.domain import yaml_text

    path = PORTAL_DIR / "text" / f"{language}.yaml"
    with path.open(encoding="utf-8") as handle:
        loaded: dict[str, str] = yaml_text.safe_load(handle)
    if language == DEFAULT_LANGUAGE:
        return loaded
    return {**texts(DEFAULT_LANGUAGE), **loaded}


class Translator:
    """``t("key", name=value)`` in one language; values are formatted by the caller."""

    def __init__(self, language: str, locale: str) -> None:
        self.language = language
        self.locale = locale
        self._texts = texts(language)

    def __call__(self, key: str, **values: Any) -> str:
        return self._texts[key].format(**values)

    def money(self, amount: Decimal, currency: str) -> str:
        from babel.numbers import format_currency

        return format_currency(amount, currency, locale=self.locale)

    def day(self, value: date) -> str:
        from babel.dates import format_date

        return format_date(value, format="long", locale=self.locale)


def format_locale(locale: str | None, language: str) -> str:
    """A babel locale for numbers and dates: the borrower's when it is in this language."""
    candidate = (locale or "").replace("_", "-")
    if language_of(candidate) == language:
        from babel import Locale

        try:
            Locale.parse(candidate, sep="-")
            return candidate.replace("-", "_")
        except (ValueError, TypeError):
            pass
    return {"en": "en_US", "zh": "zh_CN", "es": "es_ES", "pt": "pt_BR", "id": "id_ID"}[language]


@cache
def _environment() -> Environment:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(str(PORTAL_DIR)),
        autoescape=select_autoescape(["html", "j2"], default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(page: str, translator: Translator | None, **context: Any) -> str:
    t = translator or Translator(DEFAULT_LANGUAGE, "en_US")
    template = _environment().get_template(f"{page}.html.j2")
    return template.render(t=t, lang=t.language, style=STYLE, languages=LANGUAGES, **context)


def not_found_page() -> str:
    """The one page for an unknown, expired, revoked or locked-out-of-anything link: the
    same bytes whatever the cause, in every language (the link's language is not known)."""
    return _not_found_cached()


@cache
def _not_found_cached() -> str:
    headings = [(lang, texts(lang)["not_found_heading"]) for lang in LANGUAGES]
    return render("not_found", None, headings=headings)


def locale_name(code: str) -> str:
    """A template locale in its own language ("español (México)"), for the language menu."""
    from babel import Locale

    try:
        name = Locale.parse(code, sep="-").get_display_name(code.replace("-", "_"))
    except (ValueError, TypeError):
        name = None
    return name or code
