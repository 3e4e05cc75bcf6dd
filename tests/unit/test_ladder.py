"""Planning the ladder (pure), and the state machine agreeing with the planner's routes."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from arrears import topology
from arrears.domain.ladder import (
    STAGE_ROUTES,
    CaseView,
    Route,
    WaitingFor,
    act_route,
    action_key,
    hold,
    next_ladder_step,
    plan_next,
    plan_resume,
    plan_retry,
    route_for_waiting,
    wait_seconds,
    wait_until,
)
from arrears.domain.policy import load_policy
from arrears.domain.types import Stage

POLICY = load_policy()
DUE = date(2026, 11, 1)
SHANGHAI = "Asia/Shanghai"


def case(segment="standard", done=(), overdue=True, tz=SHANGHAI) -> CaseView:
    return CaseView(
        segment=segment, due_date=DUE, done_actions=frozenset(done), timezone=tz, overdue=overdue
    )


def test_first_stage_is_planned_for_the_preferred_local_hour():
    # given a standard case the day after its due date
    now = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    # when the next step is planned
    step = plan_next(POLICY, case(), now)
    # then it is the reminder on day 1 at 10:00 Shanghai time (02:00 UTC)
    assert step.route is Route.REMINDER
    assert step.wait_until == datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
    assert step.wait_seconds == 3600
    assert step.waiting_for == "reminder_due"


def test_a_stage_already_due_waits_one_second_not_zero_or_negative():
    now = datetime(2026, 11, 20, tzinfo=UTC)
    step = plan_next(POLICY, case(), now)
    assert step.route is Route.REMINDER
    assert step.wait_seconds == 1
    assert step.wait_until == now


def test_a_stage_is_passed_once_any_of_its_actions_was_decided():
    # given nothing decided yet, the reminder is next
    assert next_ladder_step(POLICY, case()).stage is Stage.REMINDER
    # when the reminder SMS was decided (its email still deferred) the reminder has happened
    half = case(done={action_key(Stage.REMINDER, "sms")})
    assert next_ladder_step(POLICY, half).stage is Stage.FOLLOW_UP
    # and a re-score to a segment whose follow-up is by email does not repeat the follow-up
    after_follow_up = case("self_cure", done={"reminder#sms", "follow_up#sms"})
    assert next_ladder_step(POLICY, after_follow_up).stage is Stage.AGENT_CALL


def test_each_segment_follows_its_own_ladder_order():
    # given a high-risk case after its reminder / then the agent call comes before the follow-up
    high = case("high_risk", done={"reminder#sms", "reminder#email"})
    assert plan_next(POLICY, high, datetime(2026, 11, 2, tzinfo=UTC)).route is Route.AGENT_CALL
    hardship = case("hardship")
    assert plan_next(POLICY, hardship, datetime(2026, 11, 2, tzinfo=UTC)).route is Route.PLAN_OFFER


def test_resume_continues_at_the_current_stage_not_the_start_after_a_quiet_period():
    # given reminder and follow-up done, and a partial payment on day 20
    done = {"reminder#sms", "reminder#email", "follow_up#sms"}
    now = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
    # when escalation resumes
    step = plan_resume(POLICY, case(done=done), now)
    # then it is the agent call (day 14, already past), after the after-payment quiet period
    assert step.route is Route.AGENT_CALL
    assert step.wait_until == now + timedelta(hours=POLICY.grace.after_payment_hours)


def test_resume_after_a_segment_change_never_skips_a_stage_that_did_not_happen():
    # given a standard case past its follow-up, re-scored high-risk (agent call before follow-up)
    done = {"reminder#sms", "reminder#email", "follow_up#sms"}
    step = plan_next(POLICY, case("high_risk", done=done), datetime(2026, 11, 9, tzinfo=UTC))
    # then the agent call, not yet made, is next (not the demand letter)
    assert step.route is Route.AGENT_CALL


def test_legal_review_is_the_last_stage_and_then_a_person_decides():
    standard = POLICY.segment("standard")
    done = set()
    for step in standard.ladder[:-1]:
        done |= {f"{step.stage}#{ch}" for ch in step.channels}
    assert plan_next(POLICY, case(done=done), datetime(2026, 12, 1, tzinfo=UTC)).route is (
        Route.LEGAL_REVIEW
    )
    done.add("legal_review#review")
    finished = plan_next(POLICY, case(done=done), datetime(2026, 12, 1, tzinfo=UTC))
    # a debt never leaves collection without a decision: a person is asked
    assert finished.route is Route.LEGAL_REVIEW_DECISION
    assert finished.waiting_for == "legal_decision"
    assert finished.reason == "ladder_complete"


def test_deferred_contact_returns_to_the_same_stage_until_not_before():
    now = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    not_before = datetime(2026, 11, 3, 0, 0, tzinfo=UTC)
    step = plan_retry(Stage.REMINDER, not_before, now)
    assert step.route is Route.REMINDER
    assert step.wait_seconds == 9 * 3600
    assert step.waiting_for == "reminder_due"


def test_high_risk_due_soon_gets_a_pre_due_reminder_then_waits_for_overdue():
    # given a high-risk account with the due date in 5 days
    now = datetime(2026, 10, 27, 1, 0, tzinfo=UTC)
    step = plan_next(POLICY, case("high_risk", overdue=False), now)
    # then the pre-due reminder is planned 3 days before the due date at 10:00 local
    assert step.route is Route.PRE_DUE
    assert step.wait_until == datetime(2026, 10, 29, 2, 0, tzinfo=UTC)
    # and once sent, the case waits for the OVERDUE event or a payment, with a deadline
    after = plan_next(POLICY, case("high_risk", done={"pre_due#sms"}, overdue=False), now)
    assert after.route is Route.HOLD
    assert after.waiting_for == WaitingFor.OVERDUE
    assert after.wait_until == datetime(2026, 11, 1, 16, 0, tzinfo=UTC) + timedelta(hours=36)


def test_standard_due_soon_is_not_contacted_before_the_due_date():
    step = plan_next(POLICY, case("standard", overdue=False), datetime(2026, 10, 27, tzinfo=UTC))
    assert step.route is Route.HOLD
    assert step.waiting_for == WaitingFor.OVERDUE


def test_hold_and_wait_seconds_edges():
    now = datetime(2026, 11, 2, tzinfo=UTC)
    held = hold(WaitingFor.PAYMENT_SETTLEMENT, now + timedelta(hours=72), now)
    assert (held.route, held.wait_seconds, held.outcome) == (Route.HOLD, 72 * 3600, "hold")
    assert wait_seconds(now + timedelta(milliseconds=1), now) == 1
    assert wait_seconds(now + timedelta(days=5000), now) < 365 * 24 * 3600


def test_output_always_carries_every_key_the_state_machine_reads():
    out = plan_next(POLICY, case(), datetime(2026, 11, 2, tzinfo=UTC)).as_output()
    assert set(out) == {
        "route",
        "next_wait_seconds",
        "wait_until",
        "waiting_for",
        "outcome",
        "reason",
        "queue",
    }
    assert isinstance(out["next_wait_seconds"], int)


def test_a_person_s_task_is_listed_in_the_queue_the_step_names():
    now = datetime(2026, 11, 2, tzinfo=UTC)
    agent = wait_until(Route.AGENT_CALL_OUTCOME, now, now, "agent_outcome")
    assert agent.as_output()["queue"] == "AGENT_CALL"
    review = agent.in_queue("REPLY_REVIEW").with_outcome("reply_review")
    assert review.as_output()["queue"] == "REPLY_REVIEW"
    assert review.as_output()["outcome"] == "reply_review"


@pytest.mark.parametrize(
    ("waiting_for", "route"),
    [
        ("reminder_due", Route.REMINDER),
        ("lawyer_letter_due", Route.LAWYER_LETTER),
        ("agent_outcome", Route.AGENT_CALL_OUTCOME),
        ("legal_decision", Route.LEGAL_REVIEW_DECISION),
        ("payment_settlement", Route.HOLD),
        ("overdue", Route.HOLD),
        (None, None),
        ("nonsense_due", None),
    ],
)
def test_an_interrupted_wait_maps_back_to_its_route(waiting_for, route):
    assert route_for_waiting(waiting_for) == route


# ---------------------------------------------------------------- the ASL agrees with the planner

ASL = json.loads(topology.ESCALATION.definition_path.read_text(encoding="utf-8"))
STATES = ASL["States"]


def test_every_route_the_planner_can_return_has_a_choice_rule_and_back():
    hub = STATES["Go to next step"]
    simple = [rule for rule in hub["Choices"] if "StringEquals" in rule]
    routes = {rule["StringEquals"] for rule in simple}
    assert routes == {r.value for r in Route}
    for rule in hub["Choices"]:
        assert rule["Next"] in STATES


def test_only_a_stage_wait_longer_than_the_threshold_parks():
    hub = STATES["Go to next step"]
    (park,) = [rule for rule in hub["Choices"] if "And" in rule]
    assert hub["Choices"][0] is park  # before the route's own rule
    assert park["Next"] == "Park until the next stage is due"
    present, longer, stages = park["And"]
    assert present == {"Variable": "$.park_after_seconds", "IsPresent": True}
    assert longer["NumericGreaterThanPath"] == "$.park_after_seconds"
    parked_routes = {rule["StringEquals"] for rule in stages["Or"]}
    assert parked_routes == {r.value for r in STAGE_ROUTES}


def test_a_resumed_stage_goes_straight_to_the_action_its_wait_would_have_timed_out_to():
    hub = {
        r["StringEquals"]: r["Next"]
        for r in STATES["Go to next step"]["Choices"]
        if "StringEquals" in r
    }
    for route in STAGE_ROUTES:
        wait = STATES[hub[route.value]]
        (timeout,) = [c for c in wait["Catch"] if c["ErrorEquals"] == ["States.Timeout"]]
        assert hub[act_route(route).value] == timeout["Next"]


def test_every_transition_target_exists_and_every_state_is_reachable():
    targets = {ASL["StartAt"]}
    for state in STATES.values():
        targets.update(t for t in (state.get("Next"), state.get("Default")) if t)
        targets.update(c["Next"] for c in state.get("Catch", []))
        targets.update(c["Next"] for c in state.get("Choices", []))
    assert targets <= set(STATES)
    assert set(STATES) == targets


def test_placeholders_are_declared_in_topology_and_nothing_is_hard_coded():
    text = topology.ESCALATION.definition_path.read_text(encoding="utf-8")
    placeholders = set(re.findall(r"\$\{(\w+)\}", text))
    assert placeholders == set(topology.ESCALATION.substitutions)
    assert "arn:aws:lambda" not in text and "arn:aws:dynamodb" not in text
    assert "QueryLanguage" not in text  # JSONPath only: the local interpreter has no JSONata


def test_waits_are_callbacks_with_a_deadline_and_no_polling_wait_states():
    waits = [
        s
        for name, s in STATES.items()
        if s["Type"] == "Task"
        and "waitForTaskToken" in s["Resource"]
        and name != "Needs attention: wait for ops"  # waits for ops with no deadline
    ]
    assert len(waits) == 12
    for state in waits:
        assert state["TimeoutSecondsPath"] == "$.next.wait_seconds"
        assert state["Parameters"]["ExpressionAttributeValues"][":token"] == {
            "S.$": "$$.Task.Token"
        }
        assert any("States.Timeout" in c["ErrorEquals"] for c in state["Catch"])
    # the one plain Wait sleeps until a planned instant (a deferred receipt), never polls
    plain = {name: s for name, s in STATES.items() if s["Type"] == "Wait"}
    assert list(plain) == ["Wait until the receipt may be sent"]
    assert plain["Wait until the receipt may be sent"]["SecondsPath"] == "$.next.wait_seconds"


def test_litigation_is_reachable_only_through_the_legal_review_decision():
    # the only way into "Refer to litigation" is the hub; the only route to it is "litigation",
    # which only the wake-up handler returns (after a human APPROVED) — see test_record
    into = [
        name
        for name, s in STATES.items()
        if s.get("Next") == "Refer to litigation"
        or any(c["Next"] == "Refer to litigation" for c in s.get("Choices", []))
    ]
    assert into == ["Go to next step"]


def test_a_policy_writes_off_after_a_rejection_only_at_or_below_its_ceiling():
    from decimal import Decimal

    from arrears.domain.ladder import rejection_next_step
    from arrears.domain.policy import LegalReview
    from arrears.domain.types import AfterRejection

    review = LegalReview(
        decision_deadline_days=7,
        max_alerts=3,
        after_rejection=AfterRejection.WRITE_OFF,
        write_off_ceiling=Decimal("50.00"),
    )
    assert rejection_next_step(None, review, Decimal("50.00")) == (
        AfterRejection.WRITE_OFF,
        "policy_default",
    )
    assert rejection_next_step(None, review, Decimal("50.01")) == (
        AfterRejection.HOLD,
        "above_write_off_ceiling",
    )
    # a person may choose any next step, whatever the balance
    assert rejection_next_step("write_off", review, Decimal("9999")) == (
        AfterRejection.WRITE_OFF,
        "chosen_by_approver",
    )
