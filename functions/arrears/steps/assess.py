"""Escalation step "Assess risk and plan": score, choose the treatment segment, plan stage one.

The score, model version, reason codes, segment, policy version and champion/challenger arm
go on the case and into the audit timeline, so anyone can see why a borrower got the
treatment they got. The same scoring runs again after a partial payment or a broken
promise (``rescore``, called by the record step).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger

from arrears import constants as c
from arrears.domain.case import CaseRecord
from arrears.domain.errors import CaseClosed
from arrears.domain.guards import hold_reason
from arrears.domain.ladder import NextStep, Route, plan_next
from arrears.domain.policy import policy_by_version, policy_for_account
from arrears.domain.types import CaseStatus
from arrears.settings import settings
from arrears.steps.holds import hold_for_status
from arrears.steps.rescoring import rescore
from arrears.steps.unit_of_work import (
    UnitOfWork,
    case_view,
)

logger = Logger(service=c.SERVICE_NAME)


def assess(deps: UnitOfWork, case_id: str) -> dict[str, Any]:
    now = deps.clock()
    deps, case = deps.load_case_and_borrower(case_id)
    if case.status.is_terminal:
        if case.status in (CaseStatus.PAID, CaseStatus.RESOLVED):
            return NextStep(Route.THANK, outcome="closed", reason=case.status.value).as_output()
        raise CaseClosed(f"{case_id}: {case.status.value}")
    with deps.writing(case) as step:  # the segment and its audit line: one write
        return _assess(step, case, now)


def _assess(deps: UnitOfWork, case: CaseRecord, now: datetime) -> dict[str, Any]:
    borrower = deps.load_borrower(case)
    policy_file = settings().policy_file
    if case.policy_version:  # a redriven execution keeps the policy it started with
        policy, arm = policy_by_version(case.policy_version, policy_file), case.arm or "champion"
    else:
        policy, arm = policy_for_account(case.account_id, policy_file)
    segment = rescore(deps, case, borrower, policy, now, arm=arm, trigger="case_opened")
    if hold_reason(case.status):
        nxt = hold_for_status(policy, case, now, plans=deps.plans)
    else:
        nxt = plan_next(policy, case_view(case, borrower, segment=segment), now)
    logger.info("assessed", extra={"segment": segment, "route": nxt.route})
    return nxt.with_outcome("assessed", segment).as_output()
