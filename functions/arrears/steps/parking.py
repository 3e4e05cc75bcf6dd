"""Escalation steps "Park until the next stage is due" and the resume that follows it.

Parking (``park``): the stage's wait is longer than the deployment's threshold, so instead
of waiting the execution stores where the case resumes (``domain/parking.py``) on the case,
creates the one-time schedule that resumes it, and ends. The case write is conditional on
no wake being parked on it and the case being open; when either fails the execution goes
to "Handle wake-up" instead (``WakePending``), exactly as a refused wait does.

Resuming (``resume``): a new execution starts at "Assess risk and plan" with the stored
plan in its input. Woken early (a payment or reply parked a wake, or closed the case) it
handles that wake here, in the same invocation, as "Handle wake-up" would have; on
schedule (the stage is due) it goes straight to the stage's action (``act_<stage>``).
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from arrears import constants as c
from arrears.domain import parking
from arrears.domain.case import parse_iso_utc
from arrears.domain.errors import CaseClosed
from arrears.domain.ladder import NextStep, Route, act_route, wait_seconds
from arrears.domain.ports import ResumeSchedules
from arrears.steps.unit_of_work import UnitOfWork, count
from arrears.steps.wake import handle_wake

logger = Logger(service=c.SERVICE_NAME)

# what "Handle wake-up" receives from a refused wait: take the parked wake, or re-check
RECHECK_WAKE = {"Error": "ParkedCaseResumed", "Cause": "the case was parked"}


class WakePending(Exception):
    """The case cannot park: a wake is parked on it (the ASL catches this by name)."""


def park(
    deps: UnitOfWork,
    schedules: ResumeSchedules,
    case_id: str,
    plan: dict[str, Any],
    execution_input: dict[str, Any],
    execution: str,
) -> dict[str, Any]:
    now = deps.clock()
    case = deps.load_case(case_id)
    if not case.is_open:
        raise CaseClosed(f"{case_id}: {case.status.value}")
    parked = parking.plan_park(
        case_id=case_id,
        account_id=case.account_id,
        cycle=case.cycle,
        previous=parking.Parked.decode(case.parked),
        resumes_so_far=parking.resume_seq_of(execution),
        plan=plan,
        park_after=int(execution_input.get("park_after_seconds") or 0),
        now=now,
    )
    # the schedule first: a case marked parked always has its schedule (a retried step
    # finds the schedule there already, and the same name means the same schedule)
    schedules.create(parked.schedule, parked.resume_at, parked.execution, parked.input)
    if not deps.repos.cases.park_execution(case_id, parked.encode()):
        schedules.delete(parked.schedule)
        raise WakePending(f"{case_id}: a wake is waiting, or the case closed")
    deps.record(
        case_id,
        "execution_parked",
        {
            "waiting_for": plan.get("waiting_for"),
            "wait_until": plan.get("wait_until"),
            "resume_at": parked.resume_at.isoformat(),
            "resume_execution": parked.execution,
        },
        now,
    )
    count("ExecutionsParked", waiting_for=str(plan.get("waiting_for") or ""))
    logger.info("parked", extra={"waiting_for": plan.get("waiting_for"), "seq": parked.seq})
    return {"parked": parked.execution, "resume_at": parked.resume_at.isoformat()}


def resume(
    deps: UnitOfWork, schedules: ResumeSchedules, case_id: str, resumed: dict[str, Any]
) -> dict[str, Any]:
    """The first step of a resumed execution (``resumed`` is the input's ``resume``)."""
    now = deps.clock()
    case = deps.load_case(case_id)
    plan = dict(resumed.get("plan") or {})
    stored = parking.Parked.decode(case.parked)
    woken = case.pending_wake is not None or not case.is_open
    if stored is not None and stored.seq == int(resumed.get("seq") or 0):
        deps.repos.cases.clear_parked(case_id, stored.encode())
        if woken:  # early: the schedule must not run later (on time it deletes itself)
            schedules.delete(stored.schedule)
    count("ExecutionsResumed", woken="yes" if woken else "no")
    if woken:
        # as if the parked wait had been refused: take the parked wake, or see the status
        return handle_wake(deps, case_id, dict(RECHECK_WAKE), plan)
    due = parse_iso_utc(str(plan["wait_until"]))
    route = Route(str(plan["route"]))
    if now >= due:  # the usual case: the stage is due, its wait is spent: act
        route = act_route(route)
    nxt = NextStep(
        route,
        due,
        wait_seconds(due, now),
        str(plan.get("waiting_for") or ""),
        outcome="resumed",
        reason="parked",
    )
    return nxt.as_output()
