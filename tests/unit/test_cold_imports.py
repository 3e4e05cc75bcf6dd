"""The cold-import measurement imports each handler in a fresh interpreter, and what each
handler's cold start leaves for the invocations that need it."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from arrears import topology
from arrears.domain import compliance
from arrears.tools.cold_imports import cold_import_seconds, main

from tests.support.fresh_interpreter import modules_imported_by

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def test_a_heavier_import_takes_longer_than_a_light_one() -> None:
    light = min(cold_import_seconds(FUNCTIONS, "arrears.constants") for _ in range(3))
    heavy = min(cold_import_seconds(FUNCTIONS, "arrears.handlers.letter") for _ in range(3))
    assert 0 <= light < heavy


def test_it_reports_every_handler_against_an_older_tree(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--before", str(FUNCTIONS), "--runs", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(topology.FUNCTIONS)
    assert all("now/before" in line for line in lines)


# What each handler's cold start must do without: the modules only some invocations need.
LOADED_WHEN_NEEDED = {
    # a parked case's resume, and the packs, gate and time zones (its guards need the model)
    "arrears.handlers.assess": (
        "arrears.steps.parking",
        "arrears.steps.wake",
        "arrears.domain.compliance.pack",
        "arrears.domain.compliance.gate",
    ),
    # the bureau report runs on the first days of a month only
    "arrears.handlers.delinquency": ("arrears.domain.compliance", "arrears.domain.bureau"),
    "arrears.handlers.record": ("arrears.domain.compliance.pack", "pynamodb"),
    # pydantic-core loads with the first event validated; time zones and locales are checked
    # when an event names one; countries and currencies in use come from the compiled data
    "arrears.handlers.ingest": ("pydantic_core", "zoneinfo", "babel"),
    # pynamodb comes with the table adapters, on the first invocation
    "arrears.handlers.contact": ("pynamodb",),
    "arrears.handlers.letter": ("pynamodb",),
    "arrears.handlers.publisher": ("pynamodb",),
}


@pytest.mark.parametrize("handler", sorted(LOADED_WHEN_NEEDED))
def test_a_cold_start_leaves_out_what_only_some_invocations_need(handler: str) -> None:
    # given a fresh interpreter, when the handler module is imported
    imported = modules_imported_by(
        f"import json, sys\nimport {handler}\nprint(json.dumps(sorted(sys.modules)))"
    )
    # then none of the modules its invocations load when they need them was
    assert imported & set(LOADED_WHEN_NEEDED[handler]) == set()
    assert handler in imported


def test_each_compliance_name_loads_from_its_module() -> None:
    # the package's names load with their module on first use (a cold start without the packs)
    for name in compliance.__all__:
        value = getattr(compliance, name)
        module = importlib.import_module(f"arrears.domain.compliance.{compliance._MODULE_OF[name]}")
        assert value is getattr(module, name), name
    with pytest.raises(AttributeError):
        _ = compliance.no_such_name
