"""The pure case lifecycle (arrears.domain.case.decide) over the in-memory repositories."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from arrears.adapters.cases import IngestWrite, InMemoryStore
from arrears.domain.case import (
    BorrowerRecord,
    CaseRecord,
    Decision,
    IgnoreReason,
    Outcome,
    WakeReason,
    decide,
    execution_name,
)
from arrears.domain.errors import ConcurrentUpdate
from arrears.domain.events import PaymentStatusChanged, parse_payment_status
from arrears.domain.types import CaseStatus, Channel, Stage
from hypothesis import given, settings
from hypothesis import strategies as st

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
ACCOUNT = "acc-42"


def event(status: str, sequence: int, **overrides: Any) -> PaymentStatusChanged:
    return parse_payment_status(event_detail(status, sequence, **overrides))


def event_detail(status: str, sequence: int, **overrides: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "event_id": f"evt-{sequence}-{status}",
        "account_id": ACCOUNT,
        "obligation_id": "loan-7/inst-3",
        "status": status,
        "amount_due": "1250.00",
        "amount_paid": "0.00",
        "currency": "CNY",
        "due_date": "2026-11-01",
        "occurred_at": "2026-11-02T01:00:00Z",
        "sequence": sequence,
        "borrower": {
            "name": "李伟",
            "phone": "+8613800000000",
            "locale": "zh-CN",
            "timezone": "Asia/Shanghai",
            "country": "CN",
        },
    }
    detail.update(overrides)
    return detail


@dataclass
class Ledger:
    """Applies decisions to the in-memory store the way the ingest handler does."""

    store: InMemoryStore = field(default_factory=InMemoryStore)
    resolve_below: Decimal | None = Decimal("5.00")
    now: datetime = T0

    def apply(self, evt: PaymentStatusChanged) -> Decision:
        borrower = self.store.borrowers.get(evt.account_id)
        case = None
        if borrower and borrower.open_case_id:
            case = self.store.cases.get(borrower.open_case_id)
        decision = decide(evt, borrower, case, now=self.now, resolve_below=self.resolve_below)
        write = IngestWrite(timeline=decision.timeline)
        if decision.outcome is not Outcome.REDELIVERY:
            write = IngestWrite(
                borrower=decision.borrower,
                expected_last_sequence=decision.expected_last_sequence,
                create_case=decision.case if decision.case_is_new else None,
                update_case=decision.case if decision.outcome is Outcome.UPDATE_CASE else None,
                expected_case_version=decision.expected_case_version,
                timeline=decision.timeline,
            )
        self.store.commit(write)
        self.now += timedelta(minutes=1)
        return decision

    def case(self, cycle: int = 1) -> CaseRecord:
        found = self.store.cases.get(f"{ACCOUNT}#{cycle}")
        assert found is not None
        return found

    def kinds(self, case_id: str) -> list[str]:
        return [e.kind for e in self.store.timeline.list(case_id)]


# --------------------------------------------------------------------------- opening


def test_overdue_for_a_new_account_opens_cycle_one_and_starts_its_execution() -> None:
    # given an account Arrears has never seen
    ledger = Ledger()
    # when its first OVERDUE arrives
    decision = ledger.apply(event("OVERDUE", 12, amount_paid="250.00"))
    # then case <account>#1 opens in assess with the outstanding balance, and starts
    case = ledger.case(1)
    assert decision.outcome is Outcome.OPEN_CYCLE and decision.start_execution
    assert (case.case_id, case.cycle, case.status, case.stage) == (
        "acc-42#1",
        1,
        CaseStatus.OPEN,
        Stage.ASSESS,
    )
    assert case.balance == Decimal("1000.00") and case.currency == "CNY"
    assert case.obligations == {"loan-7/inst-3": Decimal("1000.00")}
    assert case.execution_name == "acc-42-1-c1"
    assert decision.execution_input == {"case_id": "acc-42#1", "account_id": ACCOUNT, "cycle": 1}
    assert ledger.kinds("acc-42#1") == ["event_received", "case_opened"]
    borrower = ledger.store.borrowers.get(ACCOUNT)
    assert borrower is not None
    assert (borrower.open_case_id, borrower.cycle, borrower.last_sequence) == ("acc-42#1", 1, 12)


def test_contact_data_is_stored_and_present_channels_count_as_verified() -> None:
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 1))
    # a later event brings an e-mail address and no phone
    later_detail = event_detail("OVERDUE", 2)
    later_detail["borrower"] = {"email": "li@example.cn", "country": "CN", "locale": "zh-CN"}
    ledger.apply(parse_payment_status(later_detail))
    borrower = ledger.store.borrowers.get(ACCOUNT)
    assert borrower is not None
    # the phone omitted by the second event is kept; every channel is verified
    assert borrower.phone == "+8613800000000" and borrower.email == "li@example.cn"
    assert borrower.verified_channels == frozenset(
        {Channel.SMS, Channel.CALL, Channel.EMAIL, Channel.LETTER}
    )
    assert borrower.timezone == "Asia/Shanghai"


def test_a_second_overdue_obligation_joins_the_open_case() -> None:
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 1))
    decision = ledger.apply(
        event(
            "OVERDUE", 2, obligation_id="loan-7/inst-4", amount_due="300.00", due_date="2026-12-01"
        )
    )
    case = ledger.case(1)
    assert decision.outcome is Outcome.UPDATE_CASE and not decision.start_execution
    assert decision.wake is None
    assert case.balance == Decimal("1550.00")
    assert case.due_date is not None and case.due_date.isoformat() == "2026-11-01"
    assert ledger.store.cases.get("acc-42#2") is None


def test_an_overdue_in_another_currency_is_ignored_not_summed() -> None:
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 1))
    decision = ledger.apply(event("OVERDUE", 2, obligation_id="usd-1", currency="USD"))
    assert decision.ignore_reason is IgnoreReason.CURRENCY_MISMATCH
    assert ledger.case(1).balance == Decimal("1250.00")


def test_an_overdue_with_nothing_outstanding_opens_nothing() -> None:
    ledger = Ledger()
    decision = ledger.apply(event("OVERDUE", 1, amount_paid="1250.00"))
    assert decision.ignore_reason is IgnoreReason.NOTHING_OUTSTANDING
    assert ledger.store.case_items == {}


# --------------------------------------------------------------------------- payments


def test_paid_closes_the_case_and_wakes_with_paid() -> None:
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 1))
    decision = ledger.apply(event("PAID", 2, amount_paid="1250.00"))
    case = ledger.case(1)
    assert case.status is CaseStatus.PAID and case.outcome == "paid"
    assert case.closed_at is not None and case.balance == 0
    assert decision.wake is not None and decision.wake.reason is WakeReason.PAID
    assert decision.wake.output["wake"] == "PAID"
    assert decision.wake.output["resolved"] is True
    assert ledger.kinds("acc-42#1")[-3:] == ["event_received", "payment", "case_closed"]


def test_paying_one_of_two_obligations_is_a_partial_payment_of_the_case() -> None:
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 1))
    ledger.apply(event("OVERDUE", 2, obligation_id="inst-4", amount_due="300.00"))
    decision = ledger.apply(event("PAID", 3, obligation_id="inst-4", amount_paid="300.00"))
    assert decision.wake is not None and decision.wake.reason is WakeReason.PARTIALLY_PAID
    assert decision.wake.output["balance"] == "1250.00"
    assert ledger.case(1).status is CaseStatus.OPEN


def test_partial_payment_above_the_threshold_keeps_escalating_with_the_new_balance() -> None:
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 1))
    decision = ledger.apply(event("PARTIALLY_PAID", 2, amount_paid="1000.00"))
    case = ledger.case(1)
    assert case.status is CaseStatus.OPEN and case.balance == Decimal("250.00")
    assert decision.wake is not None
    assert decision.wake.output == {
        "wake": "PARTIALLY_PAID",
        "case_id": "acc-42#1",
        "status": "OPEN",
        "balance": "250.00",
        "currency": "CNY",
        "resolved": False,
        "event_id": "evt-2-PARTIALLY_PAID",
        "sequence": 2,
    }


def test_partial_payment_below_the_threshold_resolves_the_case() -> None:
    ledger = Ledger(resolve_below=Decimal("5.00"))
    ledger.apply(event("OVERDUE", 1))
    decision = ledger.apply(event("PARTIALLY_PAID", 2, amount_paid="1246.00"))
    case = ledger.case(1)
    assert case.status is CaseStatus.RESOLVED and case.outcome == "below_threshold"
    assert decision.wake is not None and decision.wake.reason is WakeReason.PARTIALLY_PAID
    assert decision.wake.output["resolved"] is True


def test_without_a_threshold_a_small_balance_is_still_chased() -> None:
    ledger = Ledger(resolve_below=None)
    ledger.apply(event("OVERDUE", 1))
    ledger.apply(event("PARTIALLY_PAID", 2, amount_paid="1249.99"))
    assert ledger.case(1).status is CaseStatus.OPEN


def test_pending_pauses_and_a_failure_returns_to_the_status_before() -> None:
    # given a case whose borrower promised to pay
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 1))
    ledger.store.cases.update_fields("acc-42#1", {"status": CaseStatus.PROMISED})
    # when a payment goes pending
    pending = ledger.apply(event("PAYMENT_PENDING", 2, occurred_at="2026-11-05T03:00:00Z"))
    case = ledger.case(1)
    assert case.status is CaseStatus.PAYMENT_PENDING
    assert case.pending_since == datetime(2026, 11, 5, 3, tzinfo=UTC)
    assert pending.wake is not None and pending.wake.reason is WakeReason.PAYMENT_PENDING
    assert pending.wake.output["pending_since"] == "2026-11-05T03:00:00Z"
    # and then fails
    failed = ledger.apply(event("PAYMENT_FAILED", 3))
    # then the case is back to PROMISED, and the execution is told
    case = ledger.case(1)
    assert case.status is CaseStatus.PROMISED and case.pending_since is None
    assert failed.wake is not None and failed.wake.reason is WakeReason.PAYMENT_FAILED


def test_a_failure_without_a_pending_payment_changes_nothing_and_wakes_nobody() -> None:
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 1))
    decision = ledger.apply(event("PAYMENT_FAILED", 2))
    assert decision.wake is None and ledger.case(1).status is CaseStatus.OPEN


def test_a_pending_payment_that_settles_closes_the_case() -> None:
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 1))
    ledger.apply(event("PAYMENT_PENDING", 2))
    ledger.apply(event("PAID", 3, amount_paid="1250.00"))
    case = ledger.case(1)
    assert case.status is CaseStatus.PAID and case.pending_since is None


def test_written_off_closes_the_case() -> None:
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 1))
    decision = ledger.apply(event("WRITTEN_OFF", 2))
    assert ledger.case(1).status is CaseStatus.WRITTEN_OFF
    assert decision.wake is not None and decision.wake.reason is WakeReason.WRITTEN_OFF


# --------------------------------------------------------------------------- ignoring


def test_a_stale_overdue_after_paid_is_ignored_with_the_reason_in_the_timeline() -> None:
    # given a case paid at sequence 13
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 12))
    ledger.apply(event("PAID", 13, amount_paid="1250.00"))
    # when the OVERDUE with sequence 11 arrives late
    decision = ledger.apply(event("OVERDUE", 11))
    # then nothing regresses and the audit says why
    assert decision.outcome is Outcome.IGNORE
    assert decision.ignore_reason is IgnoreReason.STALE_SEQUENCE
    assert decision.borrower is None  # not even contact data is taken from a stale event
    assert ledger.case(1).status is CaseStatus.PAID
    assert ledger.store.cases.get("acc-42#2") is None
    ignored = ledger.store.timeline.list("acc-42#1")[-1]
    assert ignored.kind == "event_ignored"
    assert ignored.detail["reason"] == "stale_sequence"
    assert ignored.detail["last_sequence"] == 13


def test_the_same_sequence_with_another_event_id_is_a_duplicate() -> None:
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 5))
    decision = ledger.apply(event("PAID", 5, event_id="evt-other", amount_paid="1250.00"))
    assert decision.ignore_reason is IgnoreReason.DUPLICATE_SEQUENCE
    assert ledger.case(1).status is CaseStatus.OPEN


def test_a_redelivered_event_reissues_its_side_effects_without_changing_anything() -> None:
    ledger = Ledger()
    first = event("OVERDUE", 5)
    ledger.apply(first)
    before = ledger.case(1)
    decision = ledger.apply(first)
    assert decision.outcome is Outcome.REDELIVERY and decision.start_execution
    assert ledger.case(1) == before


def test_a_redelivered_paid_reissues_the_wake() -> None:
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 5))
    paid = event("PAID", 6, amount_paid="1250.00")
    ledger.apply(paid)
    decision = ledger.apply(paid)
    assert decision.outcome is Outcome.REDELIVERY and not decision.start_execution
    assert decision.wake is not None and decision.wake.reason is WakeReason.PAID


@pytest.mark.parametrize(
    "status", ["PAYMENT_PENDING", "PAYMENT_FAILED", "PARTIALLY_PAID", "PAID", "WRITTEN_OFF"]
)
def test_payment_news_for_an_account_without_a_case_is_recorded_and_ignored(status: str) -> None:
    ledger = Ledger()
    decision = ledger.apply(event(status, 1))
    assert decision.ignore_reason is IgnoreReason.NO_CASE
    assert ledger.store.case_items == {}
    # recorded under the account's pseudo case id, and the sequence still advances
    assert ledger.kinds("acc-42#0") == ["event_ignored"]
    borrower = ledger.store.borrowers.get(ACCOUNT)
    assert borrower is not None and borrower.last_sequence == 1 and borrower.open_case_id is None


def test_payment_news_after_the_case_closed_is_ignored() -> None:
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 1))
    ledger.apply(event("WRITTEN_OFF", 2))
    decision = ledger.apply(event("PAID", 3, amount_paid="1250.00"))
    assert decision.ignore_reason is IgnoreReason.CASE_CLOSED
    assert ledger.case(1).status is CaseStatus.WRITTEN_OFF


def test_payment_news_about_another_obligation_is_ignored() -> None:
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 1))
    decision = ledger.apply(event("PAID", 2, obligation_id="loan-9/inst-1"))
    assert decision.ignore_reason is IgnoreReason.UNKNOWN_OBLIGATION
    assert ledger.case(1).status is CaseStatus.OPEN


# --------------------------------------------------------------------------- cycles


def test_a_new_overdue_after_a_resolved_case_opens_the_next_cycle() -> None:
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 1))
    ledger.apply(event("PAID", 2, amount_paid="1250.00"))
    decision = ledger.apply(event("OVERDUE", 3, obligation_id="loan-7/inst-4"))
    assert decision.outcome is Outcome.OPEN_CYCLE
    second = ledger.case(2)
    assert second.case_id == "acc-42#2" and second.status is CaseStatus.OPEN
    assert second.execution_name == "acc-42-2-c2"
    assert ledger.case(1).status is CaseStatus.PAID  # the old cycle stays closed
    assert ledger.store.timeline.list("acc-42#2")[1].detail["previous_case_id"] == "acc-42#1"


def test_due_soon_is_recorded_for_the_pre_due_hook_without_opening_a_case() -> None:
    ledger = Ledger()
    decision = ledger.apply(event("DUE_SOON", 1, due_date="2026-11-10"))
    assert decision.outcome is Outcome.RECORD_ONLY
    assert decision.due_soon is not None and decision.due_soon.due_date.isoformat() == "2026-11-10"
    borrower = ledger.store.borrowers.get(ACCOUNT)
    assert borrower is not None and borrower.due_soon == decision.due_soon
    assert ledger.store.case_items == {}


# --------------------------------------------------------------------------- concurrency


def test_two_ingests_decided_from_the_same_state_cannot_both_commit() -> None:
    # given two events of one account decided from the same (empty) state
    store = InMemoryStore()
    one = decide(event("OVERDUE", 1), None, None, now=T0)
    two = decide(event("OVERDUE", 2), None, None, now=T0)
    store.commit(
        IngestWrite(borrower=one.borrower, expected_last_sequence=None, create_case=one.case)
    )
    # then the second write loses the race instead of overwriting the first
    with pytest.raises(ConcurrentUpdate):
        store.commit(
            IngestWrite(borrower=two.borrower, expected_last_sequence=None, create_case=two.case)
        )


def test_done_actions_are_claimed_once() -> None:
    ledger = Ledger()
    ledger.apply(event("OVERDUE", 1))
    assert ledger.store.cases.mark_action_done("acc-42#1", "reminder#sms") is True
    assert ledger.store.cases.mark_action_done("acc-42#1", "reminder#sms") is False
    assert ledger.store.cases.mark_action_done("acc-42#1", "reminder#email") is True


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("case_id", "cycle", "expected"),
    [
        ("acc-42#1", 1, "acc-42-1-c1"),
        ("user:7/x@y#3", 3, "user-7-x-y-3-c3"),
        ("账户#2", 2, "---2-c2"),
    ],
)
def test_execution_names_are_derived_and_valid(case_id: str, cycle: int, expected: str) -> None:
    assert execution_name(case_id, cycle) == expected


def test_execution_names_fit_the_80_character_limit() -> None:
    name = execution_name("a" * 200 + "#12", 12)
    assert len(name) == 80 and name.endswith("-c12")


# --------------------------------------------------------------------------- property

STATUSES = ["OVERDUE", "PAYMENT_PENDING", "PAYMENT_FAILED", "PARTIALLY_PAID", "PAID", "WRITTEN_OFF"]


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(STATUSES),
            st.integers(min_value=1, max_value=30),
            st.sampled_from(["0.00", "100.00", "1250.00"]),
        ),
        min_size=1,
        max_size=25,
    )
)
def test_no_arrival_order_regresses_a_case_or_the_sequence(
    steps: list[tuple[str, int, str]],
) -> None:
    """Events in any order, repeated or late: the applied sequence only rises, a closed
    case never reopens, and every event leaves an audit line."""
    ledger = Ledger()
    closed: dict[str, CaseStatus] = {}
    high_water = 0
    for index, (status, sequence, paid) in enumerate(steps):
        entries_before = sum(len(v) for v in ledger.store.timeline_items.values())
        ledger.apply(event(status, sequence, amount_paid=paid, event_id=f"e{index}"))
        entries_after = sum(len(v) for v in ledger.store.timeline_items.values())
        assert entries_after > entries_before
        borrower = ledger.store.borrowers.get(ACCOUNT)
        assert borrower is not None and borrower.last_sequence is not None
        assert borrower.last_sequence >= high_water
        high_water = max(high_water, sequence)
        assert borrower.last_sequence == high_water
        for case in ledger.store.case_items.values():
            if case.case_id in closed:
                assert case.status is closed[case.case_id]
            elif case.status.is_terminal:
                closed[case.case_id] = case.status
        open_cases = [c for c in ledger.store.case_items.values() if c.is_open]
        assert len(open_cases) <= 1


def test_the_record_helpers_keep_domain_values() -> None:
    case = CaseRecord(
        case_id="a#1",
        account_id="a",
        cycle=1,
        status=CaseStatus.OPEN,
        stage=Stage.REMINDER,
        balance=Decimal("1"),
        currency="CNY",
        opened_at=T0,
    )
    assert case.done_key(Stage.REMINDER, Channel.SMS) == "reminder#sms"
    assert replace(case, status=CaseStatus.PAID).is_open is False
    assert BorrowerRecord("a", phone="+1").profile().phone == "+1"


def test_a_restated_amount_without_a_split_drops_the_old_split():
    from arrears.domain.balance import StatedSplit
    from arrears.domain.case import with_stated_split
    from arrears.domain.events import parse_payment_status

    def event(**extra):
        detail = {
            "event_id": "e1", "account_id": "acc-1", "obligation_id": "inst-1",
            "status": "OVERDUE", "amount_due": "100.00", "amount_paid": "0.00",
            "currency": "USD", "due_date": "2026-11-01",
            "occurred_at": "2026-11-02T01:00:00Z", "sequence": 1,
            "borrower": {"country": "US"}, **extra,
        }  # fmt: skip
        return parse_payment_status(detail)

    split = StatedSplit(Decimal("100.00"), Decimal("90.00"), Decimal("4.00"), Decimal("6.00"))
    kept = {"inst-1": split}
    # the same amount restated without a split keeps the producer's split ...
    assert with_stated_split(kept, event()) == kept
    # ... a new amount without one drops it, and a new split replaces it
    assert with_stated_split(kept, event(amount_due="130.00")) == {}
    newer = event(amount_due="130.00", principal="90.00", interest="20.00", fees="20.00")
    assert with_stated_split(kept, newer)["inst-1"].interest == Decimal("20.00")
