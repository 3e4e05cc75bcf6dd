"""The escalation step handlers on in-memory fakes: the decisions no workflow path reaches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from arrears.domain.errors import CaseClosed
from arrears.domain.policy import load_policy
from arrears.domain.types import CaseStatus, Stage
from arrears.steps.contact import act_on_stage, deliver_message
from arrears.steps.legal_review import (
    LitigationNotApproved,
    open_legal_review,
    refer_to_litigation,
)
from arrears.steps.unit_of_work import UnitOfWork
from arrears.steps.wake import handle_wake
from step_support import CASE_ID, NOW, make_deps


def _kinds(deps: UnitOfWork) -> list[str]:
    return [e.kind for e in deps.repos.timeline.list(CASE_ID)]


def test_approval_while_waiting_for_the_legal_decision_routes_to_litigation():
    deps = make_deps()
    pending = {
        "route": "legal_review_decision",
        "waiting_for": "legal_decision",
        "wait_until": (NOW + timedelta(days=3)).isoformat(),
    }
    out = handle_wake(deps, CASE_ID, {"wake": "APPROVED", "approver": "counsel"}, pending)
    assert (out["route"], out["outcome"]) == ("litigation", "approved")


def test_approval_of_a_case_not_in_legal_review_resumes_the_same_wait_for_the_time_left():
    deps = make_deps()
    until = NOW + timedelta(days=3, hours=2)
    pending = {"route": "follow_up", "waiting_for": "", "wait_until": until.isoformat()}
    out = handle_wake(deps, CASE_ID, {"wake": "APPROVED"}, pending)
    assert out["route"] == "follow_up"
    assert out["next_wait_seconds"] == int((until - NOW).total_seconds())
    assert out["outcome"] == "unchanged"


REVIEW_WAIT = {"route": "legal_review_decision", "waiting_for": "legal_decision"}


def _reject(deps: UnitOfWork, **wake: str) -> dict:
    return handle_wake(
        deps,
        CASE_ID,
        {"wake": "REJECTED", "approver": "counsel", **wake},
        {
            **REVIEW_WAIT,
            "wait_until": NOW.isoformat(),
        },
    )


def test_a_rejection_that_holds_keeps_the_debt_open_for_a_person_in_its_queue():
    deps = make_deps(stage=Stage.LEGAL_REVIEW)
    out = _reject(deps, next_step="hold")
    held = deps.repos.cases.get(CASE_ID)
    assert (out["route"], out["waiting_for"]) == ("legal_review_decision", "legal_decision")
    assert held is not None and held.status is CaseStatus.OPEN
    assert held.decision_queue == "LITIGATION_REJECTED"
    rejected = [e for e in deps.repos.timeline.list(CASE_ID) if e.kind == "litigation_rejected"]
    assert [e.detail["next_step"] for e in rejected] == ["hold"]


def test_a_rejection_with_no_next_step_takes_the_policys_default():
    deps = make_deps(stage=Stage.LEGAL_REVIEW)
    _reject(deps)  # the shipped policy says hold
    held = deps.repos.cases.get(CASE_ID)
    assert held is not None and held.is_open and held.decision_queue == "LITIGATION_REJECTED"


def test_a_person_may_write_off_on_rejection():
    deps = make_deps(stage=Stage.LEGAL_REVIEW)
    out = _reject(deps, next_step="write_off")
    closed = deps.repos.cases.get(CASE_ID)
    assert out["route"] == "closed"
    assert closed is not None and closed.status is CaseStatus.WRITTEN_OFF
    assert closed.outcome == "written_off_after_legal_review"


def test_a_rejection_may_place_the_case_with_an_agency_queue():
    deps = make_deps(stage=Stage.LEGAL_REVIEW)
    out = _reject(deps, next_step="place_with_agency")
    placed = deps.repos.cases.get(CASE_ID)
    assert out["route"] == "legal_review_decision"
    assert placed is not None and placed.is_open and placed.decision_queue == "AGENCY_PLACEMENT"


def test_continuing_the_ladder_after_its_last_stage_waits_for_a_person():
    ladder = load_policy().segment("standard").ladder
    done = {f"{step.stage}#{channel}" for step in ladder for channel in step.channels}
    deps = make_deps(
        stage=Stage.LEGAL_REVIEW, done_actions=frozenset(done | {"legal_review#review"})
    )
    out = _reject(deps, next_step="continue_ladder")
    case = deps.repos.cases.get(CASE_ID)
    # legal review is the standard ladder's last stage: nothing is left to send
    assert out["route"] == "legal_review_decision"
    assert case is not None and case.is_open and case.decision_queue == "LITIGATION_REJECTED"


def test_referral_without_an_approval_fails_loudly_and_changes_nothing():
    deps = make_deps()
    with pytest.raises(LitigationNotApproved):
        refer_to_litigation(deps, CASE_ID, {"wake": "RESUME"})
    assert deps.repos.cases.get(CASE_ID).status is CaseStatus.OPEN  # type: ignore[union-attr]
    refer_to_litigation(deps, CASE_ID, {"wake": "APPROVED", "approver": "counsel"})
    assert deps.repos.cases.get(CASE_ID).status is CaseStatus.LITIGATION  # type: ignore[union-attr]


def test_an_overdue_legal_review_alerts_then_escalates_to_a_manager_and_never_closes():
    deps = make_deps(stage=Stage.LEGAL_REVIEW)
    routes = [
        handle_wake(deps, CASE_ID, {"Error": "States.Timeout"}, REVIEW_WAIT)["route"]
        for _ in range(6)
    ]
    assert routes == ["legal_review_alert"] * 6
    case = deps.repos.cases.get(CASE_ID)
    assert case is not None and case.status is CaseStatus.OPEN
    # three alerts to the review queue (the shipped policy), then the manager's queue
    assert case.decision_queue == "LEGAL_REVIEW_ESCALATED"
    assert _kinds(deps).count("legal_review_escalated") == 1
    assert _kinds(deps).count("legal_review_overdue") == 6


def test_an_agent_deadline_moves_the_ladder_on_and_leaves_the_work_queue():
    deps = make_deps(
        done_actions=frozenset({"reminder#sms", "follow_up#sms", "agent_call#call"}),
        queue="AGENT_CALL",
        queue_due_at=NOW,
    )
    out = handle_wake(deps, CASE_ID, {"Error": "States.Timeout"}, {"route": "agent_call_outcome"})
    assert out["route"] == "demand_letter"
    assert deps.repos.cases.get(CASE_ID).queue is None  # type: ignore[union-attr]
    assert "agent_call_expired" in _kinds(deps)


def test_opening_a_legal_review_twice_keeps_one_review_and_its_deadline():
    deps = make_deps()
    first = open_legal_review(deps, CASE_ID)
    second = open_legal_review(deps, CASE_ID)
    assert first["route"] == second["route"] == "legal_review_decision"
    assert _kinds(deps).count("stage_entered") == 1


def test_a_contact_step_on_a_written_off_case_raises_case_closed():
    deps = make_deps(status=CaseStatus.WRITTEN_OFF)
    with pytest.raises(CaseClosed):
        act_on_stage(deps, CASE_ID, Stage.FOLLOW_UP, deliver_message)


def test_a_contact_step_on_a_paid_case_goes_to_the_thank_you():
    deps = make_deps(status=CaseStatus.PAID)
    out = act_on_stage(deps, CASE_ID, Stage.FOLLOW_UP, deliver_message)
    assert out["route"] == "thank"
    assert deps.messenger.sent == []  # type: ignore[attr-defined]


def test_a_contact_at_night_is_deferred_and_nothing_is_marked_done():
    night = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    deps = make_deps(now=night, done_actions=frozenset({"reminder#sms", "reminder#email"}))
    out = act_on_stage(deps, CASE_ID, Stage.FOLLOW_UP, deliver_message)
    assert (out["outcome"], out["route"]) == ("deferred", "follow_up")
    assert out["wait_until"] == "2026-11-21T00:00:00+00:00"  # 08:00 local
    assert "follow_up#sms" not in deps.repos.cases.get(CASE_ID).done_actions  # type: ignore[union-attr]
    assert deps.messenger.sent == []  # type: ignore[attr-defined]


def test_a_held_case_is_not_contacted_and_goes_back_to_its_hold():
    deps = make_deps(status=CaseStatus.PAYMENT_PENDING, pending_since=NOW - timedelta(hours=10))
    out = act_on_stage(deps, CASE_ID, Stage.FOLLOW_UP, deliver_message)
    assert (out["route"], out["waiting_for"]) == ("hold", "payment_settlement")
    assert out["next_wait_seconds"] == 62 * 3600
    assert deps.messenger.sent == []  # type: ignore[attr-defined]
