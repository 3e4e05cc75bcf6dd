"""The offer_plan ops action (domain.ops, issue 9): an agent's plan, offered or agreed."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from arrears.domain.case import CaseRecord
from arrears.domain.ops import InvalidOpsAction, parse_action, plan_action
from arrears.domain.plans import PlanStatus, from_item
from arrears.domain.types import CaseStatus, Stage

NOW = datetime(2026, 11, 5, 2, 0, tzinfo=UTC)


def _case(status: CaseStatus = CaseStatus.OPEN, token: str | None = "tok") -> CaseRecord:
    return CaseRecord(
        case_id="acc-42#1",
        account_id="acc-42",
        cycle=1,
        status=status,
        stage=Stage.AGENT_CALL,
        balance=Decimal("1000.00"),
        currency="CNY",
        opened_at=NOW - timedelta(days=10),
        due_date=date(2026, 10, 26),
        task_token=token,
        queue="AGENT_CALL",
        queue_due_at=NOW + timedelta(hours=4),
    )


def _action(**fields: object) -> object:
    return parse_action({"action": "offer_plan", "case_id": "acc-42#1", "operator": "li", **fields})


def test_an_agreed_plan_starts_now_and_wakes_the_case() -> None:
    plan = plan_action(_action(installments=4, accepted=True), _case(), NOW)  # type: ignore[arg-type]
    stored = from_item(json.loads(plan.case.set["plan"]))
    assert stored.status is PlanStatus.ACTIVE and stored.resume_stage == "agent_call"
    assert [i.amount for i in stored.installments] == [Decimal("250.00")] * 4
    assert plan.case.set["status"] == "ON_PLAN"
    assert plan.case.remove == ("queue", "queue_due_at")  # the agent's call task is done
    assert plan.wake == {"wake": "PLAN_ACCEPTED", "plan_id": stored.plan_id}
    assert plan.timeline_kind == "plan_accepted"


def test_an_offer_only_waits_for_the_borrower() -> None:
    plan = plan_action(_action(pay_by="2026-12-01"), _case(), NOW)  # type: ignore[arg-type]
    stored = from_item(json.loads(plan.case.set["plan"]))
    assert stored.status is PlanStatus.OFFERED and len(stored.installments) == 1
    assert "status" not in plan.case.set and plan.wake is None
    assert plan.timeline_kind == "plan_offered"


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"installments": 3, "pay_by": "2026-12-01"}, CaseStatus.OPEN, "not both"),
        ({"installments": 12}, CaseStatus.OPEN, "at most 6"),
        ({"pay_by": "2027-06-01"}, CaseStatus.OPEN, "at most 60 days"),
        ({}, CaseStatus.DISPUTED, "disputed"),
        ({}, CaseStatus.ON_PLAN, "plan already runs"),
    ],
)
def test_refusals_say_why(fields: dict[str, object], status: CaseStatus, message: str) -> None:
    with pytest.raises(InvalidOpsAction, match=message):
        plan_action(_action(**fields), _case(status), NOW)  # type: ignore[arg-type]
