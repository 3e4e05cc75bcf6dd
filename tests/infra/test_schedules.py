"""Functions with ``FunctionSpec.schedule_minutes`` run on an EventBridge schedule."""

from __future__ import annotations

import pytest
from arrears import topology

SCHEDULED = [f for f in topology.FUNCTIONS if f.schedule_minutes is not None]


def rate(minutes: int) -> str:
    """As CDK writes it: in the largest whole unit (1440 minutes is `rate(1 day)`)."""
    for size, unit in ((24 * 60, "day"), (60, "hour"), (1, "minute")):
        if minutes % size == 0:
            count = minutes // size
            return f"rate({count} {unit}{'' if count == 1 else 's'})"
    raise AssertionError(minutes)


def test_the_work_queue_gauge_is_scheduled():
    # the dashboard's "human work waiting" graph depends on it (issue 8)
    assert topology.QUEUE_METRICS_FUNCTION in SCHEDULED


def test_exactly_the_scheduled_functions_have_a_schedule(synthesized):
    scheduled_ids = {f.construct_id for f in SCHEDULED}
    assert set(synthesized.stack.workflow.schedules) == scheduled_ids
    schedule_rules = [
        r
        for r in synthesized.of_type("AWS::Events::Rule").values()
        if "ScheduleExpression" in r["Properties"]
    ]
    assert len(schedule_rules) == len(SCHEDULED)


@pytest.mark.parametrize("spec", SCHEDULED, ids=lambda s: s.construct_id)
def test_schedule_invokes_its_function_at_the_spec_rate(synthesized, spec):
    # given the function and its schedule rule
    workflow = synthesized.stack.workflow
    function = workflow.functions[spec.construct_id]
    function_arn = {"Fn::GetAtt": [synthesized.logical_id(function), "Arn"]}
    rule_resource = synthesized.resource(workflow.schedules[spec.construct_id])
    rule = rule_resource["Properties"]

    # then it fires at the spec's rate on the default bus and targets that function only
    assert rule["ScheduleExpression"] == rate(spec.schedule_minutes)
    assert rule["State"] == "ENABLED"
    assert "EventBusName" not in rule
    (target,) = rule["Targets"]
    assert target["Arn"] == function_arn
    # a late gauge is worthless once the next run is due
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] == 60 * spec.schedule_minutes

    # and EventBridge may invoke the function, from this rule only
    rule_arn = {
        "Fn::GetAtt": [synthesized.logical_id(workflow.schedules[spec.construct_id]), "Arn"]
    }
    permissions = [
        p["Properties"]
        for p in synthesized.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "events.amazonaws.com"
        and p["Properties"]["FunctionName"] == function_arn
    ]
    assert [p["SourceArn"] for p in permissions] == [rule_arn]
    assert permissions[0]["Action"] == "lambda:InvokeFunction"
