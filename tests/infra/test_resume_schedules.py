"""Parked cases (docs/scale.md): the schedule group, the role Scheduler starts resumed
executions with, who may write schedules, and the ingest event source's concurrency cap."""

from __future__ import annotations

from arrears import constants as c
from arrears import topology

from tests.infra.test_stack import allows, function_for, policy_statements_of_role


def test_one_schedule_group_holds_the_resume_schedules(synthesized):
    groups = synthesized.of_type("AWS::Scheduler::ScheduleGroup")
    assert len(groups) == 1
    (group,) = groups.values()
    assert group["Properties"]["Name"] == synthesized.stack.workflow.resume_group_name


def test_scheduler_may_only_start_the_escalation_state_machine(synthesized):
    workflow = synthesized.stack.workflow
    role = workflow.resume_scheduler_role
    trust = synthesized.resource(role)["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "scheduler.amazonaws.com"}]
    statements = policy_statements_of_role(synthesized, role)
    escalation = synthesized.resolve(workflow.state_machine_arns[topology.ESCALATION.construct_id])
    assert allows(statements, "states:StartExecution", escalation)
    started = [s for s in statements if "states:StartExecution" in str(s["Action"])]
    assert all(s["Resource"] == escalation for s in started)


def test_only_the_park_and_resume_steps_write_schedules(synthesized):
    workflow = synthesized.stack.workflow
    schedules = synthesized.resolve(workflow.resume_schedules_arn)
    role_arn = synthesized.resolve(workflow.resume_scheduler_role.role_arn)
    writers = {spec.construct_id for spec in topology.RESUME_SCHEDULE_WRITERS}
    for spec in topology.FUNCTIONS:
        function = function_for(synthesized, spec)
        statements = policy_statements_of_role(synthesized, function.role)
        may_write = allows(statements, "scheduler:CreateSchedule", schedules)
        may_pass = allows(statements, "iam:PassRole", role_arn)
        expected = spec.construct_id in writers
        assert (may_write, may_pass) == (expected, expected), spec.construct_id
        environment = synthesized.resource(function)["Properties"]["Environment"]["Variables"]
        assert c.ENV_RESUME_SCHEDULE_GROUP in environment
        assert c.ENV_RESUME_SCHEDULER_ROLE_ARN in environment


def test_ingest_drains_the_queue_at_its_maximum_concurrency(synthesized):
    # the SQS mapping (the outbox stream's has a StartingPosition)
    (mapping,) = [
        m
        for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if "StartingPosition" not in m["Properties"]
    ]
    scaling = mapping["Properties"]["ScalingConfig"]
    assert scaling == {"MaximumConcurrency": topology.INGEST_QUEUE.max_concurrency}
    assert topology.INGEST_QUEUE.max_concurrency is not None
    # 25 batches of 10 at about a second each: under StartExecution's refill of 300/s
    assert topology.INGEST_QUEUE.max_concurrency * topology.INGEST_QUEUE.batch_size < 300
