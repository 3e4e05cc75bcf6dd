"""Ops-action state machine steps: check, apply, record (statemachines/ops-action.asl.json).

A refusal is returned, not raised: ``{"ok": false, "error": "<rule>", "cause": "<why>"}``
goes to the state machine's Fail state, which shows them as the execution's Error and
Cause. An operator's mistake is not a Lambda failure (no error metrics, no retries).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from arrears import constants as c
from arrears.domain.case import TimelineEntry, parse_iso_utc
from arrears.domain.errors import ArrearsError
from arrears.domain.ops import (
    PlaceWithAgency,
    RecordCallOutcome,
    Republish,
    dump_action,
    parse_action,
    plan_action,
)
from arrears.domain.ports import OpsStore
from arrears.domain.record import replaced

logger = Logger(service=c.SERVICE_NAME)
metrics = Metrics(namespace=c.METRICS_NAMESPACE, service=c.SERVICE_NAME)


def _count(metric: str, **dimensions: str) -> None:
    """The one count of this invocation, with its dimensions.

    Cleared first: with metrics disabled (local runtime) Powertools keeps the previous
    invocation's dimensions, which would then be counted again.
    """
    metrics.clear_metrics()
    for key, value in dimensions.items():
        metrics.add_dimension(name=key, value=value)
    metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)


def _refusal(error: ArrearsError, action: str) -> dict[str, Any]:
    _count("OpsActionRefused", action=action, error=type(error).__name__)
    logger.info("ops action refused", extra={"error": type(error).__name__, "action": action})
    return {"ok": False, "error": type(error).__name__, "cause": str(error)}


def _action_name(raw: object) -> str:
    name = raw.get("action") if isinstance(raw, dict) else None
    return name if isinstance(name, str) and name.isidentifier() else "invalid"


def check(event: dict[str, Any], store: OpsStore) -> dict[str, Any]:
    """Read-only: is this a valid action, and does the case allow it now?"""
    request = event.get("request")
    try:
        action = parse_action(request)
        logger.set_correlation_id(action.case_id)
        snapshot = store.snapshot(action.case_id)
        plan_action(action, snapshot.case, datetime.now(UTC), snapshot.facts)
    except ArrearsError as error:
        return _refusal(error, _action_name(request))
    _count("OpsActionChecked", action=action.action)
    return {
        "ok": True,
        "case_id": action.case_id,
        "action": dump_action(action),
        "execution": event.get("execution") or {},
    }


# a wake for a parked case (no execution open, domain/parking.py): park it on the case and
# start the case's resumed execution, which takes it; True when it did
ResumeParked = Callable[[str, dict[str, Any]], bool]


# puts a case's outbound events on the bus again (steps/publish.republish)
Republisher = Callable[[str, list[int] | None], object]
# stores the case file of an agency placement; its S3 key
CaseFileWriter = Callable[[str, str], str]


def apply(
    event: dict[str, Any],
    store: OpsStore,
    resume_parked: ResumeParked | None = None,
    republisher: Republisher | None = None,
    case_files: CaseFileWriter | None = None,
) -> dict[str, Any]:
    """Write the action's changes; decided again on the fresh case (it may have moved)."""
    checked = event["checked"]
    execution = checked.get("execution") or {}
    try:
        action = parse_action(checked["action"])
        logger.set_correlation_id(action.case_id)
        if isinstance(action, PlaceWithAgency) and case_files is not None:
            # the file first: the placement (and its event) name where it is
            key = case_files(action.case_id, action.agency)
            action = replaced(action, case_file=key)
        now = datetime.now(UTC)
        applied = store.apply(
            action.case_id,
            execution.get("id") or "",
            now,
            lambda snap: plan_action(action, snap.case, now, snap.facts),
        )
    except ArrearsError as error:
        return _refusal(error, _action_name(checked.get("action")))
    if isinstance(action, Republish) and not applied.repeated and republisher is not None:
        # once per ops execution (a retried apply finds it applied); consumers dedupe on ids
        republisher(action.case_id, action.sequences)
    if isinstance(action, RecordCallOutcome) and action.outcome.reached_borrower:
        # a conversation about the debt: the gate's quiet period (Reg F) must see it; the
        # same applied_at on a retry rewrites the same ledger entry
        store.record_conversation(action.case_id, parse_iso_utc(applied.applied_at))
    resumed = False
    if applied.wake is not None and applied.task_token is None and resume_parked is not None:
        resumed = resume_parked(action.case_id, dict(applied.wake))
    _count("OpsActionApplied", action=action.action)
    logger.info(
        "ops action applied",
        extra={
            "action": action.action,
            "wakes": applied.wake is not None,
            "repeated": applied.repeated,
        },
    )
    return {
        "ok": True,
        "case_id": action.case_id,
        "action": dump_action(action),
        "execution": execution,
        "applied_at": applied.applied_at,
        "task_token": applied.task_token,
        "wake": applied.wake,
        "resumed": resumed,
        "timeline": {"kind": applied.timeline_kind, "detail": applied.timeline_detail},
    }


def record(event: dict[str, Any], store: OpsStore) -> dict[str, Any]:
    """The audit line: who did what, through which execution, and whether the case woke."""
    applied = event["applied"]
    execution = applied.get("execution") or {}
    case_id = applied["case_id"]
    logger.set_correlation_id(case_id)
    if applied.get("resumed"):
        woken = "resumed"  # the case was parked: its resumed execution takes the wake
    elif applied.get("wake") is None:
        woken = "not_waiting"  # nothing to wake: the case execution was between waits
    elif "resume_error" in applied:
        woken = "failed"
    else:
        woken = "woken"
    detail = dict(applied["timeline"]["detail"])
    detail |= {
        "execution": execution.get("id") or "",
        # the state machine's role, not the person: see docs/ops.md (CloudTrail) for that
        "execution_role": execution.get("role_arn") or "",
        "case_execution": woken,
    }
    if woken == "failed":
        detail["wake_error"] = str(applied["resume_error"].get("Error", ""))
    operator = detail.get("operator", "unknown")
    entry = store.record(
        TimelineEntry(
            case_id=case_id,
            at=parse_iso_utc(applied["applied_at"]),
            kind=applied["timeline"]["kind"],
            actor=f"ops:{operator}",
            detail={key: value for key, value in detail.items() if value},
        ),
        execution.get("id") or "",
    )
    _count("OpsActionRecorded", action=applied["action"]["action"], case_execution=woken)
    return {
        "case_id": case_id,
        "action": applied["action"]["action"],
        "operator": operator,
        "case_execution": woken,
        "timeline_kind": entry.kind,
        "recorded_at": applied["applied_at"],
    }


STEPS = {"check": check, "apply": apply, "record": record}
