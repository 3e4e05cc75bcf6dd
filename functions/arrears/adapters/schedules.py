"""EventBridge Scheduler: the one-time schedules that resume parked cases.

Each schedule calls Step Functions StartExecution through Scheduler's universal target
(``aws-sdk:sfn:startExecution``), so it names the execution: the name and input the case
stores (``domain/parking.py``), which makes a resume by the schedule and one by a waker the
same execution. A schedule deletes itself once it has run.
"""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import ClientError

START_EXECUTION_TARGET = "arn:aws:scheduler:::aws-sdk:sfn:startExecution"
# Scheduler retries a throttled or failed StartExecution for up to a day (the default is
# 185 attempts over 24 hours); the resume lead absorbs the first minutes of it
RETRY_POLICY = {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}


def at_expression(when: datetime) -> str:
    """``at(yyyy-mm-ddThh:mm:ss)`` in UTC, rounded up to the next whole second."""
    utc = (when.astimezone(UTC) + timedelta(microseconds=999_999)).replace(microsecond=0)
    return f"at({utc:%Y-%m-%dT%H:%M:%S})"


class ResumeSchedules:
    def __init__(
        self, group: str, role_arn: str, state_machine_arn: str, client: Any | None = None
    ) -> None:
        if not (group and role_arn and state_machine_arn):
            raise ValueError("the resume schedule group, role and state machine are not set")
        self._group = group
        self._role_arn = role_arn
        self._state_machine_arn = state_machine_arn
        self._client = client or boto3.client("scheduler")

    def create(self, name: str, at: datetime, execution: str, execution_input: str) -> None:
        request = {
            "StateMachineArn": self._state_machine_arn,
            "Name": execution,
            "Input": execution_input,
        }
        try:
            self._client.create_schedule(
                Name=name,
                GroupName=self._group,
                ScheduleExpression=at_expression(at),
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},  # the stage is due now, not later
                ActionAfterCompletion="DELETE",
                Target={
                    "Arn": START_EXECUTION_TARGET,
                    "RoleArn": self._role_arn,
                    "Input": json.dumps(request, sort_keys=True),
                    "RetryPolicy": RETRY_POLICY,
                },
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConflictException":
                raise  # an existing schedule of that name is this one (a retried park)

    def delete(self, name: str) -> None:
        try:
            self._client.delete_schedule(Name=name, GroupName=self._group)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                raise


@functools.cache
def configured() -> ResumeSchedules:
    """The deployment's schedule group, role and state machine (``settings``), once per
    Lambda container."""
    from arrears.settings import settings

    env = settings()
    return ResumeSchedules(
        env.resume_schedule_group,
        env.resume_scheduler_role_arn,
        env.escalation_state_machine_arn,
    )
