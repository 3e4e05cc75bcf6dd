"""Every Task state of both state machines retries transient AWS faults, and no fault that
outlasts its retries ends a case's execution FAILED: it parks the case for ops."""

from __future__ import annotations

import json
from typing import Any

import pytest
from arrears import topology

LAMBDA_TRANSIENT = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.Unknown",
}
STEP_TRANSIENT = {"ProviderThrottled", "AwsThrottled", "Sandbox.Timedout"}
DYNAMODB_TRANSIENT = {
    "DynamoDb.ProvisionedThroughputExceededException",
    "DynamoDb.ThrottlingException",
    "DynamoDb.InternalServerErrorException",
    "DynamoDb.RequestLimitExceeded",
}
PARK = "Needs attention: wait for ops"


def _states(spec: topology.StateMachineSpec) -> dict[str, dict[str, Any]]:
    definition = json.loads(spec.definition_path.read_text(encoding="utf-8"))
    states: dict[str, dict[str, Any]] = definition["States"]
    return states


def _retried(state: dict[str, Any]) -> set[str]:
    return {name for retrier in state.get("Retry", []) for name in retrier["ErrorEquals"]}


def _tasks(spec: topology.StateMachineSpec) -> list[tuple[str, dict[str, Any]]]:
    return [(name, s) for name, s in _states(spec).items() if s["Type"] == "Task"]


ESCALATION = topology.ESCALATION
OPS_ACTION = topology.OPS_ACTION


@pytest.mark.parametrize("name,state", _tasks(ESCALATION), ids=lambda v: str(v)[:40])
def test_every_escalation_task_retries_its_transient_faults(name: str, state: dict) -> None:
    resource = state["Resource"]
    retried = _retried(state)
    if resource.endswith(":lambda:invoke"):
        missing = (LAMBDA_TRANSIENT | STEP_TRANSIENT) - retried
    elif ":dynamodb:" in resource:
        missing = DYNAMODB_TRANSIENT - retried
    else:  # an alert: any failure is retried, then the case goes on without it
        missing = set() if "States.ALL" in retried else {"States.ALL"}
    assert not missing, f"{name} does not retry {sorted(missing)}"
    backoffs = [r for r in state["Retry"] if r.get("BackoffRate", 1) >= 2]
    assert backoffs, f"{name} retries without backoff"


@pytest.mark.parametrize("name,state", _tasks(ESCALATION), ids=lambda v: str(v)[:40])
def test_no_escalation_task_can_end_the_execution_failed_without_parking(
    name: str, state: dict
) -> None:
    catches = state.get("Catch", [])
    assert catches and catches[-1]["ErrorEquals"] == ["States.ALL"], f"{name}: uncaught faults"
    if name == PARK:  # the last resort: the ExecutionsFailed alarm
        assert _states(ESCALATION)[catches[-1]["Next"]]["Type"] == "Fail"
    elif name != "Alert ops: legal review overdue":
        assert catches[-1]["Next"] == PARK, name
        assert catches[-1]["Assign"] == {"stuck_in": name}, "the park records where it stopped"


def _expected_retry_seconds(retrier: dict[str, Any]) -> float:
    """The mean time a retrier keeps trying: with full jitter each wait is uniform up to
    its backoff, so half of it on average."""
    interval, rate = retrier.get("IntervalSeconds", 1), retrier.get("BackoffRate", 2.0)
    cap = retrier.get("MaxDelaySeconds", float("inf"))
    waits = [min(cap, interval * rate**n) for n in range(retrier.get("MaxAttempts", 3))]
    return sum(waits) / (2 if retrier.get("JitterStrategy") == "FULL" else 1)


LAMBDA_STEPS = [t for t in _tasks(ESCALATION) if t[1]["Resource"].endswith(":lambda:invoke")]


@pytest.mark.parametrize("name,state", LAMBDA_STEPS, ids=lambda v: str(v)[:40])
def test_a_throttled_lambda_step_outlasts_a_month_start_cohort(name: str, state: dict) -> None:
    # a cohort of millions due at 10:00 gets through AWS's 1,000 concurrent invocations at
    # about 5,000 a second: ten minutes for three million, so a step keeps trying for twenty
    throttle = next(
        r for r in state["Retry"] if "Lambda.TooManyRequestsException" in r["ErrorEquals"]
    )
    assert throttle["JitterStrategy"] == "FULL", "a cohort must not retry in lockstep"
    assert _expected_retry_seconds(throttle) >= 20 * 60, name


def test_the_park_puts_the_case_in_the_stuck_queue_with_state_error_and_cause() -> None:
    park = _states(ESCALATION)[PARK]
    values = park["Parameters"]["ExpressionAttributeValues"]
    assert values[":stuck"] == {"S": "STUCK"}
    assert set(values[":attention"]["M"]) >= {"state", "error", "cause"}
    assert park["Resource"].endswith("waitForTaskToken")  # it waits for ops to resume it


@pytest.mark.parametrize("name,state", _tasks(OPS_ACTION), ids=lambda v: str(v)[:40])
def test_every_ops_action_task_retries_its_transient_faults(name: str, state: dict) -> None:
    retried = _retried(state)
    if state["Resource"].endswith(":lambda:invoke"):
        missing = (LAMBDA_TRANSIENT | {"AwsThrottled"}) - retried
    else:  # an SDK or optimised integration: any task failure is retried
        missing = set() if "States.TaskFailed" in retried else {"States.TaskFailed"}
    assert not missing, f"{name} does not retry {sorted(missing)}"
