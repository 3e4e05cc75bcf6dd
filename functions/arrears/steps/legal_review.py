"""Escalation steps "Open legal review" and "Refer to litigation": a person decides, and
a debt goes to litigation only with that person's approval."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from arrears.domain import wakes
from arrears.domain.errors import ArrearsError, CaseClosed
from arrears.domain.guards import Verdict as Guard
from arrears.domain.guards import may_start_stage
from arrears.domain.holds import closed_route
from arrears.domain.ladder import REVIEW_ACTION, Route, WaitingFor, action_key, wait_until
from arrears.domain.types import CaseStatus, Stage
from arrears.steps.holds import hold_for_status
from arrears.steps.unit_of_work import UnitOfWork, policy_of


class LitigationNotApproved(ArrearsError):
    """A litigation referral without a human approval: never caught, the execution fails."""


def open_legal_review(deps: UnitOfWork, case_id: str) -> dict[str, Any]:
    """Put the case in front of a human: the wait that follows sets the LEGAL_REVIEW queue."""
    now = deps.clock()
    case = deps.load_case(case_id)
    policy = policy_of(case)
    guard = may_start_stage(case.status)
    if guard.verdict is Guard.CLOSED:
        if case.status in (CaseStatus.PAID, CaseStatus.RESOLVED):
            return closed_route(case).as_output()
        raise CaseClosed(f"{case_id}: {guard.reason}")
    if guard.verdict is Guard.HOLD:
        return (
            hold_for_status(policy, case, now, plans=deps.plans)
            .with_outcome("skipped", guard.reason)
            .as_output()
        )
    deadline = now + timedelta(days=policy.legal_review.decision_deadline_days)
    # the review's done mark, the stage and its audit line in one conditional write
    with deps.writing(case) as step:
        first = step.mark_done(case_id, action_key(Stage.LEGAL_REVIEW, REVIEW_ACTION))
        if first:
            step.set_case(case_id, stage=Stage.LEGAL_REVIEW)
            opened = {"stage": Stage.LEGAL_REVIEW, "outcome": "opened"}
            step.record(case_id, "stage_entered", opened)
            first = step.flush()
    if not first and case.queue_due_at is not None:
        deadline = max(case.queue_due_at, now)  # a redriven step: keep the deadline given
    return (
        wait_until(Route.LEGAL_REVIEW_DECISION, deadline, now, WaitingFor.LEGAL_DECISION)
        .with_outcome("opened", "legal_review")
        .as_output()
    )


# builds and stores the litigation file (adapters/litigation_files.py); where it is
LitigationFileWriter = Callable[[str, Mapping[str, Any]], Mapping[str, str]]


def refer_to_litigation(
    deps: UnitOfWork,
    case_id: str,
    wake: dict[str, Any],
    litigation_file: LitigationFileWriter | None = None,
) -> dict[str, Any]:
    """Only ever after a human approval (the APPROVED wake carries the approver). With a
    ``litigation_file`` writer the file is stored first, and the referral names it."""
    now = deps.clock()
    case = deps.load_case(case_id)
    if wakes.reason_for(wake) != "APPROVED":
        raise LitigationNotApproved(f"{case_id}: litigation without an approval is never referred")
    stored: Mapping[str, str] = {}
    if litigation_file is not None and case.is_open:
        approval = {
            "approver": wake.get("approver"),
            "approved_at": wake.get("decided_at") or wake.get("at"),
            "reason": wake.get("reason"),
            "escalation_execution": case.execution_name,
        }
        stored = litigation_file(case_id, approval)
    with deps.writing(case) as step:
        closed = step.close_case(case, CaseStatus.LITIGATION, "litigation_referred", now)
        step.record(
            case_id,
            "litigation_referred",
            {
                "approver": wake.get("approver"),
                "balance": case.balance,
                "currency": case.currency,
                "file_bucket": stored.get("bucket"),
                "file_key": stored.get("key"),
                "file_sha256": stored.get("sha256"),
            },
            now,
        )
    return {"outcome": closed.status.value.lower(), "reason": "approved"}
