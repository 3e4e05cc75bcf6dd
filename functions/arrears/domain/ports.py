"""Ports: what the steps need from the outside world, as Protocols.

The steps (``arrears.steps``) depend on these and on the domain only; ``arrears.adapters``
implements them with DynamoDB, SNS, SES, S3, Step Functions and Comprehend, and in memory
for tests. A new AWS integration is a new adapter behind one of these (or a new port here);
the steps do not change (docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # annotations only: importing the ports costs an adapter no domain import
    from arrears.domain.case import BorrowerRecord, CaseRecord, TimelineEntry
    from arrears.domain.compliance import CompliancePack, ContactIntent, Decision
    from arrears.domain.compliance.ledger import LedgerEntry
    from arrears.domain.delivery import SentMessage
    from arrears.domain.ops import Applied, CaseSnapshot, OpsPlan
    from arrears.domain.outbound import OutboundEvent
    from arrears.domain.plans import Plan
    from arrears.domain.replies import SentimentScores
    from arrears.domain.types import BorrowerProfile, Channel

# ------------------------------------------------------------------ cases, borrowers, audit


class CaseRepository(Protocol):
    def get(self, case_id: str) -> CaseRecord | None: ...

    def latest_for_account(self, account_id: str) -> CaseRecord | None:
        """Newest cycle via the by_account index (eventually consistent; ingest uses the
        borrower's ``open_case_id`` pointer instead)."""
        ...

    def list_for_account(self, account_id: str) -> list[CaseRecord]: ...

    def create(self, case: CaseRecord) -> CaseRecord:
        """Insert a new case; raises CaseAlreadyExists if the id is taken."""
        ...

    def save(self, case: CaseRecord, *, expected_version: int) -> CaseRecord:
        """Write the case's lifecycle fields if its stored version is still ``expected_version``;
        returns the record with the bumped version; raises ConcurrentUpdate/CaseNotFound."""
        ...

    def update_fields(
        self,
        case_id: str,
        fields: Mapping[str, Any],
        *,
        expected_version: int | None = None,
        require_open: bool = False,
    ) -> CaseRecord:
        """Set named fields (None removes one) and bump version. ``require_open`` refuses
        (ConcurrentUpdate) when the stored status is terminal."""
        ...

    def mark_action_done(self, case_id: str, action: str) -> bool:
        """Conditional ADD of ``action`` ("<stage>#<channel>") to done_actions.
        True for the first caller only; raises CaseNotFound for an unknown case."""
        ...

    def release_action(self, case_id: str, action: str) -> None:
        """Remove ``action`` from done_actions: its send failed for now (ProviderThrottled),
        so the retried step may send it again."""
        ...

    def get_with_borrower(self, case_id: str) -> tuple[CaseRecord | None, BorrowerRecord | None]:
        """The case and its borrower in one strongly consistent read (BatchGetItem): every
        escalation step needs both."""
        ...

    def commit_step(self, write: StepWrite) -> bool:
        """A step's change to one case and its audit lines, all or nothing, in one write.

        True when written. False, and nothing written, when ``write.done_action`` is done
        already (another invocation of the step got there first). Raises ConcurrentUpdate
        when fields are set on a case closed meanwhile, CaseNotFound for an unknown case."""
        ...

    def store_task_token(self, case_id: str, token: str, waiting_for: str) -> None: ...

    def clear_task_token(self, case_id: str, token: str | None = None) -> bool:
        """Remove task_token/waiting_for (only if the stored token is ``token`` when given)."""
        ...

    def park_wake(
        self, case_id: str, wake: str, *, seen_token: str | None, seen_pending: str | None
    ) -> bool:
        """Store ``wake`` (JSON) as the case's ``pending_wake`` for the execution's next wait,
        and drop the (stale) token, only if the case still holds ``seen_token`` (None: no
        token) and ``seen_pending`` (None: nothing parked). False when either moved: the
        execution stored a new token meanwhile, or another waker parked first (re-read)."""
        ...

    def park_execution(self, case_id: str, parked: str) -> bool:
        """Store where the case resumes (``parked``, JSON) and drop its token, only if the
        case is open and no wake is parked on it. False otherwise (the execution takes the
        wake, or ends, instead of parking)."""
        ...

    def clear_parked(self, case_id: str, parked: str) -> bool:
        """Remove ``parked`` if it is still ``parked`` (a resumed execution took it)."""
        ...

    def set_queue(self, case_id: str, queue: str, due_at: datetime) -> None: ...

    def clear_queue(self, case_id: str) -> None: ...

    def work_queue(self, queue: str, due_before: datetime | None = None) -> list[CaseRecord]:
        """Cases waiting on a human in ``queue``, soonest due first (work_queue index)."""
        ...


class BorrowerRepository(Protocol):
    def get(self, account_id: str) -> BorrowerRecord | None: ...

    def save_profile(self, borrower: BorrowerRecord) -> None:
        """Upsert contact fields (name, phone, email, locale, timezone, country, verified
        channels). Leaves sequence, case pointer, opt-outs and flags alone."""
        ...

    def add_opt_out(self, account_id: str, channel: Channel) -> None: ...

    def set_cease_communication(self, account_id: str, cease: bool = True) -> None: ...

    def add_flag(self, account_id: str, flag: str) -> None: ...

    def remove_flag(self, account_id: str, flag: str) -> None: ...

    def mark_unreachable(self, account_id: str, channel: Channel, unreachable: bool = True) -> None:
        """Reachability for scoring: email bounced / SMS failed."""
        ...

    def record_reachability(
        self, account_id: str, channel: Channel, unreachable: bool, message_sent_at: datetime
    ) -> bool:
        """Apply a delivery report about a message sent at ``message_sent_at``, only if no
        report about a later message has been applied (conditional, so concurrent reports
        cannot race). At the same send time a stop wins over a clear (a bounce can follow
        the same message's delivery). False: stale or a duplicate; nothing was written."""
        ...


class TimelineRepository(Protocol):
    def append(self, entry: TimelineEntry) -> TimelineEntry:
        """Store one audit line; returns it with its unique, time-ordered ``entry_key``."""
        ...

    def list(self, case_id: str, kinds: Collection[str] = ()) -> list[TimelineEntry]:
        """The case's lines in order; with ``kinds``, only lines of those kinds (the table
        filters them, so the others are never decoded)."""
        ...


@dataclass(frozen=True)
class IngestWrite:
    """Everything one ingested event changes, written atomically by ``IngestStore.commit``.

    ``borrower`` (when set) is the borrower's new state; the write is conditioned on the
    stored ``last_sequence`` still being ``expected_last_sequence`` (None: no borrower
    item yet, or no sequence applied). ``create_case`` inserts a new cycle;
    ``update_case`` writes the ``INGEST_CASE_FIELDS`` of the open case (payment facts
    and status, nothing the ladder or ops own) conditioned on ``expected_case_version``.
    """

    borrower: BorrowerRecord | None = None
    expected_last_sequence: int | None = None
    create_case: CaseRecord | None = None
    update_case: CaseRecord | None = None
    expected_case_version: int | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    # flags the event lifts (e.g. wrong_number once a different phone arrives); ingest
    # never writes flags otherwise, so this is a DELETE, not an overwrite of ops' flags
    clear_flags: frozenset[str] = frozenset()
    # channels a new address or number makes worth trying again (email_bounced /
    # sms_failed lifted); like clear_flags, ingest only ever lifts them, never sets them
    reachable_again: frozenset[Channel] = frozenset()
    # the outbound events this write records (domain/outbound.py), numbered from the case's
    # out_seq as read (``expected_case_version``'s case; 0 for a new case), stored with it
    outbound: tuple[OutboundEvent, ...] = ()


@dataclass(frozen=True)
class StepWrite:
    """What one escalation step changes on its case, written by ``commit_step`` at once.

    ``fields``: case attributes to set (None removes one); the version is bumped and the
    case must still be open. ``done_action``: added to ``done_actions`` only if absent (the
    step's idempotency claim, like ``mark_action_done``). ``timeline``: the audit lines
    that explain the change, in the same transaction, so a change never exists without
    its explanation (nor an explanation without its change). Without fields or a done
    action it is just the audit lines.
    """

    case_id: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    done_action: str | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    # the parked wake (``pending_wake``) the step acted on: removed only if it is still the
    # stored one, else the write fails as ConcurrentUpdate and the retried step takes the newer
    taken_wake: str | None = None
    # outbound events this write records, numbered from ``out_seq_from`` + 1: the case's
    # out_seq as the step read it; the write sets out_seq only if it is still that
    outbound: tuple[OutboundEvent, ...] = ()
    out_seq_from: int = 0

    @property
    def changes_case(self) -> bool:
        return bool(self.fields) or self.done_action is not None or self.taken_wake is not None


class IngestStore(Protocol):
    def commit(self, write: IngestWrite) -> tuple[TimelineEntry, ...]:
        """All or nothing; raises ConcurrentUpdate if a condition failed (re-read, re-decide)."""
        ...


class Stores(Protocol):
    """The case, borrower, timeline and ingest stores a step works with, together."""

    @property
    def cases(self) -> CaseRepository: ...

    @property
    def borrowers(self) -> BorrowerRepository: ...

    @property
    def timeline(self) -> TimelineRepository: ...

    @property
    def ingest(self) -> IngestStore: ...


# ------------------------------------------------------------------ the contact ledger


class ContactLedger(Protocol):
    """Every gate decision and conversation per borrower (``adapters/ledger.py``)."""

    def reserve(
        self, intent: ContactIntent, profile: BorrowerProfile, pack: CompliancePack, template: str
    ) -> tuple[Decision, str]:
        """Decide a contact under the account's lock and record it; an allowed one is
        *reserved* (returns the decision and the entry key)."""
        ...

    def settle(
        self,
        account_id: str,
        key: str,
        outcome: str,
        reason: str | None = None,
        message_id: str | None = None,
    ) -> bool:
        """A reserved entry becomes sent, failed or blocked."""
        ...

    def entries(self, account_id: str, since: datetime | None = None) -> list[LedgerEntry]: ...

    def session(self, since: datetime) -> ContactLedger:
        """This ledger for one step invocation, read once from ``since``."""
        ...


# ------------------------------------------------------------------ outbound


class Messenger(Protocol):
    def send_sms(self, phone: str, body: str, tags: Mapping[str, str] | None = None) -> str: ...

    def send_email(
        self, to: str, subject: str, body: str, tags: Mapping[str, str] | None = None
    ) -> str: ...


class LetterStore(Protocol):
    def store_letter(self, case_id: str, kind: str, pdf: bytes) -> Any: ...

    def announce_letter_ready(
        self,
        *,
        case_id: str,
        kind: str,
        key: str,
        version_id: str,
        sha256: str | None = None,
        **extra: Any,
    ) -> Any: ...


class PlanStore(Protocol):
    def get(self, case_id: str) -> Plan | None: ...

    def save(self, case_id: str, plan: Plan) -> Plan:
        """Store ``plan`` if the stored plan's revision is still ``plan.revision`` (or there
        is none); returns it with the next revision. ConcurrentUpdate if it moved."""
        ...


class SentimentAnalyzer(Protocol):
    def detect_sentiment(self, text: str, language: str) -> SentimentScores | None: ...

    def detect_dominant_language(self, text: str) -> str | None: ...


class Workflow(Protocol):
    """The escalation state machine: start a case's execution, wake a waiting one."""

    def start(self, case_id: str, account_id: str, cycle: int) -> Any: ...

    def wake(self, task_token: str, output: Mapping[str, Any]) -> bool:
        """SendTaskSuccess; False when no execution waits on the token any more."""
        ...

    def resume(self, name: str, execution_input: str) -> bool:
        """Start a parked case's resumed execution (idempotent by name and input); False
        when it exists already (started by its schedule, or an earlier waker)."""
        ...


class ResumeSchedules(Protocol):
    """One-time schedules that resume parked cases (EventBridge Scheduler)."""

    def create(self, name: str, at: datetime, execution: str, execution_input: str) -> None:
        """Start ``execution`` with ``execution_input`` at ``at`` (an existing one stands)."""
        ...

    def delete(self, name: str) -> None:
        """Remove the schedule if it is still there."""
        ...


class OpsStore(Protocol):
    """Where an ops action reads its case and writes its plan (``adapters/ops.py``)."""

    def snapshot(self, case_id: str) -> CaseSnapshot: ...

    def apply(
        self,
        case_id: str,
        execution_id: str,
        now: datetime,
        decide: Callable[[CaseSnapshot], OpsPlan],
    ) -> Applied:
        """Read, decide, write atomically; a retried execution gets what it applied."""
        ...

    def record_conversation(self, case_id: str, at: datetime, ledger: Any | None = None) -> None:
        """An agent's call that reached the borrower starts the quiet period."""
        ...

    def record(self, entry: TimelineEntry, execution_id: str) -> TimelineEntry: ...


class SentMessageLookup(Protocol):
    """Which account and case a sent message was about, by the provider's message id."""

    def find(self, message_id: str) -> SentMessage | None: ...


class DeadLetterSink(Protocol):
    """Where a malformed event is kept, with its reason (the ingest DLQ)."""

    @property
    def configured(self) -> bool: ...

    def reject(self, body: str, reason: str, detail: str) -> str: ...


# ------------------------------------------------------------------ outbound events


class Outbox(Protocol):
    """The outbox table as the publisher and ops republish use it (adapters/outbound_events)."""

    def claim(self, case_id: str, sequence: int, now: datetime) -> str:
        """ "claimed" if the caller may put the event now, else "published" or "sending"."""
        ...

    def release(self, case_id: str, sequence: int) -> None: ...

    def mark_published(
        self, case_id: str, sequence: int, bus_event_id: str, now: datetime
    ) -> None: ...

    def events(self, case_id: str) -> list[tuple[OutboundEvent, str | None]]: ...


class EventBus(Protocol):
    def put(self, event: OutboundEvent, *, republished: bool = False) -> str:
        """Put one outbound event on the bus; its bus id. Raises if it was not taken."""
        ...


class DelinquencyIndex(Protocol):
    """The cases whose delinquency bucket changes by itself on or before a day (the sparse
    ``delinquency_due`` index of the cases table)."""

    def due(self, day: str) -> list[str]:
        """Case ids whose ``dpd_next_at`` (ISO date) is on or before ``day``."""
        ...


class BureauStore(Protocol):
    """What the monthly bureau report reads and writes (adapters/bureau.py)."""

    def candidates(self, period: str) -> list[str]:
        """Ids of cases not yet reported for ``period`` (open or closed)."""
        ...

    def disputed_since(self, case_id: str, since: datetime) -> bool:
        """A dispute was opened on the case at or after ``since``."""
        ...

    def record(self, case: CaseRecord, period: str, event: OutboundEvent) -> bool:
        """Mark the case reported for ``period`` and store the event, in one write; False
        when the case moved (or was reported) since it was read."""
        ...
