"""Workflow tests run real ASL on the local runtime (``arrears.local.runtime``).

``runtime_fixture_topology`` (under fixtures/) is a small test-only topology (fake
handlers, fixture ASL) so the runtime itself is tested independently of the real ladder.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))

from arrears.local.runtime import LocalRuntime  # noqa: E402
from runtime_fixture_topology import START, fixture_topology  # noqa: E402


@pytest.fixture
def calls() -> Iterator[list[dict[str, object]]]:
    import local_fixture_handlers

    local_fixture_handlers.CALLS.clear()
    yield local_fixture_handlers.CALLS
    local_fixture_handlers.CALLS.clear()


@pytest.fixture
def runtime(calls: list[dict[str, object]]) -> Iterator[LocalRuntime]:
    with LocalRuntime(start=START, seed=7, topology=fixture_topology()) as rt:
        yield rt
