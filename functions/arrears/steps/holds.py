"""The hold a case's status calls for, with the repayment plan read when it needs one.

Every step that finds a case holding (assess, contact, wake, plans) asks here, so the
plan is read in one place and no step imports another for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from arrears.domain import holds
from arrears.domain.case import CaseRecord
from arrears.domain.ladder import NextStep
from arrears.domain.policy import Policy
from arrears.domain.ports import PlanStore
from arrears.domain.types import CaseStatus


def hold_for_status(
    policy: Policy,
    case: CaseRecord,
    now: datetime,
    wake: dict[str, Any] | None = None,
    plans: PlanStore | None = None,
) -> NextStep:
    """``domain.holds.hold_for_status`` with the case's plan when it is on one."""
    on_plan = case.status is CaseStatus.ON_PLAN
    plan = plans.get(case.case_id) if on_plan and plans is not None else None
    return holds.hold_for_status(policy, case, now, wake, plan)
