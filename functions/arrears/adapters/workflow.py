"""Step Functions calls: start a case's escalation, wake a waiting execution."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from arrears.domain.case import execution_name

# SendTaskSuccess errors that mean "no execution is waiting on this token any more":
# the wait timed out, the execution ended, or the token was already used.
NOTHING_WAITING = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})


@dataclass(frozen=True)
class Started:
    execution_arn: str
    name: str
    already_existed: bool  # a repeated start of the same case cycle


def execution_arn(state_machine_arn: str, name: str) -> str:
    """arn:...:stateMachine:<sm> -> arn:...:execution:<sm>:<name>."""
    return f"{state_machine_arn.replace(':stateMachine:', ':execution:', 1)}:{name}"


class EscalationWorkflow:
    def __init__(
        self, state_machine_arn: str, client: Any | None = None, *, park_after_seconds: int = 0
    ) -> None:
        if not state_machine_arn:
            raise ValueError("the escalation state machine ARN is not configured")
        self._arn = state_machine_arn
        if client is None:
            import boto3  # imported when a function first starts or wakes an execution

            client = boto3.client("stepfunctions")
        self._client = client
        # waits longer than this park the case (domain/parking.py); 0: never
        self._park_after = park_after_seconds

    @classmethod
    def configured(cls) -> EscalationWorkflow:
        """The deployment's escalation state machine and park threshold (``settings``)."""
        from arrears.domain.parking import park_after_seconds
        from arrears.settings import settings

        env = settings()
        return cls(
            env.escalation_state_machine_arn,
            park_after_seconds=park_after_seconds(env.park_after_days),
        )

    def start(self, case_id: str, account_id: str, cycle: int) -> Started:
        """Start the escalation for one case cycle, under its derived name.

        Idempotent: AWS treats a repeated StartExecution with the same name and input as
        the same execution; where it answers ExecutionAlreadyExists instead (the
        execution has ended, or a different input) the case cycle has its execution
        already, which is what the caller wanted.
        """
        name = execution_name(case_id, cycle)
        payload: dict[str, Any] = {"case_id": case_id, "account_id": account_id, "cycle": cycle}
        if self._park_after:
            payload["park_after_seconds"] = self._park_after
        try:
            response = self._client.start_execution(
                stateMachineArn=self._arn, name=name, input=json.dumps(payload)
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
                return Started(execution_arn(self._arn, name), name, already_existed=True)
            raise
        return Started(response["executionArn"], name, already_existed=False)

    def resume(self, name: str, execution_input: str) -> bool:
        """Start a parked case's resumed execution; False when it exists already."""
        try:
            self._client.start_execution(
                stateMachineArn=self._arn, name=name, input=execution_input
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExecutionAlreadyExists":
                return False
            raise
        return True

    def wake(self, task_token: str, output: Mapping[str, Any]) -> bool:
        """SendTaskSuccess; False when nothing waits on that token any more."""
        try:
            self._client.send_task_success(taskToken=task_token, output=json.dumps(dict(output)))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in NOTHING_WAITING:
                return False
            raise
        return True
