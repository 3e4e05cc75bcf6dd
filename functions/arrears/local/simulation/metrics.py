"""Metrics of one policy's run, from the per-case reports (docs/report.schema.json).

``case_facts`` reads what each metric needs from one case; ``policy_metrics`` adds them up.
Amounts are converted to the reporting currency with ``to_reporting``. Definitions are in
docs/simulation.md ("Metrics").
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from arrears.local.simulation.costs import CostConfig, case_cost, to_reporting

CHANNELS = ("sms", "email", "call", "letter")
CURED_STATUSES = frozenset({"PAID", "RESOLVED"})
# days-past-due buckets: (name, first day, last day); a roll goes to the next one
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("90+", 91, None),
)
RATE = Decimal("0.0001")
MONEY = Decimal("0.01")
COST = Decimal("0.000001")
HOURS = Decimal("0.01")


@dataclass(frozen=True)
class CaseFacts:
    """One case, reduced to what the metrics need (money in the reporting currency)."""

    account_id: str
    owed: Decimal
    recovered: Decimal
    payments: tuple[tuple[datetime, Decimal], ...]  # (when, recovered so far)
    cured_at: datetime | None
    due_date: date | None
    opened_at: datetime | None
    contacts: Mapping[str, int]
    cost: Mapping[str, Decimal]
    opt_outs: int
    disputes: int
    complaints: int
    deferred: Mapping[str, int] = field(default_factory=dict)
    blocked: Mapping[str, int] = field(default_factory=dict)
    failed: Mapping[str, int] = field(default_factory=dict)
    first_contact_hours: Decimal | None = None
    litigation: bool = False

    @property
    def cured(self) -> bool:
        return self.cured_at is not None


def case_facts(case: Mapping[str, Any], config: CostConfig) -> CaseFacts:
    currency = case.get("currency") or config.reporting_currency
    timeline = case["timeline"]
    opened: dict[str, Any] = next((e["detail"] for e in timeline if e["kind"] == "case_opened"), {})
    balance = _money(case.get("balance"))
    recovered_native = _money(case.get("amount_recovered"))
    owed_native = _money(opened.get("balance")) if opened.get("balance") else balance
    payments = tuple(
        (
            _time(e["at"]),
            to_reporting(owed_native - _money(e["detail"]["balance"]), currency, config),
        )
        for e in timeline
        if e["kind"] == "payment" and e["detail"].get("balance") is not None
    )
    contacts = Counter(contact["channel"] for contact in case["contacts"])
    opened_at = _time(case["opened_at"]) if case.get("opened_at") else None
    first = min((_time(x["sent_at"]) for x in case["contacts"]), default=None)
    hours = None
    if first is not None and opened_at is not None:
        hours = Decimal((first - opened_at).total_seconds()) / 3600
    return CaseFacts(
        account_id=case["account_id"],
        owed=to_reporting(owed_native, currency, config),
        recovered=to_reporting(recovered_native, currency, config),
        payments=payments,
        cured_at=_time(case["closed_at"])
        if case.get("status") in CURED_STATUSES and case.get("closed_at")
        else None,
        due_date=date.fromisoformat(opened["due_date"]) if opened.get("due_date") else None,
        opened_at=opened_at,
        contacts=dict(contacts),
        cost=case_cost(case, config),
        opt_outs=len({e["detail"].get("channel") for e in timeline if e["kind"] == "opted_out"}),
        disputes=sum(1 for e in timeline if e["kind"] == "dispute_opened"),
        complaints=sum(
            1
            for e in timeline
            if e["kind"] == "delivery_outcome" and e["detail"].get("outcome") == "complaint"
        ),
        deferred=_reasons(case["blocked"], "deferred"),
        blocked=_reasons(case["blocked"], "blocked"),
        failed=_reasons(case["blocked"], "failed"),
        first_contact_hours=hours,
        litigation=case.get("outcome") == "litigation_referred",
    )


def policy_metrics(facts: Sequence[CaseFacts], start: datetime, days: int) -> dict[str, Any]:
    """The metrics block of simulation.json for one policy's cases."""
    n = len(facts)
    owed = sum((f.owed for f in facts), Decimal(0))
    recovered = sum((f.recovered for f in facts), Decimal(0))
    total_cost = sum((f.cost["total"] for f in facts), Decimal(0))
    # "total" even for a policy that has no case yet (stopped on its first day)
    cost_keys = sorted({"total"} | {key for f in facts for key in f.cost})
    compliance = {
        kind: _sum_counts(getattr(f, kind) for f in facts)
        for kind in ("deferred", "blocked", "failed")
    }
    hours = [f.first_contact_hours for f in facts if f.first_contact_hours is not None]
    end = start + timedelta(days=days)
    return {
        "accounts": n,
        "owed": _q(owed, MONEY),
        "recovered": _q(recovered, MONEY),
        "recovered_pct": _q(_ratio(recovered, owed), RATE),
        "collection_curve": collection_curve(facts, start, days),
        "cure_rate": _q(_ratio(Decimal(sum(f.cured for f in facts)), Decimal(n)), RATE),
        "roll_rates": roll_rates(facts, end),
        "contacts_per_case": {
            channel: _q(_ratio(Decimal(sum(f.contacts.get(channel, 0) for f in facts)), n), RATE)
            for channel in sorted({*CHANNELS, *(ch for f in facts for ch in f.contacts)})
        },
        "cost_per_case": {
            key: _q(_ratio(sum((f.cost[key] for f in facts), Decimal(0)), n), COST)
            for key in cost_keys
        },
        "recovered_per_cost": _q(_ratio(recovered, total_cost), MONEY),
        "opt_outs": sum(f.opt_outs for f in facts),
        "disputes": sum(f.disputes for f in facts),
        "complaints": sum(f.complaints for f in facts),
        "compliance": compliance,
        "time_to_first_contact_hours": {
            "p50": _q_or_none(percentile(hours, 50), HOURS),
            "p90": _q_or_none(percentile(hours, 90), HOURS),
            "mean": _q_or_none(sum(hours, Decimal(0)) / len(hours) if hours else None, HOURS),
            "cases": len(hours),
        },
        "litigation_referrals": sum(f.litigation for f in facts),
    }


def collection_curve(
    facts: Sequence[CaseFacts], start: datetime, days: int
) -> list[dict[str, Any]]:
    """Share of what was owed recovered by the end of each virtual day (day 0 = the start)."""
    owed = sum((f.owed for f in facts), Decimal(0))
    points = []
    for day in range(days + 1):
        at = start + timedelta(days=day)
        recovered = sum((recovered_by(f, at) for f in facts), Decimal(0))
        points.append({"day": day, "recovered_pct": _q(_ratio(recovered, owed), RATE)})
    return points


def recovered_by(f: CaseFacts, at: datetime) -> Decimal:
    so_far = [amount for when, amount in f.payments if when <= at]
    return so_far[-1] if so_far else Decimal(0)


def roll_rates(facts: Sequence[CaseFacts], end: datetime) -> dict[str, dict[str, Any]]:
    """Per bucket: cases that entered it, and the shares that rolled on, cured or stayed."""
    out: dict[str, dict[str, Any]] = {}
    for index, (name, low, high) in enumerate(BUCKETS):
        following = BUCKETS[index + 1][0] if index + 1 < len(BUCKETS) else None
        tally: Counter[str] = Counter()
        for f in facts:
            fate = bucket_fate(f, end, low, high)
            if fate is not None:
                tally[fate] += 1
        entered = sum(tally.values())
        rates: dict[str, Any] = {"entered": entered}
        if following is not None:
            rates[following] = _q(_ratio(Decimal(tally["rolled"]), entered), RATE)
        rates |= {
            "cured": _q(_ratio(Decimal(tally["cured"]), entered), RATE),
            "stay": _q(_ratio(Decimal(tally["stay"]), entered), RATE),
        }
        out[name] = rates
    return out


def bucket_fate(f: CaseFacts, end: datetime, low: int, high: int | None) -> str | None:
    """None if the case never was in the bucket; else "rolled", "cured" or "stay".

    Days past due on a date = that date - the due date. The case is watched from the day it
    opened to the day it cured, or to the end of the run. It entered the bucket if it was
    watched on one of the bucket's days; it cured in the bucket if its cure day is one of
    them; it rolled if it was still watched, uncured, past the bucket's last day."""
    if f.due_date is None or f.opened_at is None:
        return None
    first = max((f.opened_at.date() - f.due_date).days, 1)
    last = ((f.cured_at or end).date() - f.due_date).days
    top = high if high is not None else math.inf
    if first > top or last < low or first > last:
        return None
    if f.cured and low <= last <= top:
        return "cured"
    return "rolled" if last > top else "stay"


def percentile(values: Sequence[Decimal], pct: int) -> Decimal | None:
    """Nearest rank: the smallest value with at least ``pct`` % of the values at or below."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(pct / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def _reasons(blocked: Sequence[Mapping[str, Any]], decision: str) -> dict[str, int]:
    return dict(Counter(b["reason"] or "unknown" for b in blocked if b["decision"] == decision))


def _sum_counts(counts: Any) -> dict[str, int]:
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    return dict(sorted(total.items()))


def _ratio(numerator: Decimal, denominator: Decimal | int) -> Decimal:
    return numerator / Decimal(denominator) if denominator else Decimal(0)


def _q(value: Decimal, step: Decimal) -> str:
    return str(value.quantize(step) + 0)  # + 0 turns a negative zero into zero


def _q_or_none(value: Decimal | None, step: Decimal) -> str | None:
    return None if value is None else _q(value, step)


def _money(text: Any) -> Decimal:
    return Decimal(str(text)) if text is not None else Decimal(0)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
