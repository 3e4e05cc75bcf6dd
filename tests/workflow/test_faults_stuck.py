"""A step that still fails after its retries parks the case where ops see it, never FAILED.

Real ASL, real handlers and the real (moto-backed) messenger, with faults injected by the
local runtime (``LocalRuntime(faults=...)``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from arrears import topology
from arrears.domain.parking import Parked
from arrears.local.faults import FaultPlan
from arrears.local.runtime import LocalRuntime
from arrears.tools.ops_commands import work_queue

from tests.workflow.escalation_support import (
    START,
    execution,
    open_overdue,
    ops,
    states_entered,
    timeline_kinds,
)

PARK = "Needs attention: wait for ops"
ALWAYS_THROTTLED_SMS = {
    "seed": 1,
    "faults": [{"target": "sns:Publish", "error": "throttle", "rate": 1.0}],
}


def _stored_case(rt: LocalRuntime, case_id: str) -> dict[str, Any]:
    item: dict[str, Any] = rt.client("dynamodb").get_item(
        TableName=topology.CASES.local_name, Key={"case_id": {"S": case_id}}
    )["Item"]
    return item


def test_an_always_throttled_sms_parks_the_case_in_the_stuck_queue_then_ops_resume_it() -> None:
    with LocalRuntime(start=START, seed=7, faults=ALWAYS_THROTTLED_SMS) as rt:
        case_id = open_overdue(rt, "acc-stuck-1")
        rt.advance(timedelta(days=3))

        # the execution waits for ops instead of failing
        assert execution(rt, case_id)["status"] == "RUNNING"
        assert states_entered(rt, case_id)[-1] == PARK
        stored = _stored_case(rt, case_id)
        assert stored["queue"]["S"] == "STUCK"
        attention = stored["needs_attention"]["M"]
        assert attention["state"]["S"] == "Send reminder"
        assert attention["error"]["S"]
        assert "Throttling" in attention["cause"]["S"]
        listed = work_queue(rt.client("dynamodb"), topology.CASES.local_name, ["STUCK"])
        assert [(row["case_id"], row["stuck_in"]) for row in listed] == [(case_id, "Send reminder")]
        # the SNS throttle was retried with backoff before the case was parked
        assert rt.faults is not None and len(rt.faults.injected) > 1

        # ops fix the cause and resume: the ladder goes on from where it stopped
        rt.faults = None
        outcome = ops(rt, {"action": "resume", "case_id": case_id, "reason": "SNS quota raised"})
        assert outcome.status == "SUCCEEDED", outcome
        rt.advance(timedelta(hours=2))
        stored = _stored_case(rt, case_id)
        assert "needs_attention" not in stored
        assert stored.get("queue", {}).get("S") != "STUCK"
        assert "resumed" in timeline_kinds(case_id)
        entered = states_entered(rt, case_id)
        after_park = entered[entered.index(PARK) :]
        assert after_park[:3] == [PARK, "Resume where it stopped", "Handle wake-up"], after_park
        # the reminder went out and the case parked until its follow-up, six days away
        assert after_park[-1] == "Park until the next stage is due", after_park
        assert execution(rt, case_id)["status"] == "SUCCEEDED"
        assert "parked" in _stored_case(rt, case_id)
        # the stage the fault interrupted is tried again, not skipped
        assert "contact_sent" in timeline_kinds(case_id)


def test_a_retried_agent_call_still_enters_the_agent_wait_and_its_queue() -> None:
    with LocalRuntime(start=START, seed=7) as rt:
        case_id = open_overdue(rt, "acc-agent-retry")
        # the agent call is 7 days after the follow-up: the case parks until it is due
        parked = None
        for _ in range(30):
            parked = Parked.decode(_stored_case(rt, case_id).get("parked", {}).get("S"))
            if parked is not None and "agent_call" in parked.input:
                break
            rt.advance(timedelta(days=1))
        assert parked is not None
        due = parked.resume_at
        # the first attempt of "Request agent call" does its work, then Lambda reports a
        # service error; the retry must route exactly as the first attempt would have
        rt.faults = FaultPlan.of(
            [{"target": "lambda:contact", "error": "service_error", "at": [due]}]
        )
        rt.run_until(due + timedelta(hours=12))
        assert rt.faults is not None and len(rt.faults.injected) == 1
        entered = states_entered(rt, case_id)
        after = entered[entered.index("Request agent call") :]
        assert after.count("Request agent call") == 1  # one state, retried inside it
        assert "Wait for agent call outcome" in after, after
        assert "Wait until demand letter is due" not in after, after
        assert _stored_case(rt, case_id)["queue"]["S"] == "AGENT_CALL"


def test_a_reply_whose_wake_is_throttled_is_applied_once_and_its_wake_retried() -> None:
    from tests.workflow.replies_support import reply

    with LocalRuntime(start=START, seed=7, faults=[]) as rt:  # [] hooks SDK calls, no faults
        case_id = open_overdue(rt, "acc-reply-wake")
        rt.advance(timedelta(minutes=30))  # before the reminder: waiting on a callback
        assert _stored_case(rt, case_id).get("task_token"), "the case waits on a callback"
        # the first wake of the reply is refused (its SDK retries spent): SQS redelivers
        rt.faults = FaultPlan.of(
            [{"target": "stepfunctions:SendTaskSuccess", "error": "throttle", "at": [rt.now]}]
        )
        reply(rt, "acc-reply-wake", "wrong amount")
        rt.advance(timedelta(hours=1))
        assert rt.faults is not None and len(rt.faults.injected) == 1

        kinds = timeline_kinds(case_id)
        for kind in ("reply_received", "reply_analysed", "dispute_opened"):
            assert kinds.count(kind) == 1, (kind, kinds)
        # the redelivery woke the execution: it holds the disputed case
        assert kinds.count("execution_woken") == 1, kinds
        assert _stored_case(rt, case_id)["status"]["S"] == "DISPUTED"
        assert "Handle wake-up" in states_entered(rt, case_id)[-4:], states_entered(rt, case_id)
