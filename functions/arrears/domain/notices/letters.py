"""PDF letters with fpdf2 and an embedded, subset CJK font.

One font serves every locale: Noto Sans CJK SC (SIL OFL 1.1) with every BMP hanzi it has
(Simplified, Traditional, rare name characters), Latin, punctuation, and the currency
signs babel prints merged in from Noto Sans, as TrueType outlines (`arrears/fonts/`, see
README and LICENSE there). fpdf2 embeds only the glyphs a letter uses, so a letter stays
around 15-40 KB.

Parsing the 10 MB font is the dominant cost of a first letter (~0.3-0.4 s of CPU), so it
is parsed once per process (`_FontCache`) and shared read-only by every letter. Each
letter gets a light copy of fpdf2's font object with its own glyph-usage map; when the
PDF is written (`_LetterOutput`), the shared font is swapped, for that letter only, for a
small cut holding just the glyphs it used, which fpdf2's subsetter then cuts down in place.
That relies on fpdf2's TTFFont attributes and OutputProducer hook (fpdf2 is pinned;
tests/unit/notices/test_letters.py fails loudly if they move).
"""

from __future__ import annotations

import copy
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import cache
from pathlib import Path
from typing import Any

from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables._c_m_a_p import CmapSubtable
from fontTools.ttLib.tables._g_l_y_f import Glyph
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import SubsetMap, TTFFont
from fpdf.output import OutputProducer

from arrears.domain.balance import Breakdown
from arrears.domain.notices import formatting as fmt
from arrears.domain.notices.context import LetterContext, LetterKind
from arrears.domain.notices.templates import LetterTemplate, LocalePack, Text
from arrears.domain.notices.variables import clean, variables
from arrears.domain.types import Channel

FONTS_DIR = Path(__file__).resolve().parents[2] / "fonts"
FONT_FILE = FONTS_DIR / "NotoSansSC-Regular-Letters.ttf"
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


def _trimmed(glyph: Glyph) -> _TrimmedGlyph:
    data = glyph.__dict__.get("data")
    fresh = _TrimmedGlyph(data) if data is not None else copy.deepcopy(glyph)
    fresh.__class__ = _TrimmedGlyph
    Glyph.trim(fresh)  # walks every point flag in Python: done once per glyph, not per letter
    return fresh


def _cut(
    pristine: TTFont,
    glyph_names: Sequence[str],
    glyph_for: Callable[[str], Glyph],
    code_points: Mapping[str, list[int]],
) -> TTFont:
    """A small font with only the given glyphs (and the first four), for one letter.

    fpdf2 runs fontTools' subsetter on the font object when it writes the PDF, cutting it
    down in place; on the 30,000-glyph font that costs ~10 ms of list and dict passes
    over every glyph and cmap entry. Handing it a font that already holds only the
    letter's glyphs makes that work proportional to the letter and leaves the shared
    parsed font untouched. Tables are shallow copies (the writer rewrites their scalars);
    the containers it replaces are built new; glyphs come trimmed from `glyph_for`.
    """
    order = pristine.getGlyphOrder()
    gid = pristine.getReverseGlyphMap()
    keep = sorted(set(order[:4]).union(glyph_names), key=gid.__getitem__)
    cut = TTFont(recalcBBoxes=False, recalcTimestamp=False)
    cut.sfntVersion = pristine.sfntVersion
    cut.setGlyphOrder(keep)
    for tag in pristine.keys():  # noqa: SIM118 (a TTFont is not a dict)
        if tag in ("GlyphOrder", "loca"):
            continue
        table = copy.copy(pristine[tag])
        if tag == "glyf":
            table.glyphOrder = keep
            table.glyphs = {name: glyph_for(name) for name in keep}
            table.__dict__.pop("_reverseGlyphOrder", None)
        elif tag == "hmtx":
            table.metrics = {name: table.metrics[name] for name in keep}
        elif tag == "cmap":
            table.tables = [_bmp_cmap({p: n for n in keep for p in code_points.get(n, ())})]
        elif tag == "post":
            table.extraNames, table.mapping = [], {}
        elif tag == "name":
            table.names = list(table.names)
        cut[tag] = table
    cut["loca"] = newTable("loca")
    return cut


def _bmp_cmap(mapping: dict[int, str]) -> Any:
    subtable = CmapSubtable.newSubtable(4)
    subtable.platformID, subtable.platEncID, subtable.language = 3, 1, 0
    subtable.cmap = mapping
    return subtable


class _FontCache:
    """The font parsed once and shared read-only; each letter writes out its own cut."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._template: TTFFont | None = None
        self._code_points: dict[str, list[int]] = {}
        self._glyphs: dict[str, _TrimmedGlyph] = {}  # trimmed on first use, then shared

    def _load(self) -> TTFFont:
        with self._lock:
            if self._template is None:
                probe = FPDF()
                probe.add_font(FONT_FAMILY, fname=str(self._path))
                template = probe.fonts[FONT_FAMILY]
                assert isinstance(template, TTFFont)
                pristine = template.ttfont  # fpdf2 has parsed it; read-only from here on
                for tag in pristine.keys():  # noqa: SIM118 (a TTFont is not a dict)
                    pristine[tag]  # parse every table now, once
                pristine.getReverseGlyphMap()  # built now, not by two letters at once
                for point, name in template.cmap.items():
                    self._code_points.setdefault(name, []).append(point)
                self._template = template
            return self._template

    def install(self, pdf: FPDF) -> None:
        template = self._load()
        font = copy.copy(template)  # shares the parsed font, widths and cmap (read-only)
        font.i = len(pdf.fonts) + 1
        font.desc = copy.copy(template.desc)  # fpdf2 numbers and links it per PDF
        font.subset = SubsetMap(font)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        pdf.fonts[FONT_FAMILY] = font

    def cut_for_output(self, pdf: FPDF) -> None:
        """Swap the shared font for a cut holding only what this letter used."""
        font = pdf.fonts[FONT_FAMILY]
        assert isinstance(font, TTFFont)
        pristine = self._load().ttfont
        font.ttfont = _cut(
            pristine, font.subset.get_all_glyph_names(), self._glyph, self._code_points
        )

    def _glyph(self, name: str) -> _TrimmedGlyph:
        glyph = self._glyphs.get(name)
        if glyph is None:  # two threads may both trim it: same bytes, last one kept
            glyph = self._glyphs[name] = _trimmed(self._load().ttfont["glyf"].glyphs[name])
        return glyph


class _LetterOutput(OutputProducer):
    """fpdf2's PDF writer, once every glyph is known (footers and page totals included)."""

    def __init__(self, fpdf: FPDF) -> None:
        _font_cache().cut_for_output(fpdf)
        super().__init__(fpdf)


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
    # each distinct character once: a paragraph repeats a few dozen of them
    return any(unicodedata.bidirectional(ch) in ("R", "AL", "AN") for ch in set(text))


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


def legal_paragraphs(context: LetterContext, language: str) -> tuple[str, ...]:
    """The jurisdiction's legal text in the letter's language, else in the first language
    the pack wrote it in: a legal paragraph is never dropped for want of a translation."""
    texts = context.legal_text
    if not texts:
        return ()
    return texts.get(language) or next(iter(texts.values()))


@dataclass(frozen=True)
class LetterText:
    """A letter's texts with every value filled in: what the PDF is laid out from."""

    title: str
    salutation: str
    paragraphs: list[str]
    closing: str
    enclosures: list[tuple[str, list[str]]]
    registration: str

    def content(self) -> bytes:
        """The texts, one per line, as UTF-8."""
        lines = [self.title, self.salutation, *self.paragraphs, self.closing, self.registration]
        lines += [line for title, body in self.enclosures for line in (title, *body)]
        return "\n".join(lines).encode("utf-8")


def letter_text(
    template: LetterTemplate,
    pack: LocalePack,
    context: LetterContext,
    values: Mapping[str, str | None],
) -> LetterText:
    """The letter's texts, filled in from ``values`` (``variables`` for the letter channel)."""
    return LetterText(
        title=_render(template.title, values),
        salutation=_render(template.salutation, values),
        paragraphs=[_render(p, values) for p in template.paragraphs]
        + [clean(p) for p in legal_paragraphs(context, pack.locale.split("-")[0])],
        closing=_render(template.closing, values),
        enclosures=[
            (_render(e.title, values), [_render(p, values) for p in e.paragraphs])
            for e in template.enclosures
        ],
        registration=clean(context.registration) if context.registration else "",
    )


def render_letter_pdf(
    template: LetterTemplate, pack: LocalePack, locale: str, context: LetterContext
) -> bytes:
    kind = template.kind
    labels = pack.labels
    values = variables(context, pack, locale, Channel.LETTER)
    breakdown = context.breakdown or Breakdown.principal_only(context.amount_due)

    # Render every text first: a missing value fails before any PDF work is done.
    text = letter_text(template, pack, context, values)

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
            text.title,
            text.salutation,
            *text.paragraphs,
            text.closing,
            context.borrower_name,
            context.creditor_name,
            *context.borrower_address,
            *context.creditor_address,
            *context.extra_lines,
            context.sender_name or "",
            *context.sender_address,
            context.collector_name or "",
            *context.collector_address,
            text.registration,
            *(line for title, body in text.enclosures for line in (title, *body)),
        ]
    )
    if has_rtl(everything):
        for family, path in RTL_FONTS.items():
            pdf.add_font(family, fname=str(path))
        pdf.set_fallback_fonts(list(RTL_FONTS))
    pdf.footer_text = clean(context.case_reference)
    pdf.add_page()

    # Sender block: the law firm for a lawyer's letter, the debt collector for a
    # validation notice, else the creditor.
    if kind is LetterKind.LAWYER_LETTER and context.sender_name:
        sender_name, sender_address = clean(context.sender_name), context.sender_address
    elif kind is LetterKind.VALIDATION_NOTICE and context.collector_name:
        sender_name, sender_address = clean(context.collector_name), context.collector_address
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

    _lines(pdf, text.title, size=15, gap=3)
    _breakdown_table(pdf, labels, breakdown, context.currency, locale)
    _lines(pdf, text.salutation, gap=2)
    for paragraph in text.paragraphs:
        _lines(pdf, paragraph, gap=2.5)
    for extra in context.extra_lines:
        _lines(pdf, clean(extra), gap=2.5)
    pdf.ln(3)
    _lines(pdf, text.closing)
    if text.registration:
        pdf.ln(4)
        _lines(pdf, text.registration, size=8.5)
    for enclosure_title, body in text.enclosures:
        pdf.add_page()
        _lines(pdf, enclosure_title, size=13, gap=3)
        for paragraph in body:
            _lines(pdf, paragraph, gap=2.5)
    return bytes(pdf.output(output_producer_class=_LetterOutput))
