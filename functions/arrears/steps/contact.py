"""Escalation step: one stage's contact (reminder, follow-up, plan offer, pre-due, agent call).

For each channel of the stage: guard (case open, not held, not already done) → compliance
gate through the contact ledger (``reserve`` decides and records under a lock: an allowed
contact is *reserved*) → on ALLOW, ``mark_action_done`` (a conditional add: only the first
caller wins, so a retried or redriven step never sends twice a message that went out) →
render → send → the reservation is settled *sent* (with the message id) → audit line. A
DEFER marks nothing: the stage comes back at ``not_before`` and is checked again. A BLOCK
marks the action decided: the ladder moves on without contacting.

A send the provider could not take now (``ProviderThrottled``) is settled *failed*, its
action is released (not done any more) and the error leaves the step, so the state machine
retries it and the retry sends again. A send refused for good (``ProviderRejected``, an
invalid recipient) is settled *failed* with its reason and the step moves on (outcome
"failed").

Returns ``{"route", "next_wait_seconds", "wait_until", "waiting_for", "outcome", "reason"}``,
``outcome`` one of sent / deferred / blocked / failed / skipped / hold.

The same handler sends the receipt after a payment (``{"op": "receipt"}``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger

from arrears import constants as c
from arrears.domain.case import BorrowerRecord, CaseRecord
from arrears.domain.compliance import (
    ContactIntent,
    ContentRequirement,
    Decision,
    Purpose,
    Verdict,
    load_pack,
    missing_content,
    required_content,
)
from arrears.domain.compliance.ledger import BLOCKED, FAILED, REPLAYED, SENT
from arrears.domain.errors import CaseClosed, InvalidRecipient, ProviderRejected, ProviderThrottled
from arrears.domain.guards import Verdict as Guard
from arrears.domain.guards import may_act, may_start_stage
from arrears.domain.ladder import (
    NextStep,
    Route,
    WaitingFor,
    action_key,
    after_letter_deadline,
    plan_next,
    plan_retry,
    pre_due_step,
    wait_until,
)
from arrears.domain.policy import Policy, StageStep
from arrears.domain.preferred_channel import REASON as PREFERRED_REASON
from arrears.domain.preferred_channel import channel_plan, falls_back
from arrears.domain.types import CaseStatus, Channel, Stage
from arrears.steps import plan_offers
from arrears.steps.holds import hold_for_status
from arrears.steps.notices import notice_context, render_and_store_letter, send_message
from arrears.steps.unit_of_work import (
    UnitOfWork,
    case_view,
    count,
    policy_of,
)

logger = Logger(service=c.SERVICE_NAME)

RECEIPT_KEY = "receipt"  # done_actions "receipt#<channel>": one receipt per channel per cycle
# US validation notice (12 CFR 1006.34): one letter per case, after the first collection contact
VALIDATION_NOTICE = "validation_notice"
VALIDATION_KEY = f"{VALIDATION_NOTICE}#{Channel.LETTER.value}"
# The validation period ends 30 days after the consumer receives the notice; a mailed notice
# is assumed received 5 business days after sending (1006.34(b)(5)): 35 calendar days is safe.
VALIDATION_PERIOD_DAYS = 35
# A rendered message missing a line the pack requires is not sent (a template defect).
CONTENT_MISSING = "content_missing"


@dataclass(frozen=True)
class ChannelResult:
    channel: Channel
    outcome: str  # sent / deferred / blocked / failed / skipped
    reason: str
    not_before: datetime | None = None


# deliver(deps, case, borrower, policy, step, channel, now) -> (timeline kind, audit detail)
Deliver = Callable[
    [UnitOfWork, CaseRecord, BorrowerRecord, Policy, StageStep, Channel, datetime],
    tuple[str, dict[str, Any]],
]


# ------------------------------------------------------------------------- stage actions


def act_on_stage(deps: UnitOfWork, case_id: str, stage: Stage, deliver: Deliver) -> dict[str, Any]:
    """Run one stage's action on every channel, then say where the case goes next."""
    now = deps.clock()
    deps, case = deps.load_case_and_borrower(case_id)
    with deps.writing(case) as step:
        return _act_on_stage(step, case, stage, deliver, now)


def _act_on_stage(
    deps: UnitOfWork, case: CaseRecord, stage: Stage, deliver: Deliver, now: datetime
) -> dict[str, Any]:
    case_id = case.case_id
    policy = policy_of(case)
    borrower = deps.load_borrower(case)

    early = _not_now(deps, case, policy, now)
    if early is not None:
        return early.as_output()

    step = pre_due_step(policy) if stage is Stage.PRE_DUE else _ladder_step(policy, case, stage)
    if step is None:  # the case changed segment and this stage is not on its ladder any more
        return (
            plan_next(policy, case_view(case, borrower), now)
            .with_outcome("skipped", f"{stage.value} not on the {case.segment} ladder")
            .as_output()
        )

    deps = deps.with_ledger_session(case, borrower, now)
    results = _act_on_channels(deps, case, borrower, policy, step, now, deliver)
    if stage is not Stage.PRE_DUE:
        send_validation_notice(deps, case, borrower, policy, now)
    done = case.done_actions | {
        action_key(stage, r.channel.value) for r in results if r.outcome != "deferred"
    }
    outcome, reason = _summarise(results)
    deferred = [r.not_before for r in results if r.outcome == "deferred" and r.not_before]
    if deferred:
        # back to this stage's wait; the channels already decided are skipped next time
        nxt = plan_retry(stage, min(deferred), now)
    else:
        if case.stage is not stage:
            # the lines of what was decided and sent are facts: written now, whatever becomes
            # of the conditional stage change (refused if the case closed meanwhile), which
            # goes together with its own line
            deps.flush()
            deps.set_case(case_id, stage=stage)
        deps.record(case_id, "stage_entered", {"stage": stage, "outcome": outcome})
        if stage is Stage.AGENT_CALL and outcome == "sent":
            # the call is a human task: the wait puts the case in the AGENT_CALL queue
            deadline = now + timedelta(hours=policy.agent_call.outcome_deadline_hours)
            nxt = wait_until(Route.AGENT_CALL_OUTCOME, deadline, now, WaitingFor.AGENT_OUTCOME)
        else:
            view = case_view(case, borrower, frozenset(done))
            nxt = plan_next(
                policy, view, now, _letter_answer_window(policy, borrower, step, results, now)
            )
    logger.info("stage acted", extra={"stage": stage.value, "outcome": outcome, "route": nxt.route})
    return nxt.with_outcome(outcome, reason).as_output()


def _act_on_channels(
    deps: UnitOfWork,
    case: CaseRecord,
    borrower: BorrowerRecord,
    policy: Policy,
    step: StageStep,
    now: datetime,
    deliver: Deliver,
) -> list[ChannelResult]:
    """The stage on its channels, the borrower's preferred one first where the policy gives
    a choice (``domain.preferred_channel``): the policy's channels are used only when the
    preferred one is blocked or fails, and the timeline says which were not used and why."""
    plan = channel_plan(step, borrower.preferred_channel)
    results = [
        _act_on_channel(deps, case, borrower, policy, step, channel, now, deliver)
        for channel in plan.first
    ]
    if not plan.fallback:
        return results
    if all(falls_back(result.outcome) for result in results):
        return results + [
            _act_on_channel(deps, case, borrower, policy, step, channel, now, deliver)
            for channel in plan.fallback
        ]
    if any(result.outcome == "sent" for result in results):
        for channel in plan.fallback:
            if action_key(step.stage, channel.value) in case.done_actions:
                continue  # decided by an earlier run of this step (a fallback then)
            deps.record(
                case.case_id,
                "contact_skipped",
                {
                    "stage": step.stage,
                    "channel": channel,
                    "reason": PREFERRED_REASON,
                    "preferred": plan.preferred,
                },
            )
    return results


def _letter_answer_window(
    policy: Policy,
    borrower: BorrowerRecord,
    step: StageStep,
    results: list[ChannelResult],
    now: datetime,
) -> datetime | None:
    """A letter sent with a deadline holds the next step until that deadline has passed
    (GB: the 30 days the Pre-Action Protocol gives to reply to a letter of claim)."""
    if not any(r.channel is Channel.LETTER and r.outcome == "sent" for r in results):
        return None
    rules = load_pack(borrower.country or None).letters
    days = rules.response_days(step.letter or step.stage.value, policy.notices.letter_deadline_days)
    return after_letter_deadline(policy, step, now.date(), days, borrower.timezone)


def _ladder_step(policy: Policy, case: CaseRecord, stage: Stage) -> StageStep | None:
    return policy.segment(case.segment or "standard").step(stage)


def _not_now(deps: UnitOfWork, case: CaseRecord, policy: Policy, now: datetime) -> NextStep | None:
    """A case that is closed or held gets no collection action; say where it goes instead."""
    guard = may_start_stage(case.status)
    if guard.verdict is Guard.CLOSED:
        if case.status in (CaseStatus.PAID, CaseStatus.RESOLVED):
            return NextStep(Route.THANK, outcome="skipped", reason=guard.reason)
        raise CaseClosed(f"{case.case_id}: {guard.reason}")
    if guard.verdict is Guard.HOLD:
        return hold_for_status(policy, case, now, plans=deps.plans).with_outcome(
            "skipped", guard.reason
        )
    return None


def _act_on_channel(
    deps: UnitOfWork,
    case: CaseRecord,
    borrower: BorrowerRecord,
    policy: Policy,
    step: StageStep,
    channel: Channel,
    now: datetime,
    deliver: Deliver,
) -> ChannelResult:
    key = action_key(step.stage, channel.value)
    guard = may_act(case.status, key, case.done_actions)
    template = step.letter or step.template or step.stage.value
    if not guard.proceed:
        if key in case.done_actions:
            return _as_decided_before(deps, case, channel, template)
        return ChannelResult(channel, "skipped", guard.reason)
    claimed = _claim(deps, case, borrower, channel, Purpose.COLLECTION, template, now)
    return _apply_decision(deps, case, borrower, policy, step, channel, key, claimed, now, deliver)


def _claim(
    deps: UnitOfWork,
    case: CaseRecord,
    borrower: BorrowerRecord,
    channel: Channel,
    purpose: Purpose,
    template: str,
    now: datetime,
) -> tuple[Decision, str]:
    """The gate's decision and the ledger entry it was recorded under."""
    intent = ContactIntent(
        case_id=case.case_id,
        channel=channel,
        purpose=purpose,
        at=now,
        case_status=case.status,
        payment_pending=case.status is CaseStatus.PAYMENT_PENDING,
        disputed=case.status is CaseStatus.DISPUTED,
    )
    pack = load_pack(borrower.country or None)
    return deps.ledger.reserve(intent, borrower.profile(), pack, template)


def _as_decided_before(
    deps: UnitOfWork, case: CaseRecord, channel: Channel, template: str
) -> ChannelResult:
    """A retried or redriven step meets an action already decided: it reports what was
    decided then (from the ledger), so the step routes as its first attempt did (a retried
    agent call still enters its wait), and acts on nothing again."""
    decided = [
        entry.decision
        for entry in deps.ledger.entries(case.account_id, since=case.opened_at)
        if entry.case_id == case.case_id
        and entry.channel is channel
        and entry.template == template
        and entry.decision in (SENT, BLOCKED)
    ]
    if SENT in decided:
        return ChannelResult(channel, "sent", "already_done")
    if BLOCKED in decided:
        return ChannelResult(channel, "blocked", "already_done")
    return ChannelResult(channel, "skipped", "already_done")


def _apply_decision(
    deps: UnitOfWork,
    case: CaseRecord,
    borrower: BorrowerRecord,
    policy: Policy,
    step: StageStep,
    channel: Channel,
    key: str,
    claimed: tuple[Decision, str],
    now: datetime,
    deliver: Deliver,
) -> ChannelResult:
    decision, entry = claimed
    base = {"stage": step.stage, "channel": channel, "reason": decision.reason}
    if decision.verdict is Verdict.DEFER:
        deps.record(case.case_id, "contact_deferred", base | {"not_before": decision.not_before})
        _count(c.METRIC_CONTACT_DEFERRED, channel, decision.reason)
        return ChannelResult(channel, "deferred", decision.reason, decision.not_before)
    try:
        done_now = deps.repos.cases.mark_action_done(case.case_id, key)
    except Exception:
        # the slot reserved for this contact is given back, so the retry is not capped by it
        if decision.verdict is Verdict.ALLOW and decision is not REPLAYED:
            deps.ledger.settle(case.account_id, entry, FAILED, "error")
        raise
    if not done_now:
        # another invocation of this step got here first: it sends, we do not (and a slot
        # reserved just now for this contact is given back)
        if decision.verdict is Verdict.ALLOW and decision is not REPLAYED:
            deps.ledger.settle(case.account_id, entry, FAILED, "already_done")
        return ChannelResult(channel, "skipped", "already_done")
    if decision.verdict is Verdict.BLOCK:
        deps.record(case.case_id, "contact_blocked", base | {"rule": decision.rule})
        _count(c.METRIC_CONTACT_BLOCKED, channel, decision.reason)
        # one series over all channels and reasons, for the blocked-contacts anomaly alarm
        count(c.METRIC_CONTACT_BLOCKED_TOTAL)
        return ChannelResult(channel, "blocked", decision.reason)
    try:
        kind, detail = deliver(deps, case, borrower, policy, step, channel, now)
    except ProviderThrottled as error:
        # nothing went out: the slot is freed, the action is not done, the retry sends it
        _failed(deps, case, key, entry, base, channel, error.reason, transient=True)
        raise
    except (ProviderRejected, InvalidRecipient) as error:
        reason = getattr(error, "reason", "invalid_recipient")
        _failed(deps, case, key, entry, base, channel, reason, transient=False)
        return ChannelResult(channel, "failed", reason)
    except Exception:
        # an unexpected fault before anything was confirmed: retried like a transient one
        _failed(deps, case, key, entry, base, channel, "error", transient=True, record_it=False)
        raise
    deps.record(case.case_id, kind, base | detail)
    if kind == "contact_blocked":  # the delivery refused (content_missing): nothing went out
        deps.ledger.settle(case.account_id, entry, BLOCKED, detail["reason"])
        _count(c.METRIC_CONTACT_BLOCKED, channel, detail["reason"])
        count(c.METRIC_CONTACT_BLOCKED_TOTAL)
        return ChannelResult(channel, "blocked", detail["reason"])
    message_id = detail.get("message_id")
    deps.ledger.settle(
        case.account_id,
        entry,
        SENT,
        reason=sms_ledger_note(detail),  # a shortened or over-budget SMS says so
        message_id=message_id and str(message_id),
    )
    _count(c.METRIC_CONTACT_SENT, channel, str(step.stage))
    return ChannelResult(channel, "sent", decision.reason)


def _failed(
    deps: UnitOfWork,
    case: CaseRecord,
    key: str,
    entry: str,
    base: dict[str, Any],
    channel: Channel,
    reason: str,
    *,
    transient: bool,
    record_it: bool = True,
) -> None:
    """A send that did not go out: the reservation settled failed (it frees its slot); a
    transient failure also releases the action, so the retried step sends it again."""
    deps.ledger.settle(case.account_id, entry, FAILED, reason)
    if transient:
        deps.repos.cases.release_action(case.case_id, key)
    if record_it:
        detail = base | {"reason": reason, "transient": transient}
        deps.record(case.case_id, "contact_failed", detail)
        _count(c.METRIC_CONTACT_FAILED, channel, reason)


def _summarise(results: list[ChannelResult]) -> tuple[str, str]:
    for outcome in ("deferred", "sent", "blocked", "failed", "skipped"):
        hits = [r for r in results if r.outcome == outcome]
        if hits:
            return outcome, ",".join(sorted({f"{r.channel.value}:{r.reason}" for r in hits}))
    return "skipped", "no channel"


def _count(metric: str, channel: Channel, reason: str) -> None:
    count(metric, channel=channel.value, reason=str(reason))


# ------------------------------------------------------------------------- delivery


def deliver_message(
    deps: UnitOfWork,
    case: CaseRecord,
    borrower: BorrowerRecord,
    policy: Policy,
    step: StageStep,
    channel: Channel,
    now: datetime,
) -> tuple[str, dict[str, Any]]:
    """Render the stage's template for the borrower's locale and send it."""
    if channel is Channel.CALL:
        # an agent places the call; the wait after this step queues it for them
        return "agent_call_requested", {"template": step.template}
    from arrears.domain.notices import render_message

    template = step.template or ""
    # (steps/plan_offers.py): softer template for a distressed borrower, and the
    # plan offer's terms for the plan_offer message
    template = plan_offers.message_template(template, borrower)
    collection = template not in _not_collection(policy)
    first = collection and _is_first_contact(deps, case, policy, now)
    context = notice_context(case, borrower, policy, now, first_contact=first)
    if template == policy.receipt.template:
        context = replace(context, **_last_payment(deps, case, now))
    if template == "plan_offer":
        context = replace(context, plan=plan_offers.offer_terms(deps, case, now))
    if deps.links is not None and policy.portal.enabled:
        # a new portal link per message, stored hashed (docs/portal.md)
        link = deps.links.issue(
            case.case_id, case.account_id, channel.value, now, policy.portal.link_valid_days
        )
        context = replace(context, pay_link=link)
    message = render_message(template, channel, borrower.locale, context)
    budget: dict[str, Any] = {}
    if channel is Channel.SMS:
        message, budget = _within_budget(
            template, borrower, context, policy, collection, first, message
        )
    missing = _missing_content(borrower, channel, collection, first, message)
    if missing:
        # never with the shipped templates (tests render them all): an edited template
        # that drops the opt-out line or the disclosure is refused, not sent
        logger.error(
            "message missing required content",
            extra={"template": template, "channel": channel.value, "missing": missing},
        )
        return "contact_blocked", {
            "template": template,
            "reason": CONTENT_MISSING,
            "missing": missing,
        }
    message_id = send_message(deps, borrower, channel, message, case.case_id)
    return "contact_sent", {
        "template": template,
        "message_id": message_id,
        "first": first,
        **budget,
    }


def _within_budget(
    template: str,
    borrower: BorrowerRecord,
    context: Any,
    policy: Policy,
    collection: bool,
    first: bool,
    message: Any,
) -> tuple[Any, dict[str, Any]]:
    """The SMS in the first form that fits the policy's parts (``domain.portal.sms.fit``:
    full, then without the optional extras, then without the link), or the shortest one
    over the budget; and what the timeline says of it. A message no form of which carries
    what the pack requires is left as it is: the content check refuses it."""
    from arrears.domain.notices import render_message
    from arrears.domain.portal import sms

    def render(shorter: Any) -> str:
        if shorter is context:
            return str(message.body)
        return str(render_message(template, Channel.SMS, borrower.locale, shorter).body)

    def compliant(body: str) -> bool:
        return not _missing_content(
            borrower, Channel.SMS, collection, first, replace(message, body=body)
        )

    chosen = sms.fit(sms.forms(context, render, compliant), policy.portal.sms_max_segments)
    if chosen is None:
        return message, {}
    form = chosen.candidate.form
    detail: dict[str, Any] = {
        "sms_form": form.value,
        "sms_parts": chosen.parts,
        "sms_budget": chosen.budget,
        "sms_encoding": chosen.encoding,
        "sms_left_out": sms.LEFT_OUT[form] or None,
        "sms_over_budget": True if chosen.over_budget else None,
    }
    if form is not sms.SmsForm.FULL:
        count(c.METRIC_SMS_SHORTENED, form=form.value)
    if chosen.over_budget:
        count(c.METRIC_SMS_OVER_BUDGET)
        logger.warning(
            "sms over its parts budget",
            extra={"template": template, "parts": chosen.parts, "budget": chosen.budget},
        )
    return replace(message, body=chosen.candidate.body), detail


def sms_ledger_note(detail: dict[str, Any]) -> str | None:
    """What the contact ledger says of a sent SMS that is not its full form within the
    budget (``sms_short``, ``sms_no_link``, ``sms_over_budget``); None otherwise."""
    if detail.get("sms_over_budget"):
        return "sms_over_budget"
    form = detail.get("sms_form")
    return f"sms_{form}" if form and form != "full" else None


def _not_collection(policy: Policy) -> frozenset[str]:
    """Templates that do not demand a debt in default (pre-due note, receipt): they need the
    opt-out line but no debt-collection disclosure, and are not the first communication."""
    return frozenset({policy.pre_due.template, policy.receipt.template})


def first_collection_contact(deps: UnitOfWork, case: CaseRecord, policy: Policy) -> datetime | None:
    """When the first collection message about this case went out (ledger), or None."""
    skip = _not_collection(policy)
    for entry in deps.ledger.entries(case.account_id, since=case.opened_at):
        if (
            entry.decision == "sent"
            and entry.case_id == case.case_id
            and entry.attempt
            and entry.template not in skip
            and Channel(entry.channel) is not Channel.LETTER
        ):
            return entry.at
    return None


def _is_first_contact(deps: UnitOfWork, case: CaseRecord, policy: Policy, now: datetime) -> bool:
    # the ledger already holds this contact's own claim (at ``now``), and a stage's other
    # channel claimed at the same instant is part of the same first communication
    first = first_collection_contact(deps, case, policy)
    return first is None or first >= now


def _missing_content(
    borrower: BorrowerRecord, channel: Channel, collection: bool, first: bool, message: Any
) -> list[str]:
    pack = load_pack(borrower.country or None)
    required = required_content(pack, channel, first)
    if not collection:
        required &= {ContentRequirement.OPT_OUT_INSTRUCTION}
    text = "\n".join(part for part in (message.subject, message.body) if part)
    # judged in the language the message is written in, which a fallback may have changed
    return sorted(missing_content(pack, required, text, message.locale))


# ------------------------------------------------------------------------- validation notice


def send_validation_notice(
    deps: UnitOfWork, case: CaseRecord, borrower: BorrowerRecord, policy: Policy, now: datetime
) -> ChannelResult | None:
    """US (packs with ``validation_notice_days`` whose letters come from a debt collector,
    ``collector_role: third_party``): the validation notice letter, once per case, as soon
    as the first collection message has gone out (12 CFR 1006.34(a)(1)(i)(B): within five
    days of it). A deferral is tried again at the next contact step."""
    pack = load_pack(borrower.country or None)
    if not pack.sends_validation_notice or VALIDATION_KEY in case.done_actions:
        return None
    if first_collection_contact(deps, case, policy) is None:
        return None
    claimed = _claim(
        deps, case, borrower, Channel.LETTER, Purpose.REQUIRED_NOTICE, VALIDATION_NOTICE, now
    )
    step = StageStep(
        stage=case.stage,
        day=0,
        channels=(Channel.LETTER,),
        template=None,
        letter=VALIDATION_NOTICE,
    )
    return _apply_decision(
        deps,
        case,
        borrower,
        policy,
        step,
        Channel.LETTER,
        VALIDATION_KEY,
        claimed,
        now,
        deliver_validation_notice,
    )


def deliver_validation_notice(
    deps: UnitOfWork,
    case: CaseRecord,
    borrower: BorrowerRecord,
    policy: Policy,
    step: StageStep,
    channel: Channel,
    now: datetime,
) -> tuple[str, dict[str, Any]]:
    deadline = now.date() + timedelta(days=VALIDATION_PERIOD_DAYS)
    detail = render_and_store_letter(
        deps, case, borrower, policy, VALIDATION_NOTICE, now, deadline=deadline
    )
    return "letter_stored", detail | {"purpose": Purpose.REQUIRED_NOTICE}


def _last_payment(deps: UnitOfWork, case: CaseRecord, now: datetime) -> dict[str, Any]:
    """What the receipt thanks for: the latest payment ingest recorded on the timeline."""
    payments = deps.repos.timeline.list(case.case_id, ("payment",))
    if not payments:
        return {"amount_paid": case.balance, "paid_at": now}
    last = payments[-1]
    return {"amount_paid": Decimal(str(last.detail.get("amount_paid", "0"))), "paid_at": last.at}


def send_receipt(deps: UnitOfWork, case_id: str) -> dict[str, Any]:
    """Thank-you / receipt after a payment; at most once per channel per cycle."""
    now = deps.clock()
    deps, case = deps.load_case_and_borrower(case_id)
    with deps.writing(case) as step_deps:
        return _send_receipt(step_deps, case, now)


def _send_receipt(deps: UnitOfWork, case: CaseRecord, now: datetime) -> dict[str, Any]:
    policy = policy_of(case)
    borrower = deps.load_borrower(case)
    step = StageStep(
        stage=Stage.CLOSED,
        day=0,
        channels=policy.receipt.channels,
        template=policy.receipt.template,
        letter=None,
    )
    deps = deps.with_ledger_session(case, borrower, now)
    results = []
    for channel in policy.receipt.channels:
        key = f"{RECEIPT_KEY}#{channel.value}"
        guard = may_act(case.status, key, case.done_actions, Purpose.RECEIPT)
        if not guard.proceed:
            results.append(ChannelResult(channel, "skipped", guard.reason))
            continue
        claimed = _claim(deps, case, borrower, channel, Purpose.RECEIPT, step.template or "", now)
        # a transient send failure (ProviderThrottled) leaves the step: the receipt is retried
        results.append(
            _apply_decision(
                deps, case, borrower, policy, step, channel, key, claimed, now, deliver_message
            )
        )
    outcome, reason = _summarise(results)
    deferred = [r.not_before for r in results if r.outcome == "deferred" and r.not_before]
    if deferred:  # e.g. paid at night: thank them in the morning, not never
        later = wait_until(Route.RECEIPT_LATER, min(deferred), now, "receipt_due")
        return later.with_outcome(outcome, reason).as_output()
    return NextStep(Route.CLOSED, outcome=outcome, reason=reason).as_output()
