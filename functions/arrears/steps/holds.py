"""The hold a case's status calls for, with the repayment plan read when it needs one.

Every step that finds a case holding (assess, contact, wake, plans) asks here, so the
plan store is read in one place and no step imports another for it.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from arrears.adapters.plans import DynamoPlans, PlanStore
from arrears.domain import holds
from arrears.domain.case import CaseRecord
from arrears.domain.ladder import NextStep
from arrears.domain.policy import Policy
from arrears.domain.types import CaseStatus


@cache
def plan_store() -> PlanStore:
    """One store per Lambda container (tests replace it)."""
    return DynamoPlans()


def hold_for_status(
    policy: Policy, case: CaseRecord, now: datetime, wake: dict[str, Any] | None = None
) -> NextStep:
    """``domain.holds.hold_for_status`` with the case's plan when it is on one."""
    plan = plan_store().get(case.case_id) if case.status is CaseStatus.ON_PLAN else None
    return holds.hold_for_status(policy, case, now, wake, plan)
