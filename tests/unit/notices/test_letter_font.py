"""The letter font has a glyph for what letters print: rare and Traditional hanzi in
names, and every currency sign (and space) babel formats amounts and dates with."""

from __future__ import annotations

import io
import logging
import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache

import pytest
from arrears.domain.balance import Breakdown
from arrears.domain.events import currencies_in_use
from arrears.domain.notices import LetterKind, catalogue, render_letter
from arrears.domain.notices import formatting as fmt
from arrears.domain.notices.letters import FONT_FILE
from babel import Locale, localedata
from babel.numbers import format_currency
from fontTools.ttLib import TTFont
from notices_builders import full_letter
from pypdf import PdfReader

# Hanzi outside GB2312 that are common in given names, and Traditional forms
RARE_NAME = "王堃喆"
RARE_NAME_CHARACTERS = "堃喆昇珺琍犇淼玥曌赟頔鍀"
TRADITIONAL_NAME = "陳珺琍"
TRADITIONAL_ADDRESS = "臺北市信義區松高路1號"


@cache
def font_code_points() -> frozenset[int]:
    return frozenset(TTFont(FONT_FILE, lazy=True).getBestCmap())


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def compact(text: str) -> str:
    return "".join(text.split())


@cache
def font_characters() -> frozenset[str]:
    return frozenset(chr(point) for point in font_code_points())


def without_glyph(text: str) -> str:
    """The characters of text the letter font cannot draw (line breaks aside)."""
    return "".join(sorted({ch for ch in text if ch not in "\n\r\t"} - font_characters()))


def missing_glyph_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    # fpdf2 logs the font's missing_glyphs when it writes the PDF
    return [r.getMessage() for r in caplog.records if "missing the following glyphs" in r.msg]


def test_rare_and_traditional_name_characters_print_in_a_chinese_letter(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a borrower named with hanzi outside GB2312, living at a Traditional address
    context = full_letter(
        borrower_name=RARE_NAME,
        borrower_address=(TRADITIONAL_ADDRESS, f"{TRADITIONAL_NAME} 收"),
    )
    # When the lawyer's letter renders
    with caplog.at_level(logging.WARNING):
        pdf = render_letter(LetterKind.LAWYER_LETTER, "zh-CN", context)
    # Then the name and the address are in the PDF's text
    text = compact(pdf_text(pdf))
    assert RARE_NAME in text
    assert compact(TRADITIONAL_ADDRESS) in text and TRADITIONAL_NAME in text
    # and the font drew every character of it: none fell back to an empty box
    assert missing_glyph_warnings(caplog) == []
    assert without_glyph(text + RARE_NAME + TRADITIONAL_ADDRESS + TRADITIONAL_NAME) == ""


@pytest.mark.parametrize(
    ("locale", "total", "principal"),
    [
        ("en-IN", "₹1,23,456.50", "₹1,20,000.00"),  # Indian digit grouping
        ("zh-CN", "₹123,456.50", "₹120,000.00"),
    ],
)
def test_rupee_amounts_print_in_an_indian_borrowers_letter(
    caplog: pytest.LogCaptureFixture, locale: str, total: str, principal: str
) -> None:
    # Given an Indian borrower owing rupees
    breakdown = Breakdown.of(Decimal("120000.00"), Decimal("3000.50"), Decimal("456.00"))
    context = full_letter(
        borrower_name="Priya Sharma",
        currency="INR",
        amount_due=breakdown.total,
        breakdown=breakdown,
        borrower_address=("14 MG Road", "Bengaluru 560001", "India"),
        jurisdiction="IN",
    )
    # When the demand letter renders
    with caplog.at_level(logging.WARNING):
        pdf = render_letter(LetterKind.DEMAND_LETTER, locale, context)
    # Then the name and the rupee amounts are in the PDF's text
    text = compact(pdf_text(pdf))
    assert "PriyaSharma" in text
    assert total in text and principal in text and "₹456.00" in text
    # and the rupee sign was drawn from the font, not left as an empty box
    assert missing_glyph_warnings(caplog) == []
    assert without_glyph(text + total) == ""


def letter_format_locales() -> list[str]:
    """Every babel locale a letter can format amounts and dates in: render_letter keeps
    the borrower's own locale (en-IN, zh-Hant-TW) when its language has a template pack.
    English in the Deseret and Shavian alphabets (en-Dsrt, en-Shaw) is left out."""
    languages = {name.split("-")[0] for name in catalogue().locales}
    return [
        identifier
        for identifier in localedata.locale_identifiers()
        if identifier.split("_")[0] in languages
        and Locale.parse(identifier).script in (None, "Latn", "Hans", "Hant")
    ]


def test_every_character_babel_prints_in_a_letter_amount_or_date_is_in_the_font() -> None:
    # Given every currency an event may carry and every locale a letter may format in
    locales = letter_format_locales()
    assert {"en_IN", "en_US", "zh_Hans_CN", "zh_Hant_TW"} <= set(locales)
    missing: dict[str, tuple[str, str]] = {}
    for identifier in locales:
        locale = Locale.parse(identifier)
        tag = str(locale).replace("_", "-")
        # When amounts and dates are formatted as a letter formats them
        printed = [
            (format_currency(Decimal("-1234567.891"), code, locale=locale), code)
            for code in sorted(currencies_in_use())
        ]
        printed.append((fmt.long_date(date(2026, 12, 15), tag), "date"))
        printed.append(
            (fmt.local_datetime(datetime(2026, 12, 15, 14, 30, tzinfo=UTC), None, tag), "time")
        )
        for text, what in printed:
            for ch in without_glyph(text):
                missing.setdefault(f"U+{ord(ch):04X} {ch}", (what, identifier))
    # Then the font has every character they contain (₹, ₽, ₦, ₪, ₱, U+202F, ...)
    assert missing == {}


def test_every_currency_sign_of_every_babel_locale_is_in_the_font() -> None:
    # Given the currency symbols of every locale babel knows (a new template language
    # formats in its own locales: Thai baht ฿, Turkish lira ₺, Russian ruble ₽, ...)
    codes = currencies_in_use()
    signs: dict[str, tuple[str, str]] = {}
    for identifier in localedata.locale_identifiers():
        symbols = Locale.parse(identifier).currency_symbols
        for code in codes:
            for ch in symbols.get(code, ""):
                if unicodedata.category(ch) == "Sc":
                    signs.setdefault(ch, (code, identifier))
    assert {"₹", "₽", "₺", "€", "¥", "₩"} <= set(signs)
    # Then the font has all of them
    assert {ch: where for ch, where in signs.items() if ord(ch) not in font_code_points()} == {}


def _encodable(codec: str) -> set[int]:
    points: set[int] = set()
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            try:
                text = bytes([lead, trail]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(text) == 1:
                points.add(ord(text))
    return points


def test_font_covers_simplified_traditional_and_rare_hanzi() -> None:
    font = font_code_points()
    # every hanzi of the BMP blocks Noto Sans CJK has, not just GB2312's 6,763
    unified = {p for p in range(0x4E00, 0xA000) if unicodedata.category(chr(p)) == "Lo"}
    assert len(unified - font) <= 16  # Unicode 14's last additions, newer than the font
    extension_a = set(range(0x3400, 0x4DC0))
    assert len(extension_a & font) >= 6_500
    assert all(ord(ch) in font for ch in RARE_NAME_CHARACTERS)
    # and every character of the Chinese legacy encodings but two rare math signs (≒ ∼)
    for codec in ("gb2312", "gbk", "big5", "cp950"):
        assert {chr(p) for p in _encodable(codec) - font} <= {"≒", "∼"}, codec
