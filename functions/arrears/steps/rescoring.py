"""Scoring a case and choosing its segment: at assessment, and again after a partial
payment, a broken promise or plan, an agent's outcome or a hardship reply."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from arrears.domain.case import BorrowerRecord, CaseRecord, TimelineEntry
from arrears.domain.policy import Policy
from arrears.steps.unit_of_work import UnitOfWork, count

if TYPE_CHECKING:  # the scorecard loads when a case is first scored, not with every step
    from arrears.domain.scoring import Features


def rescore(
    deps: UnitOfWork,
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
    from arrears.domain.scoring import choose_segment, load_scorecard, score

    card = load_scorecard()
    # the latest reply's sentiment (reply_analysed audit lines) is a feature
    sentiment = latest_sentiment(deps.repos.timeline.list(case.case_id, ("reply_analysed",)))
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
    deps.set_case(case.case_id, **fields)
    count("SegmentChosen", segment=choice.segment, trigger=trigger)
    deps.record(
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
    from arrears.domain.scoring import Features, Reachability, tenure_months

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


def latest_sentiment(entries: Iterable[TimelineEntry]) -> str | None:
    """The sentiment label of the newest analysed reply ("negative", ...), for scoring."""
    label = None
    for entry in entries:
        if entry.kind == "reply_analysed":
            sentiment = entry.detail.get("sentiment")
            if isinstance(sentiment, dict) and sentiment.get("label"):
                label = str(sentiment["label"]).lower()
    return label
