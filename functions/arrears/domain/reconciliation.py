"""A payment the borrower says was made, and ops' search for it.

"I have already paid" on the portal and a reply saying so are the same statement: the
case is held as payment pending for the policy's grace window (no collection contact) and
listed in the PAYMENT_RECONCILIATION work queue until ``reconcile_by``, the end of that
window. It leaves the queue when ops decide (``reconcile_payment``: found, so the hold
waits for the wallet's settlement; not found, so the hold ends and the ladder resumes),
when the wallet reports the payment (``domain.case``: the case closes or resumes), or when
the window ends with nothing found (the escalation resumes the ladder by itself).

The queue itself is written by the escalation's reconciliation hold (its wait lists the
case with ``queue_due_at`` = ``reconcile_by``); ``reconcile_by`` on the case is what says a
reconciliation is open, so a wait that clears the queue for another reason (a pause) does
not lose it: the hold that follows lists the case again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from arrears.domain.types import CaseStatus

# statuses a claim holds (a case already payment pending has money the wallet reported)
CLAIMABLE = frozenset({CaseStatus.OPEN, CaseStatus.PROMISED, CaseStatus.ON_PLAN})


def claim(now: datetime, payment_pending_hours: int) -> dict[str, Any]:
    """The case fields a claimed payment sets: payment pending from now, for ops to
    reconcile within the grace window."""
    return {
        "status": CaseStatus.PAYMENT_PENDING,
        "pending_since": now,
        "reconcile_by": now + timedelta(hours=payment_pending_hours),
    }
