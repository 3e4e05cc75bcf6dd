"""Ops actions on the local runtime: the hook ``LocalRuntime`` calls for ``ops_action``.

An ops action runs locally exactly as in AWS: one execution of the ops-action state
machine (statemachines/ops-action.asl.json) with the console input as its input. The
runtime calls ``apply(runtime, action)`` for ``rt.schedule_ops_action(...)`` and for
``{"at": ..., "ops_action": {...}}`` lines of an events file; tests and the CLI call
``run_ops_action`` to get the execution's outcome back.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from arrears import topology
from arrears.local import aws_sdk_parameters

if TYPE_CHECKING:
    from arrears.local.runtime import LocalRuntime

_UNSAFE = re.compile(r"[^0-9A-Za-z_-]")
_counters: weakref.WeakKeyDictionary[Any, Iterator[int]] = weakref.WeakKeyDictionary()
_outcomes: weakref.WeakKeyDictionary[Any, list[OpsOutcome]] = weakref.WeakKeyDictionary()
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpsOutcome:
    """How one ops execution ended: SUCCEEDED with its output, or FAILED with error/cause."""

    at: str  # virtual time it ran (ISO)
    action: dict[str, Any]
    execution_arn: str
    status: str
    output: dict[str, Any] | None = None
    error: str | None = None
    cause: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"


def ops_execution_name(action: Mapping[str, Any], sequence: int) -> str:
    """`<case id>-<action>-<n>`: findable by case id in the console, unique per run."""
    case = _UNSAFE.sub("-", str(action.get("case_id") or "no-case"))
    verb = _UNSAFE.sub("-", str(action.get("action") or "no-action"))
    suffix = f"-{sequence:04d}"
    return f"ops-{case}-{verb}"[: 80 - len(suffix)] + suffix


def run_ops_action(runtime: LocalRuntime, action: Mapping[str, Any]) -> OpsOutcome:
    """Start one ops-action execution now, let it (and what it wakes) run, report its end."""
    aws_sdk_parameters.install()
    counter = _counters.setdefault(runtime, itertools.count(1))
    name = ops_execution_name(action, next(counter))
    arn = runtime.start_execution(topology.OPS_ACTION.construct_id, dict(action), name)
    described = runtime.client("stepfunctions").describe_execution(executionArn=arn)
    output = described.get("output")
    outcome = OpsOutcome(
        at=runtime.now.isoformat(),
        action=dict(action),
        execution_arn=arn,
        status=described["status"],
        output=json.loads(output) if output else None,
        error=described.get("error"),
        cause=described.get("cause"),
    )
    _outcomes.setdefault(runtime, []).append(outcome)
    if not outcome.succeeded:
        log.warning(
            "ops action %s at %s %s: %s: %s",
            action.get("action"),
            outcome.at,
            outcome.status.lower(),
            outcome.error,
            outcome.cause,
        )
    return outcome


def ops_outcomes(runtime: LocalRuntime) -> list[OpsOutcome]:
    """Every ops action this runtime ran, in order (for reports and tests)."""
    return list(_outcomes.get(runtime, []))


def apply(runtime: LocalRuntime, action: dict[str, Any]) -> None:
    """The runtime's ops hook (``OPS_ACTION_HOOK_MODULE``)."""
    run_ops_action(runtime, action)
