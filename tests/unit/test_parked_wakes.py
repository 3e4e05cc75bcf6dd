"""A wake that finds no execution waiting is parked on the case, never lost, never raced.

``handlers/_waking.deliver_wake`` on the DynamoDB repositories (moto) and the in-memory
fake; the execution side's conditional take (``StepWrite.taken_wake``); the ranking.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from arrears.adapters.cases import Repositories, StepWrite
from arrears.domain import wakes
from arrears.domain.case import CaseRecord
from arrears.domain.errors import ConcurrentUpdate
from arrears.domain.types import CaseStatus, Stage
from arrears.steps.waking import Delivered, deliver_wake

from tests.support.aws import repositories

CASE_ID = "acc-1#1"
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
AGENT = {"wake": "REPLY", "route": "agent", "reason": "distress", "via": "reply"}
HARDSHIP = {"wake": "REPLY", "route": "hardship", "reason": "hardship", "via": "reply"}


@pytest.fixture(params=["dynamo", "memory"])
def repos(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Repositories]:
    with repositories(request.param, monkeypatch) as chosen:
        chosen.cases.create(_case())
        yield chosen


def _case(**overrides: Any) -> CaseRecord:
    case = CaseRecord(
        case_id=CASE_ID,
        account_id="acc-1",
        cycle=1,
        status=CaseStatus.OPEN,
        stage=Stage.REMINDER,
        balance=Decimal("1250.00"),
        currency="CNY",
        opened_at=T0,
    )
    return replace(case, **overrides)


@dataclass
class FakeWorkflow:
    """SendTaskSuccess: only ``live`` tokens have an execution waiting on them."""

    live: set[str] = field(default_factory=set)
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def wake(self, token: str, output: Any) -> bool:
        if token not in self.live:
            return False
        self.live.discard(token)
        self.sent.append((token, dict(output)))
        return True


def _deliver(repos: Repositories, workflow: FakeWorkflow, output: dict[str, Any]) -> Any:
    return deliver_wake(repos.cases, lambda: workflow, CASE_ID, output)  # type: ignore[arg-type, return-value]


def _stored(repos: Repositories) -> CaseRecord:
    case = repos.cases.get(CASE_ID)
    assert case is not None
    return case


# ------------------------------------------------------------------------------ sending side


def test_a_live_token_is_woken_and_cleared(repos: Repositories) -> None:
    # given an execution waiting on its stored token
    repos.cases.store_task_token(CASE_ID, "t-1", "follow_up_due")
    workflow = FakeWorkflow(live={"t-1"})
    # when a distress reply wakes it
    delivery = _deliver(repos, workflow, AGENT)
    # then it is sent to that token, nothing is parked, and the token is used up
    assert delivery.outcome is Delivered.WOKEN and delivery.waiting_for == "follow_up_due"
    assert workflow.sent == [("t-1", AGENT)]
    assert _stored(repos).task_token is None and _stored(repos).pending_wake is None


def test_without_a_token_the_wake_is_parked_for_the_next_wait(repos: Repositories) -> None:
    # given an execution busy in a Lambda step (no token on the case)
    workflow = FakeWorkflow()
    # when a distress reply arrives
    delivery = _deliver(repos, workflow, AGENT)
    # then it is parked on the case, whole
    assert delivery.outcome is Delivered.PARKED and delivery.kept == "REPLY"
    assert workflow.sent == []
    assert json.loads(_stored(repos).pending_wake or "") == AGENT


def test_a_stale_token_is_dropped_and_the_wake_parked(repos: Repositories) -> None:
    # given the token of a wait that timed out (a step is running now)
    repos.cases.store_task_token(CASE_ID, "t-old", "reminder_due")
    # when a hardship reply arrives and SendTaskSuccess is refused
    delivery = _deliver(repos, FakeWorkflow(), HARDSHIP)
    # then the wake is parked and the stale token is gone
    assert delivery.outcome is Delivered.PARKED
    assert delivery.detail("REPLY") == {"wake": "REPLY", "kept": "REPLY", "token": "expired"}
    stored = _stored(repos)
    assert stored.task_token is None and json.loads(stored.pending_wake or "") == HARDSHIP


def test_a_token_stored_between_read_and_park_gets_the_wake(
    repos: Repositories, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a case with no token when the waker reads it...
    workflow = FakeWorkflow(live={"t-new"})
    park = repos.cases.park_wake
    attempts: list[bool] = []

    def execution_stores_its_token_first(*args: Any, **kwargs: Any) -> bool:
        # ...and the execution's next wait storing its token just before the park lands
        if not attempts:
            repos.cases.store_task_token(CASE_ID, "t-new", "follow_up_due")
        attempts.append(park(*args, **kwargs))
        return attempts[-1]

    monkeypatch.setattr(repos.cases, "park_wake", execution_stores_its_token_first)
    # when the distress reply is delivered
    delivery = _deliver(repos, workflow, AGENT)
    # then the park's condition failed, and the wake went to the new token instead
    assert attempts == [False]
    assert delivery.outcome is Delivered.WOKEN
    assert workflow.sent == [("t-new", AGENT)]
    assert _stored(repos).pending_wake is None


def test_handle_wake_up_takes_a_parked_wake_once(repos: Repositories) -> None:
    # given a wake parked while no execution waited (the next wait then refuses to start:
    # tests/workflow/test_replies_parked_wake.py runs that on the real ASL)
    _deliver(repos, FakeWorkflow(), AGENT)
    taken = _stored(repos).pending_wake
    # when Handle wake-up writes its step with the wake it read
    first = repos.cases.commit_step(StepWrite(case_id=CASE_ID, taken_wake=taken))
    # then the wake is removed; a repeated take of the same wake is refused
    assert first is True and _stored(repos).pending_wake is None
    with pytest.raises(ConcurrentUpdate):
        repos.cases.commit_step(StepWrite(case_id=CASE_ID, taken_wake=taken))


def test_taking_a_parked_wake_fails_if_a_newer_one_replaced_it(repos: Repositories) -> None:
    # given a hardship wake parked and read by Handle wake-up
    _deliver(repos, FakeWorkflow(), HARDSHIP)
    read = _stored(repos).pending_wake
    # when a weightier distress wake replaces it before the step writes
    _deliver(repos, FakeWorkflow(), AGENT)
    # then the step's write is refused (the retried step takes the newer wake), and it stays
    with pytest.raises(ConcurrentUpdate):
        repos.cases.commit_step(StepWrite(case_id=CASE_ID, taken_wake=read))
    assert json.loads(_stored(repos).pending_wake or "") == AGENT


def test_a_weightier_parked_wake_stays_and_a_later_equal_one_replaces_it(
    repos: Repositories,
) -> None:
    # given a distress reply parked
    _deliver(repos, FakeWorkflow(), AGENT)
    # when a dispute (its status is on the case) arrives while nothing waits
    kept = _deliver(repos, FakeWorkflow(), {"wake": "DISPUTE", "via": "reply"})
    # then the route to a human stays parked
    assert kept.outcome is Delivered.PARKED and kept.kept == "REPLY"
    assert json.loads(_stored(repos).pending_wake or "") == AGENT
    # and a later wake of the same weight (another call-me reply) replaces it
    again = {**AGENT, "reason": "borrower_request"}
    _deliver(repos, FakeWorkflow(), again)
    assert json.loads(_stored(repos).pending_wake or "") == again


def test_an_opt_out_or_a_closed_case_parks_nothing(repos: Repositories) -> None:
    # given no execution waiting
    workflow = FakeWorkflow()
    # when an opt-out arrives (the gate reads it; no route changes)
    opted = _deliver(repos, workflow, {"wake": "OPT_OUT", "channel": "sms"})
    # then nothing is parked
    assert opted.outcome is Delivered.NOT_WAITING and _stored(repos).pending_wake is None
    # and when the case is closed, even a distress reply parks nothing
    repos.cases.update_fields(CASE_ID, {"status": CaseStatus.PAID})
    assert _deliver(repos, workflow, AGENT).outcome is Delivered.NOT_WAITING
    assert _stored(repos).pending_wake is None


def test_save_never_overwrites_a_parked_wake(repos: Repositories) -> None:
    # given a parked wake
    _deliver(repos, FakeWorkflow(), AGENT)
    case = _stored(repos)
    # when a whole-case save is made from a copy read before the park
    repos.cases.save(
        replace(case, pending_wake=None, segment="hardship"), expected_version=case.version
    )
    # then the parked wake is still there
    assert json.loads(_stored(repos).pending_wake or "") == AGENT


# ------------------------------------------------------------------------------ ranking


def test_ranking_keeps_the_wake_a_human_must_act_on() -> None:
    assert wakes.rank(AGENT) > wakes.rank(HARDSHIP) > wakes.rank({"wake": "PAYMENT_PENDING"})
    assert wakes.rank({"wake": "PAID"}) > wakes.rank({"wake": "APPROVED"}) > wakes.rank(AGENT)
    assert not wakes.parkable({"wake": "OPT_OUT"}) and not wakes.parkable({"wake": "?"})
    assert wakes.to_keep(AGENT, {"wake": "DISPUTE"}) is AGENT
    assert wakes.to_keep({"wake": "DISPUTE"}, {"wake": "RESUME"}) == {"wake": "RESUME"}
    assert wakes.decode(wakes.encode(AGENT)) == AGENT
    assert wakes.decode("not json") is None and wakes.decode('{"x": 1}') is None


# ------------------------------------------------------------------ what a wake means


@pytest.mark.parametrize(
    ("reason", "waiting_for", "closed", "meaning"),
    [
        ("PAID", "reminder_due", True, wakes.Meaning.CLOSED_ALREADY),
        ("PAID", "reminder_due", False, wakes.Meaning.PAID),
        ("PARTIALLY_PAID", "follow_up_due", False, wakes.Meaning.PARTIAL_PAYMENT),
        ("APPROVED", "legal_decision", False, wakes.Meaning.APPROVED),
        ("APPROVED", "agent_outcome", False, wakes.Meaning.NOT_AWAITED),
        ("REJECTED", "reminder_due", False, wakes.Meaning.NOT_AWAITED),
        ("REJECTED", "legal_decision", False, wakes.Meaning.REJECTED),
        (wakes.TIMEOUT, "agent_outcome", False, wakes.Meaning.DEADLINE),
        ("REPLY", "reminder_due", False, wakes.Meaning.REPLY),
        ("DISPUTE", "reminder_due", False, wakes.Meaning.STATUS_NEWS),
        ("PAYMENT_PENDING", "lawyer_letter_due", False, wakes.Meaning.STATUS_NEWS),
        ("OPT_OUT", "reminder_due", False, wakes.Meaning.NO_CHANGE),
        (wakes.RECHECK, "", False, wakes.Meaning.NO_CHANGE),
        ("SOMETHING_NEW", "reminder_due", False, wakes.Meaning.NO_CHANGE),
    ],
)
def test_what_a_wake_means_for_the_wait_it_woke(reason, waiting_for, closed, meaning):
    assert wakes.meaning(reason, waiting_for, closed) is meaning


def test_the_legal_decision_wait_is_the_ladders():
    from arrears.domain.ladder import WaitingFor

    assert WaitingFor.LEGAL_DECISION.value == wakes.LEGAL_DECISION


def test_a_wake_reason_comes_from_the_waker_or_the_deadline():
    assert wakes.reason_for({"wake": "paid"}) == "PAID"
    assert wakes.reason_for({"Error": "States.Timeout", "Cause": "..."}) == wakes.TIMEOUT
    assert wakes.reason_for({}) == wakes.RECHECK
