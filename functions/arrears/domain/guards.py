"""May this action run now? Pure checks made before every contact, letter or human task.

The compliance gate answers "may we contact this borrower now, on this channel" (law and
the borrower's wishes). These guards answer the workflow's own question first: is the case
still in a state where this stage's action makes sense at all, and has it already happened?
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from arrears.domain.compliance.model import Purpose
from arrears.domain.types import CaseStatus

__all__ = ["GuardResult", "Purpose", "Verdict", "hold_reason", "may_act", "may_start_stage"]


class Verdict(StrEnum):
    PROCEED = "proceed"
    HOLD = "hold"  # the case is paused for a reason; wait, do not act
    SKIP = "skip"  # already done: a retried or redriven step
    CLOSED = "closed"  # the case is over; nothing more for this cycle


@dataclass(frozen=True)
class GuardResult:
    verdict: Verdict
    reason: str

    @property
    def proceed(self) -> bool:
        return self.verdict is Verdict.PROCEED


# Non-terminal statuses that stop collection activity, and the reason recorded.
_HOLDING = {
    CaseStatus.PAYMENT_PENDING: "payment_pending",
    CaseStatus.PROMISED: "promise_to_pay_pending",
    CaseStatus.DISPUTED: "disputed",
    CaseStatus.ON_PLAN: "on_payment_plan",
    CaseStatus.PAUSED: "paused",
}
_RECEIPT_STATUSES = frozenset({CaseStatus.PAID, CaseStatus.RESOLVED})


def may_act(
    status: CaseStatus,
    action_key: str,
    done_actions: frozenset[str],
    purpose: Purpose = Purpose.COLLECTION,
) -> GuardResult:
    """The workflow guard for one action ("<stage>#<channel>") of one case."""
    if purpose is Purpose.RECEIPT:
        if status not in _RECEIPT_STATUSES:
            return GuardResult(Verdict.SKIP, f"no receipt for a {status.value.lower()} case")
    elif status.is_terminal:
        return GuardResult(Verdict.CLOSED, f"case {status.value.lower()}")
    elif status in _HOLDING:
        return GuardResult(Verdict.HOLD, _HOLDING[status])
    if action_key in done_actions:
        return GuardResult(Verdict.SKIP, "already_done")
    return GuardResult(Verdict.PROCEED, "ok")


def may_start_stage(status: CaseStatus) -> GuardResult:
    """Before a stage with no channel action (opening a legal review)."""
    if status.is_terminal:
        return GuardResult(Verdict.CLOSED, f"case {status.value.lower()}")
    if status in _HOLDING:
        return GuardResult(Verdict.HOLD, _HOLDING[status])
    return GuardResult(Verdict.PROCEED, "ok")


def hold_reason(status: CaseStatus) -> str | None:
    return _HOLDING.get(status)
