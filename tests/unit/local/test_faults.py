"""The fault plan: seeded, deterministic, validated; instants fire once each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from arrears.local.faults import FaultPlan, aws_error
from pydantic import ValidationError

T0 = datetime(2026, 11, 2, 9, tzinfo=UTC)


def _draws(plan: FaultPlan, calls: int) -> list[bool]:
    return [plan.fires("sns:Publish", T0) is not None for _ in range(calls)]


def test_a_rate_fires_about_that_share_of_calls_and_the_same_seed_repeats_it() -> None:
    rule = {"target": "sns:Publish", "error": "throttle", "rate": 0.3}
    first = _draws(FaultPlan.of({"seed": 3, "faults": [rule]}), 2000)  # type: ignore[arg-type]
    again = _draws(FaultPlan.of({"seed": 3, "faults": [rule]}), 2000)  # type: ignore[arg-type]
    other = _draws(FaultPlan.of({"seed": 4, "faults": [rule]}), 2000)  # type: ignore[arg-type]
    assert first == again
    assert first != other
    assert 0.25 < sum(first) / len(first) < 0.35


def test_an_instant_fails_the_first_matching_call_at_or_after_it_once() -> None:
    at = T0 + timedelta(hours=1)
    plan = FaultPlan.of([{"target": "dynamodb:UpdateItem", "error": "throttle", "at": [at]}])
    assert plan is not None
    assert plan.fires("dynamodb:UpdateItem", T0) is None  # before the instant
    assert plan.fires("dynamodb:Query", at) is None  # another operation
    assert plan.fires("dynamodb:UpdateItem", at + timedelta(seconds=5)) is not None
    assert plan.fires("dynamodb:UpdateItem", at + timedelta(seconds=6)) is None  # once
    assert plan.summary() == {"dynamodb:UpdateItem throttle": 1}


@pytest.mark.parametrize(
    "rule",
    [
        {"target": "sns", "error": "throttle", "rate": 0.1},  # no operation
        {"target": "lambda:contact", "error": "throttle", "rate": 0.1},  # not a Lambda fault
        {"target": "sns:Publish", "error": "timeout", "rate": 0.1},  # not an AWS fault
        {"target": "sns:Publish", "error": "throttle"},  # never fires
        {"target": "sns:Publish", "error": "throttle", "rate": 1.5},
        {"target": "sns:Publish", "error": "throttle", "at": ["2026-11-02T09:00:00"]},  # naive
    ],
)
def test_a_plan_that_cannot_mean_anything_is_refused(rule: dict) -> None:
    with pytest.raises(ValidationError):
        FaultPlan.of([rule])


def test_each_service_throttles_with_its_own_error_code() -> None:
    plan = FaultPlan.of([{"target": "sns:Publish", "error": "throttle", "rate": 1}])
    assert plan is not None
    rule = plan.rules[0]
    assert aws_error("sns", rule)["Error"]["Code"] == "Throttling"
    assert aws_error("dynamodb", rule)["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert aws_error("sesv2", rule)["Error"]["Code"] == "TooManyRequestsException"
