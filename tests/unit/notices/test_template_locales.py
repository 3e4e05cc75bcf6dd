"""Which template set a locale is written in, answered without loading the templates
(``domain.template_locales``): the ingest function asks it for every case it opens."""

from __future__ import annotations

from pathlib import Path

from arrears.domain import template_locales
from arrears.domain.notices import catalogue
from hypothesis import given
from hypothesis import strategies as st

from tests.support.fresh_interpreter import modules_imported_by

ROOT = Path(__file__).resolve().parents[3]

locales = st.one_of(
    st.none(),
    st.sampled_from(["en-US", "en_GB", "zh-CN", "zh-TW", "es", "es-419", "pt-PT", "id-ID", "fr"]),
    st.text(max_size=12),
)


def test_the_shipped_locales_are_the_catalogues_sets() -> None:
    assert template_locales.shipped_locales() == frozenset(catalogue().packs)


@given(locale=locales, default=locales)
def test_resolving_agrees_with_the_catalogue(locale: str | None, default: str | None) -> None:
    assert template_locales.resolve_locale(
        template_locales.shipped_locales(), locale, default
    ) == catalogue().resolve(locale, default)


def test_ingest_opens_cases_without_the_template_catalogue_or_yaml() -> None:
    # given a fresh interpreter, when the ingest handler is imported and a locale resolved
    script = """
import json, sys
import arrears.handlers.ingest
from arrears.steps import ingest
print(json.dumps(sorted(sys.modules)))
"""
    imported = modules_imported_by(script)
    # then neither the notices package nor PyYAML was imported
    assert "arrears.domain.notices" not in imported
    assert "yaml" not in imported
