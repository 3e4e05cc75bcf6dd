"""docs/integrations.md and docs/schemas/ agree with the catalogue: every event type Arrears
emits has a valid JSON Schema and one example in the page, and each example validates."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from arrears.domain.outbound import CATALOGUE, carries_contact_data

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGE = (DOCS / "integrations.md").read_text(encoding="utf-8")
EXAMPLE = re.compile(r"^#### (\w+)\n\n```json\n(.*?)\n```", re.S | re.M)
# in the catalogue, not emitted yet (the page says so)
NOT_EMITTED: set[str] = set()


def examples() -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for match in EXAMPLE.finditer(PAGE):
        assert match.group(1) not in found, f"two examples of {match.group(1)}"
        found[match.group(1)] = json.loads(match.group(2))
    return found


@pytest.mark.parametrize("event_type", sorted(set(CATALOGUE) - NOT_EMITTED))
def test_each_emitted_type_has_a_schema_and_a_valid_example(event_type: str) -> None:
    schema = json.loads((DOCS / "schemas" / f"{event_type}.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    example = examples()[event_type]
    jsonschema.validate(example, schema)
    assert not carries_contact_data(example)
    assert example["event_id"] == f"{example['case_id']}/{example['sequence']}"


def test_the_page_has_no_example_of_an_unknown_type() -> None:
    assert set(examples()) <= set(CATALOGUE) - NOT_EMITTED
    assert {p.stem for p in (DOCS / "schemas").glob("*.json")} == set(CATALOGUE) - NOT_EMITTED
