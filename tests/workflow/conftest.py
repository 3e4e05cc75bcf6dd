"""Workflow tests run real ASL on the local runtime (``arrears.local.runtime``).

The ``fixture_topology`` fixture is a small test-only topology (fake handlers, fixture ASL
under ``fixtures/``) so the runtime itself is tested independently of the real ladder.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from arrears import topology as t
from arrears.local.runtime import LocalRuntime, LocalTopology

FIXTURES = Path(__file__).resolve().parent / "fixtures"
if str(FIXTURES) not in sys.path:
    sys.path.insert(0, str(FIXTURES))

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
FAKE = "local_fixture_handlers"


def fake_function(name: str, handler: str) -> t.FunctionSpec:
    return t.FunctionSpec(
        construct_id=f"{name.title()}Function",
        handler=f"{FAKE}.{handler}",
        local_name=f"fixture-{name}",
        tables=(t.CASES,),
    )


ASSESS = fake_function("assess", "assess")
CONTACT = fake_function("contact", "contact")
LETTER = fake_function("letter", "letter")
RECORD = fake_function("record", "record")
INGEST = fake_function("ingest", "ingest")

LADDER = t.StateMachineSpec(
    construct_id=t.ESCALATION.construct_id,  # so its ARN lands in the escalation env var
    local_name="fixture-ladder",
    definition_file=str(FIXTURES / "ladder_fixture.asl.json"),
    substitutions={
        "CasesTable": ("table", t.CASES),
        "AssessFunctionArn": ("function", ASSESS),
        "ContactFunctionArn": ("function", CONTACT),
        "LetterFunctionArn": ("function", LETTER),
        "RecordFunctionArn": ("function", RECORD),
    },
)
HEARTBEAT = t.StateMachineSpec(
    construct_id="HeartbeatFixture",
    local_name="fixture-heartbeat",
    definition_file=str(FIXTURES / "heartbeat_fixture.asl.json"),
    substitutions={"CasesTable": ("table", t.CASES)},
)


def fixture_topology(**changes: object) -> LocalTopology:
    base = replace(
        LocalTopology.default(),
        ingest_function=INGEST,
        functions=(ASSESS, CONTACT, LETTER, RECORD, INGEST),
        state_machines=(LADDER, HEARTBEAT),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


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
