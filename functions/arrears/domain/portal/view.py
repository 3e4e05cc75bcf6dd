"""What the case page shows, worked out from the case (pure: no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from arrears.domain import plans as p
from arrears.domain.balance import Breakdown
from arrears.domain.case import CaseRecord
from arrears.domain.portal.actions import plan_choices
from arrears.domain.portal.pages import Translator
from arrears.domain.portal.settings import PortalPolicy
from arrears.domain.types import CaseStatus


@dataclass(frozen=True)
class PlanPreview:
    count: int
    rows: tuple[tuple[int, str, str], ...]


def plan_previews(
    case: CaseRecord,
    portal: PortalPolicy,
    plans: p.PlanPolicy,
    places: int,
    now: datetime,
    timezone: str | None,
    t: Translator,
) -> tuple[PlanPreview, ...]:
    """Each plan the borrower may pick, with the schedule it would have if accepted now."""
    fits = p.installment_count(case.balance, plans)
    previews = []
    for count in plan_choices(portal, fits):
        plan = p.offer_installments(
            plan_id="preview",
            balance=case.balance,
            currency=case.currency,
            places=places,
            count=count,
            policy=plans,
            now=now,
            timezone=timezone,
            source="portal",
        )
        plan = p.accept(
            plan, balance=case.balance, places=places, policy=plans, now=now, resume_stage=""
        )
        rows = tuple(
            (i.number, t.day(i.due_date), t.money(i.amount, case.currency))
            for i in plan.installments
        )
        previews.append(PlanPreview(count, rows))
    return tuple(previews)


def promise_window(today: date, portal: PortalPolicy) -> tuple[date, date]:
    return today, today + timedelta(days=portal.promise_max_days)


def status_lines(case: CaseRecord, t: Translator, extra: dict[str, Any]) -> list[str]:
    lines = []
    pending = case.status is CaseStatus.PAYMENT_PENDING or (
        case.last_payment_status == "PAYMENT_PENDING"
    )
    if pending:
        lines.append(t("status_payment_pending"))
    if case.status is CaseStatus.PROMISED and extra.get("promise_date"):
        lines.append(
            t(
                "status_promised",
                amount=t.money(Decimal(extra["promise_amount"]), case.currency),
                date=t.day(date.fromisoformat(extra["promise_date"])),
            )
        )
    if case.status is CaseStatus.ON_PLAN:
        lines.append(t("status_on_plan"))
    if case.status is CaseStatus.DISPUTED:
        lines.append(t("status_disputed"))
    return lines


def breakdown_rows(
    breakdown: Breakdown, paid: Decimal, currency: str, t: Translator
) -> list[tuple[str, str]]:
    return [
        (t("principal"), t.money(breakdown.principal, currency)),
        (t("interest"), t.money(breakdown.interest, currency)),
        (t("fees"), t.money(breakdown.late_fees, currency)),
        (t("payments"), t.money(paid, currency)),
    ]


def can_act(case: CaseRecord) -> bool:
    """Promise, plan, dispute, hardship, "already paid": not while a hold of that kind runs."""
    return case.status in (CaseStatus.OPEN, CaseStatus.PROMISED)
