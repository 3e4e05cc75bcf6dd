"""A case whose next stage is far away parks: no execution stays open while it waits, a
one-time schedule resumes it when the stage is due, and a payment resumes it at once.
Each resume is one execution, whoever starts it (docs/scale.md)."""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from arrears.domain.parking import Parked
from arrears.domain.types import CaseStatus
from arrears.local.runtime import state_machine_arn
from arrears.topology import ESCALATION, RESUME_SCHEDULE_GROUP_LOCAL_NAME
from escalation_support import (  # noqa: F401 - fixtures
    case,
    executions_of,
    open_overdue,
    outbox,
    post_at,
    rt,
    states_entered,
    timeline_kinds,
)


def _schedules(rt) -> list[str]:
    listed = rt.client("scheduler").list_schedules(GroupName=RESUME_SCHEDULE_GROUP_LOCAL_NAME)
    return [s["Name"] for s in listed["Schedules"]]


def _running(rt, case_id: str) -> list[str]:
    return [e["name"] for e in executions_of(rt, case_id) if e["status"] == "RUNNING"]


def test_a_case_parks_between_far_apart_stages_and_resumes_when_the_next_is_due(rt, outbox):
    # given a standard case: reminder on day 1, follow-up on day 7 (six days later)
    case_id = open_overdue(rt, "acc-park-sched")
    rt.advance(timedelta(days=2))
    assert outbox.channels("acc-park-sched") == {"sms": 1, "email": 1}

    # then after the reminder no execution is open: the case stores where it resumes
    parked = Parked.decode(case(case_id).parked)
    assert parked is not None
    assert _running(rt, case_id) == []
    assert case(case_id).task_token is None
    assert parked.schedule in _schedules(rt)
    assert "execution_parked" in timeline_kinds(case_id)
    follow_up_due = parked.resume_at

    # when the follow-up is due
    rt.run_until(follow_up_due + timedelta(minutes=30))

    # then the resumed execution sent the follow-up and parked again until the agent call
    assert outbox.channels("acc-park-sched") == {"sms": 2, "email": 1}
    sent = outbox.to("acc-park-sched")[-1]["at"]
    assert sent == follow_up_due  # when it would have been sent without parking
    names = [e["name"] for e in executions_of(rt, case_id)]
    assert names == [parked.execution.removesuffix("-r1"), parked.execution]
    assert states_entered(rt, case_id)[-5:] == [
        "Assess risk and plan",  # the resumed execution's first step: the stage is due
        "Go to next step",
        "Send follow-up reminder",  # straight to the action, no wait
        "Go to next step",
        "Park until the next stage is due",  # the agent call is 7 days away
    ]
    assert parked.schedule not in _schedules(rt)  # ran, then deleted itself
    again = Parked.decode(case(case_id).parked)
    assert again is not None and again.seq == 2


def test_a_payment_resumes_a_parked_case_at_once_and_nothing_runs_later(rt, outbox):
    # given a case parked after its day-1 reminder
    opened = rt.now
    case_id = open_overdue(rt, "acc-park-paid")
    rt.advance(timedelta(days=2))
    parked = Parked.decode(case(case_id).parked)
    assert parked is not None

    # when the borrower pays on day 3
    post_at(rt, opened + timedelta(days=3), "acc-park-paid", "PAID", amount_paid="1250.00")
    rt.run_until(opened + timedelta(days=3))

    # then, at that same instant, the resumed execution thanked the borrower and closed
    assert case(case_id).status is CaseStatus.PAID
    receipt = outbox.to("acc-park-paid")[-1]
    assert receipt["at"] == opened + timedelta(days=3)
    assert [e["status"] for e in executions_of(rt, case_id)] == ["SUCCEEDED", "SUCCEEDED"]
    assert states_entered(rt, case_id)[-5:] == [
        "Assess risk and plan",
        "Go to next step",
        "Thank borrower for payment",
        "Go to next step",
        "Case closed",
    ]
    # and the schedule that would have resumed it is gone, so nothing runs on day 7
    assert parked.schedule not in _schedules(rt)
    rt.advance(timedelta(days=30))
    assert len(executions_of(rt, case_id)) == 2
    assert outbox.channels("acc-park-paid") == {"sms": 2, "email": 2}
    assert case(case_id).parked is None


def test_a_second_start_of_a_resumed_execution_starts_nothing(rt, outbox):
    # given a parked case
    case_id = open_overdue(rt, "acc-park-twice")
    rt.advance(timedelta(days=2))
    parked = Parked.decode(case(case_id).parked)
    assert parked is not None
    sfn = rt.client("stepfunctions")
    arn = state_machine_arn(ESCALATION)

    # when its resume is started twice, as a waker and the schedule both would
    sfn.start_execution(stateMachineArn=arn, name=parked.execution, input=parked.input)
    rt.scheduler.run_ready()
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists):
        sfn.start_execution(stateMachineArn=arn, name=parked.execution, input=parked.input)

    # then one resumed execution exists (it parked again: the follow-up is still 5 days
    # away), the schedule that runs on day 7 adds none, and the follow-up goes out once
    already = rt.schedules.stats.already_started
    rt.advance(timedelta(days=6))
    names = [e["name"] for e in executions_of(rt, case_id)]
    assert names.count(parked.execution) == 1
    assert len(names) == len(set(names))
    assert rt.schedules.stats.already_started == already + 1
    assert json.loads(parked.input)["resume"]["seq"] == 1
    assert outbox.channels("acc-park-twice") == {"sms": 2, "email": 1}
