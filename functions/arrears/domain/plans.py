"""Repayment plans: installment schedules and deferrals, pure (no AWS, no clock of its own).

A plan splits the case balance into installments whose Decimal amounts sum EXACTLY to the
balance: every installment gets the balance divided by the count, rounded DOWN to the
currency's minor unit, and the cents left over go on the LAST installment (so the borrower's
regular amount is the smaller one, and the final payment settles the rounding). A deferral
is a plan with one installment: the whole balance, later.

Due dates are the borrower's local calendar dates; each installment is due until the end
of its local due date, kept as an aware UTC instant (``due_at``) so nothing else in the
system needs the borrower's zone.

Payments are matched by what the case balance says was paid since the plan started
(``record_paid``): the paid total is poured into the installments in order, so a payment
larger than the next installment rolls forward, and a repeated or re-ordered payment event
can never count twice. An installment still short ``grace_days`` after its due instant is
missed and the plan is broken (escalation resumes where the case was); all paid completes it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from arrears.domain.balance import PolicyMoney
from arrears.domain.datafile import Ge, Gt, Le, Strict
from arrears.domain.errors import ArrearsError


class PlanError(ArrearsError):
    """A plan cannot be made or changed like that (the message says why)."""


class PlanKind(StrEnum):
    INSTALLMENTS = "installments"
    DEFERRAL = "deferral"


class PlanStatus(StrEnum):
    OFFERED = "offered"  # waiting for the borrower's (or an agent's) yes
    ACTIVE = "active"  # accepted: escalation is paused while installments are paid
    COMPLETED = "completed"  # every installment paid
    BROKEN = "broken"  # an installment was missed past its grace: escalation resumed
    WITHDRAWN = "withdrawn"  # an offer never accepted, or replaced by a newer one


class InstallmentStatus(StrEnum):
    DUE = "due"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    MISSED = "missed"


@dataclass(frozen=True, kw_only=True)
class PlanPolicy(Strict):
    """The `plans:` section of the escalation policy (policies/default.yaml)."""

    max_installments: Annotated[int, Ge(1), Le(36)] = 6
    # no installment smaller than this (in the case currency): fewer installments instead
    min_installment: Annotated[PolicyMoney, Gt(0)] = Decimal("50.00")
    interval_days: Annotated[int, Ge(7), Le(92)] = 30
    first_due_days: Annotated[int, Ge(1), Le(60)] = 7  # from acceptance to the first due date
    grace_days: Annotated[int, Ge(0), Le(30)] = 3  # after a due date before it counts as missed
    max_deferral_days: Annotated[int, Ge(1), Le(180)] = 60
    offer_valid_days: Annotated[int, Ge(1), Le(60)] = 14


@dataclass(frozen=True)
class Installment:
    number: int  # 1-based
    due_date: date  # the borrower's local calendar date
    due_at: datetime  # aware UTC: the end of that local date
    amount: Decimal
    paid: Decimal
    status: InstallmentStatus = InstallmentStatus.DUE

    @property
    def short(self) -> Decimal:
        return max(self.amount - self.paid, Decimal(0))


@dataclass(frozen=True)
class Plan:
    plan_id: str
    kind: PlanKind
    status: PlanStatus
    currency: str
    total: Decimal  # the balance the schedule covers; sum(amounts) == total exactly
    installments: tuple[Installment, ...]
    offered_at: datetime
    start_balance: Decimal  # case balance when the schedule was made (paid = start - now)
    timezone: str | None = None
    grace_days: int = 3
    source: str = "policy"  # policy (hardship offer) / reply / agent
    accepted_at: datetime | None = None
    ended_at: datetime | None = None
    resume_stage: str | None = None  # the ladder stage the case was in when accepted
    revision: int = 0  # optimistic lock on the stored plan

    @property
    def paid_total(self) -> Decimal:
        return sum((i.paid for i in self.installments), Decimal(0))

    @property
    def is_open(self) -> bool:
        return self.status in (PlanStatus.OFFERED, PlanStatus.ACTIVE)

    def next_unpaid(self) -> Installment | None:
        return next((i for i in self.installments if i.short > 0), None)

    def missed_deadline(self) -> datetime | None:
        """When the next unpaid installment counts as missed (its due instant + grace)."""
        nxt = self.next_unpaid()
        return nxt.due_at + timedelta(days=self.grace_days) if nxt else None


# --------------------------------------------------------------------------- time


def zone(timezone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(timezone) if timezone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def end_of_local_day(day: date, timezone: str | None) -> datetime:
    """The instant a local calendar date ends (next local midnight), in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), zone(timezone)).astimezone(UTC)


def local_date(moment: datetime, timezone: str | None) -> date:
    return moment.astimezone(zone(timezone)).date()


# --------------------------------------------------------------------------- schedules


def minor_unit(places: int) -> Decimal:
    return Decimal(1).scaleb(-places)


def split_amount(total: Decimal, count: int, places: int = 2) -> tuple[Decimal, ...]:
    """``count`` amounts summing exactly to ``total``; the remainder goes on the last one."""
    if count < 1:
        raise PlanError("a plan needs at least one installment")
    quantum = minor_unit(places)
    if total != total.quantize(quantum):
        raise PlanError(f"{total} has more decimal places than the currency ({places})")
    if total <= 0:
        raise PlanError("nothing to split: the balance is not positive")
    base = (total / count).quantize(quantum, rounding=ROUND_DOWN)
    if base <= 0:
        raise PlanError(f"{total} cannot be split into {count} installments of at least {quantum}")
    last = total - base * (count - 1)
    return (*([base] * (count - 1)), last)


def build_schedule(
    total: Decimal,
    count: int,
    first_due: date,
    interval_days: int,
    *,
    places: int = 2,
    timezone: str | None = None,
) -> tuple[Installment, ...]:
    amounts = split_amount(total, count, places)
    schedule = []
    for index, amount in enumerate(amounts):
        due = first_due + timedelta(days=interval_days * index)
        schedule.append(
            Installment(
                number=index + 1,
                due_date=due,
                due_at=end_of_local_day(due, timezone),
                amount=amount,
                paid=Decimal(0).quantize(minor_unit(places)),
            )
        )
    return tuple(schedule)


def installment_count(balance: Decimal, policy: PlanPolicy) -> int:
    """As many installments as the policy allows without going under the minimum amount."""
    fits = int(balance // policy.min_installment)
    return max(1, min(policy.max_installments, fits))


def offer_for_hardship(
    *,
    plan_id: str,
    balance: Decimal,
    currency: str,
    places: int,
    policy: PlanPolicy,
    now: datetime,
    timezone: str | None,
    source: str = "policy",
) -> Plan:
    """The policy's standard offer: equal installments every ``interval_days`` (a deferral
    when the balance is too small to split), the first ``first_due_days`` from today."""
    return offer_installments(
        plan_id=plan_id,
        balance=balance,
        currency=currency,
        places=places,
        count=installment_count(balance, policy),
        policy=policy,
        now=now,
        timezone=timezone,
        source=source,
    )


def offer_installments(
    *,
    plan_id: str,
    balance: Decimal,
    currency: str,
    places: int,
    count: int,
    policy: PlanPolicy,
    now: datetime,
    timezone: str | None,
    source: str,
) -> Plan:
    """``count`` installments (an agent's choice, at most the policy's maximum)."""
    if count > policy.max_installments:
        raise PlanError(f"at most {policy.max_installments} installments (policy)")
    first_due = local_date(now, timezone) + timedelta(days=policy.first_due_days)
    return Plan(
        plan_id=plan_id,
        kind=PlanKind.INSTALLMENTS if count > 1 else PlanKind.DEFERRAL,
        status=PlanStatus.OFFERED,
        currency=currency,
        total=balance,
        installments=build_schedule(
            balance, count, first_due, policy.interval_days, places=places, timezone=timezone
        ),
        offered_at=now,
        start_balance=balance,
        timezone=timezone,
        grace_days=policy.grace_days,
        source=source,
    )


def deferral(
    *,
    plan_id: str,
    balance: Decimal,
    currency: str,
    places: int,
    pay_by: date,
    policy: PlanPolicy,
    now: datetime,
    timezone: str | None,
    source: str = "agent",
) -> Plan:
    """Everything later, on one local date no further away than ``max_deferral_days``."""
    today = local_date(now, timezone)
    if pay_by <= today:
        raise PlanError(f"a deferral date must be after today ({today})")
    if pay_by > today + timedelta(days=policy.max_deferral_days):
        raise PlanError(f"a deferral may be at most {policy.max_deferral_days} days")
    return Plan(
        plan_id=plan_id,
        kind=PlanKind.DEFERRAL,
        status=PlanStatus.OFFERED,
        currency=currency,
        total=balance,
        installments=build_schedule(balance, 1, pay_by, 1, places=places, timezone=timezone),
        offered_at=now,
        start_balance=balance,
        timezone=timezone,
        grace_days=policy.grace_days,
        source=source,
    )


def accept(
    offer: Plan,
    *,
    balance: Decimal,
    places: int,
    policy: PlanPolicy,
    now: datetime,
    resume_stage: str | None,
) -> Plan:
    """The offer becomes the active plan. The schedule is re-made for today's balance (a
    payment may have come in since the offer) and starts from today, so an offer accepted
    late never begins with an installment already overdue."""
    if offer.status is not PlanStatus.OFFERED:
        raise PlanError(f"plan {offer.plan_id} is {offer.status.value}, not an open offer")
    if now > offer.offered_at + timedelta(days=policy.offer_valid_days):
        raise PlanError(f"plan {offer.plan_id}: the offer expired")
    count = len(offer.installments)
    first_due = local_date(now, offer.timezone) + timedelta(
        days=policy.first_due_days if offer.kind is PlanKind.INSTALLMENTS else 0
    )
    if offer.kind is PlanKind.DEFERRAL:
        first_due = max(first_due, offer.installments[0].due_date)
    interval = _interval(offer) or policy.interval_days
    return replace(
        offer,
        status=PlanStatus.ACTIVE,
        total=balance,
        start_balance=balance,
        installments=build_schedule(
            balance, count, first_due, interval, places=places, timezone=offer.timezone
        ),
        accepted_at=now,
        resume_stage=resume_stage,
    )


def _interval(plan: Plan) -> int | None:
    if len(plan.installments) < 2:
        return None
    return (plan.installments[1].due_date - plan.installments[0].due_date).days


# --------------------------------------------------------------------------- tracking


def record_paid(plan: Plan, balance_now: Decimal, now: datetime) -> Plan:
    """Pour what was paid since the plan began (start balance - balance now) into the
    installments in order; an over-payment rolls into the next ones. Completes the plan
    when everything is paid. Idempotent: the same balance gives the same plan."""
    if plan.status is not PlanStatus.ACTIVE:
        return plan
    remaining = max(plan.start_balance - balance_now, Decimal(0))
    updated = []
    for item in plan.installments:
        paid = min(item.amount, remaining)
        remaining -= paid
        status = item.status
        if paid >= item.amount:
            status = InstallmentStatus.PAID
        elif status is not InstallmentStatus.MISSED:
            status = InstallmentStatus.PARTIALLY_PAID if paid > 0 else InstallmentStatus.DUE
        updated.append(replace(item, paid=paid.quantize(item.amount), status=status))
    result = replace(plan, installments=tuple(updated))
    if all(i.status is InstallmentStatus.PAID for i in updated) or balance_now <= 0:
        result = replace(result, status=PlanStatus.COMPLETED, ended_at=now)
    return result


@dataclass(frozen=True)
class PlanCheck:
    plan: Plan
    broken: bool
    missed: Installment | None  # the installment that broke the plan
    next_deadline: datetime | None  # when to look again (None: nothing left to watch)


def check(plan: Plan, now: datetime) -> PlanCheck:
    """Is an installment missed past its grace? Marks it and breaks the plan if so."""
    if plan.status is not PlanStatus.ACTIVE:
        return PlanCheck(plan, False, None, None)
    nxt = plan.next_unpaid()
    deadline = plan.missed_deadline()
    if nxt is None or deadline is None:
        return PlanCheck(plan, False, None, None)
    if now < deadline:
        return PlanCheck(plan, False, None, deadline)
    missed = replace(nxt, status=InstallmentStatus.MISSED)
    installments = tuple(missed if i.number == nxt.number else i for i in plan.installments)
    broken = replace(plan, installments=installments, status=PlanStatus.BROKEN, ended_at=now)
    return PlanCheck(broken, True, missed, None)


def close(plan: Plan, status: PlanStatus, now: datetime) -> Plan:
    """End an open plan (completed with the case, or an offer withdrawn)."""
    if not plan.is_open:
        return plan
    return replace(plan, status=status, ended_at=now)


# --------------------------------------------------------------------------- storage form


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _dt(text: Any) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).astimezone(UTC)


def to_item(plan: Plan) -> dict[str, Any]:
    """The `plan` attribute of the case item: strings and numbers only, readable in the
    console (amounts as decimal strings, times as ISO UTC)."""
    item: dict[str, Any] = {
        "plan_id": plan.plan_id,
        "kind": plan.kind.value,
        "status": plan.status.value,
        "currency": plan.currency,
        "total": format(plan.total, "f"),
        "start_balance": format(plan.start_balance, "f"),
        "paid_total": format(plan.paid_total, "f"),
        "offered_at": _iso(plan.offered_at),
        "accepted_at": _iso(plan.accepted_at),
        "ended_at": _iso(plan.ended_at),
        "timezone": plan.timezone,
        "grace_days": plan.grace_days,
        "source": plan.source,
        "resume_stage": plan.resume_stage,
        "revision": plan.revision,
        "installments": [
            {
                "number": i.number,
                "due_date": i.due_date.isoformat(),
                "due_at": _iso(i.due_at),
                "amount": format(i.amount, "f"),
                "paid": format(i.paid, "f"),
                "status": i.status.value,
            }
            for i in plan.installments
        ],
    }
    return {key: value for key, value in item.items() if value is not None}


def from_item(item: dict[str, Any]) -> Plan:
    installments = tuple(
        Installment(
            number=int(raw["number"]),
            due_date=date.fromisoformat(str(raw["due_date"])),
            due_at=_dt(raw["due_at"]) or datetime.min.replace(tzinfo=UTC),
            amount=Decimal(str(raw["amount"])),
            paid=Decimal(str(raw["paid"])),
            status=InstallmentStatus(str(raw["status"])),
        )
        for raw in item.get("installments", [])
    )
    offered_at = _dt(item.get("offered_at"))
    if offered_at is None:
        raise PlanError("stored plan without offered_at")
    return Plan(
        plan_id=str(item["plan_id"]),
        kind=PlanKind(str(item["kind"])),
        status=PlanStatus(str(item["status"])),
        currency=str(item["currency"]),
        total=Decimal(str(item["total"])),
        installments=installments,
        offered_at=offered_at,
        start_balance=Decimal(str(item.get("start_balance", item["total"]))),
        timezone=item.get("timezone"),
        grace_days=int(item.get("grace_days", 3)),
        source=str(item.get("source", "policy")),
        accepted_at=_dt(item.get("accepted_at")),
        ended_at=_dt(item.get("ended_at")),
        resume_stage=item.get("resume_stage"),
        revision=int(item.get("revision", 0)),
    )
