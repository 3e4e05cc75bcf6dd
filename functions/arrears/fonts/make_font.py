"""Rebuild NotoSansSC-Regular-Letters.ttf from Debian's Noto fonts (run by hand).

    apt-get download fonts-noto-cjk fonts-noto-core  # 1:20220127+repack1-1, 20201225-1
    for deb in fonts-noto-*.deb; do dpkg-deb -x "$deb" x; done
    python functions/arrears/fonts/make_font.py \
        x/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
        x/usr/share/fonts/truetype/noto functions/arrears/fonts/

Steps: take face 2 (Simplified Chinese) of the CJK collection; keep every hanzi it has in
the BMP (CJK Unified Ideographs, Extension A, Compatibility Ideographs: Simplified,
Traditional and rare name characters alike), every character of GB2312, GBK, Big5 and
HKSCS it has in the BMP, plus Latin, punctuation, currency and full-width forms; convert
the CFF outlines to TrueType quadratics (fpdf2 embeds TrueType more compactly and pypdf
extracts its text cleanly); drop layout and vertical tables fpdf2 does not use, and keep a
single (Windows BMP) cmap. Then merge, from Noto Sans and a few Noto script fonts, the
glyphs the CJK face lacks: the currency signs babel prints (₹ ₽ ₺ ₦ ₪ ₱ ...), the narrow
no-break space babel puts in amounts and times, and the rest of Latin (Vietnamese), Greek
and Cyrillic.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.pens.transformPen import TransformPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

OUTPUT_NAME = "NotoSansSC-Regular-Letters.ttf"
SC_FACE = 2
HANZI_RANGES = (
    (0x3400, 0x4DBF),  # CJK Unified Ideographs Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
)
EXTRA_RANGES = (
    (0x20, 0x7E),  # ASCII
    (0xA0, 0x24F),  # Latin-1, Latin Extended-A and -B (names like Zoë, Łukasz, Şahin)
    (0x370, 0x3FF),  # Greek
    (0x400, 0x4FF),  # Cyrillic
    (0x1E00, 0x1EFF),  # Latin Extended Additional (Vietnamese: Nguyễn)
    (0x2000, 0x206F),  # general punctuation (babel's U+202F narrow no-break space)
    (0x20A0, 0x20CF),  # currency signs
    (0x2100, 0x214F),  # letterlike symbols
    (0x2190, 0x21FF),  # arrows
    (0x2E80, 0x2FDF),  # CJK and Kangxi radicals
    (0x3000, 0x303F),  # CJK punctuation
    (0x3200, 0x33FF),  # enclosed CJK letters, CJK compatibility (㈱ ㎡)
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # full-width forms
)
# Every character of these legacy encodings, hanzi and symbols alike (①, Ⅻ, ≠, box
# drawing, pinyin tone marks ˇ ˋ): text from Chinese systems uses them.
ENCODINGS = ("gb2312", "gbk", "big5", "cp950", "big5hkscs")
# Donors, in order, for code points the CJK face lacks: Noto Sans fills Latin, Greek,
# Cyrillic, punctuation and most currency signs; the script fonts give the one currency
# sign each that babel prints and Noto Sans lacks (THB ฿, AMD ֏, BDT ৳, KHR ៛, AFN ؋).
DONORS: tuple[tuple[str, tuple[tuple[int, int], ...] | None], ...] = (
    ("NotoSans-Regular.ttf", None),  # None: anything wanted that is still missing
    ("NotoSansThai-Regular.ttf", ((0x0E3F, 0x0E3F),)),
    ("NotoSansArmenian-Regular.ttf", ((0x058F, 0x058F),)),
    ("NotoSansBengali-Regular.ttf", ((0x09F3, 0x09F3),)),
    ("NotoSansKhmer-Regular.ttf", ((0x17DB, 0x17DB),)),
    ("NotoSansArabic-Regular.ttf", ((0x060B, 0x060B),)),
)
DROP = ("GSUB", "GPOS", "GDEF", "vhea", "vmtx", "VORG", "BASE", "DSIG")


def code_points(ranges: Iterable[tuple[int, int]]) -> set[int]:
    points: set[int] = set()
    for start, end in ranges:
        points.update(range(start, end + 1))
    return points


def encoding_code_points(codec: str) -> set[int]:
    """The BMP characters a double-byte encoding (GBK, Big5) can encode."""
    points: set[int] = set()
    for lead in range(0x81, 0xFF):
        for trail in range(0x40, 0xFF):
            try:
                text = bytes([lead, trail]).decode(codec)
            except UnicodeDecodeError:
                continue
            if len(text) == 1 and ord(text) <= 0xFFFF:
                points.add(ord(text))
    return points


def wanted_code_points() -> set[int]:
    points = code_points(HANZI_RANGES + EXTRA_RANGES)
    for codec in ENCODINGS:
        points |= encoding_code_points(codec)
    return points


def to_truetype(font: TTFont) -> None:
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = font.getGlyphOrder()
    glyf.glyphs = {}
    for name in font.getGlyphOrder():
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in (
        "maxZones",
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
        "maxComponentDepth",
        "maxPoints",
        "maxContours",
        "maxCompositePoints",
        "maxCompositeContours",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def merge_glyphs(font: TTFont, donor: TTFont, wanted: set[int]) -> list[int]:
    """Copy the donor's glyphs for wanted code points the font does not map yet.

    Outlines are decomposed (a donor composite refers to donor glyphs), scaled to the
    font's units per em, and stripped of hinting; each gets an advance width and a cmap
    entry. Returns the code points added.
    """
    cmap = font["cmap"].getcmap(3, 1).cmap
    donor_cmap = donor.getBestCmap()
    donor_glyphs = donor.getGlyphSet()
    scale = font["head"].unitsPerEm / donor["head"].unitsPerEm
    glyf, hmtx = font["glyf"], font["hmtx"]
    order = list(font.getGlyphOrder())
    added: list[int] = []
    for point in sorted(wanted):
        if point in cmap or point not in donor_cmap:
            continue
        donor_name = donor_cmap[point]
        recording = DecomposingRecordingPen(donor_glyphs)
        donor_glyphs[donor_name].draw(recording)
        pen = TTGlyphPen(None)
        recording.replay(TransformPen(pen, (scale, 0, 0, scale, 0, 0)))
        glyph = pen.glyph()
        name = f"uni{point:04X}"
        assert name not in glyf.glyphs, name
        glyf.glyphs[name] = glyph
        order.append(name)
        font.setGlyphOrder(order)
        glyf.glyphOrder = order
        glyph.recalcBounds(glyf)
        advance = round(donor["hmtx"][donor_name][0] * scale)
        hmtx.metrics[name] = (advance, getattr(glyph, "xMin", 0))
        cmap[point] = name
        added.append(point)
    return added


def build(cjk_collection: str, noto_dir: str) -> TTFont:
    # the source's own timestamp: a rebuild from the same packages gives the same bytes
    font = TTCollection(cjk_collection, recalcTimestamp=False).fonts[SC_FACE]
    options = subset.Options()
    # no layout closure: GSUB is dropped below, so glyphs only it reaches (vertical and
    # regional variants) would be dead weight (they were half of the GB2312 build)
    options.layout_features = []
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    wanted = wanted_code_points()
    subsetter.populate(unicodes=wanted)
    subsetter.subset(font)
    to_truetype(font)
    for tag in DROP:
        if tag in font:
            del font[tag]
    # one Windows Unicode BMP cmap is all a PDF needs; a second copy doubles subset work
    cmap = font["cmap"]
    cmap.tables = [t for t in cmap.tables if (t.platformID, t.platEncID) == (3, 1)]
    for file_name, ranges in DONORS:
        donor = TTFont(str(Path(noto_dir) / file_name))
        added = merge_glyphs(font, donor, wanted if ranges is None else code_points(ranges))
        print(f"{file_name}: {len(added)} glyphs merged")
    return font


def main(cjk_collection: str, noto_dir: str, out_dir: str) -> None:
    font = build(cjk_collection, noto_dir)
    path = Path(out_dir) / OUTPUT_NAME
    font.save(str(path))
    hanzi = code_points(HANZI_RANGES) & set(font["cmap"].getcmap(3, 1).cmap)
    print(f"{path}: {len(font.getGlyphOrder())} glyphs, {len(hanzi)} hanzi")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
