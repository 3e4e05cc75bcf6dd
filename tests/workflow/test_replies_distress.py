"""A distressed reply hands the case to a human agent and softens every later message;
a claimed payment is never chased during its grace window."""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from datetime import timedelta

from arrears.adapters.cases import Repositories
from arrears.domain.types import CaseStatus
from escalation_support import (  # noqa: F401 - fixtures
    case,
    open_overdue,
    outbox,
    rt,
    states_entered,
)
from replies_support import reply


def test_distressed_reply_goes_to_a_human_agent_and_later_messages_are_softer(rt, outbox):
    # given a standard case that got its day-1 reminder
    case_id = open_overdue(rt, "acc-sad")
    rt.advance(timedelta(days=2))

    # when the borrower replies in distress (the words decide: moto's Comprehend is neutral)
    replied_at = rt.now
    reply(rt, "acc-sad", "I can't cope anymore, I feel hopeless")

    # then the case waits in the AGENT_CALL work queue for a human, not for the next reminder
    waiting = case(case_id)
    assert waiting.queue == "AGENT_CALL" and waiting.waiting_for == "agent_outcome"
    assert states_entered(rt, case_id)[-1] == "Wait for agent call outcome"
    entries = Repositories.dynamo().timeline.list(case_id)
    analysed = next(e for e in entries if e.kind == "reply_analysed")
    assert analysed.detail["emotion"]["distressed"] is True
    assert analysed.detail["emotion"]["route_to_agent"] is True
    assert analysed.detail["sentiment"]["label"] == "NEUTRAL"  # what moto answers
    assert any(e.kind == "agent_task_opened" for e in entries)
    borrower = Repositories.dynamo().borrowers.get("acc-sad")
    assert borrower is not None and "distressed" in borrower.flags

    # when nobody records an outcome before the agent's deadline, automation resumes
    rt.advance(timedelta(days=8))

    # then the next message is the softer template, never the firm follow-up
    later = [
        e.detail.get("template")
        for e in Repositories.dynamo().timeline.list(case_id)
        if e.kind == "contact_sent" and e.at > replied_at
    ]
    assert later and set(later) == {"soft_reminder"}


def test_leave_me_alone_ceases_all_contact_and_still_goes_to_a_human(rt, outbox):
    # given a standard case that got its day-1 reminder by SMS
    case_id = open_overdue(rt, "acc-alone")
    rt.advance(timedelta(days=2))

    # when the borrower texts back "leave me alone"
    replied_at = rt.now
    reply(rt, "acc-alone", "please leave me alone")

    # then every channel ceases (not only SMS) and a human reviews the case
    borrower = Repositories.dynamo().borrowers.get("acc-alone")
    assert borrower is not None and borrower.cease_communication
    assert case(case_id).queue == "AGENT_CALL"

    # when the agent's deadline passes and automation resumes
    rt.advance(timedelta(days=8))

    # then nothing more is sent on any channel; the gate records why
    entries = [e for e in Repositories.dynamo().timeline.list(case_id) if e.at > replied_at]
    assert [e.detail["channel"] for e in entries if e.kind == "contact_sent"] == []
    blocked = [e.detail["reason"] for e in entries if e.kind == "contact_blocked"]
    assert "cease_communication" in blocked


def test_claimed_payment_is_not_chased_until_its_grace_window_ends(rt, outbox):
    # given a standard case that got its day-1 reminder
    case_id = open_overdue(rt, "acc-claim")
    rt.advance(timedelta(days=2))

    # when the borrower says it is paid, with a typo ("alredy payed")
    claimed_at = rt.now
    reply(rt, "acc-claim", "alredy payed yesterday!!")

    # then the case holds as payment pending, and nothing is sent during the grace window
    assert case(case_id).status is CaseStatus.PAYMENT_PENDING
    rt.advance(timedelta(hours=71))
    assert [m for m in outbox.to("acc-claim") if m["at"] > claimed_at] == []

    # and when the window (72 h) ends with no payment confirmed, escalation resumes
    rt.advance(timedelta(days=3))
    kinds = [e.kind for e in Repositories.dynamo().timeline.list(case_id)]
    assert "payment_grace_expired" in kinds
    assert case(case_id).status is CaseStatus.OPEN
    assert [m for m in outbox.to("acc-claim") if m["at"] > claimed_at]
