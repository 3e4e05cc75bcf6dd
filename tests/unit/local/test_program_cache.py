"""Parsed state machine programs cached on disk: the next process loads what the first one
parsed, and a program loaded from the cache runs a case exactly as a freshly parsed one."""

from __future__ import annotations

import json
from datetime import timedelta

from arrears.local import moto_patches, program_cache
from arrears.local.portfolio import build_portfolio
from arrears.local.replay import schedule_entries
from arrears.local.runtime import LocalRuntime


def _report() -> str:
    moto_patches._PARSED_PROGRAMS.clear()  # as in a new process: only the disk cache is left
    portfolio = build_portfolio(seed=2, borrowers=12)
    with LocalRuntime(start=portfolio.start, seed=4, history="states") as rt:
        schedule_entries(rt, portfolio.entries)
        rt.advance(timedelta(days=45))
        return json.dumps(rt.report(), sort_keys=True)


def test_a_program_loaded_from_the_cache_runs_as_a_parsed_one(tmp_path, monkeypatch):
    monkeypatch.setenv("ARREARS_CACHE_DIR", str(tmp_path))
    parsed = _report()  # parses both state machines and stores them
    stored = sorted(tmp_path.glob("*.pickle"))
    assert len(stored) == 2

    loaded = _report()  # loads them

    assert loaded == parsed
    assert sorted(tmp_path.glob("*.pickle")) == stored


def test_a_damaged_entry_is_parsed_again_and_replaced(tmp_path, monkeypatch):
    monkeypatch.setenv("ARREARS_CACHE_DIR", str(tmp_path))
    parses: list[str] = []

    def parse(definition: str) -> dict[str, str]:
        parses.append(definition)
        return {"program": definition}

    assert program_cache.program_for("{}", parse) == {"program": "{}"}
    (entry,) = tmp_path.glob("*.pickle")
    entry.write_bytes(b"not a pickle")

    assert program_cache.program_for("{}", parse) == {"program": "{}"}
    assert program_cache.program_for("{}", parse) == {"program": "{}"}
    assert parses == ["{}", "{}"]  # parsed at first, once more after the damage, then loaded


def test_an_unwritable_cache_is_skipped(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("ARREARS_CACHE_DIR", str(blocked / "asl"))  # under a file: unwritable
    assert program_cache.program_for("{}", lambda d: [d]) == ["{}"]
