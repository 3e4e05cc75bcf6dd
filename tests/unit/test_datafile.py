"""The compiled policies and packs (domain.datafile): the Lambda assets ship them validated,
the functions load them without pydantic or PyYAML, and they equal what the files say."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from arrears.domain import datafile, policy
from arrears.domain.compiled_data import compiled_data, write_compiled
from arrears.domain.compliance import pack
from arrears.domain.compliance.pack import CompliancePack, read_packs
from arrears.domain.policy import Policy, shipped_policies

from tests.support.fresh_interpreter import modules_imported_by

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
# The functions that validate no input of their own: neither pydantic nor PyYAML may be on
# their cold start or their first invocation's configuration. ingest, ops and the portal
# validate events and ops actions with pydantic-core alone (the schemas are compiled too);
# notices read their templates' YAML when a message is rendered.
CONFIGURATION_ONLY = (
    "arrears.handlers.assess",
    "arrears.handlers.contact",
    "arrears.handlers.delinquency",
    "arrears.handlers.delivery",
    "arrears.handlers.letter",
    "arrears.handlers.publisher",
    "arrears.handlers.queue_metrics",
    "arrears.handlers.record",
)
FORBIDDEN = {"pydantic", "pydantic_core", "yaml", "_yaml"}


def _clear_caches() -> None:
    datafile.compiled.cache_clear()
    policy._load_cached.cache_clear()
    pack.all_packs.cache_clear()


@pytest.fixture
def compiled_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The compiled data, where an asset has it; the caches see it, then forget it."""
    target = tmp_path / "compiled.json"
    write_compiled(target)
    monkeypatch.setattr(datafile, "COMPILED_FILE", target)
    _clear_caches()
    yield target
    _clear_caches()


def test_the_compiled_form_equals_every_shipped_file() -> None:
    data = json.loads(json.dumps(compiled_data()))  # through JSON text, as an asset has it
    policies = shipped_policies()
    packs = read_packs()
    assert set(data["policies"]) == set(policies) and len(policies) >= 3
    assert set(data["packs"]) == set(packs) and len(packs) >= 5
    for name, parsed in policies.items():
        assert datafile.from_data(Policy, data["policies"][name]) == parsed, name
    for name, read in packs.items():
        assert datafile.from_data(CompliancePack, data["packs"][name]) == read, name


def test_the_same_files_compile_to_the_same_bytes(tmp_path: Path) -> None:
    # (an asset's hash changes only when its data does: no redeploy for nothing)
    write_compiled(tmp_path / "a.json")
    write_compiled(tmp_path / "b.json")
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()


def test_policies_and_packs_load_from_the_compiled_form(compiled_file: Path) -> None:
    data = json.loads(compiled_file.read_text())
    data["policies"]["default.yaml"]["description"] = "from the compiled form"
    compiled_file.write_text(json.dumps(data))
    _clear_caches()
    assert policy.load_policy("default.yaml").description == "from the compiled form"
    assert policy.load_policy("default.yaml") == policy.load_policy(None)
    assert pack.all_packs() == read_packs()


def test_a_checkout_without_compiled_data_reads_the_files() -> None:
    # only assets carry it: one left in the source tree would hide edits to the YAML
    assert not datafile.COMPILED_FILE.exists(), f"remove {datafile.COMPILED_FILE}"
    assert policy.load_policy() == shipped_policies()["default.yaml"]


def test_configuration_only_functions_never_import_pydantic_or_yaml(compiled_file: Path) -> None:
    # given a fresh interpreter with the asset's compiled data, when every such handler is
    # imported and the configuration a first invocation reads is loaded
    script = f"""
import json, sys
from pathlib import Path
from arrears.domain import datafile
datafile.COMPILED_FILE = Path({str(compiled_file)!r})
for module in {CONFIGURATION_ONLY!r}:
    __import__(module)
from arrears.domain.compliance import load_pack
from arrears.domain.policy import load_policy, policy_by_version, policy_for_account
policy = load_policy()
policy_for_account("acc-1")
policy_by_version("challenger-gentle-2026.11.1")
for country in ("US", "GB", "CN", "IN", None):
    load_pack(country)
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}})))
"""
    imported = modules_imported_by(script)
    # then neither pydantic nor PyYAML was imported
    assert imported & FORBIDDEN == set()


def test_ingest_validates_events_without_importing_pydantic(compiled_file: Path) -> None:
    # given a fresh interpreter with the asset's compiled data (the event schemas too)
    script = f"""
import json, sys
from pathlib import Path
from arrears.domain import datafile
datafile.COMPILED_FILE = Path({str(compiled_file)!r})
import arrears.handlers.ingest
from arrears.domain.errors import InvalidEvent
from arrears.domain.events import parse_payment_status
detail = {{"event_id": "e-1", "account_id": "a-1", "obligation_id": "o-1", "status": "OVERDUE",
    "amount_due": "10.00", "amount_paid": "0.00", "currency": "USD", "due_date": "2026-11-01",
    "occurred_at": "2026-11-02T01:00:00Z", "sequence": 1, "borrower": {{"country": "US"}}}}
assert parse_payment_status(detail).amount_due == 10
try:
    parse_payment_status({{**detail, "amount_due": 10}})
except InvalidEvent as error:
    assert error.reason == "schema_validation", error
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}})))
"""
    # when the ingest handler is imported and validates one good and one bad event
    # then pydantic itself was never imported (pydantic-core runs the compiled schemas)
    assert "pydantic" not in modules_imported_by(script)


def test_ops_and_portal_validate_actions_without_importing_pydantic(compiled_file: Path) -> None:
    # given a fresh interpreter with the asset's compiled data (the ops action schema too)
    script = f"""
import json, sys
from pathlib import Path
from arrears.domain import datafile
datafile.COMPILED_FILE = Path({str(compiled_file)!r})
import arrears.handlers.ops
import arrears.handlers.portal
from arrears.domain.ops import InvalidOpsAction, dump_action, parse_action
raw = {{"action": "pause", "case_id": "acc-1#1", "operator": "ana",
    "until": "2026-12-01T08:00:00+08:00"}}
assert dump_action(parse_action(raw))["until"] == "2026-12-01T00:00:00Z"
try:
    parse_action({{**raw, "until": "2026-12-01T00:00:00"}})
except InvalidOpsAction as error:
    assert "needs a UTC offset" in str(error), error
print(json.dumps(sorted({{name.split(".")[0] for name in sys.modules}})))
"""
    # when both handlers are imported and one good and one bad action are validated
    # then pydantic itself was never imported (pydantic-core runs the compiled schema)
    assert "pydantic" not in modules_imported_by(script)
