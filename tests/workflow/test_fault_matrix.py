"""The same mixed portfolio with and without injected AWS faults ends the same way.

Each fault fires at 30 % on the real ASL and the real handlers (the embedded default's
``--faults``). Compared with the clean run: the same final status and balance per case,
every contact of the clean run made once or recorded as failed with its reason, no contact
twice for one (case, template, channel), no execution FAILED, and every case a fault left
stuck waits in the STUCK queue.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from arrears import topology
from arrears.local.faults import FaultPlan
from arrears.local.portfolio import build_portfolio
from arrears.local.replay import run_entries
from arrears.tools.ops_commands import work_queue

BORROWERS = 20
DAYS = 60
SEED = 11
FAULTS = [
    {"target": "sns:Publish", "error": "throttle"},
    {"target": "sesv2:SendEmail", "error": "throttle"},
    {"target": "lambda:contact", "error": "service_error"},
    {"target": "lambda:record", "error": "service_error"},
    {"target": "lambda:letter", "error": "timeout"},
    {"target": "stepfunctions:SendTaskSuccess", "error": "throttle"},
    {"target": "stepfunctions:StartExecution", "error": "throttle"},
    {"target": "dynamodb:UpdateItem", "error": "throttle"},
    {"target": "s3:PutObject", "error": "throttle"},
]


def _run(faults: FaultPlan | None) -> tuple[dict[str, Any], list[str]]:
    portfolio = build_portfolio(seed=SEED, borrowers=BORROWERS)
    end = portfolio.start + timedelta(days=DAYS)
    stuck: list[str] = []

    def collect(rt: Any) -> None:
        rows = work_queue(rt.client("dynamodb"), topology.CASES.local_name, ["STUCK"])
        stuck.extend(row["case_id"] for row in rows)

    report = run_entries(
        portfolio.entries,
        start=portfolio.start,
        end=end,
        seed=SEED,
        before=lambda rt: portfolio.desk.attach(rt, end),
        after=collect,
        faults=faults,
    )
    return report, stuck


@pytest.fixture(scope="module")
def clean() -> dict[str, Any]:
    report, stuck = _run(None)
    assert not stuck
    return report


def _contacts(case: dict[str, Any]) -> Counter[tuple[str, str]]:
    return Counter((c["template"], c["channel"]) for c in case["contacts"])


def _messages_listed(case: dict[str, Any]) -> Counter[str]:
    return Counter(c["template"] for c in case["contacts"] if c["channel"] in ("sms", "email"))


def _messages_sent(case: dict[str, Any]) -> Counter[str]:
    return Counter(
        str(entry["detail"].get("template"))
        for entry in case["timeline"]
        if entry["kind"] == "contact_sent"
    )


def _replies(case: dict[str, Any]) -> int:
    return sum(entry["kind"] == "reply_received" for entry in case["timeline"])


def _failed(case: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (str(b.get("template")), str(b["channel"]))
        for b in case.get("blocked", [])
        if b.get("decision") == "failed" and b.get("reason")
    }


@pytest.mark.parametrize(
    "fault", FAULTS, ids=lambda f: f"{f['target']}-{f['error']}" if isinstance(f, dict) else ""
)
def test_a_fault_at_30_percent_changes_no_outcome(clean: dict[str, Any], fault: dict) -> None:
    plan = FaultPlan.of({"seed": 5, "faults": [{**fault, "rate": 0.3}]})
    assert plan is not None
    report, stuck = _run(plan)
    assert plan.injected, "the fault never fired: the run proves nothing"

    executions = [e for case in report["cases"] for e in case["executions"]]
    assert [e["name"] for e in executions if e["status"] == "FAILED"] == []

    faulted = {case["case_id"]: case for case in report["cases"]}
    assert set(faulted) == {case["case_id"] for case in clean["cases"]}
    for before in clean["cases"]:
        case_id = before["case_id"]
        after = faulted[case_id]
        if case_id in stuck:  # waits for ops, with its reason on the case
            assert after["status"] not in ("PAID", "CLOSED", "WRITTEN_OFF"), case_id
            continue
        assert (after["status"], after["balance"]) == (before["status"], before["balance"]), case_id
        # the record is the truth: a message listed as sent has its contact_sent line
        assert _messages_listed(after) == _messages_sent(after), f"{case_id}: ledger vs timeline"
        made = _contacts(after)
        assert [key for key, n in made.items() if n > 1] == [], f"{case_id}: sent twice"
        missing = set(_contacts(before)) - set(made) - _failed(after)
        assert missing == set(), f"{case_id}: contacts neither made nor recorded failed"
        # a reply redelivered after a fault is applied once
        assert _replies(after) == _replies(before), f"{case_id}: reply applied twice"
