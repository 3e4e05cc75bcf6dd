"""render_letter: PDFs in every locale, text extracted with pypdf and checked."""

from __future__ import annotations

import hashlib
import inspect
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal

import pytest
from arrears.domain.balance import Breakdown
from arrears.domain.notices import LetterContext, LetterKind, RenderError, render_letter
from arrears.domain.notices.letters import FONT_FILE, wrap
from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.fonts import TTFFont
from notices_builders import HEBREW_NAME, LOCALES, LONG_NAME, RTL_NAME, full_letter
from pypdf import PdfReader

DEADLINE_TEXT = {"en-US": "December 15, 2026", "zh-CN": "2026年12月15日"}
TOTAL_TEXT = {"en-US": "$1,276.35", "zh-CN": "US$1,276.35"}


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def compact(text: str) -> str:
    """Extracted text without the line breaks the layout put in."""
    return "".join(text.split())


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", list(LetterKind))
def test_letter_shows_debtor_amounts_and_deadline(kind: LetterKind, locale: str) -> None:
    # Given a realistic letter context (a Chinese name for the Chinese letters)
    name = "王小明" if locale == "zh-CN" else "Jane Doe"
    context = full_letter(borrower_name=name)
    # When the letter renders
    pdf = render_letter(kind, locale, context)
    # Then it is a PDF whose text has the debtor, the breakdown, the total and the deadline
    assert pdf.startswith(b"%PDF-")
    text = compact(pdf_text(pdf))
    assert compact(name) in text
    for amount in ("1,250.00", "6.35", "20.00", "1,276.35"):
        assert amount in text
    assert compact(TOTAL_TEXT[locale]) in text
    assert compact(DEADLINE_TEXT[locale]) in text
    assert "acc-42#1" in text
    assert "LN-2024-000777" in text  # the contract reference


@pytest.mark.parametrize("locale", LOCALES)
def test_lawyer_letter_names_creditor_firm_consequences_and_contact(locale: str) -> None:
    text = compact(pdf_text(render_letter(LetterKind.LAWYER_LETTER, locale, full_letter())))
    assert "AcmeLending" in text and "Smith&PartnersLLP" in text
    assert "+18005550100" in text and "help@acme.example" in text
    consequence = "courtproceedings" if locale == "en-US" else "提起诉讼"
    assert consequence in text


def test_chinese_text_is_embedded_with_a_subset_font() -> None:
    # Given a Chinese demand letter
    pdf = render_letter(LetterKind.DEMAND_LETTER, "zh-CN", full_letter(borrower_name="王小明"))
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    base_fonts = [str(f.get_object()["/BaseFont"]) for f in fonts.values()]
    # Then the CJK font is embedded as a subset and the whole letter stays small
    assert any("Noto" in name for name in base_fonts)
    assert len(pdf) < 80_000  # the full font file is about 4 MB
    assert "催款函" in pdf_text(pdf)


def test_validation_notice_itemizes_since_the_itemization_date() -> None:
    text = compact(pdf_text(render_letter(LetterKind.VALIDATION_NOTICE, "en-US", full_letter())))
    assert "October1,2026" in text and "$1,250.00" in text  # owed on the itemization date
    assert "www.cfpb.gov/debt-collection" in text
    assert "Thisisnotmydebt" in text and "Theamountiswrong" in text
    assert "attempttocollectadebt" in text  # first contact in the US: full disclosure


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("name", [LONG_NAME, RTL_NAME, HEBREW_NAME])
def test_hostile_names_do_not_crash_or_overflow(locale: str, name: str) -> None:
    # Given a very long or right-to-left name (glyphs the CJK font does not have)
    context = full_letter(borrower_name=name, borrower_address=("x" * 300,))
    # When the lawyer's letter renders
    pdf = render_letter(LetterKind.LAWYER_LETTER, locale, context)
    # Then it renders, and the amounts are still all there
    text = compact(pdf_text(pdf))
    assert compact(TOTAL_TEXT[locale]) in text
    if name == LONG_NAME:
        assert compact(LONG_NAME)[:60] in text  # wrapped, not cut off
        assert "x" * 300 in text
    else:
        # shaped with the fallback font; pypdf returns the words in visual order
        for word in name.split():
            assert word in pdf_text(pdf)
    # and no line runs past the right margin (A4 is 210 mm, margins 20 mm)
    reader = PdfReader(io.BytesIO(pdf))
    widest = _widest_text_x(reader)
    assert widest <= (210 - 20) * 72 / 25.4 + 12  # points; a hanging comma may pass by a hair


def _widest_text_x(reader: PdfReader) -> float:
    """The right-most x (points) any text run reaches, measured with the letter font."""
    probe = FPDF(unit="pt")
    probe.add_font("letter", fname=str(FONT_FILE))
    rightmost = 0.0
    for page in reader.pages:
        runs: list[tuple[float, str, float]] = []

        def visit(text: str, cm: object, tm: list[float], font: object, size: float) -> None:
            if text.strip():
                runs.append((tm[4], text, size))  # noqa: B023

        page.extract_text(visitor_text=visit)
        for x, text, size in runs:
            probe.set_font("letter", size=size)
            rightmost = max(rightmost, x + probe.get_string_width(text.rstrip()))
    return rightmost


def test_tiny_and_huge_amounts() -> None:
    tiny = full_letter(
        amount_due=Decimal("0.01"), breakdown=Breakdown.principal_only(Decimal("0.01"))
    )
    huge_amount = Decimal("98765432109876.54")
    huge = full_letter(amount_due=huge_amount, breakdown=Breakdown.principal_only(huge_amount))
    assert "$0.01" in pdf_text(render_letter("demand_letter", "en-US", tiny))
    assert "98,765,432,109,876.54" in pdf_text(render_letter("demand_letter", "zh-CN", huge))


def test_missing_needed_field_fails_before_any_pdf() -> None:
    with pytest.raises(RenderError, match="contract_reference"):
        render_letter(LetterKind.LAWYER_LETTER, "en-US", full_letter(contract_reference=None))


def test_minimal_letter_drops_optional_parts() -> None:
    context = full_letter(
        contact_phone=None,
        contact_email=None,
        sender_name=None,
        pay_link=None,
        jurisdiction="CN",
        contract_reference=None,
        borrower_address=(),
    )
    text = pdf_text(render_letter(LetterKind.DEMAND_LETTER, "en-US", context))
    assert "None" not in text and "Bank transfer to account 0001-2345" in text
    assert "debt collector" not in text


def test_same_letter_same_bytes_and_font_cache_is_not_corrupted() -> None:
    # Given two different letters rendered one after the other with the cached font
    a = full_letter(borrower_name="王小明")
    first = render_letter(LetterKind.DEMAND_LETTER, "zh-CN", a)
    other = render_letter(LetterKind.LAWYER_LETTER, "zh-CN", full_letter(borrower_name="李雷"))
    again = render_letter(LetterKind.DEMAND_LETTER, "zh-CN", a)
    # Then the first letter is reproduced byte for byte (same SHA-256 for the audit trail)
    assert hashlib.sha256(first).digest() == hashlib.sha256(again).digest()
    # and the letter in between has its own glyphs
    assert "李雷" in pdf_text(other) and "律师函" in pdf_text(other)


def test_letters_rendered_in_parallel_threads_match_sequential_ones() -> None:
    # Given letters that share the cached font (the local runtime runs tasks in threads)
    names = ["王小明", "李雷", "韩梅梅", "Jane Doe", "张伟", "刘洋"]
    contexts = [full_letter(borrower_name=name) for name in names]
    sequential = [render_letter(LetterKind.DEMAND_LETTER, "zh-CN", ctx) for ctx in contexts]
    # When the same letters render concurrently
    with ThreadPoolExecutor(max_workers=6) as pool:
        parallel = list(
            pool.map(lambda ctx: render_letter(LetterKind.DEMAND_LETTER, "zh-CN", ctx), contexts)
        )
    # Then each is byte-identical to its sequential twin
    assert parallel == sequential
    assert all(name in pdf_text(pdf) for name, pdf in zip(names, parallel, strict=True))


def test_letter_date_is_the_pdf_creation_date() -> None:
    pdf = render_letter("reminder_letter", "en-US", full_letter(letter_date=date(2027, 1, 2)))
    assert PdfReader(io.BytesIO(pdf)).metadata.creation_date.date() == date(2027, 1, 2)


def test_fpdf2_font_internals_the_cache_relies_on_are_still_there() -> None:
    # The font cache copies fpdf2's TTFFont and resets these attributes per letter, and
    # swaps in a cut font through a custom OutputProducer; if a new fpdf2 renames them,
    # this fails here rather than producing a broken PDF.
    for name in ("i", "ttfont", "subset", "missing_glyphs", "biggest_size_pt", "_hbfont", "cw"):
        assert name in TTFFont.__slots__
    assert "output_producer_class" in inspect.signature(FPDF.output).parameters
    assert FONT_FILE.stat().st_size < 12_000_000  # ~10 MB: every BMP hanzi, see fonts/README


def test_a_letter_embeds_only_the_glyphs_it_uses() -> None:
    # Given a Chinese letter (the font holds ~30,000 glyphs)
    pdf = render_letter(LetterKind.DEMAND_LETTER, "zh-CN", full_letter(borrower_name="王小明"))
    # When the embedded font program is read back
    reader = PdfReader(io.BytesIO(pdf))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    (cjk,) = [f.get_object() for f in fonts.values() if "Noto" in str(f.get_object()["/BaseFont"])]
    descriptor = cjk["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    embedded = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
    # Then it has the letter's few hundred glyphs at most, and draws its characters
    assert 50 < len(embedded.getGlyphOrder()) < 400
    assert {ord(ch) for ch in "王小明催款函"} <= set(embedded.getBestCmap())


def test_wrap_breaks_cjk_anywhere_latin_at_spaces_and_cuts_long_words() -> None:
    def width(ch: str) -> float:
        return 2.0

    assert wrap("aaa bbb ccc", 7, width) == ["aaa", "bbb", "ccc"]
    assert wrap("一二三四五", 4, width) == ["一二", "三四", "五"]
    assert wrap("一二，三", 4, width) == ["一二，", "三"]  # a comma never starts a line
    assert wrap("x" * 5, 4, width) == ["xx", "xx", "x"]
    assert wrap("a\nb", 100, width) == ["a", "b"]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", list(LetterKind))
def test_every_letter_renders_with_only_what_its_kind_needs(kind: LetterKind, locale: str) -> None:
    # Given a letter context without any optional field its kind does not need
    needs = {
        LetterKind.LAWYER_LETTER: {"contract_reference": "LN-1", "contact_email": "a@b.example"},
        LetterKind.VALIDATION_NOTICE: {
            "itemization_date": date(2026, 10, 1),
            "amount_on_itemization_date": Decimal("0.01"),
            "collector_name": "Example Collections LLC",
            "dispute_address": ("PO Box 100", "Wilmington, DE 19801"),
        },
    }.get(kind, {})
    context = LetterContext(
        borrower_name="Jane Doe",
        amount_due=Decimal("0.01"),
        currency="USD",
        due_date=date(2026, 11, 1),
        creditor_name="Acme Lending",
        case_reference="acc-1-1",
        payment_instructions="Pay in the Acme app.",
        letter_date=date(2026, 11, 25),
        deadline=None if kind is LetterKind.REMINDER_LETTER else date(2026, 12, 9),
        **needs,  # type: ignore[arg-type]
    )
    # When it renders, Then the amount and how to pay are there and nothing reads "None"
    text = pdf_text(render_letter(kind, locale, context))
    assert "0.01" in text and "None" not in text
    if kind is not LetterKind.VALIDATION_NOTICE:
        assert "Pay in the Acme app." in compact(text) or "PayintheAcmeapp." in compact(text)


@pytest.mark.parametrize(
    ("text", "right_to_left"),
    [
        ("Priya Sharma, 14 MG Road", False),
        ("王小明 上海市浦东新区 ¥1,276.35", False),
        ("José Ñúñez-Öztürk ₹ 123,456.50", False),
        ("محمد علي", True),
        ("Dear Mr. محمد, please pay", True),
        ("שלום Moshe", True),
        ("٣٤٥ (Arabic-Indic digits)", True),
        ("", False),
    ],
)
def test_a_text_needs_right_to_left_shaping_only_if_it_has_such_characters(text, right_to_left):
    from arrears.domain.notices.letters import has_rtl

    assert has_rtl(text) is right_to_left
