"""One step's unit of work: the ports it works through, the case and borrower it loaded,
and what it changes, gathered and written once.

``UnitOfWork`` holds the adapters (in-memory fakes in unit tests, the AWS ones built by the
handlers once per container). ``writing(case)`` opens the step's unit: ``set_case``,
``close_case``, ``mark_done`` and ``record`` gather into it, ``flush`` writes what is
gathered before a side effect (a message, a letter), and leaving writes the rest, so an
audit line never exists without its change nor a change without its audit line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from arrears.domain import outbound
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
class UnitOfWork:
    repos: Stores
    ledger: ContactLedger
    messenger: Messenger
    letters: LetterStore
    clock: Callable[[], datetime] = field(default=utc_now)
    # one invocation's pending case change and audit lines (``writing``), and the
    # borrower it loaded with its case; None on the container-wide deps
    work: StepWork | None = None
    borrower: BorrowerRecord | None = None
    # repayment plans (hardship offers, installments); None where a step never needs one
    plans: PlanStore | None = None
    # renders a letter (kind, locale, context) to the bytes that are stored; None = the PDF
    letter_renderer: Callable[[str, str, Any], bytes] | None = None
    # issues the borrower-portal link each SMS and email carries (domain/portal/ports.py
    # LinkIssuer); None where no portal is configured
    links: Any = None

    def load_case(self, case_id: str) -> CaseRecord:
        case = self.repos.cases.get(case_id)
        if case is None:
            raise CaseNotFound(case_id)
        return case

    def load_case_and_borrower(self, case_id: str) -> tuple[UnitOfWork, CaseRecord]:
        """The case and its borrower in one read; the returned self hand that borrower to
        every ``load_borrower`` of this invocation instead of reading it again."""
        case, borrower = self.repos.cases.get_with_borrower(case_id)
        if case is None:
            raise CaseNotFound(case_id)
        return replace(self, borrower=borrower or BorrowerRecord(account_id=case.account_id)), case

    def load_borrower(self, case: CaseRecord) -> BorrowerRecord:
        if self.borrower is not None and self.borrower.account_id == case.account_id:
            return self.borrower
        borrower = self.repos.borrowers.get(case.account_id)
        return borrower or BorrowerRecord(account_id=case.account_id)

    def mark_done(self, case_id: str, action: str) -> bool:
        """Add ``action`` to done_actions if absent. Gathered in a step (written at its end,
        where a retried step that finds it done writes nothing); at once otherwise."""
        work = self.work
        if work is None or work.case.case_id != case_id or work.done_action is not None:
            return self.repos.cases.mark_action_done(case_id, action)
        if action in work.case.done_actions:
            return False
        work.done_action = action
        return True

    def with_ledger_session(
        self, case: CaseRecord, borrower: BorrowerRecord, now: datetime
    ) -> UnitOfWork:
        """The step's adapters with a ledger read once for this invocation (``LedgerSession``):
        from the case's opening (first-contact lookups) or the compliance pack's lookback,
        whichever is older, so every claim and lookup of the step is served by one read."""
        from datetime import timedelta

        from arrears.domain.compliance import load_pack

        pack = load_pack(borrower.country or None)
        since = min(case.opened_at, now - timedelta(days=pack.max_lookback_days))
        return replace(self, ledger=self.ledger.session(since))

    def record(
        self,
        case_id: str,
        kind: str,
        detail: dict[str, Any],
        at: datetime | None = None,
        actor: str = ACTOR,
    ) -> None:
        """One audit line. ``detail`` must never carry PII (no phone, email, name, body)."""
        clean = {k: _plain(v) for k, v in detail.items() if v is not None and v != ""}
        entry = TimelineEntry(
            case_id=case_id, at=at or self.clock(), kind=kind, actor=actor, detail=clean
        )
        if self.work is not None and self.work.case.case_id == case_id:
            self.work.timeline.append(entry)
        else:
            self.repos.timeline.append(entry)

    def set_case(self, case_id: str, **fields: Any) -> CaseRecord:
        """Update named case attributes, only while the case is open (a closed case stays closed).

        In a step (``writing``) the change is gathered and the case as it will be returned."""
        work = self.work
        if work is not None and work.case.case_id == case_id:
            if not work.case.is_open:
                raise ConcurrentUpdate(case_id)
            work.fields.update(fields)
            work.case = replace(work.case, **fields)
            return work.case
        return self.repos.cases.update_fields(case_id, fields, require_open=True)

    def close_case(
        self, case: CaseRecord, status: CaseStatus, outcome: str, now: datetime
    ) -> CaseRecord:
        """Terminal status, stage closed, queue cleared; idempotent for an already closed case."""
        if case.status.is_terminal:
            return case
        closed = self.set_case(
            case.case_id,
            status=status,
            stage=Stage.CLOSED,
            outcome=outcome,
            closed_at=now,
            queue=None,
            queue_due_at=None,
            # nothing changes a closed case's delinquency bucket by itself any more
            dpd_shard=None,
            dpd_next_at=None,
        )
        self.record(
            case.case_id,
            "case_closed",
            {"status": status, "outcome": outcome, "stage": case.stage},
            now,
        )
        return closed

    def flush(self) -> bool:
        """Write what the step has gathered so far; False if its done action was done already
        (then nothing of it is written: another invocation of the step got there first)."""
        if self.work is None:
            return True
        write = self.work.take(self.clock())
        if not write.changes_case and not write.timeline:
            return True
        return self.repos.cases.commit_step(write)

    def take_parked_wake(self) -> dict[str, Any] | None:
        """The wake parked on the step's case (``pending_wake``: it found no execution waiting),
        removed with the step's write, and only if it is still the stored one: a newer wake
        parked meanwhile fails the write as ConcurrentUpdate, and the retried step takes that."""
        from arrears.domain import wakes

        work = self.work
        if work is None or not work.case.pending_wake:
            return None
        work.taken_wake = work.case.pending_wake
        return wakes.decode(work.case.pending_wake) or {"wake": "RECHECK", "unreadable": True}

    @contextmanager
    def writing(self, case: CaseRecord) -> Iterator[UnitOfWork]:
        """This unit of work for one invocation, gathering its writes to ``case`` and writing
        them on leaving.

        On an error the gathered writes are still made (as they were made one by one before
        the error when each was its own call), and the step's own error is what propagates:
        the state machine catches CaseClosed and retries ConcurrentUpdate by name.
        """
        step = replace(self, work=StepWork(case))
        try:
            yield step
        except BaseException:
            with suppress(Exception):
                step.flush()
            raise
        step.flush()


# ---------------------------------------------------------------------------- pending writes


@dataclass
class StepWork:
    """What one invocation changes on its case, gathered and written once (``commit_step``).

    ``set_case``, ``close_case``, ``mark_done`` and ``record`` add to it instead of writing;
    ``writing`` writes it all in one transaction on leaving (an audit line never exists
    without its change, nor a change without its audit line), and ``flush`` writes what
    is pending before an effect outside the system (a message, a letter), so an audit line
    is never held back across a send.
    """

    case: CaseRecord
    fields: dict[str, Any] = field(default_factory=dict)
    done_action: str | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    taken_wake: str | None = None  # the parked wake this step acts on (``take_parked_wake``)
    # the case as last written (or as loaded): outbound events are what changed since
    base: CaseRecord | None = None

    def __post_init__(self) -> None:
        if self.base is None:
            self.base = self.case

    def take(self, now: datetime) -> StepWrite:
        base = self.base or self.case
        events: tuple[outbound.OutboundEvent, ...] = ()
        if self.fields:
            facts = outbound.derive(base, self.case, self.timeline)
            events = outbound.number(self.case, facts, base.out_seq + 1, now)
        write = StepWrite(
            case_id=self.case.case_id,
            fields=dict(self.fields),
            done_action=self.done_action,
            timeline=tuple(self.timeline),
            taken_wake=self.taken_wake,
            outbound=events,
            out_seq_from=base.out_seq,
        )
        if events:
            self.case = replace(self.case, out_seq=events[-1].sequence)
        self.base = self.case
        self.fields.clear()
        self.done_action = None
        self.timeline.clear()
        self.taken_wake = None
        return write


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
