"""Simulated borrowers and the agents who answer them, attached to a local runtime.

Once a day, at the desk's hour, the agents work the AGENT_CALL and LEGAL_REVIEW queues
through the ops hook (as ``portfolio.AgentDesk`` does), the call's outcome drawn from the
behaviour model; then every borrower looks at what reached them since the day before (the
case's audit timeline: a ``contact_sent`` or ``letter_stored`` line is a contact the
provider took) and draws a response per contact, or one for a day with none. Responses
become the events the payment and messaging systems would publish (PaymentStatusChanged,
BorrowerReplied) or an SES complaint, scheduled on the runtime, so ingest, the state
machines and the handlers process them as they would any other.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from arrears import constants as c
from arrears.local.portfolio import queued_cases
from arrears.local.simulation.behaviour import (
    CALL_OUTCOMES,
    QUIET_RESPONSES,
    RESPONSES,
    BehaviourModel,
    draws,
    pick,
)

OPERATOR = "agent.simulated"
APPROVER = "legal.simulated"
# what a borrower writes, in words the reply classifier (policies/replies) knows
REPLY_TEXT = {
    "plan": "I lost my job last month. Can I pay this in smaller instalments?",
    "accept_plan": "Yes I agree to the plan",
    "reply": "Please call me, I want to talk to someone about this",
    "dispute": "I never took this loan, this charge is wrong. I dispute it.",
    "opt_out": "STOP",
}
CENT = Decimal("0.01")


@dataclass
class SimBorrower:
    """One account of the portfolio: its opening event and what it has done so far."""

    account_id: str
    opening: dict[str, Any]  # the OVERDUE PaymentStatusChanged detail that opens the case
    opens_at: datetime
    paid: Decimal = Decimal("0.00")
    seen: int = 0  # timeline lines already looked at
    busy_until: datetime | None = None  # a response is on its way: no new one before then
    finished: bool = False
    wants_plan: bool = False
    plan_answered: bool = False
    calls: int = 0
    reviews: int = 0
    sequence: Iterator[int] = field(default_factory=lambda: count(100))

    @property
    def case_id(self) -> str:
        return f"{self.account_id}#1"

    @property
    def amount_due(self) -> Decimal:
        return Decimal(str(self.opening["amount_due"]))

    @property
    def due_date(self) -> date:
        return date.fromisoformat(self.opening["due_date"])


class SimulatedBorrowers:
    def __init__(self, borrowers: list[SimBorrower], model: BehaviourModel, seed: int) -> None:
        self.borrowers = sorted(borrowers, key=lambda b: b.account_id)
        self._by_account = {b.account_id: b for b in self.borrowers}
        self.model = model
        self.seed = seed
        self._answered: set[tuple[str, str]] = set()

    def attach(self, rt: Any, until: datetime) -> None:
        """One day's work at the desk's hour, every day until ``until``."""
        day = rt.now.replace(hour=self.model.desk_hour_utc, minute=0, second=0, microsecond=0)
        if day <= rt.now:
            day += timedelta(days=1)
        start = rt.now
        while day <= until:
            rt.scheduler.schedule(day, self._day_job(rt, (day - start).days), "simulated day")
            day += timedelta(days=1)

    def _day_job(self, rt: Any, day: int) -> Callable[[], None]:
        return lambda: self.work_day(rt, day)

    def work_day(self, rt: Any, day: int) -> None:
        from arrears.adapters.cases import Repositories

        self._work_queues(rt)
        timelines = Repositories.dynamo().timeline
        for borrower in self.borrowers:
            if borrower.opens_at <= rt.now and not borrower.finished:
                self._look(rt, borrower, day, timelines.list(borrower.case_id))

    # ---- the borrower ------------------------------------------------------------------------
    def _look(self, rt: Any, b: SimBorrower, day: int, timeline: list[Any]) -> None:
        new, b.seen = timeline[b.seen :], len(timeline)
        segment, score = _segment_and_score(timeline)
        received: list[tuple[str, str, dict[str, Any]]] = []
        for entry in new:
            if entry.kind == "case_closed":
                b.finished = True
                return
            if entry.kind == "contact_sent" and entry.detail.get("channel") != "call":
                received.append((entry.detail["channel"], entry.detail["stage"], entry.detail))
            elif entry.kind == "letter_stored":
                received.append(("letter", entry.detail.get("stage", ""), entry.detail))
            elif entry.kind == "plan_offered" and b.wants_plan and not b.plan_answered:
                b.plan_answered = True
                self._reply(rt, b, rt.now + self._delay(b, f"day{day}:plan"), "accept_plan", "sms")
            elif entry.kind == "plan_accepted":
                self._pay_installments(rt, b, _offered_plan(timeline))
        if b.busy_until is not None and rt.now < b.busy_until:
            return
        days_past_due = (rt.now.date() - b.due_date).days
        if not received:
            chances = self.model.chances(
                channel=None, stage=None, days_past_due=days_past_due, segment=segment, score=score
            )
            rng = draws(self.seed, b.account_id, f"day{day}:quiet")
            response = pick(rng.random(), chances, QUIET_RESPONSES)
            if response is not None:
                self._respond(rt, b, response, "sms", {}, rng)
            return
        for index, (channel, stage, detail) in enumerate(received):
            chances = self.model.chances(
                channel=channel,
                stage=stage,
                template=detail.get("template") or detail.get("kind"),
                days_past_due=days_past_due,
                segment=segment,
                score=score,
            )
            rng = draws(self.seed, b.account_id, f"day{day}:contact{index}")
            response = pick(rng.random(), chances, RESPONSES)
            if response is not None:
                self._respond(rt, b, response, channel, detail, rng)
                return

    def _respond(
        self,
        rt: Any,
        b: SimBorrower,
        response: str,
        channel: str,
        contact: dict[str, Any],
        rng: random.Random,
    ) -> None:
        at = rt.now + self._hours(rng)
        b.busy_until = at
        reply_channel = channel if channel in ("sms", "email") else "sms"
        match response:
            case "pay_full":
                self._pay(rt, b, at, b.amount_due)
            case "pay_part":
                low, high = self.model.part_share
                share = Decimal(str(round(rng.uniform(low, high), 4)))
                remaining = b.amount_due - b.paid
                part = max((remaining * share).quantize(CENT), CENT)
                if part >= remaining:
                    self._pay(rt, b, at, b.amount_due)
                else:
                    self._pay(rt, b, at, b.paid + part)
            case "plan":
                b.wants_plan = True
                self._reply(rt, b, at, "plan", reply_channel)
            case "complaint":
                self._complain(rt, b, at, contact)
            case _:  # reply, dispute, opt_out: a message back on the channel
                self._reply(rt, b, at, response, reply_channel)

    # ---- the desk ----------------------------------------------------------------------------
    def _work_queues(self, rt: Any) -> None:
        for queue in ("AGENT_CALL", "LEGAL_REVIEW"):
            for case_id in queued_cases(rt, queue):
                borrower = self._by_account.get(case_id.split("#", 1)[0])
                if borrower is None or (case_id, queue) in self._answered:
                    continue
                self._answered.add((case_id, queue))  # answered once, like the demo's desk
                if queue == "AGENT_CALL":
                    self._call(rt, borrower)
                else:
                    self._review(rt, borrower)

    def _call(self, rt: Any, b: SimBorrower) -> None:
        b.calls += 1
        rng = draws(self.seed, b.account_id, f"call{b.calls}")
        outcome = pick(rng.random(), self.model.call, CALL_OUTCOMES) or "no_answer"
        action: dict[str, Any] = {
            "action": "record_call_outcome",
            "case_id": b.case_id,
            "operator": OPERATOR,
            "outcome": outcome,
        }
        if outcome == "promise_to_pay":
            promised = (rt.now + timedelta(days=self.model.promise_days)).date()
            remaining = b.amount_due - b.paid
            action |= {"promise_date": promised.isoformat(), "promise_amount": f"{remaining:.2f}"}
            if rng.random() < self.model.promise_kept:
                at = datetime.combine(promised, datetime.min.time(), tzinfo=UTC)
                self._pay(rt, b, at + timedelta(hours=6), b.amount_due)
        elif outcome == "dispute":
            action["reason"] = "borrower says the debt is wrong"
        elif outcome == "hardship":
            b.wants_plan = True
            action["note"] = "borrower in hardship, asks for instalments"
        elif outcome == "paid_claimed":
            self._pay(rt, b, rt.now + self._hours(rng), b.amount_due)
        rt.apply_ops_action(action)

    def _review(self, rt: Any, b: SimBorrower) -> None:
        b.reviews += 1
        rng = draws(self.seed, b.account_id, f"review{b.reviews}")
        base = {"case_id": b.case_id, "operator": OPERATOR, "approver": APPROVER}
        if rng.random() < self.model.approve_litigation:
            action = {**base, "action": "approve_litigation", "reason": "balance justifies it"}
        else:
            action = {
                **base,
                "action": "reject_litigation",
                "reason": "not worth litigating; place with an agency",
                "next_step": "place_with_agency",
            }
        rt.apply_ops_action(action)

    # ---- what the borrower sends -------------------------------------------------------------
    def _pay(self, rt: Any, b: SimBorrower, at: datetime, paid_total: Decimal) -> None:
        """A payment bringing the total paid to ``paid_total`` (as the payment system
        reports it: the amount paid so far on the obligation)."""
        b.paid = paid_total
        b.busy_until = max(b.busy_until or at, at)
        status = "PAID" if paid_total >= b.amount_due else "PARTIALLY_PAID"
        n = next(b.sequence)
        detail = {
            **b.opening,
            "event_id": f"evt-{b.account_id}-sim-{n}",
            "status": status,
            "amount_paid": f"{paid_total:.2f}",
            "occurred_at": _iso(at),
            "sequence": n,
        }
        rt.schedule_event(at, c.SOURCE_PAYMENTS, c.DETAIL_PAYMENT_STATUS, detail)

    def _reply(self, rt: Any, b: SimBorrower, at: datetime, what: str, channel: str) -> None:
        detail = {
            "event_id": f"reply-{b.account_id}-sim-{next(b.sequence)}",
            "account_id": b.account_id,
            "channel": channel,
            "text": REPLY_TEXT[what],
            "received_at": _iso(at),
        }
        rt.schedule_event(at, c.SOURCE_MESSAGING, c.DETAIL_BORROWER_REPLIED, detail)

    def _complain(self, rt: Any, b: SimBorrower, at: datetime, contact: dict[str, Any]) -> None:
        from arrears.local.delivery_events import ses_event

        message = ses_event(
            "Complaint",
            message_id=contact["message_id"],
            tags={"account_id": b.account_id, "case_id": b.case_id},
            recipient=b.opening["borrower"]["email"],
            at=at,
        )
        rt.scheduler.schedule(at, lambda: rt.publish_delivery_event(message), "complaint")

    def _pay_installments(self, rt: Any, b: SimBorrower, plan: dict[str, Any] | None) -> None:
        if plan is None:
            return
        total = b.paid
        for number, (amount, due) in enumerate(
            zip(plan["amounts"], plan["due_dates"], strict=True), start=1
        ):
            if draws(self.seed, b.account_id, f"installment{number}").random() >= (
                self.model.plan_installment_kept
            ):
                return  # a missed installment: the borrower pays nothing more of it
            total += Decimal(amount)
            at = datetime.combine(date.fromisoformat(due), datetime.min.time(), tzinfo=UTC)
            self._pay(rt, b, max(at + timedelta(hours=6), rt.now), total)

    # ---- draws -------------------------------------------------------------------------------
    def _delay(self, b: SimBorrower, decision: str) -> timedelta:
        return self._hours(draws(self.seed, b.account_id, decision))

    def _hours(self, rng: random.Random) -> timedelta:
        low, high = self.model.response_delay_hours
        return timedelta(minutes=round(rng.uniform(low, high) * 60))


def _segment_and_score(timeline: list[Any]) -> tuple[str | None, int | None]:
    for entry in reversed(timeline):
        if entry.kind == "segment_chosen":
            score = entry.detail.get("score")
            return entry.detail.get("segment"), int(score) if score is not None else None
    return None, None


def _offered_plan(timeline: list[Any]) -> dict[str, Any] | None:
    offers = [e.detail for e in timeline if e.kind == "plan_offered"]
    return offers[-1] if offers else None


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
