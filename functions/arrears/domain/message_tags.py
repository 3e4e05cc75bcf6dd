"""Message tags that survive the round trip through SES.

Every email carries ``account_id`` and ``case_id`` as SES message tags, and SES hands them
back on its bounce, complaint and delivery events: that is how an outcome finds its
borrower without looking anyone up by address. SES accepts only ASCII letters, digits,
``_`` and ``-`` in a tag value, while case ids contain ``#`` (``acc-42#1``) and account ids
come from the payment system. So values are escaped reversibly: every other character
(and ``_`` itself) becomes ``_`` plus two lowercase hex digits per UTF-8 byte:
``acc-42#1`` -> ``acc-42_231``, and decoding gives back exactly the original.
"""

from __future__ import annotations

import re

MAX_TAG_LENGTH = 256  # SES's limit for a tag name or value
_PLAIN = re.compile(r"[A-Za-z0-9-]")
_ESCAPE = re.compile(r"_([0-9a-f]{2})")
_NAME_REFUSED = re.compile(r"[^A-Za-z0-9_-]")


class TagTooLong(ValueError):
    """The escaped value exceeds what SES accepts (the value itself is not echoed)."""


def encode_tag_value(value: str) -> str:
    encoded = "".join(
        char if _PLAIN.fullmatch(char) else "".join(f"_{b:02x}" for b in char.encode("utf-8"))
        for char in value
    )
    if len(encoded) > MAX_TAG_LENGTH:
        raise TagTooLong(f"tag value is {len(encoded)} characters escaped; SES takes 256")
    return encoded


def decode_tag_value(encoded: str) -> str:
    """Inverse of ``encode_tag_value``; text without escapes comes back unchanged."""
    raw = bytearray()
    position = 0
    for match in _ESCAPE.finditer(encoded):
        raw += encoded[position : match.start()].encode("utf-8")
        raw.append(int(match.group(1), 16))
        position = match.end()
    raw += encoded[position:].encode("utf-8")
    return raw.decode("utf-8", errors="replace")


def tag_name(name: str) -> str:
    """Tag names are ours (``account_id``, ``case_id``): only refused characters change."""
    return _NAME_REFUSED.sub("_", name)[:MAX_TAG_LENGTH]
