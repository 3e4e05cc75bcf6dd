"""Replies understood as meant: a request to stop calls stops calls (not texts), a negated
request is not a request, and a reply no rule understands goes to a person."""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from datetime import timedelta

import pytest
from arrears.adapters.cases import Repositories
from arrears.domain.types import Channel
from escalation_support import (  # noqa: F401 - fixtures
    case,
    open_overdue,
    ops,
    outbox,
    rt,
    states_entered,
    timeline_kinds,
)
from replies_support import reply


@pytest.mark.parametrize(
    ("account_id", "text"),
    [
        ("acc-calls-en", "please stop calling me"),
        ("acc-calls-zh-1", "不要再给我打电话"),
        ("acc-calls-zh-2", "别再打电话了"),
    ],
)
def test_a_request_to_stop_calls_stops_calls_and_texts_go_on(rt, outbox, account_id, text):
    # given a standard case that got its day-1 reminder by SMS
    case_id = open_overdue(rt, account_id)
    rt.advance(timedelta(days=2))

    # when the borrower texts back that they want no more calls
    reply(rt, account_id, text, channel="sms")

    # then calls are opted out, SMS is not, and no call task is opened for the reply
    borrower = Repositories.dynamo().borrowers.get(account_id)
    assert borrower is not None and borrower.opted_out == frozenset({Channel.CALL})
    assert case(case_id).queue is None
    assert "agent_task_opened" not in timeline_kinds(case_id)

    # and when the ladder reaches its agent call (day 14), the call is blocked, the follow-up
    # text went out as planned
    rt.advance(timedelta(days=14))
    entries = Repositories.dynamo().timeline.list(case_id)
    blocked = [e.detail for e in entries if e.kind == "contact_blocked"]
    assert {"channel": "call", "reason": "channel_opted_out"}.items() <= blocked[0].items()
    sent = [e.detail["channel"] for e in entries if e.kind == "contact_sent"]
    assert sent.count("sms") >= 2 and "call" not in sent


def test_a_reply_no_rule_understands_waits_for_a_person(rt, outbox):
    # given a standard case that got its day-1 reminder
    case_id = open_overdue(rt, "acc-unclear")
    rt.advance(timedelta(days=2))
    sent_before = len(outbox.to("acc-unclear"))

    # when the borrower answers something no rule understands
    reply(rt, "acc-unclear", "who gave you this number? my brother handles the bills")

    # then the case is in the REPLY_REVIEW queue with its deadline, and escalation waits
    waiting = case(case_id)
    assert waiting.queue == "REPLY_REVIEW"
    assert waiting.queue_due_at is not None
    assert "reply_review_opened" in timeline_kinds(case_id)
    assert states_entered(rt, case_id)[-1] == "Wait for agent call outcome"
    rt.advance(timedelta(hours=12))
    assert len(outbox.to("acc-unclear")) == sent_before

    # when a person has read it and resumes the case
    outcome = ops(
        rt,
        {
            "action": "resume",
            "case_id": case_id,
            "operator": "agent.li",
            "reason": "sibling pays; no change",
        },
    )
    assert outcome.status == "SUCCEEDED", outcome.cause
    rt.advance(timedelta(hours=1))

    # then the review is on the record and the ladder goes on from where it was
    kinds = timeline_kinds(case_id)
    assert "reply_reviewed" in kinds
    assert case(case_id).queue is None
    # (the follow-up is days away: the case parks until it is due)
    assert states_entered(rt, case_id)[-1] == "Park until the next stage is due"
