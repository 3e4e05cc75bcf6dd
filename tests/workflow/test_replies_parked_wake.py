"""A reply that arrives while a Lambda step runs (no execution waiting on a live token) is
parked on the case and acted on right after that step, not at the next ordinary deadline.

The reply is processed from inside the reminder step's send: at that instant the reminder
wait has timed out, its token on the case is stale, and the execution is busy in a Lambda
(AWS refuses SendTaskSuccess for that token with TaskTimedOut, and so does the local
runtime: a callback deadline marks the callback timed out).
"""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from arrears.adapters.cases import Repositories
from arrears.domain.events import parse_borrower_replied
from escalation_support import (  # noqa: F401 - fixtures
    case,
    open_overdue,
    outbox,
    phone_of,
    rt,
    states_entered,
    timeline_kinds,
)


def _reply_during_first_send(
    patch: pytest.MonkeyPatch, box: Any, account_id: str, text: str
) -> list[Any]:
    """The first message to ``account_id`` makes the borrower reply, before the step ends.

    The reply goes through ingest's reply path (``Ingestor.apply_reply``), as the ingest
    Lambda runs it for a BorrowerReplied record; returns when it ran (the virtual time).
    """
    from arrears.handlers import ingest

    replied_at: list[Any] = []

    def replying(send: Callable[..., str]) -> Callable[..., str]:
        def wrapper(*args: Any, **kwargs: Any) -> str:
            message_id = send(*args, **kwargs)
            if not replied_at and args and args[0] == phone_of(account_id):
                replied_at.append(box.clock())
                reply = parse_borrower_replied(
                    {
                        "account_id": account_id,
                        "channel": "sms",
                        "text": text,
                        "received_at": replied_at[0].strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }
                )
                ingest.runtime().apply_reply(reply)
            return message_id

        return wrapper

    patch.setattr(box, "send_sms", replying(box.send_sms))
    return replied_at


def _entries(case_id: str) -> list[Any]:
    return Repositories.dynamo().timeline.list(case_id)


def test_distress_reply_during_a_step_reaches_a_human_right_after_that_step(rt, outbox):
    # given a standard case whose borrower replies in distress while the reminder step runs
    case_id = open_overdue(rt, "acc-busy")
    with pytest.MonkeyPatch.context() as patch:
        replied = _reply_during_first_send(
            patch, outbox, "acc-busy", "I can't cope anymore, I feel hopeless"
        )
        # when the reminder falls due and is sent
        rt.advance(timedelta(days=2))

    # then the wake found no live token (the reminder wait had timed out) and was parked
    assert replied, "the reminder SMS went out and the borrower replied during that step"
    parked = next(e for e in _entries(case_id) if e.kind == "wake_parked")
    assert parked.detail["wake"] == "REPLY" and parked.detail["kept"] == "REPLY"
    assert parked.detail["token"] == "expired"

    # and the very next wait took it: the case went to a human at once, not to the follow-up
    entered = states_entered(rt, case_id)
    at_send = entered.index("Send reminder")
    assert entered[at_send:] == [
        "Send reminder",
        "Go to next step",
        # the follow-up is days away, so the case would park; a wake is parked on it, so
        # the park refuses (WakePending) and the wake is handled at once
        "Park until the next stage is due",
        "Handle wake-up",
        "Go to next step",
        "Wait for agent call outcome",
    ]
    handled = [e for e in _entries(case_id) if e.kind == "wake_handled"][-1]
    assert handled.detail["wake"] == "REPLY" and handled.detail["parked"] is True
    assert handled.detail["route"] == "agent_call_outcome"
    assert handled.at == replied[0]  # the same virtual instant as the step
    waiting = case(case_id)
    assert waiting.queue == "AGENT_CALL" and waiting.waiting_for == "agent_outcome"
    assert waiting.pending_wake is None and waiting.task_token
    assert "agent_task_opened" in timeline_kinds(case_id)


def test_hardship_reply_during_a_step_offers_the_plan_right_after_that_step(rt, outbox):
    # given a standard case whose borrower says they lost their job during the reminder step
    case_id = open_overdue(rt, "acc-busy-hard")
    with pytest.MonkeyPatch.context() as patch:
        replied = _reply_during_first_send(
            patch, outbox, "acc-busy-hard", "I lost my job and can't pay right now"
        )
        rt.advance(timedelta(days=2))

    # then the parked hardship wake re-planned the case onto the hardship ladder at once:
    # its plan offer went out at the step's instant, not at the follow-up's deadline
    assert replied
    handled = [e for e in _entries(case_id) if e.kind == "wake_handled"][-1]
    assert handled.detail["wake"] == "REPLY" and handled.detail["parked"] is True
    assert case(case_id).segment == "hardship"
    entered = states_entered(rt, case_id)
    at_send = entered.index("Send reminder")
    assert entered[at_send : at_send + 6] == [
        "Send reminder",
        "Go to next step",
        "Park until the next stage is due",  # refused: a wake is parked on the case
        "Handle wake-up",
        "Go to next step",
        "Wait until plan offer is due",
    ]
    offered = next(e for e in _entries(case_id) if e.kind == "plan_offered")
    assert offered.at == replied[0]
    assert json.dumps(offered.detail)  # terms only (no borrower data): serialisable audit
