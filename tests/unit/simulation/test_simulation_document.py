"""simulation.json from shard results: merging, pairing, and what an interrupted run says."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import jsonschema
import pytest
from arrears.local.simulation.behaviour import load_behaviour
from arrears.local.simulation.run import (
    PolicyRun,
    PortfolioError,
    Settings,
    ShardResult,
    build_document,
    events_portfolio,
    synthetic_portfolio,
)
from sim_cases import CONFIG, case, contact

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[3] / "docs" / "simulation.schema.json").read_text("utf-8")
)
POLICIES = (PolicyRun("A", "default.yaml"), PolicyRun("B", "other.yaml"))


def _settings(days: int = 10) -> Settings:
    return Settings(
        portfolio=synthetic_portfolio(3, seed=7),
        policies=POLICIES,
        days=days,
        workers=2,
        behaviour=load_behaviour(),
        costs=CONFIG,
        resamples=50,
    )


def _case(account: str, sms: int) -> dict:
    return case(
        account,
        owed="100.00",
        due="2026-11-01",
        opened="2026-11-02T00:00:00Z",
        contacts=[contact("sms", "2026-11-02T10:00:00Z")] * sms,
    )


def _results(days_b: int = 10) -> list[ShardResult]:
    # shard 0 holds acc-2, shard 1 acc-1 and acc-3: the merge puts them back in order
    return [
        ShardResult("A", 1, [_case("acc-3", 1), _case("acc-1", 1)], 10, ["v1"]),
        ShardResult("A", 0, [_case("acc-2", 1)], 10, ["v1"]),
        ShardResult("B", 0, [_case("acc-2", 2)], days_b, ["v2"]),
        ShardResult("B", 1, [_case("acc-1", 2), _case("acc-3", 2)], days_b, ["v2"]),
    ]


def test_shards_are_merged_and_the_policies_compared():
    document = build_document(_settings(), _results(), partial=False)
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    a, b = document["policies"]
    assert (a["policy_version"], b["policy_version"]) == ("v1", "v2")
    assert a["metrics"]["contacts_per_case"]["sms"] == "1.0000"
    assert b["metrics"]["contacts_per_case"]["sms"] == "2.0000"
    sms = next(c for c in document["comparisons"] if c["metric"] == "contacts_per_case.sms")
    assert (sms["difference"], sms["ci95"]) == ("1.0000", ["1.0000", "1.0000"])
    assert document["partial"] is False
    assert "workers" not in document  # the same document whatever the worker count


def test_the_order_of_the_shard_results_does_not_matter():
    forward = build_document(_settings(), _results(), partial=False)
    backward = build_document(_settings(), list(reversed(_results())), partial=False)
    assert json.dumps(forward) == json.dumps(backward)


def test_an_interrupted_run_says_so_and_compares_only_policies_that_got_as_far():
    document = build_document(_settings(), _results(days_b=4), partial=True)
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert document["partial"] is True
    assert document["virtual_days_completed"] == 4
    assert [p["virtual_days_completed"] for p in document["policies"]] == [10, 4]
    assert len(document["policies"][1]["metrics"]["collection_curve"]) == 5  # days 0..4
    assert document["comparisons"] == []


def test_a_run_short_of_its_days_is_partial_even_without_an_interrupt():
    document = build_document(_settings(days=20), _results(), partial=False)
    assert document["partial"] is True


def test_an_events_file_gives_its_first_overdue_event_per_account(tmp_path):
    lines = [
        _line("2026-11-03T10:00:00Z", "acc-2", "OVERDUE"),
        _line("2026-11-02T09:00:00Z", "acc-1", "OVERDUE"),
        _line("2026-11-05T10:00:00Z", "acc-1", "PAID"),  # history: the model replays it
        _line("2026-11-06T10:00:00Z", "acc-1", "OVERDUE"),  # a later cycle: left out
    ]
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    portfolio = events_portfolio(path, seed=3)
    assert [o.account_id for o in portfolio.openings] == ["acc-1", "acc-2"]
    assert portfolio.start == datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert portfolio.openings[0].detail["status"] == "OVERDUE"


def test_an_events_file_without_an_opening_is_refused(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text(_line("2026-11-05T10:00:00Z", "acc-1", "PAID") + "\n", encoding="utf-8")
    with pytest.raises(PortfolioError, match="no OVERDUE"):
        events_portfolio(path, seed=3)


def _line(at: str, account: str, status: str) -> str:
    detail = {"event_id": f"{account}-{status}-{at}", "account_id": account, "status": status}
    event = {"Source": "wallet.payments", "DetailType": "PaymentStatusChanged", "Detail": detail}
    return json.dumps({"at": at, "event": event})
