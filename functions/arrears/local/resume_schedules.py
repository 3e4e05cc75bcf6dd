"""EventBridge Scheduler's one-time schedules, fired on the virtual clock.

moto keeps schedules (CreateSchedule, GetSchedule, DeleteSchedule) but never runs them.
The runtime sees every successful CreateSchedule of an ``at(...)`` schedule and, when the
virtual clock reaches that instant, does what Scheduler does: reads the schedule (a deleted
one does nothing), calls its target, and deletes it (``ActionAfterCompletion: DELETE``).
Only the target Arrears uses is supported: the universal target
``arn:aws:scheduler:::aws-sdk:sfn:startExecution``. A throttled StartExecution is retried
with backoff, as Scheduler's retry policy does; ``ExecutionAlreadyExists`` means a waker
started that execution first, which is what the schedule wanted.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

START_EXECUTION_TARGET = "arn:aws:scheduler:::aws-sdk:sfn:startExecution"
MAX_ATTEMPTS = 185  # Scheduler's default retry policy


@dataclass
class ScheduleStats:
    created: int = 0
    fired: int = 0
    already_started: int = 0  # a waker had started that execution first
    deleted_before_firing: int = 0
    throttled: int = 0


def spread(key: str, window: timedelta) -> timedelta:
    """A stable offset in [0, window) for ``key``: where in a flexible time window this
    runtime runs a schedule (Scheduler picks its own instant)."""
    digest = hashlib.sha256(key.encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    return timedelta(seconds=int(fraction * window.total_seconds()))


def parse_at(expression: str) -> datetime:
    """``at(2026-12-01T09:15:00)`` in UTC (the schedules Arrears creates use UTC)."""
    inner = expression.strip().removeprefix("at(").removesuffix(")")
    return datetime.fromisoformat(inner).replace(tzinfo=UTC)


@contextmanager
def observing_create_schedule(on_created: Callable[[dict[str, Any]], None]) -> Iterator[None]:
    """Call ``on_created(params)`` after every successful scheduler CreateSchedule."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def make_api_call(self: Any, operation_name: str, api_params: Any) -> Any:
        result = original(self, operation_name, api_params)
        if operation_name == "CreateSchedule" and self.meta.service_model.service_name == (
            "scheduler"
        ):
            on_created(dict(api_params))
        return result

    BaseClient._make_api_call = make_api_call
    try:
        yield
    finally:
        BaseClient._make_api_call = original


class ScheduleFirer:
    """Fires the schedules the runtime saw created, on the runtime's scheduler."""

    def __init__(
        self,
        client: Callable[[str], Any],
        service: Callable[[], Any],
        schedule: Callable[[datetime, Callable[[], None], str], None],
        now: Callable[[], datetime],
        before_start: Callable[[], None] | None = None,
        seed: int = 0,
    ) -> None:
        self._client = client
        self._service = service  # the emulated Scheduler's own state (moto's backend)
        self._schedule = schedule
        self._now = now
        self._before_start = before_start
        self._rng = random.Random(seed)
        self.stats = ScheduleStats()

    def created(self, params: dict[str, Any]) -> None:
        expression = str(params.get("ScheduleExpression", ""))
        if not expression.startswith("at("):
            return  # rate/cron schedules are not part of the system
        name, group = str(params["Name"]), params.get("GroupName")
        self.stats.created += 1
        at = parse_at(expression)
        window = params.get("FlexibleTimeWindow") or {}
        if window.get("Mode") == "FLEXIBLE":  # Scheduler picks an instant in the window
            minutes = int(window.get("MaximumWindowInMinutes") or 0)
            at += spread(name, timedelta(minutes=minutes))
        at = max(at, self._now())
        self._schedule(at, lambda: self._fire(name, group, 1), f"schedule {name}")

    def _fire(self, name: str, group: str | None, attempt: int) -> None:
        # The service reads and deletes its own schedules (no API call of the account's);
        # only the target's StartExecution is a call, made with the schedule's role.
        from moto.scheduler.exceptions import ScheduleGroupNotFound, ScheduleNotFound

        service = self._service()
        try:
            schedule = service.get_schedule(group, name)
        except (ScheduleNotFound, ScheduleGroupNotFound):
            self.stats.deleted_before_firing += 1
            return
        target = schedule.target
        if target["Arn"] != START_EXECUTION_TARGET:
            raise ValueError(f"schedule {name}: unsupported target {target['Arn']}")
        request = json.loads(target["Input"])
        try:
            if self._before_start is not None:
                self._before_start()
            self._client("stepfunctions").start_execution(
                stateMachineArn=request["StateMachineArn"],
                name=request["Name"],
                input=request["Input"],
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "ThrottlingException" and attempt < MAX_ATTEMPTS:
                self.stats.throttled += 1
                delay = self._rng.uniform(0, min(60.0, 2.0**attempt))
                retry_at = self._now() + timedelta(seconds=max(delay, 0.001))
                self._schedule(retry_at, lambda: self._fire(name, group, attempt + 1), name)
                return
            if code != "ExecutionAlreadyExists":
                raise
            self.stats.already_started += 1
        else:
            self.stats.fired += 1
        if schedule.action_after_completion == "DELETE":
            service.delete_schedule(group, name)
