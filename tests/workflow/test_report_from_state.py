"""The report reads executions and tables from the runtime's own state instead of one API
call per case: what it reads must be what the Step Functions and DynamoDB APIs answer."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from arrears.local.portfolio import build_portfolio
from arrears.local.replay import schedule_entries
from arrears.local.report import _executions, _scan, execution_events
from arrears.local.runtime import LocalRuntime


def _iso(value) -> str:  # type: ignore[no-untyped-def]
    return value.isoformat().replace("+00:00", "Z")


def test_executions_and_items_read_in_place_equal_what_the_apis_answer():
    # given a small mixed portfolio run for a month (payments, replies, open ladders)
    portfolio = build_portfolio(seed=5, borrowers=12)
    with LocalRuntime(start=portfolio.start, seed=3) as rt:
        schedule_entries(rt, portfolio.entries)
        rt.advance(timedelta(days=30))

        # when the report reads executions in place
        in_place = {e["name"]: e for e in _executions(rt)}

        # then each equals DescribeExecution + GetExecutionHistory, state by state
        sfn = rt.client("stepfunctions")
        listed = rt.executions()
        assert len(listed) == len(in_place) >= 12
        assert {e["status"] for e in in_place.values()} >= {"RUNNING", "SUCCEEDED"}
        for item in listed:
            described = sfn.describe_execution(executionArn=item["executionArn"])
            read = in_place[item["name"]]
            assert read["status"] == described["status"]
            assert read["started_at"] == _iso(described["startDate"])
            stop = described.get("stopDate")
            assert read["stopped_at"] == (_iso(stop) if stop else None)
            assert read["error"] == described.get("error")
            entered = [
                (e["stateEnteredEventDetails"]["name"], _iso(e["timestamp"]))
                for e in rt.history(item["executionArn"])
                if e["type"].endswith("StateEntered")
            ]
            assert [(t["state"], t["at"]) for t in read["transitions"]] == entered

        # and the tables read in place hold what a Scan returns
        for table in ("arrears-cases", "arrears-timeline", "arrears-contact-ledger"):
            scanned = rt.client("dynamodb").scan(TableName=table)["Items"]
            assert len(_scan(rt, table)) == len(scanned) > 0


def _report_and_events(history: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    portfolio = build_portfolio(seed=5, borrowers=12)
    with LocalRuntime(start=portfolio.start, seed=3, history=history) as rt:
        schedule_entries(rt, portfolio.entries)
        rt.advance(timedelta(days=20))
        events = [e for _, x in rt.execution_records() for e in execution_events(x)]
        return rt.report(), events


def test_histories_without_state_data_give_the_same_report_in_less_memory():
    # when the same portfolio runs with full histories and with states-only histories
    full, full_events = _report_and_events("full")
    lean, lean_events = _report_and_events("states")

    # then the reports are the same, and the histories name the same states at the same times
    assert json.dumps(lean, sort_keys=True) == json.dumps(full, sort_keys=True)

    # (and with the same event ids and links: the events the lean history drops still
    # take their ids, as in moto's full history)
    def entered(events: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [
            (
                e["type"],
                e["timestamp"],
                e["stateEnteredEventDetails"]["name"],
                e["id"],
                e["previousEventId"],
            )
            for e in events
            if e["type"].endswith("StateEntered")
        ]

    assert entered(lean_events) == entered(full_events)
    assert {e["type"] for e in lean_events} == {
        e["type"] for e in full_events if e["type"].endswith("StateEntered")
    } | {e["type"] for e in full_events if e["type"].startswith("Execution")}

    # and no event keeps the data it carried, which the full history has
    def data(events: list[dict[str, Any]]) -> int:
        return sum(
            1
            for e in events
            for name, details in e.items()
            if name.endswith("EventDetails") and {"input", "output", "parameters"} & set(details)
        )

    assert data(full_events) > 100
    assert data(lean_events) == 0
    assert len(json.dumps(lean_events, default=str)) < len(json.dumps(full_events, default=str)) / 4
