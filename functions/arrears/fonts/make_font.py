"""Rebuild NotoSansSC-Regular-GB2312.ttf from Debian's fonts-noto-cjk (run by hand).

    apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*.deb x
    python functions/arrears/fonts/make_font.py \
        x/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc functions/arrears/fonts/

Steps: take face 2 (Simplified Chinese) of the collection; keep GB2312 (6,763 hanzi and
its symbols) plus Latin, punctuation, currency and full-width forms; convert the CFF
outlines to TrueType quadratics (fpdf2 embeds TrueType more compactly and pypdf extracts
its text cleanly); drop layout and vertical tables fpdf2 does not use, and keep a
single (Windows BMP) cmap.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

SC_FACE = 2
EXTRA_RANGES = (
    (0x20, 0x7E),  # ASCII
    (0xA0, 0x17F),  # Latin-1 and Latin Extended-A (names like Zoë, Łukasz)
    (0x2000, 0x206F),  # general punctuation
    (0x20A0, 0x20CF),  # currency signs
    (0x2100, 0x214F),  # letterlike symbols
    (0x2190, 0x21FF),  # arrows
    (0x3000, 0x303F),  # CJK punctuation
    (0xFF00, 0xFFEF),  # full-width forms
)
DROP = ("GSUB", "GPOS", "GDEF", "vhea", "vmtx", "VORG", "BASE", "DSIG")


def gb2312_code_points() -> set[int]:
    points: set[int] = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                points.add(ord(bytes([high, low]).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    for start, end in EXTRA_RANGES:
        points.update(range(start, end + 1))
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


def main(collection_path: str, out_dir: str) -> None:
    font = TTCollection(collection_path).fonts[SC_FACE]
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=gb2312_code_points())
    subsetter.subset(font)
    to_truetype(font)
    for tag in DROP:
        if tag in font:
            del font[tag]
    # one Windows Unicode BMP cmap is all a PDF needs; a second copy doubles subset work
    cmap = font["cmap"]
    cmap.tables = [t for t in cmap.tables if (t.platformID, t.platEncID) == (3, 1)]
    font.save(str(Path(out_dir) / "NotoSansSC-Regular-GB2312.ttf"))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
