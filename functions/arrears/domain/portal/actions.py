"""What a borrower does on the portal, as the same ops actions an agent records.

A form is parsed here into one ``domain.ops`` action (a promise, a plan, an opt-out, a
dispute, hardship, a claimed payment) with the operator ``borrower:portal``; ``plan_for``
then asks ``domain.ops.plan_action`` what it changes, exactly as for an agent, and adapts
the few things that differ for a borrower acting alone: the promise limit is the policy's
(``portal.promise_max_days``), a plan must be one the policy offers, a claimed payment holds
the case as payment pending at once and asks ops to reconcile it, and nothing is
written as a phone call. A refusal raises ``PortalRefusal`` with a message key the page
shows in the borrower's language; nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from arrears.domain.case import CaseRecord, iso_utc
from arrears.domain.errors import ArrearsError
from arrears.domain.ops import (
    ActionName,
    CallOutcome,
    CaseChanges,
    OpsAction,
    OpsFacts,
    OpsPlan,
    parse_action,
    plan_action,
)
from arrears.domain.portal.settings import PortalPolicy
from arrears.domain.reconciliation import CLAIMABLE, claim
from arrears.domain.types import CaseStatus, Channel

ACTOR = "borrower:portal"
OPERATOR = "borrower:portal"  # the ops action's operator field (an audit name, not a person)
# what ops are told to do with a claimed payment (the ops alerts topic)
RECONCILIATION = "PAYMENT_RECONCILIATION"
MAX_REASON = 500
_MONEY = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")
OPT_OUT_CHANNELS = (Channel.SMS, Channel.EMAIL, Channel.CALL)
PREFERRED_CHANNELS = (Channel.SMS, Channel.EMAIL, Channel.CALL)


class PortalAction(StrEnum):
    PROMISE = "promise"
    PLAN = "plan"
    PAID = "paid"
    OPT_OUT = "opt_out"
    DISPUTE = "dispute"
    HARDSHIP = "hardship"
    PREFERENCES = "preferences"


class PortalRefusal(ArrearsError):
    """A borrower's request the portal refuses; ``key`` names the message shown."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


# timeline kinds of the borrower's own actions (the ops plan's kind is the agent's)
TIMELINE_KIND = {
    PortalAction.PROMISE: "promise_to_pay",
    PortalAction.PLAN: "plan_accepted",
    PortalAction.PAID: "payment_claimed",
    PortalAction.OPT_OUT: "opted_out",
    PortalAction.DISPUTE: "dispute_opened",
    PortalAction.HARDSHIP: "hardship_reported",
    PortalAction.PREFERENCES: "preferences_changed",
}


@dataclass(frozen=True)
class Preferences:
    """Contact preferences: the gate reads the language and channel order; hours are a
    window inside the pack's legal window (local time, whole hours)."""

    locale: str | None = None
    channel: Channel | None = None
    hours: tuple[int, int] | None = None


def _text(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def parse_promise(
    form: Mapping[str, str], case: CaseRecord, policy: PortalPolicy, today: date
) -> tuple[date, Decimal]:
    try:
        promised = date.fromisoformat(_text(form, "promise_date"))
    except ValueError:
        raise PortalRefusal("bad_date") from None
    if promised < today or promised > today + timedelta(days=policy.promise_max_days):
        raise PortalRefusal("promise_out_of_range")
    amount_text = _text(form, "promise_amount") or format(case.balance, "f")
    if not _MONEY.match(amount_text):
        raise PortalRefusal("bad_amount")
    try:
        amount = Decimal(amount_text)
    except InvalidOperation:
        raise PortalRefusal("bad_amount") from None
    if amount <= 0 or amount > case.balance:
        raise PortalRefusal("bad_amount")
    return promised, amount


def plan_choices(policy: PortalPolicy, max_installments: int) -> tuple[int, ...]:
    return tuple(n for n in policy.plan_choices if n <= max_installments)


def to_ops_action(
    action: str,
    form: Mapping[str, str],
    case: CaseRecord,
    policy: PortalPolicy,
    today: date,
    max_installments: int,
) -> OpsAction:
    """The borrower's form as an ops action, or ``PortalRefusal`` (nothing changes)."""
    try:
        kind = PortalAction(action)
    except ValueError:
        raise PortalRefusal("bad_request") from None
    raw: dict[str, Any] = {"case_id": case.case_id, "operator": OPERATOR}
    if kind is PortalAction.PROMISE:
        promised, amount = parse_promise(form, case, policy, today)
        raw |= {
            "action": ActionName.RECORD_CALL_OUTCOME.value,
            "outcome": CallOutcome.PROMISE_TO_PAY.value,
            "promise_date": promised.isoformat(),
            "promise_amount": format(amount, "f"),
        }
    elif kind is PortalAction.PLAN:
        text = _text(form, "installments")
        if not text.isdigit() or int(text) not in plan_choices(policy, max_installments):
            raise PortalRefusal("plan_not_offered")
        raw |= {"action": ActionName.OFFER_PLAN.value, "installments": int(text), "accepted": True}
    elif kind is PortalAction.PAID:
        raw |= {
            "action": ActionName.RECORD_CALL_OUTCOME.value,
            "outcome": CallOutcome.PAID_CLAIMED.value,
        }
    elif kind is PortalAction.OPT_OUT:
        channel = _text(form, "channel")
        if channel not in {c.value for c in OPT_OUT_CHANNELS}:
            raise PortalRefusal("bad_request")
        raw |= {"action": ActionName.OPT_OUT.value, "channel": channel}
    elif kind is PortalAction.DISPUTE:
        reason = _text(form, "reason")
        if not reason or len(reason) > MAX_REASON:
            raise PortalRefusal("reason_needed")
        raw |= {
            "action": ActionName.RECORD_CALL_OUTCOME.value,
            "outcome": CallOutcome.DISPUTE.value,
            "reason": reason,
        }
    elif kind is PortalAction.HARDSHIP:
        note = _text(form, "note")
        if len(note) > MAX_REASON:
            raise PortalRefusal("reason_needed")
        raw |= {
            "action": ActionName.RECORD_CALL_OUTCOME.value,
            "outcome": CallOutcome.HARDSHIP.value,
        }
        if note:
            raw["note"] = note
    else:
        raise PortalRefusal("bad_request")  # preferences are not an ops action
    try:
        return parse_action(raw)
    except ArrearsError:
        raise PortalRefusal("bad_request") from None


def parse_preferences(
    form: Mapping[str, str], locales: tuple[str, ...], window: tuple[int, int]
) -> Preferences:
    """Preferred language (one the templates are written in), channel, and hours inside
    the legal window ``window`` = (first hour, end hour) of the borrower's pack."""
    locale = _text(form, "locale") or None
    if locale is not None and locale not in locales:
        raise PortalRefusal("bad_request")
    channel_text = _text(form, "channel")
    channel = None
    if channel_text:
        if channel_text not in {c.value for c in PREFERRED_CHANNELS}:
            raise PortalRefusal("bad_request")
        channel = Channel(channel_text)
    start, end = _text(form, "hour_from"), _text(form, "hour_to")
    hours = None
    if start or end:
        if not (start.isdigit() and end.isdigit()):
            raise PortalRefusal("hours_outside_window")
        first, last = int(start), int(end)
        if not (window[0] <= first < last <= window[1]):
            raise PortalRefusal("hours_outside_window")
        hours = (first, last)
    if locale is None and channel is None and hours is None:
        raise PortalRefusal("bad_request")
    return Preferences(locale=locale, channel=channel, hours=hours)


def plan_for(
    kind: PortalAction,
    action: OpsAction,
    case: CaseRecord | None,
    now: datetime,
    facts: OpsFacts,
    payment_pending_hours: int,
) -> OpsPlan:
    """``domain.ops.plan_action``, adapted for a borrower acting alone (module docstring)."""
    if case is None or not case.is_open:
        raise PortalRefusal("case_closed")
    if kind is PortalAction.PAID and case.status is CaseStatus.PAYMENT_PENDING:
        raise PortalRefusal("already_pending")
    plan = plan_action(action, case, now, facts)
    sets = {
        key: value
        for key, value in plan.case.set.items()
        if key not in ("last_call_outcome", "last_call_at")  # the portal is not a call
    }
    sets["last_portal_action"] = kind.value
    sets["last_portal_action_at"] = iso_utc(now)
    remove = plan.case.remove
    if kind is PortalAction.PAID and case.status in CLAIMABLE:
        # money in flight from now, for the policy's grace window, and in ops'
        # PAYMENT_RECONCILIATION queue to find it (the wake holds the escalation there; a
        # PAID event closes the case), as for a reply saying so
        claimed = claim(now, payment_pending_hours)
        sets |= {
            "status": claimed["status"].value,
            "pending_since": iso_utc(claimed["pending_since"]),
            "reconcile_by": iso_utc(claimed["reconcile_by"]),
            "payment_claimed_at": iso_utc(now),
        }
        if case.status is not CaseStatus.OPEN:
            sets["resume_status"] = case.status.value  # a promise or a plan comes back
    detail = dict(plan.timeline_detail) | {"via": "portal"}
    return replace(
        plan,
        case=CaseChanges(set=sets, remove=remove),
        timeline_kind=TIMELINE_KIND[kind],
        timeline_detail=detail,
    )
