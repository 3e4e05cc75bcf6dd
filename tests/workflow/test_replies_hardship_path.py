"""Hardship is a path, not a note: when nobody works the agent task a hardship reply opened,
the plan offer still goes out, and no pressure step runs while the offer stands."""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from datetime import timedelta

from arrears.adapters.cases import Repositories
from arrears.adapters.plans import DynamoPlans
from arrears.domain.plans import PlanStatus
from arrears.domain.policy import load_policy
from escalation_support import (  # noqa: F401 - fixtures
    case,
    open_overdue,
    outbox,
    rt,
)
from replies_support import reply

PRESSURE = {"demand_letter", "lawyer_letter", "legal_review"}


def test_a_hardship_reply_nobody_answers_still_gets_its_plan_offer(rt, outbox):
    # given a standard case that got its day-1 reminder
    case_id = open_overdue(rt, "acc-hard-path")
    rt.advance(timedelta(days=2))

    # when the borrower asks for instalments and a call, and no agent works the task
    reply(rt, "acc-hard-path", "I lost my job, can I pay in installments? please call me")
    assert case(case_id).queue == "AGENT_CALL"
    rt.advance(timedelta(days=3))

    # then after the agent's deadline the case took the hardship ladder: its plan offer
    # went out by text and email
    assert case(case_id).segment == "hardship"
    entries = Repositories.dynamo().timeline.list(case_id)
    offered = [
        e.detail["channel"]
        for e in entries
        if e.kind == "contact_sent" and e.detail.get("template") == "plan_offer"
    ]
    assert sorted(offered) == ["email", "sms"]
    plan = DynamoPlans().get(case_id)
    assert plan is not None and plan.status is PlanStatus.OFFERED

    # and while the offer stands, no pressure step ran
    offer_deadline = plan.offered_at + timedelta(days=load_policy().plans.offer_valid_days)
    rt.run_until(offer_deadline - timedelta(hours=1))
    stages = {
        e.detail.get("stage")
        for e in Repositories.dynamo().timeline.list(case_id)
        if e.kind == "stage_entered"
    }
    assert not stages & PRESSURE, stages
