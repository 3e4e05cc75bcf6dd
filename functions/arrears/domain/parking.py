"""Parking a case between two far-apart stages: pure decisions, no AWS, no clock.

Step Functions allows 1,000,000 open Standard executions per account and Region. A case
whose next stage is further away than the deployment's park threshold does not keep an
execution open for it: the execution stores where it is on the case (``parked``), a
one-time EventBridge Scheduler schedule starts a new execution when the stage is due,
and the execution ends. A payment or reply for a parked case
starts that same execution at once (``steps/waking.py``). Open executions then scale with
the cases due soon, not with every open case (docs/scale.md).

Exactly once: the resumed execution's name is derived from the case id, the cycle and the
resume sequence, and its input is stored on the case byte for byte; the schedule and a
waker both start it with that name and that input, and Step Functions answers a repeated
StartExecution with the same name and input as the same execution. Two executions for one
resume cannot exist.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# the shortest wait worth parking: a park and resume cost two state transitions more than
# the wait they replace (docs/cost.md)
MIN_PARK_SECONDS = 2 * 24 * 3600

_NAME_CHARS = frozenset("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_")


@dataclass(frozen=True)
class Parked:
    """What the case stores while parked; the schedule and a waker start the same thing."""

    seq: int  # resume sequence: 1 for the first park of a case cycle
    execution: str  # the resumed execution's name
    schedule: str  # the one-time schedule's name
    resume_at: datetime
    input: str  # the resumed execution's input, exactly as both starters send it

    def encode(self) -> str:
        return json.dumps(
            {
                "seq": self.seq,
                "execution": self.execution,
                "schedule": self.schedule,
                "resume_at": self.resume_at.isoformat(),
                "input": self.input,
            },
            sort_keys=True,
        )

    @classmethod
    def decode(cls, text: str | None) -> Parked | None:
        if not text:
            return None
        raw = json.loads(text)
        return cls(
            seq=int(raw["seq"]),
            execution=str(raw["execution"]),
            schedule=str(raw["schedule"]),
            resume_at=datetime.fromisoformat(raw["resume_at"]),
            input=str(raw["input"]),
        )


def park_after_seconds(days: float) -> int:
    """The threshold from the deployment setting; 0 turns parking off."""
    if days <= 0:
        return 0
    return max(MIN_PARK_SECONDS, round(days * 24 * 3600))


def _safe(case_id: str) -> str:
    return "".join(ch if ch in _NAME_CHARS else "-" for ch in case_id)


def resumed_execution_name(case_id: str, cycle: int, seq: int) -> str:
    """``<case>-c<cycle>-r<seq>``, at most 80 characters (Step Functions' limit)."""
    suffix = f"-c{cycle}-r{seq}"
    return _safe(case_id)[: 80 - len(suffix)] + suffix


def schedule_name(case_id: str, cycle: int, seq: int) -> str:
    """At most 64 characters (EventBridge Scheduler's limit); a digest keeps long ids apart."""
    digest = hashlib.sha256(case_id.encode()).hexdigest()[:10]
    suffix = f"-{digest}-c{cycle}-r{seq}"
    return _safe(case_id)[: 64 - len(suffix)] + suffix


def plan_park(
    *,
    case_id: str,
    account_id: str,
    cycle: int,
    previous: Parked | None,
    resumes_so_far: int,
    plan: dict[str, Any],
    park_after: int,
    now: datetime,
) -> Parked:
    """Where and when the case resumes; ``plan`` is the step's ``$.next`` it parks on."""
    seq = max(resumes_so_far, previous.seq if previous else 0) + 1
    due = datetime.fromisoformat(str(plan["wait_until"]))
    resume_at = max(now, due)
    name = resumed_execution_name(case_id, cycle, seq)
    execution_input = {
        "case_id": case_id,
        "account_id": account_id,
        "cycle": cycle,
        "park_after_seconds": park_after,
        "resume": {
            "seq": seq,
            "plan": {
                "route": plan["route"],
                "wait_until": plan["wait_until"],
                "waiting_for": plan.get("waiting_for") or "",
            },
        },
    }
    return Parked(
        seq=seq,
        execution=name,
        schedule=schedule_name(case_id, cycle, seq),
        resume_at=resume_at,
        input=json.dumps(execution_input, sort_keys=True, separators=(",", ":")),
    )


def resume_seq_of(execution_name: str) -> int:
    """The resume sequence an execution name carries (0 for the cycle's first execution)."""
    head, sep, tail = execution_name.rpartition("-r")
    if sep and head and tail.isdigit():
        return int(tail)
    return 0
