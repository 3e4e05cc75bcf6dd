"""Outbound events on the local runtime: the real ASL, handlers, outbox stream and bus.

Every event the lender's consumers receive matches its JSON Schema (docs/schemas/), carries
no contact data, and arrives once per fact in sequence order per case, also when the
publisher and the bus fail and the stream delivers records twice (docs/integrations.md).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from arrears.domain.outbound import CATALOGUE
from arrears.local.faults import FaultPlan
from arrears.local.portfolio import build_portfolio
from arrears.local.replay import run_entries

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"
BORROWERS = 12
DAYS = 90


@cache
def schema(event_type: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / f"{event_type}.json").read_text())


def _run(faults: FaultPlan | None = None, duplicate_every: int = 0) -> dict[str, Any]:
    portfolio = build_portfolio(seed=11, borrowers=BORROWERS)
    start = portfolio.start
    end = start + timedelta(days=DAYS)
    delivered = Counter[str]()

    def before(rt: Any) -> None:
        portfolio.desk.attach(rt, end)
        if duplicate_every:

            def duplicate(record: dict[str, Any]) -> bool:
                delivered["n"] += 1
                return delivered["n"] % duplicate_every == 0

            rt.outbound.duplicate_delivery = duplicate

    heard: dict[str, list[tuple[int, str]]] = {}

    def after(rt: Any) -> None:
        # retries still in backoff when the run ends are delivered (the stream would)
        while rt.outbound.pending:
            rt.outbound.deliver()
        for event in rt.outbound.events_out:
            heard.setdefault(event["case_id"], []).append((event["sequence"], event["type"]))
        assert not rt.outbound.dead_letters

    report = run_entries(
        portfolio.entries,
        start=start,
        end=end,
        seed=11,
        before=before,
        after=after,
        faults=faults,
    )
    report["_heard"] = heard
    report["_contact_data"] = [
        value for entry in portfolio.entries for value in _contact_values(entry)
    ]
    return report


def _contact_values(entry: Any) -> list[str]:
    detail = entry.event.detail if entry.event is not None else {}
    if isinstance(detail, str):
        detail = json.loads(detail)
    borrower = detail.get("borrower") or {}
    return [str(borrower[k]) for k in ("name", "phone", "email") if borrower.get(k)]


@pytest.fixture(scope="module")
def clean() -> dict[str, Any]:
    return _run()


def _facts(report: dict[str, Any]) -> dict[str, list[tuple[int, str]]]:
    return {
        case["case_id"]: [(e["sequence"], e["type"]) for e in case["events_out"]]
        for case in report["cases"]
    }


def test_every_event_matches_its_schema(clean: dict[str, Any]) -> None:
    seen = Counter[str]()
    for case in clean["cases"]:
        for event in case["events_out"]:
            assert event["type"] in CATALOGUE
            jsonschema.validate(event["detail"], schema(event["type"]))
            assert event["id"] == f"{case['case_id']}/{event['sequence']}"
            seen[event["type"]] += 1
    # a 90-day mixed portfolio opens, moves, promises, breaks promises and closes cases
    assert {"CaseOpened", "CaseStageChanged", "CaseClosed", "PromiseMade"} <= set(seen)


def test_a_schema_refuses_what_it_must(clean: dict[str, Any]) -> None:
    event = next(e for c in clean["cases"] for e in c["events_out"])
    bad = dict(event["detail"], balance=12.5)  # a JSON number, not a decimal string
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema(event["type"]))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(dict(event["detail"], phone="+8613800000000"), schema(event["type"]))


def test_no_event_carries_contact_data(clean: dict[str, Any]) -> None:
    values = clean["_contact_data"]
    assert len(values) >= BORROWERS  # the portfolio does carry names, phones, e-mails
    for case in clean["cases"]:
        text = json.dumps(case["events_out"])
        for value in values:
            assert value not in text


def test_each_case_hears_its_facts_once_in_sequence_order(clean: dict[str, Any]) -> None:
    for case_id, facts in _facts(clean).items():
        assert [s for s, _ in facts] == list(range(1, len(facts) + 1)), case_id
        if facts:
            assert facts[0][1] == "CaseOpened"
        closed = [t for _, t in facts if t == "CaseClosed"]
        assert len(closed) <= 1


def test_faults_and_duplicate_deliveries_change_nothing_consumers_hear(
    clean: dict[str, Any],
) -> None:
    # given the publisher failing after it ran (its puts made), failing before it ran,
    # the bus throttling, the stream handing every third record over twice, and escalation
    # steps failing after their work was written (Lambda reports an error, the state
    # machine retries them)
    faults = FaultPlan.of(
        {
            "seed": 5,
            "faults": [
                {"target": "lambda:publisher", "error": "service_error", "rate": 0.3},
                {
                    "target": "lambda:publisher",
                    "error": "timeout",
                    "rate": 0.2,
                    "phase": "before",
                },
                {"target": "events:PutEvents", "error": "throttle", "rate": 0.2},
                # escalation steps retried after their write: the retry records no fact again
                {"target": "lambda:contact", "error": "service_error", "rate": 0.2},
                {"target": "lambda:record", "error": "service_error", "rate": 0.2},
                {"target": "lambda:assess", "error": "service_error", "rate": 0.2},
            ],
        }
    )
    faulty = _run(faults, duplicate_every=3)
    fired = faulty["faults_injected"]
    for target in ("lambda:publisher", "events:PutEvents", "lambda:contact", "lambda:record"):
        assert any(target in str(name) for name in fired), (target, fired)
    print("\nfaults fired:", fired)
    # then every case's consumers heard exactly what they heard in the clean run
    assert faulty["_heard"] == clean["_heard"]
    assert clean["_heard"] == {k: v for k, v in _facts(clean).items() if v}
