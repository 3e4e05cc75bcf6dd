"""PDF letters with fpdf2 and an embedded, subset CJK font.

One font serves every locale: Noto Sans CJK SC (SIL OFL 1.1), pre-subset to GB2312 hanzi
plus Latin, punctuation and currency signs and converted to TrueType outlines
(`arrears/fonts/`, see LICENSE there). fpdf2 embeds only the glyphs a letter uses, so a
letter stays around 20-40 KB.

Parsing the 4 MB font is the dominant cost of a letter (~150 ms), so it is parsed once per
process (`_FontCache`) and each letter gets a light copy of the parsed font with its own
glyph-usage map and its own (lazily read) fontTools object; fpdf2 subsets that object in
place when it writes the PDF, so it cannot be shared between letters. That copy relies on
fpdf2's TTFFont attributes (fpdf2 is pinned; tests/unit/notices/test_letters.py fails
loudly if they move).
"""

from __future__ import annotations

import copy
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont
from fontTools.ttLib.tables._g_l_y_f import Glyph
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import SubsetMap, TTFFont

from arrears.domain.balance import Breakdown
from arrears.domain.notices import formatting as fmt
from arrears.domain.notices.context import LetterContext, LetterKind
from arrears.domain.notices.templates import LocalePack, Text
from arrears.domain.notices.variables import clean, variables
from arrears.domain.types import Channel

FONTS_DIR = Path(__file__).resolve().parents[2] / "fonts"
FONT_FILE = FONTS_DIR / "NotoSansSC-Regular-GB2312.ttf"
FONT_FAMILY = "notosanssc"
# Right-to-left scripts the CJK font lacks: fallback fonts plus HarfBuzz shaping (joined
# Arabic letters, right-to-left order), used only in letters that contain such text.
RTL_FONTS = {
    "notosansarabic": FONTS_DIR / "NotoSansArabic-Regular.ttf",
    "notosanshebrew": FONTS_DIR / "NotoSansHebrew-Regular.ttf",
}

BODY_SIZE = 10.5
LINE = 5.2  # mm per body line
MARGIN = 20  # mm


class _TrimmedGlyph(Glyph):
    """A glyph already stripped of padding: the subsetter's per-letter trim is a no-op."""

    def trim(self, remove_hinting: bool = False, **_: Any) -> None:
        if remove_hinting:  # never asked by fpdf2; keep the real behaviour if it ever is
            super().trim(remove_hinting=True)


def _fork(pristine: TTFont) -> TTFont:
    """A copy of a fully parsed font that fontTools' subsetter may cut down in place.

    Tables are copied shallowly; the containers the subsetter replaces or trims (glyph
    dict and order, cmap subtables, metrics, names) are copied one level deeper. Glyph
    objects are shared: the subsetter only trims their padding, which changes nothing.
    """
    fork = TTFont(recalcBBoxes=False, recalcTimestamp=False)
    fork.sfntVersion = pristine.sfntVersion
    fork.setGlyphOrder(list(pristine.getGlyphOrder()))
    fork._reverseGlyphOrderDict = dict(pristine.getReverseGlyphMap())  # saves a rebuild
    for tag in pristine.keys():  # noqa: SIM118 (a TTFont is not a dict)
        if tag == "GlyphOrder":
            continue
        table = copy.copy(pristine[tag])
        state = table.__dict__
        if tag == "cmap":
            table.tables = [copy.copy(sub) for sub in table.tables]
            for sub in table.tables:
                sub.cmap = dict(sub.cmap)
        for name, value in list(state.items()):
            if isinstance(value, dict | list) and name != "tables":
                state[name] = copy.copy(value)
        fork[tag] = table
    return fork


class _FontCache:
    """The font parsed once; each letter gets a private fork that fpdf2 may mutate."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._template: TTFFont | None = None
        self._pristine: TTFont | None = None

    def _load(self) -> tuple[TTFFont, TTFont]:
        with self._lock:
            if self._template is None or self._pristine is None:
                probe = FPDF()
                probe.add_font(FONT_FAMILY, fname=str(self._path))
                self._template = probe.fonts[FONT_FAMILY]  # type: ignore[assignment]
                # glyphs stay as compiled bytes (not lazy=False): a letter then copies
                # its few glyphs through without re-encoding their outlines
                pristine = TTFont(str(self._path), recalcBBoxes=False, recalcTimestamp=False)
                for tag in pristine.keys():  # noqa: SIM118 (a TTFont is not a dict)
                    pristine[tag]  # parse every table now, once
                for subtable in pristine["cmap"].tables:
                    subtable.ensureDecompiled()  # cmap subtables parse lazily, per copy
                for glyph in pristine["glyf"].glyphs.values():
                    glyph.trim()  # once here, so each letter's subset need not
                    glyph.__class__ = _TrimmedGlyph
                self._pristine = pristine
            template, pristine = self._template, self._pristine
        assert template is not None and pristine is not None
        return template, pristine

    def install(self, pdf: FPDF) -> None:
        template, pristine = self._load()
        font = copy.copy(template)
        font.i = len(pdf.fonts) + 1
        font.ttfont = _fork(pristine)
        font.desc = copy.copy(template.desc)  # fpdf2 numbers and links it per PDF
        font.subset = SubsetMap(font)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        pdf.fonts[FONT_FAMILY] = font


@cache
def _font_cache() -> _FontCache:
    return _FontCache(FONT_FILE)


class _Letter(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT_FAMILY, size=8)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.footer_text}  {self.page_no()}/{{nb}}", align=Align.C)
        self.set_text_color(0)


# Break opportunities: around every CJK character and at spaces; closing punctuation never
# starts a line (it may hang into the margin instead).
_CJK = "\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_TOKENS = re.compile(rf"\s+|[{_CJK}]|[^\s{_CJK}]+")
_NO_LINE_START = frozenset("，。、；：！？）》」』】,.;:!?)]}%")


def wrap(text: str, max_width: float, char_width: Callable[[str], float]) -> list[str]:
    """Greedy line breaking in linear time.

    fpdf2's multi_cell re-measures the whole line for every character, which dominated
    the cost of a Chinese letter. A word wider than a line (a very long name without
    spaces) is cut between characters instead of running off the page.
    """
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, width = "", 0.0
        for token in _TOKENS.findall(paragraph):
            if token.isspace():
                if line:
                    line, width = line + " ", width + char_width(" ")
                continue
            token_width = sum(char_width(ch) for ch in token)
            if width + token_width <= max_width or (token in _NO_LINE_START and line):
                line, width = line + token, width + token_width
                continue
            if line.strip():
                lines.append(line.rstrip())
            line, width = "", 0.0
            if token_width <= max_width:
                line, width = token, token_width
                continue
            for ch in token:  # cut an over-long word
                if width + char_width(ch) > max_width and line:
                    lines.append(line)
                    line, width = "", 0.0
                line, width = line + ch, width + char_width(ch)
        lines.append(line.rstrip())
    return lines


def has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in ("R", "AL", "AN") for ch in text)


def _lines(pdf: FPDF, text: str, size: float = BODY_SIZE, gap: float = 0.0) -> None:
    if not text.strip():
        return
    pdf.set_font(FONT_FAMILY, size=size)
    if has_rtl(text):
        # the rare slow path: fpdf2 shapes, reorders and wraps with the fallback fonts
        pdf.set_text_shaping(True)
        pdf.multi_cell(0, LINE * size / BODY_SIZE, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_shaping(False)
        if gap:
            pdf.ln(gap)
        return
    font = pdf.fonts[FONT_FAMILY]
    assert isinstance(font, TTFFont)
    widths = font.cw  # per code point, in 1/1000 em
    scale = size / 1000 / pdf.k

    def char_width(ch: str) -> float:
        return float(widths[ord(ch)]) * scale

    height = LINE * size / BODY_SIZE
    for line in wrap(text, pdf.epw, char_width):
        if pdf.y + height > pdf.page_break_trigger:
            pdf.add_page()
        # text() at the baseline cell() would use: a line already fits, so the cell
        # machinery (alignment, borders, markdown) is only overhead here
        pdf.text(pdf.l_margin, pdf.y + height / 2 + 0.3 * pdf.font_size, line)
        pdf.set_xy(pdf.l_margin, pdf.y + height)
    if gap:
        pdf.ln(gap)


def _render(text: Text, values: Mapping[str, str | None]) -> str:
    return text.render(values)


def _address_block(name: str, address: Sequence[str]) -> str:
    return "\n".join([name, *(clean(line) for line in address if line.strip())])


def _breakdown_table(
    pdf: FPDF, labels: Mapping[str, str], breakdown: Breakdown, currency: str, locale: str
) -> None:
    pdf.set_font(FONT_FAMILY, size=BODY_SIZE + 0.5)
    pdf.cell(0, 7, labels["breakdown_title"], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    rows = (
        ("principal", breakdown.principal),
        ("interest", breakdown.interest),
        ("late_fees", breakdown.late_fees),
        ("total", breakdown.total),
    )
    label_width = 70
    amount_width = pdf.epw - label_width
    for key, amount in rows:
        pdf.set_font(FONT_FAMILY, size=BODY_SIZE + (0.5 if key == "total" else 0))
        border = "T" if key == "total" else ""
        pdf.cell(label_width, 6.5, labels[key], border=border)
        pdf.cell(
            amount_width,
            6.5,
            fmt.money(amount, currency, locale),
            border=border,
            align=Align.R,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.ln(4)


def render_letter_pdf(
    kind: LetterKind, pack: LocalePack, locale: str, context: LetterContext
) -> bytes:
    template = pack.letters[kind]
    labels = pack.labels
    values = variables(context, pack, locale, Channel.LETTER)
    breakdown = context.breakdown or Breakdown.principal_only(context.amount_due)

    # Render every text first: a missing value fails before any PDF work is done.
    title = _render(template.title, values)
    salutation = _render(template.salutation, values)
    paragraphs = [_render(p, values) for p in template.paragraphs]
    closing = _render(template.closing, values)

    pdf = _Letter(format="A4", unit="mm")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.c_margin = 0  # table cells line up with the paragraphs' left and right edges
    pdf.set_auto_page_break(True, margin=20)
    # a fixed creation date makes the same letter the same bytes (same SHA-256)
    pdf.set_creation_date(datetime.combine(context.letter_date, time(), tzinfo=UTC))
    pdf.set_title(f"{kind.value} {context.case_reference}")  # no names in metadata
    pdf.set_lang(pack.locale)
    _font_cache().install(pdf)
    everything = " ".join(
        [
            title,
            salutation,
            *paragraphs,
            closing,
            context.borrower_name,
            context.creditor_name,
            *context.borrower_address,
            *context.creditor_address,
            *context.extra_lines,
            context.sender_name or "",
            *context.sender_address,
        ]
    )
    if has_rtl(everything):
        for family, path in RTL_FONTS.items():
            pdf.add_font(family, fname=str(path))
        pdf.set_fallback_fonts(list(RTL_FONTS))
    pdf.footer_text = clean(context.case_reference)
    pdf.add_page()

    # Sender block: the law firm for a lawyer's letter, else the creditor.
    if kind is LetterKind.LAWYER_LETTER and context.sender_name:
        sender_name, sender_address = clean(context.sender_name), context.sender_address
    else:
        sender_name, sender_address = clean(context.creditor_name), context.creditor_address
    _lines(pdf, sender_name, size=13)
    _lines(pdf, "\n".join(clean(a) for a in sender_address if a.strip()), size=9, gap=8)

    # Recipient block, placed for a left window envelope.
    _lines(pdf, _address_block(clean(context.borrower_name), context.borrower_address), gap=6)

    reference_lines = [
        f"{labels['date']}: {values['letter_date']}",
        f"{labels['reference']}: {values['case_reference']}",
    ]
    if values.get("contract_reference"):
        reference_lines.append(f"{labels['contract_reference']}: {values['contract_reference']}")
    _lines(pdf, "\n".join(reference_lines), size=9.5, gap=5)

    _lines(pdf, title, size=15, gap=3)
    _breakdown_table(pdf, labels, breakdown, context.currency, locale)
    _lines(pdf, salutation, gap=2)
    for paragraph in paragraphs:
        _lines(pdf, paragraph, gap=2.5)
    for extra in context.extra_lines:
        _lines(pdf, clean(extra), gap=2.5)
    pdf.ln(3)
    _lines(pdf, closing)
    return bytes(pdf.output())
