"""How many SMS parts a body takes: GSM 03.38 (7-bit) when every character is in the GSM
alphabet (the extension table's characters count twice), UCS-2 otherwise."""

from __future__ import annotations

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


def encoding(body: str) -> str:
    return "GSM-7" if all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in body) else "UCS-2"


def units(body: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) the body needs."""
    if encoding(body) == "GSM-7":
        return sum(2 if ch in GSM_EXTENSION else 1 for ch in body)
    return len(body.encode("utf-16-le")) // 2


def segments(body: str) -> int:
    single, multi = (160, 153) if encoding(body) == "GSM-7" else (70, 67)
    length = units(body)
    return 1 if length <= single else -(-length // multi)
