"""Repositories for cases, borrowers and the audit timeline.

Domain code depends on the Protocols below; ``Repositories.dynamo()`` gives the DynamoDB
implementations (pynamodb), ``Repositories.in_memory()`` an in-memory fake with the same
behaviour (conditions included) for unit tests of domain and handler code.

Write rules that keep concurrent writers (two ingests, a Lambda step, the state machine's
own direct DynamoDB tasks) from undoing one another:
- every write is an UpdateItem of named attributes, never a PutItem over an existing item;
- whole-case writes (``save``) are guarded by ``version``; the fields the state machine
  writes itself (``task_token``, ``waiting_for``) and ``done_actions`` are never part of them;
- ``mark_action_done`` is a conditional ADD to the ``done_actions`` set: only the first
  caller for a stage+channel gets True, so a retried or redriven step never acts twice;
- an ingest is one transaction (borrower sequence + case + timeline), conditioned on the
  borrower's ``last_sequence`` and the case ``version`` it was decided from.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from arrears.adapters.models import (
    BorrowerModel,
    CaseModel,
    OutboxModel,
    TimelineModel,
    aws_region,
    shared_connection,
)
from arrears.domain.balance import StatedSplit
from arrears.domain.case import (
    AccountFacts,
    BorrowerRecord,
    CaseRecord,
    DueSoonNotice,
    TimelineEntry,
    iso_utc,
    iso_utc_micro,
    parse_iso_utc,
    queue_time,
)
from arrears.domain.errors import CaseAlreadyExists, CaseNotFound, ConcurrentUpdate
from arrears.domain.outbound import OutboundEvent
from arrears.domain.ports import (
    BorrowerRepository,
    CaseRepository,
    IngestStore,
    IngestWrite,
    StepWrite,
    TimelineRepository,
)
from arrears.domain.types import CaseStatus, Channel, Stage

# Audit entries are kept for years (collections records are evidence); TTL then removes them.
TIMELINE_RETENTION = timedelta(days=7 * 365)

# Fields the state machine or dedicated operations own; ``save`` never writes them
# (the escalation ASL sets task_token / waiting_for / queue / queue_due_at directly).
_NOT_SAVED = frozenset(
    {
        "case_id",
        "task_token",
        "waiting_for",
        "pending_wake",
        "parked",
        "done_actions",
        "queue",
        "queue_due_at",
        "version",
        "out_seq",
        "bureau_period",
    }
)
# What an ingest changes on an existing case: payment facts and the status they imply.
# Stage, segment, score, plans, queues belong to the ladder and ops.
INGEST_CASE_FIELDS = (
    "status",
    "balance",
    "obligations",
    "stated_splits",
    "due_date",
    "closed_at",
    "outcome",
    "pending_since",
    "resume_status",
    "reconcile_by",
    "last_sequence",
    "last_payment_status",
    "updated_at",
    "dpd_bucket",
    "dpd_shard",
    "dpd_next_at",
    "credit_line",
)


def dynamodb_client() -> Any:
    """The DynamoDB client every table model sends through (``models.shared_connection``),
    for a caller that sends requests of its own (Powertools Idempotency's store, in ingest):
    a client of its own would parse DynamoDB's service model again on the first invocation."""
    return CaseModel._get_connection().connection.client


def account_of(case_id: str) -> str:
    """``<account_id>#<cycle>`` -> account_id (contracts.md); callers check the loaded case."""
    return case_id.rsplit("#", 1)[0]


@dataclass(frozen=True)
class Repositories:
    cases: CaseRepository
    borrowers: BorrowerRepository
    timeline: TimelineRepository
    ingest: IngestStore

    @classmethod
    def dynamo(cls) -> Repositories:
        timeline = DynamoTimeline()
        return cls(DynamoCases(), DynamoBorrowers(), timeline, DynamoIngestStore(timeline))

    @classmethod
    def in_memory(cls) -> Repositories:
        store = InMemoryStore()
        return cls(store.cases, store.borrowers, store.timeline, store)


# =========================================================================== entry keys

_entry_counter = itertools.count()
_entry_lock = threading.Lock()


def next_entry_key(at: datetime) -> str:
    """`<at ISO UTC micro>#<6-digit seq>`: sorts by time, and within one process by order."""
    with _entry_lock:
        seq = next(_entry_counter) % 1_000_000
    return f"{iso_utc_micro(at)}#{seq:06d}"


def _expires_at(at: datetime) -> datetime:
    return at + TIMELINE_RETENTION


# =========================================================================== conversions


def _to_attr(value: Any) -> Any:
    """Domain value -> the value stored on the item."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (frozenset, set)):
        return {_to_attr(v) for v in value} or None  # DynamoDB has no empty sets
    if isinstance(value, dict):
        return {str(k): _to_attr(v) for k, v in value.items()}
    if isinstance(value, StatedSplit):
        return {f.name: _to_attr(getattr(value, f.name)) for f in dataclass_fields(value)}
    return value


def _stated_splits(attribute: Any) -> dict[str, StatedSplit]:
    raw = attribute.as_dict() if attribute is not None else {}
    return {obligation: StatedSplit.parse(parts) for obligation, parts in raw.items()}


def _opt_dt(text: str | None) -> datetime | None:
    return parse_iso_utc(text) if text else None


def _opt_date(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _opt_int(value: Any) -> int | None:
    return int(value) if value is not None else None


def _opt_dec(text: str | None) -> Decimal | None:
    return Decimal(text) if text else None


def case_from_item(item: CaseModel) -> CaseRecord:
    raw_obligations = item.obligations.as_dict() if item.obligations is not None else {}
    return CaseRecord(
        case_id=item.case_id,
        account_id=item.account_id,
        cycle=int(item.cycle),
        status=CaseStatus(item.status),
        stage=Stage(item.stage),
        balance=Decimal(item.balance),
        currency=item.currency,
        opened_at=parse_iso_utc(item.opened_at),
        obligations={k: Decimal(str(v)) for k, v in raw_obligations.items()},
        stated_splits=_stated_splits(item.stated_splits),
        due_date=_opt_date(item.due_date),
        closed_at=_opt_dt(item.closed_at),
        outcome=item.outcome,
        segment=item.segment,
        score=_opt_int(item.score),
        model_version=item.model_version,
        task_token=item.task_token,
        waiting_for=item.waiting_for,
        pending_wake=item.pending_wake,
        parked=item.parked,
        done_actions=frozenset(item.done_actions or ()),
        queue=item.queue,
        queue_due_at=_opt_dt(item.queue_due_at),
        decision_queue=item.decision_queue,
        last_sequence=int(item.last_sequence or 0),
        execution_name=item.execution_name,
        policy_version=item.policy_version,
        arm=item.arm,
        pending_since=_opt_dt(item.pending_since),
        resume_status=CaseStatus(item.resume_status) if item.resume_status else None,
        reconcile_by=_opt_dt(item.reconcile_by),
        last_payment_status=item.last_payment_status,
        updated_at=_opt_dt(item.updated_at),
        version=int(item.version or 0),
        out_seq=int(item.out_seq or 0),
        dpd_bucket=item.dpd_bucket,
        dpd_shard=item.dpd_shard,
        dpd_next_at=item.dpd_next_at,
        credit_line=item.credit_line,
        agency=item.agency,
        agency_file=item.agency_file,
        bureau_period=item.bureau_period,
    )


def case_fields(case: CaseRecord) -> dict[str, Any]:
    """Item attribute name -> stored value, for every case field (None = absent)."""
    fields = {name: _to_attr(getattr(case, name)) for name in case.__dataclass_fields__}
    if case.queue_due_at is not None:  # the escalation ASL's form (queue_time)
        fields["queue_due_at"] = queue_time(case.queue_due_at)
    return fields


def borrower_from_item(item: BorrowerModel) -> BorrowerRecord:
    due_soon = None
    if item.due_soon_obligation_id and item.due_soon_due_date and item.due_soon_seen_at:
        due_soon = DueSoonNotice(
            obligation_id=item.due_soon_obligation_id,
            due_date=date.fromisoformat(item.due_soon_due_date),
            amount_due=Decimal(item.due_soon_amount or "0"),
            currency=item.due_soon_currency or "",
            seen_at=parse_iso_utc(item.due_soon_seen_at),
        )
    return BorrowerRecord(
        account_id=item.account_id,
        name=item.name or "",
        phone=item.phone,
        email=item.email,
        locale=item.locale or "en-US",
        timezone=item.timezone,
        country=item.country or "",
        verified_channels=frozenset(Channel(c) for c in item.verified_channels or ()),
        opted_out=frozenset(Channel(c) for c in item.opted_out or ()),
        cease_communication=bool(item.cease_communication),
        flags=frozenset(item.flags or ()),
        last_sequence=_opt_int(item.last_sequence),
        last_event_id=item.last_event_id,
        open_case_id=item.open_case_id,
        cycle=int(item.cycle or 0),
        email_bounced=bool(item.email_bounced),
        sms_failed=bool(item.sms_failed),
        account=AccountFacts(
            credit_limit=_opt_dec(item.credit_limit),
            opened_at=_opt_date(item.account_opened_at),
            prior_delinquencies=_opt_int(item.prior_delinquencies),
            prior_cures=_opt_int(item.prior_cures),
            on_time_payment_ratio=_opt_dec(item.on_time_payment_ratio),
        ),
        due_soon=due_soon,
        updated_at=_opt_dt(item.updated_at),
        knowledge_check=item.knowledge_check,
        preferred_hours=_hours(item.preferred_hours),
        preferred_channel=_channel(item.preferred_channel),
    )


def _channel(text: str | None) -> Channel | None:
    """The portal's preferred channel, or None (absent, or a value no longer known)."""
    try:
        return Channel(text) if text else None
    except ValueError:
        return None


def _hours(text: str | None) -> tuple[int, int] | None:
    """``"9-18"`` (the portal's preferred hours) -> (9, 18)."""
    start, _, end = (text or "").partition("-")
    return (int(start), int(end)) if start.isdigit() and end.isdigit() else None


_PROFILE_FIELDS = (
    "name",
    "phone",
    "email",
    "locale",
    "timezone",
    "country",
    "verified_channels",
    "knowledge_check",
)
# What an ingest writes on the borrower. Opt-outs, cease, flags and reachability belong to
# replies, ops and the contact adapters: an ingest never overwrites them.
_NOT_INGESTED = frozenset(
    {"opted_out", "cease_communication", "flags", "email_bounced", "sms_failed"}
)


def borrower_fields(borrower: BorrowerRecord, *, profile_only: bool = False) -> dict[str, Any]:
    """Item attribute name -> stored value for a borrower (None = absent)."""
    fields: dict[str, Any] = {
        "name": borrower.name or None,
        "phone": borrower.phone,
        "email": borrower.email,
        "locale": borrower.locale,
        "timezone": borrower.timezone,
        "country": borrower.country or None,
        "verified_channels": _to_attr(borrower.verified_channels),
        "knowledge_check": borrower.knowledge_check,
    }
    if profile_only:
        return fields
    account = borrower.account
    due = borrower.due_soon
    fields.update(
        {
            "opted_out": _to_attr(borrower.opted_out),
            "cease_communication": borrower.cease_communication,
            "flags": _to_attr(borrower.flags),
            "last_sequence": borrower.last_sequence,
            "last_event_id": borrower.last_event_id,
            "open_case_id": borrower.open_case_id,
            "cycle": borrower.cycle,
            "email_bounced": borrower.email_bounced,
            "sms_failed": borrower.sms_failed,
            "credit_limit": _to_attr(account.credit_limit),
            "account_opened_at": _to_attr(account.opened_at),
            "prior_delinquencies": account.prior_delinquencies,
            "prior_cures": account.prior_cures,
            "on_time_payment_ratio": _to_attr(account.on_time_payment_ratio),
            "due_soon_obligation_id": due.obligation_id if due else None,
            "due_soon_due_date": _to_attr(due.due_date) if due else None,
            "due_soon_amount": _to_attr(due.amount_due) if due else None,
            "due_soon_currency": due.currency if due else None,
            "due_soon_seen_at": _to_attr(due.seen_at) if due else None,
            "updated_at": _to_attr(borrower.updated_at),
        }
    )
    return fields


def timeline_from_item(item: TimelineModel) -> TimelineEntry:
    return TimelineEntry(
        case_id=item.case_id,
        at=parse_iso_utc(item.at),
        kind=item.kind,
        actor=item.actor,
        detail=item.detail.as_dict() if item.detail is not None else {},
        entry_key=item.entry_key,
    )


def _timeline_item(entry: TimelineEntry) -> TimelineModel:
    return TimelineModel(
        case_id=entry.case_id,
        entry_key=entry.entry_key,
        at=iso_utc_micro(entry.at),
        kind=entry.kind,
        actor=entry.actor,
        detail=_to_attr(entry.detail),
        expires_at=_expires_at(entry.at),
    )


def outbox_item(event: OutboundEvent) -> OutboxModel:
    """The outbox item of one outbound event (its stream feeds the publisher)."""
    return OutboxModel(
        case_id=event.case_id,
        sequence=event.sequence,
        type=event.type,
        occurred_at=iso_utc_micro(event.occurred_at),
        detail=event.detail_json(),
        expires_at=_expires_at(event.occurred_at),
    )


def _out_seq_is(expected: int) -> Condition:
    """The case's out_seq is still ``expected`` (absent counts as 0)."""
    if expected == 0:
        return CaseModel.out_seq.does_not_exist() | (CaseModel.out_seq == 0)
    return CaseModel.out_seq == expected


# =========================================================================== DynamoDB


def _actions(model: Any, fields: Mapping[str, Any]) -> list[Any]:
    """SET for values, REMOVE for None (DynamoDB keeps no nulls or empty sets)."""
    actions = []
    for name, value in fields.items():
        attribute = getattr(model, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    return actions


def _is_condition_failure(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) in {
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
    }


def _update_if(case_id: str, actions: list[Any], condition: Any) -> bool:
    """One conditional UpdateItem on a case: False when its condition did not hold."""
    try:
        CaseModel(case_id).update_unread(actions=actions, condition=condition)
    except UpdateError as error:
        if _is_condition_failure(error):
            return False
        raise
    return True


_TERMINAL = tuple(s.value for s in CaseStatus if s.is_terminal)


def _step_update_parts(write: StepWrite) -> tuple[list[Any], Condition]:
    """The case UpdateItem of a StepWrite: fields (version bumped, case open) and/or the
    conditional done-action ADD."""
    stored = {name: _to_attr(value) for name, value in write.fields.items()}
    actions = _actions(CaseModel, stored)
    condition = CaseModel.case_id.exists()
    if write.fields:
        actions.append(CaseModel.version.add(1))
        condition &= ~CaseModel.status.is_in(*_TERMINAL)
    if write.done_action is not None:
        actions.append(CaseModel.done_actions.add({write.done_action}))
        condition &= ~CaseModel.done_actions.contains(write.done_action)
    if write.taken_wake is not None:
        actions.append(CaseModel.pending_wake.remove())
        condition &= CaseModel.pending_wake == write.taken_wake
    if write.outbound:
        # numbered from the out_seq the step read: a write that lost a race fails here
        # (ConcurrentUpdate) and the retried step decides again from the fresh case
        actions.append(CaseModel.out_seq.set(write.out_seq_from + len(write.outbound)))
        condition &= _out_seq_is(write.out_seq_from)
    return actions, condition


class DynamoCases:
    def get(self, case_id: str) -> CaseRecord | None:
        try:
            return case_from_item(CaseModel.get(case_id, consistent_read=True))
        except DoesNotExist:
            return None

    def latest_for_account(self, account_id: str) -> CaseRecord | None:
        for item in CaseModel.by_account.query(account_id, scan_index_forward=False, limit=1):
            return case_from_item(item)
        return None

    def list_for_account(self, account_id: str) -> list[CaseRecord]:
        return [case_from_item(i) for i in CaseModel.by_account.query(account_id)]

    def create(self, case: CaseRecord) -> CaseRecord:
        fields = {k: v for k, v in case_fields(case).items() if v is not None}
        try:
            CaseModel(**fields).save(condition=CaseModel.case_id.does_not_exist())
        except PutError as error:
            if _is_condition_failure(error):
                raise CaseAlreadyExists(case.case_id) from error
            raise
        return case

    def save(self, case: CaseRecord, *, expected_version: int) -> CaseRecord:
        saved = replace(case, version=expected_version + 1)
        fields = {k: v for k, v in case_fields(saved).items() if k not in _NOT_SAVED}
        fields["version"] = saved.version
        self._update(case.case_id, fields, CaseModel.version == expected_version)
        return saved

    def update_fields(
        self,
        case_id: str,
        fields: Mapping[str, Any],
        *,
        expected_version: int | None = None,
        require_open: bool = False,
    ) -> CaseRecord:
        stored = {name: _to_attr(value) for name, value in fields.items()}
        condition = CaseModel.case_id.exists()
        if expected_version is not None:
            condition &= CaseModel.version == expected_version
        if require_open:
            condition &= ~CaseModel.status.is_in(*[s.value for s in CaseStatus if s.is_terminal])
        item = self._update(case_id, stored, condition, bump=True)
        return case_from_item(item)

    def _update(
        self, case_id: str, fields: Mapping[str, Any], condition: Condition, bump: bool = False
    ) -> CaseModel:
        item = CaseModel(case_id)
        actions = _actions(CaseModel, fields)
        if bump:
            actions.append(CaseModel.version.add(1))
        try:
            item.update(actions=actions, condition=condition & CaseModel.case_id.exists())
        except UpdateError as error:
            if _is_condition_failure(error):
                if self.get(case_id) is None:
                    raise CaseNotFound(case_id) from error
                raise ConcurrentUpdate(case_id) from error
            raise
        return item

    def mark_action_done(self, case_id: str, action: str) -> bool:
        try:
            CaseModel(case_id).update_unread(
                actions=[CaseModel.done_actions.add({action})],
                condition=CaseModel.case_id.exists() & ~CaseModel.done_actions.contains(action),
            )
        except UpdateError as error:
            if _is_condition_failure(error):
                if self.get(case_id) is None:
                    raise CaseNotFound(case_id) from error
                return False
            raise
        return True

    def release_action(self, case_id: str, action: str) -> None:
        CaseModel(case_id).update(actions=[CaseModel.done_actions.delete({action})])

    def get_with_borrower(self, case_id: str) -> tuple[CaseRecord | None, BorrowerRecord | None]:
        account_id = account_of(case_id)
        cases, borrowers = CaseModel.Meta.table_name, BorrowerModel.Meta.table_name
        request: dict[str, Any] = {
            cases: {"Keys": [{"case_id": {"S": case_id}}], "ConsistentRead": True},
            borrowers: {"Keys": [{"account_id": {"S": account_id}}], "ConsistentRead": True},
        }
        found: dict[str, list[dict[str, Any]]] = {cases: [], borrowers: []}
        connection = CaseModel._get_connection().connection
        for _ in range(5):  # DynamoDB may leave keys unprocessed under throttling
            data = connection.dispatch("BatchGetItem", {"RequestItems": request})
            for table, items in (data.get("Responses") or {}).items():
                found.setdefault(table, []).extend(items)
            request = data.get("UnprocessedKeys") or {}
            if not request:
                break
        if request:  # still throttled: read them one by one
            return self.get(case_id), DynamoBorrowers().get(account_id)
        case = case_from_item(CaseModel.from_raw_data(found[cases][0])) if found[cases] else None
        borrower = (
            borrower_from_item(BorrowerModel.from_raw_data(found[borrowers][0]))
            if found[borrowers]
            else None
        )
        if case is not None and case.account_id != account_id:  # an id not in the usual form
            borrower = DynamoBorrowers().get(case.account_id)
        return case, borrower

    def commit_step(self, write: StepWrite) -> bool:
        if not write.changes_case:
            timeline = DynamoTimeline()
            if len(write.timeline) <= 1:
                for entry in write.timeline:
                    timeline.append(entry)
                return True
        for _ in range(5):  # a timeline key collision needs two writers in one microsecond
            entries = tuple(replace(e, entry_key=next_entry_key(e.at)) for e in write.timeline)
            if write.changes_case and not entries and not write.outbound:
                return self._step_update(write)
            try:
                with TransactWrite(connection=_transaction_connection(aws_region())) as tx:
                    if write.changes_case:
                        actions, condition = _step_update_parts(write)
                        tx.update(CaseModel(write.case_id), actions=actions, condition=condition)
                    for entry in entries:
                        tx.save(
                            _timeline_item(entry),
                            condition=TimelineModel.entry_key.does_not_exist(),
                        )
                    for event in write.outbound:
                        tx.save(outbox_item(event), condition=OutboxModel.sequence.does_not_exist())
            except TransactWriteError as error:
                reasons = list(error.cancellation_reasons or [])
                # pynamodb sends the puts first and the updates last: the case is the last item
                if write.changes_case and reasons and reasons[-1] is not None:
                    return self._explain_refusal(write, error)
                if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
                    continue  # a timeline key was taken: new keys, same write
                raise
            return True
        raise ConcurrentUpdate(f"timeline key collisions for {write.case_id}")

    def _step_update(self, write: StepWrite) -> bool:
        actions, condition = _step_update_parts(write)
        try:
            CaseModel(write.case_id).update_unread(actions=actions, condition=condition)
        except UpdateError as error:
            if _is_condition_failure(error):
                return self._explain_refusal(write, error)
            raise
        return True

    def _explain_refusal(self, write: StepWrite, error: Exception) -> bool:
        """The case's condition failed: no such case, the action was done, or it closed."""
        stored = self.get(write.case_id)
        if stored is None:
            raise CaseNotFound(write.case_id) from error
        if write.done_action is not None and write.done_action in stored.done_actions:
            return False
        raise ConcurrentUpdate(write.case_id) from error

    def store_task_token(self, case_id: str, token: str, waiting_for: str) -> None:
        self._update(
            case_id, {"task_token": token, "waiting_for": waiting_for}, CaseModel.case_id.exists()
        )

    def clear_task_token(self, case_id: str, token: str | None = None) -> bool:
        condition = CaseModel.case_id.exists()
        if token is not None:
            condition &= CaseModel.task_token == token
        return _update_if(
            case_id, [CaseModel.task_token.remove(), CaseModel.waiting_for.remove()], condition
        )

    def park_wake(
        self, case_id: str, wake: str, *, seen_token: str | None, seen_pending: str | None
    ) -> bool:
        condition = CaseModel.case_id.exists()
        if seen_token is None:
            condition &= CaseModel.task_token.does_not_exist()
        else:
            condition &= CaseModel.task_token == seen_token
        if seen_pending is None:
            condition &= CaseModel.pending_wake.does_not_exist()
        else:
            condition &= CaseModel.pending_wake == seen_pending
        actions: list[Any] = [CaseModel.pending_wake.set(wake)]
        if seen_token is not None:
            actions += [CaseModel.task_token.remove(), CaseModel.waiting_for.remove()]
        return _update_if(case_id, actions, condition)

    def park_execution(self, case_id: str, parked: str) -> bool:
        condition = (
            CaseModel.case_id.exists()
            & CaseModel.pending_wake.does_not_exist()
            & ~CaseModel.status.is_in(*_TERMINAL)
        )
        actions: list[Any] = [
            CaseModel.parked.set(parked),
            CaseModel.task_token.remove(),
            CaseModel.waiting_for.remove(),
        ]
        return _update_if(case_id, actions, condition)

    def clear_parked(self, case_id: str, parked: str) -> bool:
        return _update_if(case_id, [CaseModel.parked.remove()], CaseModel.parked == parked)

    def set_queue(self, case_id: str, queue: str, due_at: datetime) -> None:
        self._update(
            case_id,
            {"queue": queue, "queue_due_at": queue_time(due_at)},
            CaseModel.case_id.exists(),
        )

    def clear_queue(self, case_id: str) -> None:
        self._update(case_id, {"queue": None, "queue_due_at": None}, CaseModel.case_id.exists())

    def work_queue(self, queue: str, due_before: datetime | None = None) -> list[CaseRecord]:
        range_condition = None
        if due_before is not None:
            range_condition = CaseModel.queue_due_at <= queue_time(due_before)
        items = CaseModel.work_queue.query(queue, range_key_condition=range_condition)
        return [case_from_item(i) for i in items]


class DynamoBorrowers:
    def get(self, account_id: str) -> BorrowerRecord | None:
        try:
            return borrower_from_item(BorrowerModel.get(account_id, consistent_read=True))
        except DoesNotExist:
            return None

    def save_profile(self, borrower: BorrowerRecord) -> None:
        fields = borrower_fields(borrower, profile_only=True)
        BorrowerModel(borrower.account_id).update(actions=_actions(BorrowerModel, fields))

    def add_opt_out(self, account_id: str, channel: Channel) -> None:
        BorrowerModel(account_id).update(
            actions=[BorrowerModel.opted_out.add({Channel(channel).value})]
        )

    def set_cease_communication(self, account_id: str, cease: bool = True) -> None:
        BorrowerModel(account_id).update(actions=[BorrowerModel.cease_communication.set(cease)])

    def add_flag(self, account_id: str, flag: str) -> None:
        BorrowerModel(account_id).update(actions=[BorrowerModel.flags.add({flag})])

    def remove_flag(self, account_id: str, flag: str) -> None:
        BorrowerModel(account_id).update(actions=[BorrowerModel.flags.delete({flag})])

    def mark_unreachable(self, account_id: str, channel: Channel, unreachable: bool = True) -> None:
        attribute = BorrowerModel.email_bounced
        if Channel(channel) is not Channel.EMAIL:
            attribute = BorrowerModel.sms_failed
        BorrowerModel(account_id).update(actions=[attribute.set(unreachable)])

    def record_reachability(
        self, account_id: str, channel: Channel, unreachable: bool, message_sent_at: datetime
    ) -> bool:
        flag, since = BorrowerModel.email_bounced, BorrowerModel.email_reachability_at
        if Channel(channel) is not Channel.EMAIL:
            flag, since = BorrowerModel.sms_failed, BorrowerModel.sms_reachability_at
        sent = iso_utc_micro(message_sent_at)
        condition = since.does_not_exist() | (since < sent)
        if unreachable:
            condition |= (since == sent) & (flag == False)  # noqa: E712 - a DynamoDB BOOL
        try:
            BorrowerModel(account_id).update(
                actions=[flag.set(unreachable), since.set(sent)], condition=condition
            )
        except UpdateError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True


class DynamoTimeline:
    def append(self, entry: TimelineEntry) -> TimelineEntry:
        for _ in range(5):  # a key collision needs two writers in one microsecond
            keyed = replace(entry, entry_key=next_entry_key(entry.at))
            try:
                _timeline_item(keyed).save(condition=TimelineModel.entry_key.does_not_exist())
                return keyed
            except PutError as error:
                if not _is_condition_failure(error):
                    raise
        raise ConcurrentUpdate(f"timeline key collisions for {entry.case_id}")

    def list(self, case_id: str, kinds: Collection[str] = ()) -> list[TimelineEntry]:
        only = TimelineModel.kind.is_in(*sorted(kinds)) if kinds else None
        return [timeline_from_item(i) for i in TimelineModel.query(case_id, filter_condition=only)]


def _transaction_connection(region: str) -> Connection:
    """The tables' connection (one botocore client) per region: building a client per
    transaction costs more than the transaction itself."""
    return shared_connection(region)


class DynamoIngestStore:
    def __init__(self, timeline: DynamoTimeline | None = None) -> None:
        self._timeline = timeline or DynamoTimeline()

    def commit(self, write: IngestWrite) -> tuple[TimelineEntry, ...]:
        entries = tuple(replace(e, entry_key=next_entry_key(e.at)) for e in write.timeline)
        if write.borrower is None and write.create_case is None and write.update_case is None:
            # nothing but audit lines (an ignored event): no transaction needed
            return tuple(self._timeline.append(e) for e in write.timeline)
        try:
            with TransactWrite(connection=_transaction_connection(aws_region())) as tx:
                if write.borrower is not None:
                    fields = {
                        k: v
                        for k, v in borrower_fields(write.borrower).items()
                        if k not in _NOT_INGESTED
                    }
                    condition = (
                        BorrowerModel.last_sequence.does_not_exist()
                        if write.expected_last_sequence is None
                        else BorrowerModel.last_sequence == write.expected_last_sequence
                    )
                    actions = _actions(BorrowerModel, fields)
                    if write.clear_flags:
                        actions.append(BorrowerModel.flags.delete(set(write.clear_flags)))
                    # from now on only reports about messages sent to the new address or
                    # number count: a late bounce from the old one must not stop the new one
                    changed_at = iso_utc_micro(write.borrower.updated_at or datetime.now(UTC))
                    if Channel.EMAIL in write.reachable_again:
                        actions.append(BorrowerModel.email_bounced.set(False))
                        actions.append(BorrowerModel.email_reachability_at.set(changed_at))
                    if Channel.SMS in write.reachable_again:
                        actions.append(BorrowerModel.sms_failed.set(False))
                        actions.append(BorrowerModel.sms_reachability_at.set(changed_at))
                    tx.update(
                        BorrowerModel(write.borrower.account_id),
                        actions=actions,
                        condition=condition,
                    )
                if write.create_case is not None:
                    fields = {
                        k: v for k, v in case_fields(write.create_case).items() if v is not None
                    }
                    tx.save(CaseModel(**fields), condition=CaseModel.case_id.does_not_exist())
                if write.update_case is not None:
                    if write.expected_case_version is None:
                        raise ValueError("update_case needs expected_case_version")
                    case = write.update_case
                    every = case_fields(case)
                    fields = {name: every[name] for name in INGEST_CASE_FIELDS}
                    fields["version"] = write.expected_case_version + 1
                    if write.outbound:
                        fields["out_seq"] = write.outbound[-1].sequence
                    tx.update(
                        CaseModel(case.case_id),
                        actions=_actions(CaseModel, fields),
                        condition=CaseModel.version == write.expected_case_version,
                    )
                for entry in entries:
                    tx.save(
                        _timeline_item(entry),
                        condition=TimelineModel.entry_key.does_not_exist(),
                    )
                for event in write.outbound:
                    tx.save(outbox_item(event), condition=OutboxModel.sequence.does_not_exist())
        except TransactWriteError as error:
            if _is_condition_failure(error):
                raise ConcurrentUpdate("ingest write lost a race") from error
            raise
        return entries


# =========================================================================== in memory


class InMemoryStore:
    """Fake of all four interfaces over dicts, enforcing the same conditions.

    ``store.cases`` / ``store.borrowers`` / ``store.timeline`` are views on one store, and
    ``store.commit`` is the IngestStore.
    """

    def __init__(self) -> None:
        self.case_items: dict[str, CaseRecord] = {}
        self.borrower_items: dict[str, BorrowerRecord] = {}
        self.timeline_items: dict[str, list[TimelineEntry]] = {}
        # (case_id, sequence) -> outbound event, as the outbox table holds them
        self.outbox_items: dict[tuple[str, int], OutboundEvent] = {}
        self.cases = _MemoryCases(self)
        self.borrowers = _MemoryBorrowers(self)
        self.timeline = _MemoryTimeline(self)
        self._lock = threading.RLock()

    def commit(self, write: IngestWrite) -> tuple[TimelineEntry, ...]:
        with self._lock:
            if write.borrower is not None:
                stored = self.borrower_items.get(write.borrower.account_id)
                current = stored.last_sequence if stored else None
                if current != write.expected_last_sequence:
                    raise ConcurrentUpdate("borrower sequence moved")
            if write.create_case is not None and write.create_case.case_id in self.case_items:
                raise ConcurrentUpdate("case exists")
            if write.update_case is not None:
                stored_case = self.case_items.get(write.update_case.case_id)
                if stored_case is None or stored_case.version != write.expected_case_version:
                    raise ConcurrentUpdate("case version moved")
            if write.borrower is not None:
                old = self.borrower_items.get(write.borrower.account_id)
                base = old or BorrowerRecord(write.borrower.account_id)
                # like the DynamoDB transaction: fields outside the ingest's ownership stay
                kept = {k: getattr(base, k) for k in _NOT_INGESTED}
                kept["flags"] = base.flags - write.clear_flags
                kept["email_bounced"] &= Channel.EMAIL not in write.reachable_again
                kept["sms_failed"] &= Channel.SMS not in write.reachable_again
                changed_at = parse_iso_utc(
                    iso_utc_micro(write.borrower.updated_at or datetime.now(UTC))
                )
                for channel in write.reachable_again:
                    self.borrowers.reachability_at[(write.borrower.account_id, channel)] = (
                        changed_at
                    )
                self.borrower_items[write.borrower.account_id] = replace(write.borrower, **kept)
            if write.create_case is not None:
                self.case_items[write.create_case.case_id] = write.create_case
            if write.update_case is not None and write.expected_case_version is not None:
                stored_case = self.case_items[write.update_case.case_id]
                self.case_items[stored_case.case_id] = replace(
                    stored_case,
                    **{name: getattr(write.update_case, name) for name in INGEST_CASE_FIELDS},
                    version=write.expected_case_version + 1,
                    out_seq=write.outbound[-1].sequence if write.outbound else stored_case.out_seq,
                )
            self.add_outbound(write.outbound)
            return tuple(self.timeline.append(e) for e in write.timeline)

    def add_outbound(self, events: Iterable[OutboundEvent]) -> None:
        for event in events:
            key = (event.case_id, event.sequence)
            if key in self.outbox_items:
                raise ConcurrentUpdate(f"outbox item {key} exists")
            self.outbox_items[key] = event


@dataclass
class _MemoryCases:
    store: InMemoryStore

    def get(self, case_id: str) -> CaseRecord | None:
        return self.store.case_items.get(case_id)

    def latest_for_account(self, account_id: str) -> CaseRecord | None:
        cases = self.list_for_account(account_id)
        return cases[-1] if cases else None

    def list_for_account(self, account_id: str) -> list[CaseRecord]:
        found = [c for c in self.store.case_items.values() if c.account_id == account_id]
        return sorted(found, key=lambda c: c.cycle)

    def create(self, case: CaseRecord) -> CaseRecord:
        with self.store._lock:
            if case.case_id in self.store.case_items:
                raise CaseAlreadyExists(case.case_id)
            self.store.case_items[case.case_id] = case
        return case

    def _require(self, case_id: str) -> CaseRecord:
        case = self.store.case_items.get(case_id)
        if case is None:
            raise CaseNotFound(case_id)
        return case

    def save(self, case: CaseRecord, *, expected_version: int) -> CaseRecord:
        with self.store._lock:
            stored = self._require(case.case_id)
            if stored.version != expected_version:
                raise ConcurrentUpdate(case.case_id)
            saved = replace(
                case,
                task_token=stored.task_token,
                waiting_for=stored.waiting_for,
                pending_wake=stored.pending_wake,
                parked=stored.parked,
                done_actions=stored.done_actions,
                queue=stored.queue,
                queue_due_at=stored.queue_due_at,
                version=expected_version + 1,
            )
            self.store.case_items[case.case_id] = saved
            return saved

    def update_fields(
        self,
        case_id: str,
        fields: Mapping[str, Any],
        *,
        expected_version: int | None = None,
        require_open: bool = False,
    ) -> CaseRecord:
        with self.store._lock:
            stored = self._require(case_id)
            if expected_version is not None and stored.version != expected_version:
                raise ConcurrentUpdate(case_id)
            if require_open and not stored.is_open:
                raise ConcurrentUpdate(case_id)
            updated = replace(stored, **dict(fields), version=stored.version + 1)
            self.store.case_items[case_id] = updated
            return updated

    def mark_action_done(self, case_id: str, action: str) -> bool:
        with self.store._lock:
            stored = self._require(case_id)
            if action in stored.done_actions:
                return False
            self.store.case_items[case_id] = replace(
                stored, done_actions=stored.done_actions | {action}
            )
            return True

    def release_action(self, case_id: str, action: str) -> None:
        with self.store._lock:
            stored = self._require(case_id)
            self.store.case_items[case_id] = replace(
                stored, done_actions=stored.done_actions - {action}
            )

    def get_with_borrower(self, case_id: str) -> tuple[CaseRecord | None, BorrowerRecord | None]:
        case = self.store.case_items.get(case_id)
        account_id = case.account_id if case is not None else account_of(case_id)
        return case, self.store.borrower_items.get(account_id)

    def commit_step(self, write: StepWrite) -> bool:
        with self.store._lock:
            if write.changes_case:
                stored = self._require(write.case_id)
                if write.done_action is not None and write.done_action in stored.done_actions:
                    return False
                if write.fields and not stored.is_open:
                    raise ConcurrentUpdate(write.case_id)
                if write.taken_wake is not None and stored.pending_wake != write.taken_wake:
                    raise ConcurrentUpdate(write.case_id)  # a newer wake was parked meanwhile
                if write.outbound and stored.out_seq != write.out_seq_from:
                    raise ConcurrentUpdate(write.case_id)  # another write numbered events
                changed = replace(stored, **dict(write.fields))
                if write.outbound:
                    changed = replace(changed, out_seq=write.out_seq_from + len(write.outbound))
                    self.store.add_outbound(write.outbound)
                if write.taken_wake is not None:
                    changed = replace(changed, pending_wake=None)
                if write.fields:
                    changed = replace(changed, version=stored.version + 1)
                if write.done_action is not None:
                    changed = replace(
                        changed, done_actions=stored.done_actions | {write.done_action}
                    )
                self.store.case_items[write.case_id] = changed
            for entry in write.timeline:
                self.store.timeline.append(entry)
            return True

    def store_task_token(self, case_id: str, token: str, waiting_for: str) -> None:
        with self.store._lock:
            stored = self._require(case_id)
            self.store.case_items[case_id] = replace(
                stored, task_token=token, waiting_for=waiting_for
            )

    def clear_task_token(self, case_id: str, token: str | None = None) -> bool:
        with self.store._lock:
            stored = self.store.case_items.get(case_id)
            if stored is None or (token is not None and stored.task_token != token):
                return False
            self.store.case_items[case_id] = replace(stored, task_token=None, waiting_for=None)
            return True

    def park_wake(
        self, case_id: str, wake: str, *, seen_token: str | None, seen_pending: str | None
    ) -> bool:
        with self.store._lock:
            stored = self.store.case_items.get(case_id)
            if stored is None or stored.task_token != seen_token:
                return False
            if stored.pending_wake != seen_pending:
                return False
            parked = replace(stored, pending_wake=wake)
            if seen_token is not None:
                parked = replace(parked, task_token=None, waiting_for=None)
            self.store.case_items[case_id] = parked
            return True

    def park_execution(self, case_id: str, parked: str) -> bool:
        with self.store._lock:
            stored = self.store.case_items.get(case_id)
            if stored is None or stored.pending_wake is not None or not stored.is_open:
                return False
            self.store.case_items[case_id] = replace(
                stored, parked=parked, task_token=None, waiting_for=None
            )
            return True

    def clear_parked(self, case_id: str, parked: str) -> bool:
        with self.store._lock:
            stored = self.store.case_items.get(case_id)
            if stored is None or stored.parked != parked:
                return False
            self.store.case_items[case_id] = replace(stored, parked=None)
            return True

    def set_queue(self, case_id: str, queue: str, due_at: datetime) -> None:
        with self.store._lock:
            stored = self._require(case_id)
            self.store.case_items[case_id] = replace(stored, queue=queue, queue_due_at=due_at)

    def clear_queue(self, case_id: str) -> None:
        with self.store._lock:
            stored = self._require(case_id)
            self.store.case_items[case_id] = replace(stored, queue=None, queue_due_at=None)

    def work_queue(self, queue: str, due_before: datetime | None = None) -> list[CaseRecord]:
        waiting = [
            c
            for c in self.store.case_items.values()
            if c.queue == queue
            and c.queue_due_at is not None
            and (due_before is None or c.queue_due_at <= due_before)
        ]
        return sorted(waiting, key=lambda c: c.queue_due_at or datetime.min.replace(tzinfo=UTC))


@dataclass
class _MemoryBorrowers:
    store: InMemoryStore
    # (account, channel) -> send time of the message behind the flag (*_reachability_at)
    reachability_at: dict[tuple[str, Channel], datetime] = field(default_factory=dict)

    def get(self, account_id: str) -> BorrowerRecord | None:
        return self.store.borrower_items.get(account_id)

    def _change(self, account_id: str, **changes: Any) -> None:
        with self.store._lock:
            current = self.store.borrower_items.get(account_id) or BorrowerRecord(account_id)
            self.store.borrower_items[account_id] = replace(current, **changes)

    def save_profile(self, borrower: BorrowerRecord) -> None:
        self._change(
            borrower.account_id, **{name: getattr(borrower, name) for name in _PROFILE_FIELDS}
        )

    def add_opt_out(self, account_id: str, channel: Channel) -> None:
        current = self.get(account_id)
        opted = current.opted_out if current else frozenset()
        self._change(account_id, opted_out=opted | {Channel(channel)})

    def set_cease_communication(self, account_id: str, cease: bool = True) -> None:
        self._change(account_id, cease_communication=cease)

    def add_flag(self, account_id: str, flag: str) -> None:
        current = self.get(account_id)
        self._change(account_id, flags=(current.flags if current else frozenset()) | {flag})

    def remove_flag(self, account_id: str, flag: str) -> None:
        current = self.get(account_id)
        self._change(account_id, flags=(current.flags if current else frozenset()) - {flag})

    def mark_unreachable(self, account_id: str, channel: Channel, unreachable: bool = True) -> None:
        if Channel(channel) is Channel.EMAIL:
            self._change(account_id, email_bounced=unreachable)
        else:
            self._change(account_id, sms_failed=unreachable)

    def record_reachability(
        self, account_id: str, channel: Channel, unreachable: bool, message_sent_at: datetime
    ) -> bool:
        channel = Channel(channel)
        flag = "email_bounced" if channel is Channel.EMAIL else "sms_failed"
        # stored at the DynamoDB attribute's precision, so both compare alike
        sent = parse_iso_utc(iso_utc_micro(message_sent_at))
        with self.store._lock:
            since = self.reachability_at.get((account_id, channel))
            current = self.get(account_id)
            stopped = bool(current and getattr(current, flag))
            newer = since is None or since < sent
            if not (newer or (unreachable and since == sent and not stopped)):
                return False
            self.reachability_at[(account_id, channel)] = sent
            self._change(account_id, **{flag: unreachable})
        return True


@dataclass
class _MemoryTimeline:
    store: InMemoryStore
    _keys: set[str] = field(default_factory=set)

    def append(self, entry: TimelineEntry) -> TimelineEntry:
        keyed = replace(entry, entry_key=next_entry_key(entry.at))
        self.store.timeline_items.setdefault(entry.case_id, []).append(keyed)
        return keyed

    def list(self, case_id: str, kinds: Collection[str] = ()) -> list[TimelineEntry]:
        lines = self.store.timeline_items.get(case_id, [])
        wanted = [e for e in lines if e.kind in kinds] if kinds else lines
        return sorted(wanted, key=lambda e: e.entry_key)


__all__ = [
    "BorrowerRepository",
    "CaseRepository",
    "DynamoBorrowers",
    "DynamoCases",
    "DynamoIngestStore",
    "DynamoTimeline",
    "InMemoryStore",
    "IngestStore",
    "IngestWrite",
    "Repositories",
    "StepWrite",
    "TimelineRepository",
]
