"""The segment picks the path; the compliance gate has the last word on timing."""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from arrears.adapters.cases import Repositories
from arrears.domain.types import CaseStatus, Stage
from escalation_support import (  # noqa: F401 - fixtures
    RISKY,
    SAFE,
    case,
    flag_borrower,
    open_overdue,
    outbox,
    post_at,
    rt,
    states_entered,
    timeline_kinds,
)


def test_high_risk_gets_the_agent_call_early(rt, outbox):
    case_id = open_overdue(rt, "acc-risky", account=RISKY)
    rt.advance(timedelta(days=4))

    assert case(case_id).segment == "high_risk"
    entered = states_entered(rt, case_id)
    # reminder on day 1, then the agent call on day 3 (standard: day 14), before any follow-up
    assert entered[entered.index("Send reminder") + 2] == "Wait until agent call is due"
    assert "Request agent call" in entered
    assert case(case_id).queue == "AGENT_CALL"


def test_self_cure_gets_a_gentle_first_reminder_later(rt, outbox):
    start = rt.now
    case_id = open_overdue(rt, "acc-safe", account=SAFE, amount_due="100.00")
    rt.advance(timedelta(days=4))

    assert case(case_id).segment == "self_cure"
    sent = outbox.to("acc-safe")
    assert [(s["channel"], (s["at"] - start).days) for s in sent] == [("sms", 2)]


def test_hardship_is_offered_a_plan_before_any_reminder(rt, outbox):
    # given a borrower the lender already knows to be in hardship
    flag_borrower("acc-hard", "hardship")
    case_id = open_overdue(rt, "acc-hard")
    rt.advance(timedelta(days=2))

    current = case(case_id)
    assert current.segment == "hardship"
    assert current.stage is Stage.PLAN_OFFER
    assert "Offer payment plan" in states_entered(rt, case_id)
    assert "Send reminder" not in states_entered(rt, case_id)
    assert outbox.channels("acc-hard") == {"sms": 1, "email": 1}
    chosen = [e for e in Repositories.dynamo().timeline.list(case_id) if e.kind == "segment_chosen"]
    assert "flag:hardship" in chosen[0].detail["reasons"]


def test_a_reminder_due_at_night_is_deferred_to_the_morning_and_rechecked(rt, outbox):
    # given a case opened at 22:00 Shanghai time whose first reminder is already due
    rt.advance(timedelta(hours=(14 - rt.now.hour) % 24))  # 14:00 UTC = 22:00 in Shanghai
    start = rt.now
    case_id = open_overdue(rt, "acc-night", due=(start - timedelta(days=10)).date())
    rt.advance(timedelta(days=1))

    # then the gate deferred it to 08:00 local (00:00 UTC), and it went out then, once each
    sent = outbox.to("acc-night")
    assert {s["at"] - start for s in sent} == {timedelta(hours=10)}
    assert outbox.channels("acc-night") == {"sms": 1, "email": 1}
    assert "contact_deferred" in timeline_kinds(case_id)
    entered = states_entered(rt, case_id)
    assert entered.count("Send reminder") == 2  # deferred, then sent


def test_high_risk_due_soon_gets_a_pre_due_reminder(rt, outbox):
    # given a risky account due in 5 days: ingest opens a pre_due case from its DUE_SOON
    # (docs/escalation.md, early warning) and starts the execution
    start = rt.now
    due = (start + timedelta(days=5)).date()
    post_at(rt, start, "acc-soon", "DUE_SOON", due=due, account=RISKY)
    rt.advance(timedelta(minutes=1))
    case_id = "acc-soon#1"
    assert case(case_id).stage is Stage.PRE_DUE
    # when the borrower pays on the due date
    post_at(rt, start + timedelta(days=5), "acc-soon", "PAID", due=due, amount_paid="1250.00")
    rt.advance(timedelta(days=10))

    # then one reminder went out 3 days before the due date (10:00 local), and a thank-you
    # after the payment, inside contact hours (paid at night: thanked in the morning)
    sent = outbox.to("acc-soon")
    pre_due_at = datetime.combine(due - timedelta(days=3), time(2), UTC)  # 10:00 Shanghai
    paid_at = start + timedelta(days=5)
    assert [(s["channel"], s["at"]) for s in sent[:1]] == [("sms", pre_due_at)]
    assert sorted(s["channel"] for s in sent[1:]) == ["email", "sms"]
    for receipt in sent[1:]:
        assert paid_at <= receipt["at"] < paid_at + timedelta(hours=12)
        assert 8 <= receipt["at"].astimezone(ZoneInfo("Asia/Shanghai")).hour < 21
    entered = states_entered(rt, case_id)
    assert "Send pre-due reminder" in entered
    assert "Send reminder" not in entered
    assert case(case_id).status is CaseStatus.PAID
