"""Credit line actions (docs/integrations.md, "Credit line actions").

Pure. The policy's ``credit_line`` rules say at which days past due the wallet should
freeze new purchases or reduce the limit, optionally only for some segments (the
segments are the policy's score bands); a cure (paid or resolved) restores the line, and
the request tells the wallet after how many on-time payments (the wallet holds the payment
history). Arrears only requests: the case carries the state it last requested, a change
of it is a ``CreditLineActionRequested`` outbound event, and the wallet may answer with a
``CreditLineActionAcknowledged`` event that lands on the case's timeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from arrears.domain.case import CaseRecord, TimelineEntry
from arrears.domain.datafile import Ge, Gt, Le, Lt, Strict
from arrears.domain.types import CaseStatus

FROZEN = "frozen"
REDUCED = "reduced"
RESTORED = "restored"
# the state each action leaves the line in, and the action that leads to it
ACTION_OF = {FROZEN: "freeze", REDUCED: "reduce", RESTORED: "restore"}


@dataclass(frozen=True, kw_only=True)
class Rule(Strict):
    action: Literal["freeze", "reduce"]
    at_dpd: Annotated[int, Ge(1), Le(3650)]
    # reduce: the share of the current limit the wallet keeps (0.50 halves it)
    limit_share: Annotated[Decimal, Gt(0), Lt(1)] | None = None
    # only cases in these segments (the policy's score bands); None: every segment
    segments: tuple[str, ...] | None = None


@dataclass(frozen=True, kw_only=True)
class CreditLinePolicy(Strict):
    """``credit_line`` in the policy file."""

    rules: tuple[Rule, ...] = (
        Rule(action="freeze", at_dpd=15),
        Rule(action="reduce", at_dpd=45, limit_share=Decimal("0.50")),
    )
    # the wallet restores the line after this many on-time payments following a cure
    restore_after_on_time_payments: Annotated[int, Ge(0), Le(24)] = 3

    def thresholds(self) -> tuple[int, ...]:
        """The days past due at which a case must be looked at (the daily sweep)."""
        return tuple(sorted({rule.at_dpd for rule in self.rules}))


def _state_of(action: str) -> str:
    return FROZEN if action == "freeze" else REDUCED


def target(case: CaseRecord, days_past_due: int, policy: CreditLinePolicy) -> str | None:
    """The state the credit line should be in: the latest rule reached for the case's
    segment; ``restored`` once a case that had an action is paid or resolved."""
    if case.status in (CaseStatus.PAID, CaseStatus.RESOLVED):
        return RESTORED if case.credit_line in (FROZEN, REDUCED) else case.credit_line
    if case.status.is_terminal:
        return case.credit_line
    reached = [
        rule
        for rule in policy.rules
        if days_past_due >= rule.at_dpd
        and (rule.segments is None or (case.segment or "standard") in rule.segments)
    ]
    if not reached:
        return case.credit_line
    latest = max(reached, key=lambda rule: rule.at_dpd)
    state = _state_of(latest.action)
    # never step back from a reduction to a mere freeze while the case is open
    if case.credit_line == REDUCED and state == FROZEN:
        return REDUCED
    return state


def change_entry(
    before: CaseRecord | None,
    after: CaseRecord,
    days_past_due: int,
    now: datetime,
    policy: CreditLinePolicy,
) -> TimelineEntry | None:
    """The audit line of a requested credit line change (what the request will say)."""
    old = before.credit_line if before is not None else None
    if after.credit_line is None or after.credit_line == old:
        return None
    action = ACTION_OF[after.credit_line]
    detail: dict[str, object] = {
        "action": action,
        "from_state": old,
        "days_past_due": days_past_due,
        "segment": after.segment,
    }
    if action == "reduce":
        share = next((r.limit_share for r in policy.rules if r.action == "reduce"), None)
        detail["limit_share"] = format(share, "f") if share is not None else None
    if action == "restore":
        detail["restore_after_on_time_payments"] = policy.restore_after_on_time_payments
    return TimelineEntry(
        case_id=after.case_id,
        at=now,
        kind="credit_line_action_requested",
        actor="system:credit_line",
        detail={k: v for k, v in detail.items() if v is not None},
    )
