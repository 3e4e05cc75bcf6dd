"""Which notice template set a borrower's locale is written in, from the sets' folders.

The template catalogue (``domain.notices``) parses and validates every template; deciding
which set a locale falls back to needs only the names of the sets, which are the folders of
``templates/messages`` (the catalogue refuses a set missing there). The ingest function
asks this for every case it opens, so it never imports the notices package or PyYAML.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cache
from pathlib import Path

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "templates"
DEFAULT_LOCALE = "en-US"
# the set a locale of the language without its own set is written in: most speakers of
# Spanish and Portuguese (es-US, es-419, pt-PT...) read the Latin American sets best
LANGUAGE_FALLBACK = {"en": "en-US", "zh": "zh-CN", "es": "es-MX", "pt": "pt-BR", "id": "id-ID"}


@cache
def shipped_locales(root: Path = TEMPLATES_DIR) -> frozenset[str]:
    """The locales that have a template set (one folder each under ``messages``)."""
    messages = root / "messages"
    return frozenset(path.name for path in messages.iterdir() if path.is_dir())


def resolve_locale(
    available: Collection[str], locale: str | None, default: str | None = None
) -> str:
    """The set to use: exact match, else same language, else ``default`` (the policy's
    default language) when a set serves it, else en-US."""
    wanted = (locale or default or DEFAULT_LOCALE).replace("_", "-").lower()
    by_lower = {name.lower(): name for name in available}
    if wanted in by_lower:
        return by_lower[wanted]
    language = wanted.split("-")[0]
    preferred = LANGUAGE_FALLBACK.get(language, "")
    if preferred in available:
        return preferred
    for name in sorted(available):
        if name.lower().split("-")[0] == language:
            return name
    if default and default.replace("_", "-").lower() != wanted:
        return resolve_locale(available, default)
    return DEFAULT_LOCALE
