"""`arrears run` end to end: events file -> local runtime -> report valid against its schema."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import jsonschema
from arrears import cli
from arrears.local import runtime as runtime_module
from arrears.local.events_file import parse_lines
from arrears.local.replay import run_entries
from runtime_fixture_topology import START, fixture_topology

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "report.schema.json").read_text()
)


def _event(at: str, source: str, detail_type: str, detail: dict[str, object]) -> str:
    return json.dumps(
        {"at": at, "event": {"Source": source, "DetailType": detail_type, "Detail": detail}}
    )


FIXTURE_LINES = [
    _event("2026-11-02T01:00:00Z", "wallet.payments", "PaymentStatusChanged",
           {"account_id": "acc-1", "status": "OVERDUE"}),
    _event("2026-11-02T03:00:00Z", "wallet.payments", "PaymentStatusChanged",
           {"account_id": "acc-2", "status": "OVERDUE"}),
    _event("2026-11-06T10:00:00+08:00", "wallet.payments", "PaymentStatusChanged",
           {"account_id": "acc-2", "status": "PAID"}),
    _event("2026-11-07T00:00:00Z", "wallet.unknown", "Mystery", {"account_id": "acc-3"}),
    _event("2026-11-08T00:00:00Z", "wallet.payments", "PaymentStatusChanged",
           {"account_id": "poison", "poison": True}),
]  # fmt: skip


def _run_fixture(seed: int) -> dict[str, object]:
    entries = parse_lines(FIXTURE_LINES)
    return run_entries(
        entries, start=START, end=START + timedelta(days=30), seed=seed,
        topology=fixture_topology(),
    )  # fmt: skip


def test_same_events_and_seed_give_an_identical_report(calls):
    # given the same events file and seed, run twice on fresh runtimes
    first = _run_fixture(seed=11)
    calls.clear()
    second = _run_fixture(seed=11)

    # then the reports are identical, byte for byte
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    # and they say what happened: acc-2 woken by its payment, acc-1 timed out, one
    # unmatched event, the poison message dead-lettered
    jsonschema.validate(first, SCHEMA)
    totals = first["totals"]
    assert totals["events_published"] == 5  # type: ignore[index]
    assert totals["events_unmatched"] == 1  # type: ignore[index]
    assert totals["dlq_messages"] == 1  # type: ignore[index]
    assert totals["executions_by_status"] == {"SUCCEEDED": 2}  # type: ignore[index]
    cases = {c["case_id"]: c for c in first["cases"]}  # type: ignore[attr-defined]
    assert [t["state"] for t in cases["acc-2#1"]["state_transitions"]][-1] == "Record outcome"
    assert "Send demand letter" not in [t["state"] for t in cases["acc-2#1"]["state_transitions"]]
    assert "Send demand letter" in [t["state"] for t in cases["acc-1#1"]["state_transitions"]]
    assert cases["acc-1#1"]["lambda_invocations"]["by_function"] == {
        "fixture-assess": 1, "fixture-contact": 2, "fixture-letter": 1, "fixture-record": 1,
    }  # fmt: skip


def test_a_malformed_events_file_is_refused_before_anything_runs(tmp_path, monkeypatch, capsys):
    # given an events file with two bad lines among good ones
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join([FIXTURE_LINES[0], "{broken", FIXTURE_LINES[1], '{"at": 1}']))

    def no_runtime(*args: object, **kwargs: object) -> None:
        raise AssertionError("the runtime must not start for a malformed file")

    monkeypatch.setattr(runtime_module.LocalRuntime, "__init__", no_runtime)

    # when `arrears run` is given it
    code = cli.main(["run", "--events", str(events), "--report", str(tmp_path / "r.json")])

    # then it exits with an error naming both lines, and no report was written
    err = capsys.readouterr().err
    assert code == 2
    assert "line 2: not valid JSON" in err
    assert "line 4:" in err
    assert not (tmp_path / "r.json").exists()


def test_arrears_run_on_the_real_topology_writes_a_schema_valid_report(tmp_path, capsys):
    # given a real PaymentStatusChanged event, an unknown event and an ops action
    detail = {
        "event_id": "evt-0001", "account_id": "acc-42", "obligation_id": "loan-7/inst-3",
        "status": "OVERDUE", "amount_due": "1250.00", "amount_paid": "0.00",
        "currency": "CNY", "due_date": "2026-11-01", "occurred_at": "2026-11-02T01:00:00Z",
        "sequence": 12,
        "borrower": {"name": "Li Wei", "phone": "+8613800138000", "locale": "zh-CN",
                     "timezone": "Asia/Shanghai", "country": "CN"},
    }  # fmt: skip
    events = tmp_path / "events.jsonl"
    events.write_text(
        "\n".join(
            [
                _event("2026-11-02T01:00:00Z", "wallet.payments", "PaymentStatusChanged", detail),
                _event("2026-11-02T02:00:00Z", "wallet.payments", "NotAType", {"x": 1}),
            ]
        )
    )
    report_path = tmp_path / "report.json"

    # when `arrears run` replays it for 10 days
    code = cli.main(
        ["run", "--events", str(events), "--days", "10", "--report", str(report_path),
         "--quiet"]
    )  # fmt: skip

    # then the report exists, matches the schema, and counts the unmatched event
    assert code == 0
    report = json.loads(report_path.read_text())
    jsonschema.validate(report, SCHEMA)
    assert report["totals"]["events_published"] == 2
    assert report["totals"]["events_unmatched"] == 1
    assert [c["case_id"] for c in report["cases"]] == ["acc-42#1"]
    assert report["generated_at"] == "2026-11-12T01:00:00Z"


def test_arrears_demo_writes_report_events_and_replay(tmp_path, capsys):
    # given a small demo (12 borrowers, one of each behaviour, 10 virtual days)
    out = tmp_path / "demo"

    # when `arrears demo` runs it
    code = cli.main(
        ["demo", "--out", str(out), "--borrowers", "12", "--days", "10", "--seed", "3",
         "--quiet"]
    )  # fmt: skip

    # then it prints the summary and writes a schema-valid report and replayable files
    printed = capsys.readouterr().out
    assert code == 0
    assert "Cases by outcome:" in printed
    report = json.loads((out / "report.json").read_text())
    jsonschema.validate(report, SCHEMA)
    assert report["totals"]["cases"] == 12
    assert report["totals"]["events_unmatched"] == 0
    assert len({c["account_id"][4:6] for c in report["cases"]}) >= 6  # countries
    events = parse_lines((out / "events.jsonl").read_text().splitlines())
    replay = parse_lines((out / "replay.jsonl").read_text().splitlines())
    assert len(replay) >= len(events) > 12
