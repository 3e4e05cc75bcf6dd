"""An agent call that reached the borrower starts the Reg F quiet period (US pack).

12 CFR 1006.14(b)(2)(ii): no call within 7 days after a telephone conversation about the
debt. The ops ``record_call_outcome`` writes the conversation into the contact ledger, so
the gate defers the next call; a call that reached nobody does not.
"""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from arrears.adapters.cases import Repositories
from arrears.adapters.ledger import ContactLedger
from arrears.domain.compliance import ContactIntent, Purpose, Verdict, load_pack
from arrears.domain.types import CaseStatus, Channel
from escalation_support import (  # noqa: F401 - fixtures
    case,
    open_overdue,
    ops,
    outbox,
    rt,
)

NEW_YORK = ZoneInfo("America/New_York")


def _queued_agent_call(rt, account_id: str) -> str:
    """A US case escalated until its agent call waits in the AGENT_CALL queue."""
    case_id = open_overdue(rt, account_id, country="US")
    for _ in range(40):
        rt.advance(timedelta(days=1))
        if case(case_id).waiting_for == "agent_outcome":
            return case_id
    raise AssertionError("the agent call was never queued")


def _next_call_two_days_later(rt, case_id: str, account_id: str):
    """Ask the gate, as the contact step does, for a call two days later at 11:00 local."""
    day = (rt.now.astimezone(NEW_YORK) + timedelta(days=2)).date()
    at = datetime.combine(day, time(11), NEW_YORK)
    borrower = Repositories.dynamo().borrowers.get(account_id)
    assert borrower is not None
    intent = ContactIntent(
        case_id=case_id,
        channel=Channel.CALL,
        purpose=Purpose.COLLECTION,
        at=at,
        case_status=CaseStatus.OPEN,
    )
    return ContactLedger().claim(intent, borrower.profile(), load_pack("US"), "call_scheduled")


@pytest.mark.parametrize("outcome", ["refused", "hardship"])
def test_a_conversation_defers_the_next_call_for_seven_days(rt, outbox, outcome):
    # given a US case whose agent call is queued
    account_id = f"acc-talk-{outcome}"
    case_id = _queued_agent_call(rt, account_id)

    # when the agent records that the borrower was reached
    result = ops(rt, {"action": "record_call_outcome", "case_id": case_id, "outcome": outcome})
    assert result.status == "SUCCEEDED", result.cause

    # then the ledger holds the conversation, and a second call two days later is deferred
    # by the quiet period until 7 days after the conversation's date
    conversations = [e for e in ContactLedger().entries(account_id) if e.conversation]
    assert len(conversations) == 1 and conversations[0].channel is Channel.CALL
    decision = _next_call_two_days_later(rt, case_id, account_id)
    assert decision.verdict is Verdict.DEFER
    assert decision.reason == "conversation_quiet_period"
    assert decision.not_before is not None
    talked_on = conversations[0].at.astimezone(NEW_YORK).date()
    assert decision.not_before.astimezone(NEW_YORK).date() >= talked_on + timedelta(days=7)


def test_a_call_that_reached_nobody_is_no_conversation(rt, outbox):
    # given a US case whose agent call is queued, and nobody answered
    account_id = "acc-talk-none"
    case_id = _queued_agent_call(rt, account_id)
    result = ops(rt, {"action": "record_call_outcome", "case_id": case_id, "outcome": "no_answer"})
    assert result.status == "SUCCEEDED", result.cause

    # then no conversation is recorded and the next call is not held by a quiet period
    assert not [e for e in ContactLedger().entries(account_id) if e.conversation]
    decision = _next_call_two_days_later(rt, case_id, account_id)
    assert decision.reason != "conversation_quiet_period"
