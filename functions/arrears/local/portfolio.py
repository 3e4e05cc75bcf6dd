"""The demo portfolio: seeded borrowers across countries, amounts and behaviours.

A portfolio is an ordinary events file (``events_file`` entries: PaymentStatusChanged and
BorrowerReplied, as the payment and messaging systems would publish them) plus the answers
a human agent desk would give when a case reaches an agent call or a legal review (the
``AgentDesk``, which works the local work queue once a day through the ops hook, exactly as
an operator would from the console). Same seed, same portfolio.

Behaviours (each borrower gets one, in rotation so every behaviour appears):

- ``pays_after_first_reminder``  pays a day or two after the first reminder
- ``pays_while_pending``         payment in flight ("my money isn't moving"), then settles
- ``pending_then_fails``         payment in flight, then it fails; never pays after
- ``partial_then_pays``          pays part, the rest two weeks later
- ``partial_only``               pays part, never the rest; the lender writes it off
- ``never_pays``                 the full ladder: reminders, call, letters, legal review
- ``disputes``                   replies that the debt is wrong; the agent records a dispute
- ``asks_for_plan``              replies about hardship; the agent records hardship
- ``promise_to_pay``             promises on the call and keeps the promise
- ``broken_promise``             promises on the call, never pays
- ``opts_out_of_sms``            replies STOP; the desk records the SMS opt-out
- ``pays_after_demand_letter``   ignores everything until the demand letter
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import phonenumbers

from arrears import constants as c
from arrears.local.events_file import EventEntry, ScheduledEntry

DEMO_START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)

BEHAVIOURS: tuple[str, ...] = (
    "pays_after_first_reminder",
    "never_pays",
    "pays_while_pending",
    "disputes",
    "partial_then_pays",
    "asks_for_plan",
    "promise_to_pay",
    "pending_then_fails",
    "partial_only",
    "broken_promise",
    "opts_out_of_sms",
    "pays_after_demand_letter",
)


@dataclass(frozen=True)
class Market:
    country: str
    locale: str
    timezone: str
    currency: str
    amount_range: tuple[int, int]  # whole currency units
    names: tuple[str, ...]


MARKETS: tuple[Market, ...] = (
    Market("CN", "zh-CN", "Asia/Shanghai", "CNY", (800, 6000),
           ("Li Wei", "Wang Fang", "Zhang Min", "Liu Yang", "Chen Jing")),
    Market("US", "en-US", "America/New_York", "USD", (120, 900),
           ("Maria Garcia", "James Smith", "Linda Johnson", "Robert Brown")),
    Market("GB", "en-GB", "Europe/London", "GBP", (100, 700),
           ("Oliver Jones", "Amelia Taylor", "Harry Wilson", "Isla Davies")),
    Market("IN", "en-IN", "Asia/Kolkata", "INR", (5000, 60000),
           ("Priya Sharma", "Rahul Verma", "Ananya Iyer", "Arjun Nair")),
    Market("AU", "en-AU", "Australia/Sydney", "AUD", (150, 1200),
           ("Jack Thompson", "Chloe Nguyen", "Liam Walker", "Mia Robinson")),
    Market("BR", "pt-BR", "America/Sao_Paulo", "BRL", (300, 3000),
           ("Ana Souza", "Lucas Oliveira", "Beatriz Lima", "Pedro Santos")),
    Market("US", "en-US", "America/Los_Angeles", "USD", (120, 900),
           ("Emily Chen", "Daniel Martinez", "Sofia Hernandez")),
)  # fmt: skip

# Scoring inputs per behaviour (credit history that makes the behaviour plausible).
_HISTORY: dict[str, tuple[int, int, str]] = {  # prior delinquencies, prior cures, on-time ratio
    "pays_after_first_reminder": (0, 0, "0.97"),
    "pays_while_pending": (1, 1, "0.93"),
    "pending_then_fails": (2, 1, "0.80"),
    "partial_then_pays": (1, 1, "0.88"),
    "partial_only": (3, 1, "0.70"),
    "never_pays": (4, 0, "0.55"),
    "disputes": (0, 0, "0.95"),
    "asks_for_plan": (2, 1, "0.78"),
    "promise_to_pay": (1, 1, "0.85"),
    "broken_promise": (3, 1, "0.65"),
    "opts_out_of_sms": (1, 1, "0.90"),
    "pays_after_demand_letter": (2, 1, "0.75"),
}


@dataclass(frozen=True)
class DemoBorrower:
    account_id: str
    behaviour: str
    market: Market
    name: str
    phone: str
    email: str
    amount_due: Decimal
    overdue_at: datetime  # when the OVERDUE event arrives

    @property
    def case_id(self) -> str:
        return f"{self.account_id}#1"


@dataclass
class Portfolio:
    start: datetime
    borrowers: list[DemoBorrower]
    entries: list[ScheduledEntry]
    desk: AgentDesk = field(repr=False)

    @property
    def behaviour_by_account(self) -> dict[str, str]:
        return {b.account_id: f"{b.market.country} {b.behaviour}" for b in self.borrowers}


def build_portfolio(seed: int = 7, borrowers: int = 24, start: datetime = DEMO_START) -> Portfolio:
    """A seeded portfolio of ``borrowers`` (at least one per behaviour when >= 12)."""
    rng = random.Random(seed)
    people: list[DemoBorrower] = []
    for index in range(borrowers):
        behaviour = BEHAVIOURS[index % len(BEHAVIOURS)]
        market = MARKETS[(index * 5 + index // len(MARKETS)) % len(MARKETS)]
        low, high = market.amount_range
        amount = Decimal(rng.randint(low * 100, high * 100)) / 100
        overdue_at = start + timedelta(
            days=rng.randint(0, 9), hours=rng.randint(0, 23), minutes=rng.choice((0, 15, 30, 45))
        )
        account_id = f"acc-{market.country.lower()}-{index + 1:03d}"
        people.append(
            DemoBorrower(
                account_id=account_id,
                behaviour=behaviour,
                market=market,
                name=rng.choice(market.names),
                phone=_phone(market.country, rng),
                email=f"{account_id}@example.com",
                amount_due=amount,
                overdue_at=overdue_at,
            )
        )
    entries: list[ScheduledEntry] = []
    for person in people:
        entries.extend(_events_for(person, rng))
    entries.sort(key=lambda e: (e.at, e.line))
    entries = [
        ScheduledEntry(line=i + 1, at=e.at, event=e.event, ops_action=e.ops_action)
        for i, e in enumerate(entries)
    ]
    return Portfolio(start=start, borrowers=people, entries=entries, desk=AgentDesk(people))


# ---- events per behaviour ---------------------------------------------------------------------


def _events_for(b: DemoBorrower, rng: random.Random) -> list[ScheduledEntry]:
    sequence = iter(range(10, 100))
    out: list[ScheduledEntry] = []

    def payment(at: datetime, status: str, paid: Decimal = Decimal(0)) -> None:
        n = next(sequence)
        detail = {
            "event_id": f"evt-{b.account_id}-{n}",
            "account_id": b.account_id,
            "obligation_id": f"loan-{b.account_id[-3:]}/inst-1",
            "status": status,
            "amount_due": f"{b.amount_due:.2f}",
            "amount_paid": f"{paid:.2f}",
            "currency": b.market.currency,
            "due_date": (b.overdue_at - timedelta(days=1)).date().isoformat(),
            "occurred_at": _iso(at),
            "sequence": n,
            "borrower": {
                "name": b.name,
                "phone": b.phone,
                "email": b.email,
                "locale": b.market.locale,
                "timezone": b.market.timezone,
                "country": b.market.country,
            },
            "account": _account(b),
        }
        out.append(_entry(at, c.SOURCE_PAYMENTS, c.DETAIL_PAYMENT_STATUS, detail))

    def reply(at: datetime, text: str, channel: str = "sms") -> None:
        detail = {
            "event_id": f"reply-{b.account_id}-{next(sequence)}",
            "account_id": b.account_id,
            "channel": channel,
            "text": text,
            "received_at": _iso(at),
        }
        out.append(_entry(at, c.SOURCE_MESSAGING, c.DETAIL_BORROWER_REPLIED, detail))

    t0 = b.overdue_at
    day = timedelta(days=1)
    jitter = timedelta(hours=rng.randint(0, 10), minutes=rng.choice((0, 20, 40)))
    payment(t0, "OVERDUE")
    half = (b.amount_due / 2).quantize(Decimal("0.01"))
    match b.behaviour:
        case "pays_after_first_reminder":
            payment(t0 + 2 * day + jitter, "PAID", b.amount_due)
        case "pays_while_pending":
            payment(t0 + 3 * day + jitter, "PAYMENT_PENDING")
            payment(t0 + 5 * day + jitter, "PAID", b.amount_due)
        case "pending_then_fails":
            payment(t0 + 4 * day + jitter, "PAYMENT_PENDING")
            payment(t0 + 6 * day + jitter, "PAYMENT_FAILED")
        case "partial_then_pays":
            payment(t0 + 8 * day + jitter, "PARTIALLY_PAID", half)
            payment(t0 + 22 * day + jitter, "PAID", b.amount_due)
        case "partial_only":
            payment(t0 + 9 * day + jitter, "PARTIALLY_PAID", half)
            # the lender gives up on the rest: the write-off closes the case mid-ladder
            payment(t0 + 45 * day + jitter, "WRITTEN_OFF", half)
        case "disputes":
            reply(
                t0 + 2 * day + jitter, "I never took this loan, this charge is wrong. I dispute it."
            )
        case "asks_for_plan":
            reply(
                t0 + 2 * day + jitter,
                "I lost my job last month. Can I pay this in smaller instalments?",
            )
        case "opts_out_of_sms":
            reply(t0 + 2 * day + jitter, "STOP")
        case "pays_after_demand_letter":
            payment(t0 + 36 * day + jitter, "PAID", b.amount_due)
        case "promise_to_pay":
            pass  # the promise is made on the agent call; the desk schedules the payment
        case _:
            pass  # never_pays, broken_promise: no further news from the payment system
    return out


def _entry(at: datetime, source: str, detail_type: str, detail: dict[str, Any]) -> ScheduledEntry:
    return ScheduledEntry(line=0, at=at, event=EventEntry(source, detail_type, detail))


def _account(b: DemoBorrower) -> dict[str, Any]:
    delinquencies, cures, ratio = _HISTORY[b.behaviour]
    return {
        "credit_limit": f"{(b.amount_due * 4).quantize(Decimal('1')):.2f}",
        "opened_at": "2024-03-01",
        "prior_delinquencies": delinquencies,
        "prior_cures": cures,
        "on_time_payment_ratio": ratio,
    }


def _phone(country: str, rng: random.Random) -> str:
    """A valid mobile number for the country (phonenumbers' example, last digits varied)."""
    number = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if number is None:
        raise ValueError(f"no example mobile number for {country}")
    example = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    for _ in range(50):
        candidate = example[:-4] + f"{rng.randint(0, 9999):04d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(candidate, None)):
            return candidate
    return example


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


# ---- the agent desk ----------------------------------------------------------------------------


def queued_cases(rt: Any, queue: str) -> list[str]:
    """Case ids waiting in a work queue (AGENT_CALL, LEGAL_REVIEW, ...), sorted."""
    from arrears import topology

    response = rt.client("dynamodb").query(
        TableName=topology.CASES.local_name,
        IndexName="work_queue",
        KeyConditionExpression="#q = :q",
        ExpressionAttributeNames={"#q": "queue"},
        ExpressionAttributeValues={":q": {"S": queue}},
    )
    return sorted(item["case_id"]["S"] for item in response.get("Items", []))


class AgentDesk:
    """Human agents: once a day they work the AGENT_CALL and LEGAL_REVIEW queues.

    Each answer goes through the runtime's ops hook (the ops-action state machine), as an
    operator's console action would. What they record follows the borrower's behaviour.
    """

    OPERATOR = "agent.demo"
    HOUR_UTC = 9

    def __init__(self, borrowers: list[DemoBorrower]) -> None:
        self._by_account = {b.account_id: b for b in borrowers}
        # what the desk did, as events-file entries (the demo writes them for replay)
        self.log: list[ScheduledEntry] = []
        self._answered: set[tuple[str, str]] = set()

    def attach(self, rt: Any, until: datetime) -> None:
        """Schedule a shift every day at HOUR_UTC until ``until``."""
        shift = rt.now.replace(hour=self.HOUR_UTC, minute=0, second=0, microsecond=0)
        if shift <= rt.now:
            shift += timedelta(days=1)
        while shift <= until:
            rt.scheduler.schedule(shift, self._shift_job(rt), "agent desk")
            shift += timedelta(days=1)

    def _shift_job(self, rt: Any) -> Callable[[], None]:
        return lambda: self.work_queues(rt)

    def work_queues(self, rt: Any) -> None:
        for queue in ("AGENT_CALL", "LEGAL_REVIEW"):
            for case_id in queued_cases(rt, queue):
                account_id = case_id.split("#", 1)[0]
                borrower = self._by_account.get(account_id)
                if borrower is None:
                    continue
                if (case_id, queue) in self._answered:
                    continue  # answered once; a refused answer is not retried every day
                self._answered.add((case_id, queue))
                action = self._answer(rt, queue, borrower, case_id)
                if action is None:
                    continue
                self._act(rt, action)

    def _answer(self, rt: Any, queue: str, b: DemoBorrower, case_id: str) -> dict[str, Any] | None:
        base = {"case_id": case_id, "operator": self.OPERATOR}
        if queue == "LEGAL_REVIEW":
            approve = b.behaviour == "never_pays" and int(b.account_id[-3:]) % 2 == 0
            return {
                **base,
                "action": "approve_litigation" if approve else "reject_litigation",
                "approver": "legal.demo",
                "reason": "balance and history justify a referral"
                if approve
                else "amount too small to litigate; place with an agency",
                **({} if approve else {"next_step": "place_with_agency"}),
            }
        call: dict[str, Any] = {**base, "action": "record_call_outcome"}
        match b.behaviour:
            case "disputes":
                return {
                    **call,
                    "outcome": "dispute",
                    "reason": "borrower says the loan is not theirs",
                }
            case "asks_for_plan":
                return {**call, "outcome": "hardship", "note": "lost job, asks for instalments"}
            case "promise_to_pay" | "broken_promise":
                promised = (rt.now + timedelta(days=5)).date()
                if b.behaviour == "promise_to_pay":
                    self._schedule_kept_promise(rt, b, promised)
                return {
                    **call,
                    "outcome": "promise_to_pay",
                    "promise_date": promised.isoformat(),
                    "promise_amount": f"{b.amount_due:.2f}",
                }
            case "opts_out_of_sms":
                self._act(rt, {**base, "action": "opt_out", "channel": "sms"})
                return {**call, "outcome": "refused", "note": "asked for e-mail only"}
            case _:
                return {**call, "outcome": "no_answer"}

    def _act(self, rt: Any, action: dict[str, Any]) -> None:
        self.log.append(ScheduledEntry(line=0, at=rt.now, ops_action=action))
        rt.apply_ops_action(action)

    def _schedule_kept_promise(self, rt: Any, b: DemoBorrower, promised: date) -> None:
        at = datetime.combine(promised, datetime.min.time(), tzinfo=UTC) + timedelta(hours=6)
        detail = {
            "event_id": f"evt-{b.account_id}-kept",
            "account_id": b.account_id,
            "obligation_id": f"loan-{b.account_id[-3:]}/inst-1",
            "status": "PAID",
            "amount_due": f"{b.amount_due:.2f}",
            "amount_paid": f"{b.amount_due:.2f}",
            "currency": b.market.currency,
            "due_date": (b.overdue_at - timedelta(days=1)).date().isoformat(),
            "occurred_at": _iso(at),
            "sequence": 99,
            "borrower": {
                "name": b.name,
                "phone": b.phone,
                "email": b.email,
                "locale": b.market.locale,
                "timezone": b.market.timezone,
                "country": b.market.country,
            },
        }
        self.log.append(_entry(at, c.SOURCE_PAYMENTS, c.DETAIL_PAYMENT_STATUS, detail))
        rt.schedule_event(at, c.SOURCE_PAYMENTS, c.DETAIL_PAYMENT_STATUS, detail)
