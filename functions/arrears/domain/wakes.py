"""Wakes that find no execution waiting: which to park on the case, and which one to keep.

A waker (ingest, reply processing) sends ``{"wake": REASON, ...}`` to the task token the
escalation stored on the case. While a Lambda step runs, or between a wake and the next
wait, there is no live token; the wake is then parked on the case (``pending_wake``) and
the execution takes it at its next wait (docs/escalation.md, "Waking"). The case has one
slot, so when two wakes meet there the more important one stays (a later one of the same
rank replaces the earlier: the latest status is the one that counts).

Ranks, most important last:

0. not parked: OPT_OUT and unknown reasons change no route (the compliance gate reads the
   opt-out itself), so parking them would only cost transitions;
1. status wakes (OVERDUE, PAYMENT_PENDING, PAYMENT_FAILED, PARTIALLY_PAID, DISPUTE, PAUSE,
   RESUME, PLAN_ACCEPTED): the status is on the case and every step's guard reads it; parked,
   the hold or the re-plan starts at once instead of at the next stage's deadline;
2. REPLY with the hardship route (the borrower asked for a plan);
3. REPLY with the agent route (distress, "call me") and AGENT_OUTCOME: a human must act;
4. APPROVED / REJECTED (a legal review decision);
5. PAID, WRITTEN_OFF, CLOSE: the case is over.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

# Routes of a REPLY wake (reply processing decides, the escalation follows them)
ROUTE_AGENT = "agent"  # to a human agent (distress, "call me")
ROUTE_HARDSHIP = "hardship"  # the borrower asked for a plan
ROUTE_REVIEW = "review"  # no rule understood the reply: a person reads it

_RANKS: dict[str, int] = {
    "OVERDUE": 1,
    "PAYMENT_PENDING": 1,
    "PAYMENT_FAILED": 1,
    "PARTIALLY_PAID": 1,
    "DISPUTE": 1,
    "PAUSE": 1,
    "RESUME": 1,
    "PLAN_ACCEPTED": 1,
    "REPLY": 2,
    "AGENT_OUTCOME": 3,
    "APPROVED": 4,
    "REJECTED": 4,
    "PAID": 5,
    "WRITTEN_OFF": 5,
    "CLOSE": 5,
}


def reason_of(wake: Mapping[str, Any]) -> str:
    return str(wake.get("wake") or "").upper()


def rank(wake: Mapping[str, Any]) -> int:
    reason = reason_of(wake)
    if reason == "REPLY" and wake.get("route") == ROUTE_AGENT:
        return 3
    return _RANKS.get(reason, 0)


def parkable(wake: Mapping[str, Any]) -> bool:
    """Worth keeping for the execution's next wait (it can change the route)."""
    return rank(wake) > 0


def to_keep(stored: Mapping[str, Any] | None, new: Mapping[str, Any]) -> Mapping[str, Any]:
    """The wake the case's one slot keeps when ``new`` arrives: the higher rank, the newer
    one on a tie."""
    if stored is None or rank(new) >= rank(stored):
        return new
    return stored


def encode(wake: Mapping[str, Any]) -> str:
    """The stored form (a JSON string attribute), stable for conditional writes."""
    return json.dumps(dict(wake), sort_keys=True, separators=(",", ":"), default=str)


def decode(text: str | None) -> dict[str, Any] | None:
    """The parked wake; None when absent or unreadable (then nothing is taken)."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) and isinstance(value.get("wake"), str) else None


# --------------------------------------------------------------------------- what it means

TIMEOUT = "TIMEOUT"  # a wait's deadline passed
RECHECK = "RECHECK"  # the wait could not start (case closed meanwhile) or an unknown wake
# status news from ingest or ops: the escalation follows the case's new status
_STATUS_NEWS = frozenset(
    {"OVERDUE", "RESUME", "PAYMENT_FAILED", "PAYMENT_PENDING", "DISPUTE", "PAUSE", "PLAN_ACCEPTED"}
)


# ladder.WaitingFor.LEGAL_DECISION (not imported: ingest wakes cases without the planner)
LEGAL_DECISION = "legal_decision"


class Meaning(StrEnum):
    """What a woken wait means for the escalation ("Handle wake-up" acts on it)."""

    CLOSED_ALREADY = "closed_already"  # the case is closed: end (settle its plan)
    PAID = "paid"  # close it paid if ingest has not
    WRITTEN_OFF = "written_off"
    CLOSE = "close"  # closed by ops
    PARTIAL_PAYMENT = "partial_payment"  # rescore and go on
    AGENT_OUTCOME = "agent_outcome"  # what the agent's call achieved
    APPROVED = "approved"  # legal review approved: refer to litigation
    REJECTED = "rejected"  # legal review rejected: the policy's after-rejection path
    NOT_AWAITED = "not_awaited"  # an approval or rejection nobody's review waits for
    DEADLINE = "deadline"  # the wait's deadline passed
    REPLY = "reply"  # a borrower's reply re-routes the case
    STATUS_NEWS = "status_news"  # follow the case's new status
    NO_CHANGE = "no_change"  # opt-out, recheck, unknown: resume the wait that was left


def reason_for(wake: Mapping[str, Any]) -> str:
    """The wake's reason: a waker's ``{"wake": REASON}``, a deadline, or a recheck."""
    if isinstance(wake.get("wake"), str):
        return reason_of(wake)
    if wake.get("Error") == "States.Timeout":
        return TIMEOUT
    return RECHECK


def meaning(reason: str, waiting_for: str, case_closed: bool) -> Meaning:
    """What a wake with ``reason`` means for a wait on ``waiting_for``."""
    if case_closed:
        return Meaning.CLOSED_ALREADY
    if reason in ("APPROVED", "REJECTED") and waiting_for != LEGAL_DECISION:
        return Meaning.NOT_AWAITED
    if reason in _STATUS_NEWS:
        return Meaning.STATUS_NEWS
    by_reason = {
        "PAID": Meaning.PAID,
        "WRITTEN_OFF": Meaning.WRITTEN_OFF,
        "CLOSE": Meaning.CLOSE,
        "PARTIALLY_PAID": Meaning.PARTIAL_PAYMENT,
        "AGENT_OUTCOME": Meaning.AGENT_OUTCOME,
        "APPROVED": Meaning.APPROVED,
        "REJECTED": Meaning.REJECTED,
        TIMEOUT: Meaning.DEADLINE,
        "REPLY": Meaning.REPLY,
    }
    return by_reason.get(reason, Meaning.NO_CHANGE)
