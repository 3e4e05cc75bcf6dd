"""A redriven (or retried) contact step never contacts the borrower twice (docs/ops.md).

Step Functions' RedriveExecution re-runs the failed state with the input it had. moto has
no RedriveExecution, so this does what a redrive does to the contact step: it invokes the
contact function again with the very payload the "Send reminder" state gave it (read from
the execution history), after that step already sent. The done_actions guard must turn
the second run into a skip: nothing sent, nothing claimed in the contact ledger.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from arrears import topology as t
from arrears.adapters.cases import Repositories
from arrears.domain.case import execution_name
from arrears.local.runtime import LocalRuntime
from escalation_support import payment_event

START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
ACCOUNT = "acc-redrive"
CASE_ID = f"{ACCOUNT}#1"


@pytest.fixture(scope="module")
def rt() -> Iterator[LocalRuntime]:
    with LocalRuntime(start=START, seed=5) as runtime:
        detail = payment_event(
            ACCOUNT,
            "OVERDUE",
            sequence=1,
            event_id="evt-redrive-1",
            occurred_at=datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
            due=date(2026, 11, 1),
        )
        runtime.put_event("wallet.payments", "PaymentStatusChanged", detail)
        runtime.advance(timedelta(days=2))  # the day-1 reminder (SMS and email) has gone out
        yield runtime


def sent(case_id: str) -> list[Any]:
    return [e for e in Repositories.dynamo().timeline.list(case_id) if e.kind == "contact_sent"]


def ledger_entries(rt: LocalRuntime) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = rt.client("dynamodb").query(
        TableName=t.CONTACT_LEDGER.local_name,
        KeyConditionExpression="account_id = :a",
        ExpressionAttributeValues={":a": {"S": ACCOUNT}},
        ConsistentRead=True,
    )["Items"]
    return items


def contact_payloads(rt: LocalRuntime) -> list[dict[str, Any]]:
    """The payloads the escalation gave the contact function, from its history."""
    name = execution_name(CASE_ID, 1)
    (run,) = [e for e in rt.executions(t.ESCALATION.construct_id) if e["name"] == name]
    payloads = []
    for event in rt.history(run["executionArn"]):
        if event["type"] != "TaskScheduled":
            continue
        parameters = json.loads(event["taskScheduledEventDetails"]["parameters"])
        if parameters.get("FunctionName", "").endswith(f":{t.CONTACT_FUNCTION.local_name}"):
            payloads.append(parameters["Payload"])
    return payloads


def test_a_redriven_contact_step_sends_nothing_again(rt: LocalRuntime) -> None:
    # given the reminder step has run and sent once per channel
    before_sent = sent(CASE_ID)
    before_ledger = ledger_entries(rt)
    assert sorted(e.detail["channel"] for e in before_sent) == ["email", "sms"]
    payload = contact_payloads(rt)[0]
    # when the same step runs again with the same input (what a redrive or retry does)
    result = rt.invoke(t.CONTACT_FUNCTION.local_name, payload)
    # then nothing is sent and nothing new is in the contact ledger; the step reports what
    # its first run decided (sent), so it routes as that run did
    assert result["outcome"] == "sent"
    assert "already_done" in result["reason"]  # the done_actions guard, not another rule
    assert sent(CASE_ID) == before_sent
    assert ledger_entries(rt) == before_ledger
