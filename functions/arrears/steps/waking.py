"""Waking a case's escalation, for ingest and reply processing (one rule for both).

The execution waits in a callback state whose token it stored on the case. A wake is sent
to that token; when there is none, or it is stale (that wait timed out and a Lambda step is
running, or the execution is between a wake and its next wait), the wake is parked on the
case as ``pending_wake`` with a conditional write, and the execution's next wait refuses to
start while one is parked (``attribute_not_exists(pending_wake)`` in the ASL): its Catch
goes to "Handle wake-up", which takes the parked wake (``steps/wake.py``).

Both sides write conditionally on the same item, so one of them sees the other: either the
park lands first (the wait then fails and takes it), or the new token does (the park's
condition fails, and the wake is sent to that token). Nothing is lost and nothing races.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from arrears.domain import wakes
from arrears.domain.parking import Parked
from arrears.domain.ports import CaseRepository, Workflow

ATTEMPTS = 4  # each failed attempt means the execution stored a new token meanwhile


class Delivered(StrEnum):
    WOKEN = "woken"  # SendTaskSuccess reached the waiting execution
    PARKED = "parked"  # kept on the case for the execution's next wait
    NOT_WAITING = "not_waiting"  # dropped: the case is closed, or the wake changes no route


@dataclass(frozen=True)
class Delivery:
    outcome: Delivered
    waiting_for: str | None = None  # what the woken execution waited for
    kept: str | None = None  # the reason parked on the case (may be an earlier, weightier one)
    stale_token: bool = False  # a token was stored, but nothing waited on it any more
    resumed: bool = False  # the case was parked: its resumed execution was started now

    def detail(self, reason: str) -> dict[str, Any]:
        """The audit line's detail (no PII: reasons and states only)."""
        detail: dict[str, Any] = {"wake": reason}
        if self.outcome is Delivered.WOKEN:
            detail["waiting_for"] = self.waiting_for
        if self.outcome is Delivered.PARKED:
            detail["kept"] = self.kept
        if self.stale_token and self.outcome is not Delivered.WOKEN:
            detail["token"] = "expired"
        if self.resumed:
            detail["resumed"] = True
        return detail

    @property
    def timeline_kind(self) -> str:
        return {
            Delivered.WOKEN: "execution_woken",
            Delivered.PARKED: "wake_parked",
            Delivered.NOT_WAITING: "execution_not_waiting",
        }[self.outcome]


def deliver_wake(
    cases: CaseRepository,
    workflow: Callable[[], Workflow],
    case_id: str,
    output: Mapping[str, Any],
) -> Delivery:
    """Wake the case's execution with ``output`` now, or park it for its next wait; a
    parked case (no execution open, ``domain/parking.py``) is resumed at once, and its
    resumed execution takes the wake (or sees the closed status) at its first step."""
    delivery = _deliver(cases, workflow, case_id, output)
    if delivery.outcome is Delivered.WOKEN:
        return delivery
    case = cases.get(case_id)
    if case is None or case.parked is None:
        return delivery
    if delivery.outcome is Delivered.PARKED or not case.is_open:
        parked = Parked.decode(case.parked)
        if parked is not None:
            workflow().resume(parked.execution, parked.input)
            return replace(delivery, resumed=True)
    return delivery


def _deliver(
    cases: CaseRepository,
    workflow: Callable[[], Workflow],
    case_id: str,
    output: Mapping[str, Any],
) -> Delivery:
    stale = False
    for _ in range(ATTEMPTS):
        case = cases.get(case_id)
        if case is None:
            return Delivery(Delivered.NOT_WAITING)
        token = case.task_token
        if token:
            if workflow().wake(token, output):
                cases.clear_task_token(case_id, token)
                return Delivery(Delivered.WOKEN, waiting_for=case.waiting_for)
            stale = True  # that wait ended (timed out, or woken by another waker)
        if not case.is_open or not wakes.parkable(output):
            # a closed case's execution ends at its next wait anyway (the wait's condition
            # reads the status); an opt-out changes no route (the gate reads it)
            if token:
                cases.clear_task_token(case_id, token)
            return Delivery(Delivered.NOT_WAITING, stale_token=stale)
        stored = wakes.decode(case.pending_wake)
        keep = wakes.to_keep(stored, output)
        if keep is stored and case.pending_wake is not None:
            # a weightier wake is already parked: it stays (this one's status is on the case)
            if token:
                cases.clear_task_token(case_id, token)
            return Delivery(Delivered.PARKED, kept=wakes.reason_of(keep), stale_token=stale)
        if cases.park_wake(
            case_id, wakes.encode(keep), seen_token=token, seen_pending=case.pending_wake
        ):
            return Delivery(Delivered.PARKED, kept=wakes.reason_of(keep), stale_token=stale)
        # the execution stored a new token (or another waker parked): read again
    return Delivery(Delivered.NOT_WAITING, stale_token=stale)
