"""What the escalation step handlers (assess, contact, letter, record) share.

- ``StepDeps``: the adapters a step uses, so unit tests pass in-memory fakes and Lambda
  builds the AWS ones once per container;
- loading a case and the policy it was planned with, and the planner's view of it;
- building the notice context for a message or a letter;
- the audit timeline line each step writes.

"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from arrears.domain.case import BorrowerRecord, CaseRecord, TimelineEntry
from arrears.domain.errors import CaseNotFound, ConcurrentUpdate
from arrears.domain.ladder import CaseView
from arrears.domain.policy import Policy, policy_by_version
from arrears.domain.ports import ContactLedger, LetterStore, Messenger, PlanStore, StepWrite, Stores
from arrears.domain.types import CaseStatus, Stage

ACTOR = "system:escalation"


def count(name: str, **dimensions: str) -> None:
    """One EMF metric with its own dimensions (reason, channel, segment...): the dashboard's
    blocked/deferred-by-reason and cases-by-outcome graphs read these."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    from arrears import constants as c

    with single_metric(
        name=name, unit=MetricUnit.Count, value=1, namespace=c.METRICS_NAMESPACE
    ) as metric:
        metric.add_dimension(name="service", value=c.SERVICE_NAME)
        for key, value in dimensions.items():
            metric.add_dimension(name=key, value=value or "none")


def utc_now() -> datetime:
    # datetime.now is what the local runtime's virtual clock moves
    return datetime.now(UTC)


@dataclass
class StepDeps:
    repos: Stores
    ledger: ContactLedger
    messenger: Messenger
    letters: LetterStore
    clock: Callable[[], datetime] = field(default=utc_now)
    # one invocation's pending case change and audit lines (``step_writes``), and the
    # borrower it loaded with its case; None on the container-wide deps
    work: StepWork | None = None
    borrower: BorrowerRecord | None = None
    # repayment plans (hardship offers, installments); None where a step never needs one
    plans: PlanStore | None = None


# ---------------------------------------------------------------------------- case helpers


def load_case(deps: StepDeps, case_id: str) -> CaseRecord:
    case = deps.repos.cases.get(case_id)
    if case is None:
        raise CaseNotFound(case_id)
    return case


def load_case_and_borrower(deps: StepDeps, case_id: str) -> tuple[StepDeps, CaseRecord]:
    """The case and its borrower in one read; the returned deps hand that borrower to
    every ``load_borrower`` of this invocation instead of reading it again."""
    case, borrower = deps.repos.cases.get_with_borrower(case_id)
    if case is None:
        raise CaseNotFound(case_id)
    return replace(deps, borrower=borrower or BorrowerRecord(account_id=case.account_id)), case


def load_borrower(deps: StepDeps, case: CaseRecord) -> BorrowerRecord:
    if deps.borrower is not None and deps.borrower.account_id == case.account_id:
        return deps.borrower
    borrower = deps.repos.borrowers.get(case.account_id)
    return borrower or BorrowerRecord(account_id=case.account_id)


# ---------------------------------------------------------------------------- one step's writes


@dataclass
class StepWork:
    """What one invocation changes on its case, gathered and written once (``commit_step``).

    ``set_case``, ``close_case``, ``mark_done`` and ``record`` add to it instead of writing;
    ``step_writes`` writes it all in one transaction on leaving (an audit line never exists
    without its change, nor a change without its audit line), and ``flush_step`` writes what
    is pending before an effect outside the system (a message, a letter), so an audit line
    is never held back across a send.
    """

    case: CaseRecord
    fields: dict[str, Any] = field(default_factory=dict)
    done_action: str | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    taken_wake: str | None = None  # the parked wake this step acts on (``take_parked_wake``)

    def take(self) -> StepWrite:
        write = StepWrite(
            case_id=self.case.case_id,
            fields=dict(self.fields),
            done_action=self.done_action,
            timeline=tuple(self.timeline),
            taken_wake=self.taken_wake,
        )
        self.fields.clear()
        self.done_action = None
        self.timeline.clear()
        self.taken_wake = None
        return write


@contextmanager
def step_writes(deps: StepDeps, case: CaseRecord) -> Iterator[StepDeps]:
    """The invocation's deps, gathering its writes to ``case`` and writing them on leaving.

    On an error the gathered writes are still made (as they were made one by one before
    the error when each was its own call), and the step's own error is what propagates:
    the state machine catches CaseClosed and retries ConcurrentUpdate by name.
    """
    step = replace(deps, work=StepWork(case))
    try:
        yield step
    except BaseException:
        with suppress(Exception):
            flush_step(step)
        raise
    flush_step(step)


def flush_step(deps: StepDeps) -> bool:
    """Write what the step has gathered so far; False if its done action was done already
    (then nothing of it is written: another invocation of the step got there first)."""
    if deps.work is None:
        return True
    write = deps.work.take()
    if not write.changes_case and not write.timeline:
        return True
    return deps.repos.cases.commit_step(write)


def take_parked_wake(deps: StepDeps) -> dict[str, Any] | None:
    """The wake parked on the step's case (``pending_wake``: it found no execution waiting),
    removed with the step's write, and only if it is still the stored one: a newer wake
    parked meanwhile fails the write as ConcurrentUpdate, and the retried step takes that."""
    from arrears.domain import wakes

    work = deps.work
    if work is None or not work.case.pending_wake:
        return None
    work.taken_wake = work.case.pending_wake
    return wakes.decode(work.case.pending_wake) or {"wake": "RECHECK", "unreadable": True}


def mark_done(deps: StepDeps, case_id: str, action: str) -> bool:
    """Add ``action`` to done_actions if absent. Gathered in a step (written at its end,
    where a retried step that finds it done writes nothing); at once otherwise."""
    work = deps.work
    if work is None or work.case.case_id != case_id or work.done_action is not None:
        return deps.repos.cases.mark_action_done(case_id, action)
    if action in work.case.done_actions:
        return False
    work.done_action = action
    return True


def with_ledger_session(
    deps: StepDeps, case: CaseRecord, borrower: BorrowerRecord, now: datetime
) -> StepDeps:
    """The step's adapters with a ledger read once for this invocation (``LedgerSession``):
    from the case's opening (first-contact lookups) or the compliance pack's lookback,
    whichever is older, so every claim and lookup of the step is served by one read."""
    from datetime import timedelta

    from arrears.domain.compliance import load_pack

    pack = load_pack(borrower.country or None)
    since = min(case.opened_at, now - timedelta(days=pack.max_lookback_days))
    return replace(deps, ledger=deps.ledger.session(since))


def policy_of(case: CaseRecord) -> Policy:
    return policy_by_version(case.policy_version)


def is_overdue(case: CaseRecord) -> bool:
    """False only while a case opened from DUE_SOON has not seen its OVERDUE event.

    Ingest records every event's status in ``last_payment_status``, so an OVERDUE that
    arrived without waking the execution is still seen when the pre-due hold ends.
    """
    if case.stage is not Stage.PRE_DUE:
        return True
    return case.last_payment_status not in (None, "DUE_SOON")


def case_view(
    case: CaseRecord,
    borrower: BorrowerRecord,
    done: frozenset[str] | None = None,
    segment: str | None = None,
) -> CaseView:
    return CaseView(
        segment=segment or case.segment or "standard",
        due_date=case.due_date or case.opened_at.date(),
        done_actions=case.done_actions if done is None else done,
        timezone=borrower.timezone,
        overdue=is_overdue(case),
    )


def record(
    deps: StepDeps,
    case_id: str,
    kind: str,
    detail: dict[str, Any],
    at: datetime | None = None,
    actor: str = ACTOR,
) -> None:
    """One audit line. ``detail`` must never carry PII (no phone, email, name, body)."""
    clean = {k: _plain(v) for k, v in detail.items() if v is not None and v != ""}
    entry = TimelineEntry(
        case_id=case_id, at=at or deps.clock(), kind=kind, actor=actor, detail=clean
    )
    if deps.work is not None and deps.work.case.case_id == case_id:
        deps.work.timeline.append(entry)
    else:
        deps.repos.timeline.append(entry)


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if hasattr(value, "value"):  # enums
        return value.value
    return value


def set_case(deps: StepDeps, case_id: str, **fields: Any) -> CaseRecord:
    """Update named case attributes, only while the case is open (a closed case stays closed).

    In a step (``step_writes``) the change is gathered and the case as it will be returned."""
    work = deps.work
    if work is not None and work.case.case_id == case_id:
        if not work.case.is_open:
            raise ConcurrentUpdate(case_id)
        work.fields.update(fields)
        work.case = replace(work.case, **fields)
        return work.case
    return deps.repos.cases.update_fields(case_id, fields, require_open=True)


def close_case(
    deps: StepDeps, case: CaseRecord, status: CaseStatus, outcome: str, now: datetime
) -> CaseRecord:
    """Terminal status, stage closed, queue cleared; idempotent for an already closed case."""
    if case.status.is_terminal:
        return case
    closed = set_case(
        deps,
        case.case_id,
        status=status,
        stage=Stage.CLOSED,
        outcome=outcome,
        closed_at=now,
        queue=None,
        queue_due_at=None,
    )
    record(
        deps,
        case.case_id,
        "case_closed",
        {"status": status, "outcome": outcome, "stage": case.stage},
        now,
    )
    return closed


# ---------------------------------------------------------------------------- notices


def case_reference(case: CaseRecord) -> str:
    """What the borrower sees as the case reference (no PII: account id and cycle)."""
    return case.case_id.replace("#", "-")


def notice_context(
    case: CaseRecord,
    borrower: BorrowerRecord,
    policy: Policy,
    now: datetime,
    first_contact: bool = False,
) -> Any:
    """``first_contact``: the first collection communication about this debt (US: it
    carries the full debt-collection disclosure, later ones the short form)."""
    from arrears.domain.notices import NoticeContext

    return NoticeContext(**_notice_fields(case, borrower, policy, now), first_contact=first_contact)


def letter_context(
    case: CaseRecord,
    borrower: BorrowerRecord,
    policy: Policy,
    now: datetime,
    timeline: Sequence[TimelineEntry] = (),
    kind: str | None = None,
) -> Any:
    """A letter's context: who it comes from, where a dispute goes and the legal text
    come from the borrower's compliance pack (``letters``), the rest from the policy. The
    itemization (US validation notice, 12 CFR 1006.34(c)(2)) starts on the day the case
    opened, at the balance ingest recorded on the ``case_opened`` audit line, with the
    payments recorded since; pass the case's ``timeline`` for it."""
    from datetime import timedelta

    from arrears.domain.balance import caps_for, itemize_since
    from arrears.domain.compliance import load_pack
    from arrears.domain.notices import LetterContext

    rules = load_pack(borrower.country or None).letters
    fields = _notice_fields(case, borrower, policy, now)
    days = rules.response_days(kind or "", policy.notices.letter_deadline_days)
    creditor, collector, firm = rules.creditor, rules.collector, rules.law_firm
    since = itemize_since(
        case.obligations,
        case.stated_splits,
        _first_stated_splits(timeline),
        fields["days_past_due"],
        policy.charges.as_charge_policy(),
        caps_for(borrower.country),
    )
    return LetterContext(
        **fields,
        letter_date=now.date(),
        deadline=now.date() + timedelta(days=days),
        contract_reference=", ".join(sorted(case.obligations)) or None,
        creditor_address=creditor.address if creditor else (),
        registration=creditor.registration if creditor else None,
        sender_name=firm.name if firm else None,
        sender_address=firm.address if firm else (),
        collector_name=collector.name if collector else None,
        collector_address=collector.address if collector else (),
        dispute_address=rules.dispute_address
        or (collector.address if collector else creditor.address if creditor else ()),
        legal_text=rules.legal_text.get(kind or "", {}),
        variant=rules.variants.get(kind or ""),
        itemization_date=case.opened_at.date(),
        amount_on_itemization_date=opening_balance(case, timeline),
        interest_since=since.interest,
        fees_since=since.fees,
        credits_since=since.credits,
        payments_since=_payments_since(case, timeline),
    )


def _first_stated_splits(timeline: Sequence[TimelineEntry]) -> dict[str, Any]:
    """Each obligation's first split the producer sent (the audit of its events)."""
    from arrears.domain.balance import StatedSplit

    first: dict[str, Any] = {}
    for entry in timeline:
        split = entry.detail.get("breakdown") if entry.kind == "event_received" else None
        obligation = entry.detail.get("obligation_id")
        if split and obligation and obligation not in first:
            first[obligation] = StatedSplit.parse(
                {**split, "amount_due": entry.detail["amount_due"]}
            )
    return first


def opening_balance(case: CaseRecord, timeline: Sequence[TimelineEntry]) -> Decimal:
    """The balance when the case opened (``case_opened`` audit line); today's if unrecorded."""
    for entry in timeline:
        if entry.kind == "case_opened" and entry.detail.get("balance") not in (None, ""):
            return Decimal(str(entry.detail["balance"]))
    return case.balance


def _payments_since(case: CaseRecord, timeline: Sequence[TimelineEntry]) -> Decimal:
    paid = [
        Decimal(str(e.detail.get("amount_paid") or "0"))
        for e in timeline
        if e.kind == "payment" and e.at >= case.opened_at
    ]
    return sum(paid, Decimal("0.00"))


def render_and_store_letter(
    deps: StepDeps,
    case: CaseRecord,
    borrower: BorrowerRecord,
    policy: Policy,
    kind: str,
    now: datetime,
    deadline: date | None = None,
) -> dict[str, Any]:
    """Render a letter of ``kind`` in the borrower's language (``deadline`` overrides the
    policy's), store it and announce it: ``store_and_announce_letter``'s audit detail."""
    from arrears.domain.notices import render_letter

    timeline = deps.repos.timeline.list(case.case_id)
    context = letter_context(case, borrower, policy, now, timeline, kind)
    if deadline is not None:
        context = replace(context, deadline=deadline)
    pdf = render_letter(kind, borrower.locale, context)
    return store_and_announce_letter(deps, case.case_id, kind, pdf)


def store_and_announce_letter(
    deps: StepDeps, case_id: str, kind: str, pdf: bytes
) -> dict[str, Any]:
    """Store the PDF (versioned, KMS) and announce it for postal dispatch; the audit detail
    (key, version id, SHA-256, size) is returned, never the content."""
    from arrears import constants as c

    flush_step(deps)  # the audit lines gathered so far are written before anything goes out
    stored = deps.letters.store_letter(case_id, kind, pdf)
    count(c.METRIC_LETTERS_STORED, kind=kind)
    deps.letters.announce_letter_ready(
        case_id=case_id,
        kind=kind,
        key=stored.key,
        version_id=stored.version_id,
        sha256=stored.sha256,
    )
    return {
        "kind": kind,
        "key": stored.key,
        "version_id": stored.version_id,
        "sha256": stored.sha256,
        "bytes": len(pdf),
    }


def _notice_fields(
    case: CaseRecord, borrower: BorrowerRecord, policy: Policy, now: datetime
) -> dict[str, Any]:
    """What every notice says: the creditor and its contact details from the borrower's
    compliance pack when it names them (each market its own number), else the policy's;
    the amount itemized from the producer's split, else with the policy's charges."""
    from arrears.domain.balance import caps_for, case_breakdown
    from arrears.domain.compliance import load_pack

    rules = load_pack(borrower.country or None).letters
    reference = case_reference(case)
    defaults = policy.notices
    due = case.due_date or case.opened_at.date()
    days_past_due = max((now.date() - due).days, 0)
    breakdown = case_breakdown(
        case.obligations,
        case.stated_splits,
        days_past_due,
        policy.charges.as_charge_policy(),
        caps_for(borrower.country),
    )
    return {
        "borrower_name": borrower.name or "",
        "amount_due": breakdown.total,
        "breakdown": breakdown,
        "currency": case.currency,
        "due_date": due,
        "creditor_name": rules.creditor.name if rules.creditor else defaults.creditor_name,
        "case_reference": reference,
        "pay_link": defaults.pay_link.format(case_reference=reference)
        if defaults.pay_link
        else None,
        "payment_instructions": defaults.payment_instructions,
        "contact_phone": rules.contact_phone or defaults.contact_phone,
        "contact_email": rules.contact_email or defaults.contact_email,
        "opt_out_link": defaults.opt_out_link,
        "days_past_due": days_past_due,
        "timezone": borrower.timezone,
        "jurisdiction": borrower.country or None,
        "debt_collector": rules.is_debt_collector,
        "fallback_locale": defaults.default_locale,
    }


def send_rendered(
    deps: StepDeps,
    borrower: BorrowerRecord,
    template: str,
    channel: Any,
    context: Any,
    case_id: str = "",
) -> str:
    """Render for the borrower's locale and send on one channel; returns the message id."""
    from arrears.domain.notices import render_message

    message = render_message(template, channel, borrower.locale, context)
    return send_message(deps, borrower, channel, message, case_id)


def send_message(
    deps: StepDeps, borrower: BorrowerRecord, channel: Any, message: Any, case_id: str = ""
) -> str:
    """Send an already rendered message on one channel; returns the message id."""
    from arrears.domain.types import Channel

    flush_step(deps)  # the audit lines gathered so far are written before anything goes out
    # the tags let an SES bounce or complaint, or an SNS SMS delivery report (which names
    # only the message id), find its borrower (adapters.delivery, adapters.sent_messages)
    tags = {"account_id": borrower.account_id, "case_id": case_id}
    if Channel(channel) is Channel.SMS:
        return str(deps.messenger.send_sms(borrower.phone or "", message.body, tags))
    return str(
        deps.messenger.send_email(borrower.email or "", message.subject or "", message.body, tags)
    )
