"""resolve_dispute ends a dispute without closing the case: rejected resumes the ladder."""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from datetime import timedelta

from arrears.adapters.cases import Repositories
from arrears.domain.types import CaseStatus
from escalation_support import (  # noqa: F401 - fixtures
    case,
    open_overdue,
    ops,
    ops_at,
    outbox,
    rt,
    states_entered,
)


def _dispute(case_id: str) -> dict[str, object]:
    return {
        "action": "record_call_outcome",
        "case_id": case_id,
        "outcome": "dispute",
        "reason": "borrower says the instalment was refunded",
    }


def test_a_rejected_dispute_resumes_collection_at_the_current_stage(rt, outbox):
    # given a case disputed on day 3 and held for 17 days
    start = rt.now
    case_id = open_overdue(rt, "acc-dispute-no")
    ops_at(rt, start + timedelta(days=3), _dispute(case_id))
    rt.advance(timedelta(days=20))
    assert case(case_id).status is CaseStatus.DISPUTED
    sent_before = len(outbox.to("acc-dispute-no"))

    # when ops reject the dispute
    resolved_at = rt.now
    outcome = ops(
        rt,
        {
            "action": "resolve_dispute",
            "case_id": case_id,
            "outcome": "rejected",
            "reason": "merchant confirmed no refund",
        },
    )
    rt.advance(timedelta(days=3))

    # then the case is OPEN again, the held execution was woken with RESUME, and the ladder
    # went on contacting the borrower (no new case, no restart from the first stage)
    assert outcome.status == "SUCCEEDED", outcome.cause
    resumed = case(case_id)
    assert resumed.status is CaseStatus.OPEN
    audit = [
        e.detail
        for e in Repositories.dynamo().timeline.list(case_id)
        if e.kind == "dispute_resolved"
    ]
    assert len(audit) == 1
    assert audit[0]["resolution"] == "rejected"
    assert audit[0]["case_execution"] == "woken"
    later = [s for s in outbox.to("acc-dispute-no") if s["at"] >= resolved_at]
    assert later, "collection resumed after the rejected dispute"
    assert len(outbox.to("acc-dispute-no")) > sent_before
    assert states_entered(rt, case_id).count("Send reminder") == 1  # never restarted


def test_an_upheld_dispute_closes_the_case(rt, outbox):
    # given a disputed case
    start = rt.now
    case_id = open_overdue(rt, "acc-dispute-yes")
    ops_at(rt, start + timedelta(days=3), _dispute(case_id))
    rt.advance(timedelta(days=10))

    # when ops uphold the dispute
    outcome = ops(
        rt,
        {
            "action": "resolve_dispute",
            "case_id": case_id,
            "outcome": "upheld",
            "reason": "refund confirmed",
        },
    )
    sent = len(outbox.to("acc-dispute-yes"))
    rt.advance(timedelta(days=30))

    # then the case is closed as dispute_upheld, its execution ended, nothing more was sent
    assert outcome.status == "SUCCEEDED", outcome.cause
    closed = case(case_id)
    assert closed.status is CaseStatus.CLOSED
    assert closed.outcome == "dispute_upheld"
    assert states_entered(rt, case_id)[-1] == "Case closed"
    assert len(outbox.to("acc-dispute-yes")) == sent


def test_resolve_dispute_is_refused_on_a_case_that_is_not_disputed(rt, outbox):
    case_id = open_overdue(rt, "acc-dispute-none")
    rt.advance(timedelta(days=1))
    outcome = ops(
        rt,
        {"action": "resolve_dispute", "case_id": case_id, "outcome": "upheld", "reason": "r"},
    )
    assert outcome.status == "FAILED"
    assert outcome.error == "CaseNotDisputed"
    assert case(case_id).status is CaseStatus.OPEN
