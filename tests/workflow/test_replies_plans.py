"""Hardship by reply -> plan offered -> accepted -> installments paid -> resolved; and a
missed installment that breaks the plan so escalation resumes at the stage the case was in."""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import jsonschema
from arrears.adapters.cases import Repositories
from arrears.adapters.plans import DynamoPlans
from arrears.domain.plans import InstallmentStatus, PlanStatus
from arrears.domain.types import CaseStatus
from escalation_support import (  # noqa: F401 - fixtures
    case,
    open_overdue,
    ops,
    outbox,
    post,
    rt,
    timeline_kinds,
)
from replies_support import reply

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "report.schema.json").read_text()
)


def _cumulative(plan, upto: int) -> str:
    return format(sum((i.amount for i in plan.installments[:upto]), Decimal(0)), "f")


def test_hardship_reply_leads_to_a_plan_that_is_paid_and_resolves_the_case(rt, outbox):
    # given a standard case (1250.00 CNY) that got its day-1 reminder
    case_id = open_overdue(rt, "acc-hard")
    rt.advance(timedelta(days=2))

    # when the borrower replies that they lost their job (Chinese, with a typo-free phrase)
    reply(rt, "acc-hard", "我失业了，现在真的没钱")
    rt.advance(timedelta(hours=2))

    # then the case is on the hardship path and a plan was offered by SMS and email
    assert case(case_id).segment == "hardship"
    offer = DynamoPlans().get(case_id)
    assert offer is not None and offer.status is PlanStatus.OFFERED
    assert sum((i.amount for i in offer.installments), Decimal(0)) == Decimal("1250.00")
    offers = [m for m in outbox.to("acc-hard") if "6" in m["body"] and m["channel"] == "sms"]
    assert offers, "the plan_offer SMS names the number of installments"

    # when the borrower accepts ("好的，同意")
    reply(rt, "acc-hard", "好的，同意")
    plan = DynamoPlans().get(case_id)
    assert plan is not None and plan.status is PlanStatus.ACTIVE
    assert case(case_id).status is CaseStatus.ON_PLAN
    sent_before = len(outbox.to("acc-hard"))

    # and pays every installment on its due date (cumulative amount_paid, as the wallet sends)
    for number, item in enumerate(plan.installments, start=1):
        rt.run_until(item.due_at - timedelta(hours=12))
        status = "PAID" if number == len(plan.installments) else "PARTIALLY_PAID"
        post(rt, "acc-hard", status, amount_paid=_cumulative(plan, number))
        rt.advance(timedelta(hours=1))
        if status == "PARTIALLY_PAID":
            assert case(case_id).status is CaseStatus.ON_PLAN

    # then the plan is completed, the case closed as paid, and while on plan no collection
    # message went out (only the receipt at the end)
    rt.advance(timedelta(days=3))
    done = DynamoPlans().get(case_id)
    assert done is not None and done.status is PlanStatus.COMPLETED
    assert all(i.status is InstallmentStatus.PAID for i in done.installments)
    assert case(case_id).status is CaseStatus.PAID
    after = outbox.to("acc-hard")[sent_before:]
    assert after, "the receipt thanks the borrower"
    kinds = timeline_kinds(case_id)
    assert kinds.count("plan_payment") == len(plan.installments) - 1
    assert "plan_completed" in kinds and "contact_blocked" not in kinds
    templates = [
        e.detail.get("template")
        for e in Repositories.dynamo().timeline.list(case_id)
        if e.kind == "contact_sent" and e.at > plan.accepted_at
    ]
    assert set(templates) <= {"receipt"}

    # and the `arrears run` report shows the plan, valid against its JSON Schema
    report = rt.report()
    jsonschema.validate(report, SCHEMA)
    shown = next(c for c in report["cases"] if c["case_id"] == case_id)["plan"]
    assert shown["status"] == "completed" and shown["total"] == "1250.00"
    assert [i["status"] for i in shown["installments"]] == ["paid"] * len(plan.installments)
    assert sum(Decimal(i["amount"]) for i in shown["installments"]) == Decimal("1250.00")


def test_missed_installment_breaks_the_plan_and_escalation_resumes_where_it_was(rt, outbox):
    # given a hardship case that accepted its plan
    case_id = open_overdue(rt, "acc-broken")
    rt.advance(timedelta(days=2))
    reply(rt, "acc-broken", "I lost my job last month")
    rt.advance(timedelta(hours=2))
    reply(rt, "acc-broken", "ok, I accept")
    plan = DynamoPlans().get(case_id)
    assert plan is not None and plan.status is PlanStatus.ACTIVE
    stage_at_acceptance = plan.resume_stage

    # when the first installment is paid and the second is not
    first = plan.installments[0]
    rt.run_until(first.due_at - timedelta(hours=6))
    post(rt, "acc-broken", "PARTIALLY_PAID", amount_paid=_cumulative(plan, 1))
    second = plan.installments[1]
    rt.run_until(second.due_at + timedelta(days=plan.grace_days, hours=1))

    # then the plan broke at installment 2, after its grace, and the case is open again
    broken = DynamoPlans().get(case_id)
    assert broken is not None and broken.status is PlanStatus.BROKEN
    assert broken.installments[0].status is InstallmentStatus.PAID
    assert broken.installments[1].status is InstallmentStatus.MISSED
    entries = Repositories.dynamo().timeline.list(case_id)
    broke = next(e for e in entries if e.kind == "plan_broken")
    assert broke.at >= second.due_at + timedelta(days=plan.grace_days)
    assert broke.detail["resume_stage"] == stage_at_acceptance
    assert case(case_id).status is CaseStatus.OPEN

    # and escalation resumes at the first stage of the hardship ladder not done before the
    # plan: the reminder (day 1) and the plan offer were done, so the agent call comes next,
    # and nothing done before the plan happens again
    rt.advance(timedelta(days=5))
    entered = [
        (e.at, e.detail.get("stage"))
        for e in Repositories.dynamo().timeline.list(case_id)
        if e.kind == "stage_entered"
    ]
    before = {stage for at, stage in entered if at <= broke.at}
    after = [stage for at, stage in entered if at > broke.at]
    assert {"reminder", "plan_offer"} <= before
    assert after and after[0] == "agent_call"
    assert not before & set(after)


def test_an_agent_agrees_a_plan_through_an_ops_action_and_it_is_paid(rt, outbox):
    # given a standard case waiting for its follow-up
    case_id = open_overdue(rt, "acc-agent-plan")
    rt.advance(timedelta(days=2))

    # when an agent records a 3-installment plan the borrower agreed on the phone
    outcome = ops(
        rt,
        {"action": "offer_plan", "case_id": case_id, "installments": 3, "accepted": True},
    )

    # then the case is on plan, held until the first installment's deadline
    assert outcome.status == "SUCCEEDED"
    assert case(case_id).status is CaseStatus.ON_PLAN
    assert case(case_id).waiting_for == "plan_review"
    plan = DynamoPlans().get(case_id)
    assert plan is not None and plan.status is PlanStatus.ACTIVE
    assert [i.amount for i in plan.installments] == [
        Decimal("416.66"),
        Decimal("416.66"),
        Decimal("416.68"),
    ]
    assert plan.source == "agent:agent.li"

    # when every installment is paid on time
    for number, item in enumerate(plan.installments, start=1):
        rt.run_until(item.due_at - timedelta(hours=12))
        status = "PAID" if number == len(plan.installments) else "PARTIALLY_PAID"
        post(rt, "acc-agent-plan", status, amount_paid=_cumulative(plan, number))
    rt.advance(timedelta(days=1))

    # then the plan is completed and the case paid
    done = DynamoPlans().get(case_id)
    assert done is not None and done.status is PlanStatus.COMPLETED
    assert case(case_id).status is CaseStatus.PAID


def test_a_plan_is_refused_for_a_disputed_case(rt, outbox):
    case_id = open_overdue(rt, "acc-agent-dispute")
    rt.advance(timedelta(days=2))
    reply(rt, "acc-agent-dispute", "wrong amount")
    outcome = ops(rt, {"action": "offer_plan", "case_id": case_id, "accepted": True})
    assert outcome.status == "FAILED"
    assert DynamoPlans().get(case_id) is None
