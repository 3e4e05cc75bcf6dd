"""The local runtime's virtual clock over moto's interpreter (fixture ASL, fake handlers)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from arrears.local.runtime import LocalRuntime
from runtime_fixture_topology import START, fixture_topology

OVERDUE = {"account_id": "acc-1", "status": "OVERDUE"}


def _times(calls: list[dict[str, object]], function: str, case_id: str = "acc-1#1") -> list[str]:
    return [str(c["at"]) for c in calls if c["function"] == function and c["case_id"] == case_id]


def test_waits_run_on_virtual_time_and_handlers_see_the_same_now(runtime, calls):
    # given an overdue event: Wait 1 h, Wait SecondsPath 23 h, reminder, Wait TimestampPath
    # (assess time + 3 days), follow-up, callback with a 7-day deadline
    runtime.put_event("wallet.payments", "PaymentStatusChanged", OVERDUE)

    # when two virtual days pass
    runtime.advance(timedelta(days=2))

    # then the reminder went out exactly 24 h after assessment, in the handler's and the
    # interpreter's ($$.State.EnteredTime) view of now alike, and the follow-up not yet
    assert _times(calls, "assess") == ["2026-11-02T01:00:00+00:00"]
    reminders = [c for c in calls if c["function"] == "contact"]
    assert [(c["template"], c["at"]) for c in reminders] == [
        ("reminder", "2026-11-03T01:00:00+00:00")
    ]
    assert reminders[0]["entered"] == "2026-11-03T01:00:00+00:00"
    assert runtime.now == START + timedelta(days=2)

    # and when a further day passes the TimestampPath wait ends at the planned instant
    runtime.advance(timedelta(days=1))
    assert [c["template"] for c in calls if c["function"] == "contact"] == [
        "reminder",
        "follow_up",
    ]
    assert _times(calls, "contact")[-1] == "2026-11-05T01:00:00+00:00"


def test_a_callback_deadline_is_caught_as_states_timeout(runtime, calls):
    # given a case that never pays
    runtime.put_event("wallet.payments", "PaymentStatusChanged", OVERDUE)

    # when the 7-day callback deadline after the follow-up passes
    runtime.advance(timedelta(days=12))

    # then the ASL's Catch on States.Timeout sent the demand letter at the deadline
    assert _times(calls, "letter") == ["2026-11-12T01:00:00+00:00"]
    assert [c["outcome"] for c in calls if c["function"] == "record"] == ["TIMEOUT"]
    (execution,) = runtime.executions()
    assert execution["status"] == "SUCCEEDED"
    assert execution["stopDate"] == datetime(2026, 11, 12, 1, 0, tzinfo=UTC)
    history = runtime.history(execution["executionArn"])
    timed_out = [e for e in history if e["type"] == "TaskTimedOut"]
    assert len(timed_out) == 1
    assert timed_out[0]["timestamp"] == datetime(2026, 11, 12, 1, 0, tzinfo=UTC)
    assert timed_out[0]["taskTimedOutEventDetails"]["error"] == "States.Timeout"


def test_a_payment_event_wakes_the_waiting_execution_at_once(runtime, calls):
    # given a case waiting on its callback (token stored on the case by updateItem)
    runtime.put_event("wallet.payments", "PaymentStatusChanged", OVERDUE)
    runtime.advance(timedelta(days=4))
    case = runtime.client("dynamodb").get_item(
        TableName="arrears-cases", Key={"case_id": {"S": "acc-1#1"}}
    )["Item"]
    assert case["waiting_for"]["S"] == "payment"

    # when the borrower pays on day 5, 06:30
    paid_at = START + timedelta(days=5, hours=5, minutes=30)
    runtime.schedule_event(
        paid_at, "wallet.payments", "PaymentStatusChanged", {**OVERDUE, "status": "PAID"}
    )
    runtime.advance(timedelta(days=30))

    # then the execution resumed at that instant with the wake output, and no letter
    assert [c["outcome"] for c in calls if c["function"] == "record"] == ["PAID"]
    assert _times(calls, "record") == [paid_at.isoformat()]
    assert _times(calls, "letter") == []
    (execution,) = runtime.executions()
    assert execution["stopDate"] == paid_at
    output = json.loads(
        runtime.client("stepfunctions").describe_execution(executionArn=execution["executionArn"])[
            "output"
        ]
    )
    assert output["wake"] == {"wake": "PAID"}


def test_the_clock_jumps_only_to_deadlines_and_scheduled_jobs(runtime, calls):
    # given two cases started a day apart
    runtime.put_event("wallet.payments", "PaymentStatusChanged", OVERDUE)
    runtime.schedule_event(
        START + timedelta(days=1, hours=2),
        "wallet.payments",
        "PaymentStatusChanged",
        {"account_id": "acc-2", "status": "OVERDUE"},
    )
    steps: list[datetime] = []

    # when 20 days pass
    runtime.advance(timedelta(days=20), on_step=steps.append)

    # then the driver stepped only at the instants something was due, in order
    assert steps == sorted(steps)
    assert len(steps) == len(set(steps)) or len(steps) < 20
    assert START + timedelta(days=1, hours=2) in steps  # the scheduled event
    assert START + timedelta(hours=1) in steps  # acc-1's Cool-off wait
    assert len([c for c in calls if c["function"] == "record"]) == 2


def test_heartbeat_keeps_a_callback_alive_and_its_absence_times_it_out(calls):
    with LocalRuntime(start=START, seed=1, topology=fixture_topology()) as rt:
        # given two executions waiting with HeartbeatSeconds 3600 inside a 1-day timeout
        ddb, sfn = rt.client("dynamodb"), rt.client("stepfunctions")
        for case in ("hb-1#1", "hb-2#1"):
            ddb.put_item(TableName="arrears-cases", Item={"case_id": {"S": case}})
            rt.start_execution("HeartbeatFixture", {"case_id": case}, case.replace("#", "-"))

        # when hb-1 gets a heartbeat every 50 minutes and hb-2 none, then hb-1 is answered
        for _ in range(5):
            rt.advance(timedelta(minutes=50))
            token = ddb.get_item(TableName="arrears-cases", Key={"case_id": {"S": "hb-1#1"}})
            sfn.send_task_heartbeat(taskToken=token["Item"]["task_token"]["S"])
        token = ddb.get_item(TableName="arrears-cases", Key={"case_id": {"S": "hb-1#1"}})
        sfn.send_task_success(taskToken=token["Item"]["task_token"]["S"], output="{}")
        rt.advance(timedelta(minutes=1))

        # then hb-1 was answered (kept alive past 1 h) and hb-2 timed out after one hour
        outcomes = {}
        for execution in rt.executions("HeartbeatFixture"):
            described = sfn.describe_execution(executionArn=execution["executionArn"])
            outcomes[execution["name"]] = (
                json.loads(described["output"])["outcome"],
                described["stopDate"],
            )
        assert outcomes["hb-1-1"] == ("answered", START + timedelta(minutes=250))
        assert outcomes["hb-2-1"] == ("timed_out", START + timedelta(hours=1))


def test_scheduled_functions_run_at_their_rate_on_virtual_time_when_enabled(calls):
    # given a function on a 60-minute EventBridge schedule
    from dataclasses import replace

    from runtime_fixture_topology import CONTACT

    ticking = replace(CONTACT, local_name="fixture-ticker", handler="local_fixture_handlers.tick",
                      schedule_minutes=60)  # fmt: skip
    topology = fixture_topology(functions=(*fixture_topology().functions, ticking))
    with LocalRuntime(start=START, seed=1, topology=topology, run_schedules=True) as rt:
        # when a virtual day passes
        rt.advance(timedelta(days=1))
        # then it ran every hour, each time with a Scheduled Event at that instant
        ticks = [c for c in calls if c["function"] == "tick"]
        assert len(ticks) == 24
        assert ticks[0]["at"] == (START + timedelta(hours=1)).isoformat()
        assert ticks[-1]["at"] == (START + timedelta(days=1)).isoformat()
        assert {c["detail_type"] for c in ticks} == {"Scheduled Event"}
    with LocalRuntime(start=START, seed=1, topology=topology) as rt:
        calls.clear()
        rt.advance(timedelta(days=1))
        assert [c for c in calls if c["function"] == "tick"] == []  # off by default
