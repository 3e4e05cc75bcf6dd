"""Escalation step "Assess risk and plan": score, choose the treatment segment, plan stage one.

The score, model version, reason codes, segment, policy version and champion/challenger arm
go on the case and into the audit timeline, so anyone can see why a borrower got the
treatment they got. The same scoring runs again after a partial payment or a broken
promise (``rescore``, called by the record step).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from arrears import constants as c
from arrears.domain.case import BorrowerRecord, CaseRecord
from arrears.domain.errors import CaseClosed
from arrears.domain.guards import hold_reason
from arrears.domain.ladder import NextStep, Route, plan_next
from arrears.domain.policy import Policy, policy_by_version, policy_for_account
from arrears.domain.scoring import (
    Features,
    Reachability,
    choose_segment,
    load_scorecard,
    score,
    tenure_months,
)
from arrears.domain.types import CaseStatus
from arrears.settings import settings
from arrears.steps.reply import latest_sentiment  # issue 9
from arrears.steps.unit_of_work import (
    StepDeps,
    case_view,
    count,
    load_borrower,
    load_case_and_borrower,
    record,
    set_case,
    step_writes,
)
from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service=c.SERVICE_NAME)
tracer = Tracer(service=c.SERVICE_NAME)
metrics = Metrics(namespace=c.METRICS_NAMESPACE, service=c.SERVICE_NAME)


def assess(deps: StepDeps, case_id: str) -> dict[str, Any]:
    now = deps.clock()
    deps, case = load_case_and_borrower(deps, case_id)
    if case.status.is_terminal:
        if case.status in (CaseStatus.PAID, CaseStatus.RESOLVED):
            return NextStep(Route.THANK, outcome="closed", reason=case.status.value).as_output()
        raise CaseClosed(f"{case_id}: {case.status.value}")
    with step_writes(deps, case) as step:  # the segment and its audit line: one write
        return _assess(step, case, now)


def _assess(deps: StepDeps, case: CaseRecord, now: datetime) -> dict[str, Any]:
    borrower = load_borrower(deps, case)
    policy_file = settings().policy_file
    if case.policy_version:  # a redriven execution keeps the policy it started with
        policy, arm = policy_by_version(case.policy_version, policy_file), case.arm or "champion"
    else:
        policy, arm = policy_for_account(case.account_id, policy_file)
    segment = rescore(deps, case, borrower, policy, now, arm=arm, trigger="case_opened")
    if hold_reason(case.status):
        from arrears.steps.contact import hold_for_status

        nxt = hold_for_status(policy, case, now)
    else:
        nxt = plan_next(policy, case_view(case, borrower, segment=segment), now)
    logger.info("assessed", extra={"segment": segment, "route": nxt.route})
    return nxt.with_outcome("assessed", segment).as_output()


def rescore(
    deps: StepDeps,
    case: CaseRecord,
    borrower: BorrowerRecord,
    policy: Policy,
    now: datetime,
    *,
    arm: str | None = None,
    trigger: str,
    broken_promises: int = 0,
) -> str:
    """Score the case now, choose its segment, store both; returns the segment."""
    card = load_scorecard()
    # issue 9: the latest reply's sentiment (reply_analysed audit lines) is a feature
    sentiment = latest_sentiment(deps.repos.timeline.list(case.case_id))
    result = score(features_of(case, borrower, now, broken_promises, sentiment), card)
    choice = choose_segment(result, borrower.flags, policy.bands())
    fields: dict[str, Any] = {
        "segment": choice.segment,
        "score": result.score,
        "model_version": result.model_version,
        "policy_version": policy.version,
    }
    if arm:
        fields["arm"] = arm
    set_case(deps, case.case_id, **fields)
    count("SegmentChosen", segment=choice.segment, trigger=trigger)
    record(
        deps,
        case.case_id,
        "segment_chosen",
        {
            "trigger": trigger,
            "segment": choice.segment,
            "previous_segment": case.segment,
            "score": result.score,
            "model_version": result.model_version,
            "reasons": list(choice.reasons),
            "policy_version": policy.version,
            "arm": arm or case.arm,
        },
        now,
    )
    return choice.segment


def features_of(
    case: CaseRecord,
    borrower: BorrowerRecord,
    now: datetime,
    broken_promises: int = 0,
    sentiment: str | None = None,
) -> Features:
    facts = borrower.account
    due = case.due_date or case.opened_at.date()
    return Features(
        days_past_due=max((now.date() - due).days, 0),
        amount_overdue=case.balance,
        credit_limit=facts.credit_limit,
        prior_delinquencies=facts.prior_delinquencies,
        prior_cures=facts.prior_cures,
        on_time_payment_ratio=facts.on_time_payment_ratio,
        tenure_months=tenure_months(facts.opened_at, now.date()) if facts.opened_at else None,
        broken_promises=broken_promises,
        reachability=Reachability(
            email_bounced=borrower.email_bounced, sms_failed=borrower.sms_failed
        ),
        sentiment=sentiment,
    )
