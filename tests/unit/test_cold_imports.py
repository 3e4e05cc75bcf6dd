"""The cold-import measurement imports each handler in a fresh interpreter."""

from __future__ import annotations

from pathlib import Path

import pytest
from arrears import topology
from arrears.tools.cold_imports import cold_import_seconds, main

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
