"""`arrears run --workers 2`: the accounts split over two processes give the report one
process gives, case for case (random ids in timeline details aside)."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from arrears import cli
from arrears.local.events_file import to_line
from arrears.local.portfolio import build_portfolio
from arrears.local.sharded_run import account_of
from arrears.local.simulation.shards import partition
from test_runtime_run import SCHEMA

RANDOM_IDS = {"message_id", "version_id", "generated_at"}
# invocations not of one case: the daily delinquency sweep runs once a day in each process,
# and the outbox stream batches the events of whatever cases wrote them together, so how
# many there are depends on how the accounts are split (each case's events do not)
SHARED_FUNCTIONS = ("arrears-delinquency", "arrears-publisher")


def _per_case_invocations(report: dict[str, Any]) -> dict[str, Any]:
    invocations = dict(report["totals"]["lambda_invocations"])
    by_function = dict(invocations["by_function"])
    for name in SHARED_FUNCTIONS:
        invocations["total"] -= by_function.pop(name, 0)
    invocations["by_function"] = by_function
    totals = dict(report["totals"], lambda_invocations=invocations)
    return dict(report, totals=totals)


def _without_random_ids(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_random_ids(v) for k, v in value.items() if k not in RANDOM_IDS}
    if isinstance(value, list):
        return [_without_random_ids(v) for v in value]
    return value


def test_two_workers_give_the_report_one_gives(tmp_path, capsys):
    # given a mixed portfolio whose accounts fall in both shards, with a line for no account
    portfolio = build_portfolio(seed=4, borrowers=12)
    events = tmp_path / "events.jsonl"
    lines = [to_line(e) for e in portfolio.entries]
    stray = {"Source": "wallet.unknown", "DetailType": "Mystery", "Detail": {"x": 1}}
    lines.append(json.dumps({"at": "2026-11-03T00:00:00Z", "event": stray}))
    events.write_text("\n".join(lines) + "\n")
    shards = partition(portfolio.entries, account_of, 2)
    assert all(shards)

    # when it runs on one process and on two
    reports = {}
    for workers in (1, 2):
        out = tmp_path / f"report-{workers}.json"
        code = cli.main(
            ["run", "--events", str(events), "--days", "40", "--report", str(out),
             "--quiet", "--workers", str(workers)]
        )  # fmt: skip
        assert code == 0
        reports[workers] = json.loads(out.read_text())

    # then both reports say the same about every case and in their totals
    jsonschema.validate(reports[2], SCHEMA)
    assert reports[2]["totals"]["cases"] == 12
    assert reports[2]["totals"]["events_unmatched"] == 1
    one, two = (_per_case_invocations(reports[n]) for n in (1, 2))
    assert _without_random_ids(two) == _without_random_ids(one)
