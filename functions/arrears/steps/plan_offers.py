"""Plan offers and what a message says about plans, apart from reply processing.

The contact step needs the offer's terms for the plan_offer message and the softer
template for a distressed borrower; reply processing and the plan steps store offers and
audit them. None of this needs the reply classifier, so the contact function's cold start
does not import it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from arrears import constants as c
from arrears.domain.case import BorrowerRecord, CaseRecord, TimelineEntry
from arrears.domain.currency import minor_units
from arrears.domain.plans import Plan, PlanStatus, offer_for_hardship
from arrears.domain.policy import policy_by_version
from arrears.domain.ports import PlanStore, Stores
from arrears.steps.unit_of_work import UnitOfWork

FLAG_DISTRESSED = "distressed"
# Templates a distressed borrower never gets; the softer one goes out instead.
SOFTER_TEMPLATE = "soft_reminder"
_FIRM_TEMPLATES = frozenset({"reminder", "follow_up", "pre_due_reminder"})
ACTOR_REPLY = f"source:{c.SOURCE_MESSAGING}"


def offer_plan(
    repos: Stores, plans: PlanStore, case: CaseRecord, now: datetime, source: str
) -> Plan:
    """Store the policy's standard offer on the case (withdrawing an older offer)."""
    borrower = repos.borrowers.get(case.account_id)
    policy = policy_by_version(case.policy_version)
    current = plans.get(case.case_id)
    offer = offer_for_hardship(
        plan_id=f"{case.case_id}#plan{(current.revision if current else 0) + 1}",
        balance=case.balance,
        currency=case.currency,
        places=minor_units(case.currency),
        policy=policy.plans,
        now=now,
        timezone=borrower.timezone if borrower else None,
        source=source,
    )
    if current is not None:
        offer = _with_revision(offer, current.revision)
    stored = plans.save(case.case_id, offer)
    repos.timeline.append(
        TimelineEntry(
            case_id=case.case_id,
            at=now,
            kind="plan_offered",
            actor=ACTOR_REPLY if source == "reply" else "system:escalation",
            detail=plan_summary(stored),
        )
    )
    return stored


def _with_revision(plan: Plan, revision: int) -> Plan:
    return replace(plan, revision=revision)


def plan_summary(plan: Plan) -> dict[str, Any]:
    """What the audit keeps of a plan: terms, never anything about the borrower."""
    return {
        "plan_id": plan.plan_id,
        "kind": plan.kind.value,
        "status": plan.status.value,
        "total": format(plan.total, "f"),
        "currency": plan.currency,
        "installments": len(plan.installments),
        "amounts": [format(i.amount, "f") for i in plan.installments],
        "due_dates": [i.due_date.isoformat() for i in plan.installments],
        "resume_stage": plan.resume_stage,
    }


def offer_terms(deps: UnitOfWork, case: CaseRecord, now: datetime) -> Any:
    """The PlanTerms the plan_offer message shows: the open offer, made now if none is."""
    from arrears.domain.notices.context import PlanTerms

    store = deps.plans
    if store is None:
        raise RuntimeError("this step needs the plan store (UnitOfWork.plans)")
    plan = store.get(case.case_id)
    if plan is None or plan.status is not PlanStatus.OFFERED:
        plan = offer_plan(deps.repos, store, case, now, source="policy")
    first = plan.installments[0]
    return PlanTerms(
        installments=len(plan.installments),
        installment_amount=first.amount,
        first_due_date=first.due_date,
    )


def message_template(template: str, borrower: BorrowerRecord) -> str:
    """The softer template replaces a firm reminder for a borrower flagged distressed."""
    if FLAG_DISTRESSED in borrower.flags and template in _FIRM_TEMPLATES:
        return SOFTER_TEMPLATE
    return template
