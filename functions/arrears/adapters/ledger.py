"""The contact ledger: every gate decision per borrower, and the lock that keeps caps true.

``claim`` reads the borrower's recent contacts, asks the compliance gate, and writes
the decision. An allowed contact is recorded in two phases: ``reserved`` before the provider
call (it holds its slot under every cap), then ``settle`` makes it ``sent`` (with the
provider's message id) or ``failed`` (with the reason; a failed attempt frees its slot), or
``blocked`` when the rendered message is refused before sending. A reservation is written
in one DynamoDB transaction with the account's head item (``entry_key = "HEAD"``),
conditional on the head's version being the one read before deciding. Two executions racing
for the last slot of a cap therefore cannot both win: the second transaction fails its
condition, re-reads the ledger (now holding the first one's entry) and decides again.

``InMemoryContactLedger`` is the same algorithm over a dict, for unit tests.
"""

from __future__ import annotations

import random
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from arrears.adapters import models

# the model lives with the other table models (MODELS / bind_tables re-bind its name)
from arrears.adapters.models import ContactLedgerModel
from arrears.domain.compliance import (
    CompliancePack,
    ContactIntent,
    Decision,
    Reason,
    Verdict,
    blocking_reason,
    candidate_zones,
    decide,
)
from arrears.domain.compliance.ledger import (
    BLOCKED,
    CONVERSATION,
    DECISION_OF,
    FAILED,
    HISTORY_DECISIONS,
    REPLAYED,
    RESERVED,
    SENT,
    TAKEN_DECISIONS,
    LedgerEntry,
    entry_key,
    time_key,
)
from arrears.domain.types import BorrowerProfile, Channel, ContactRecord

HEAD_KEY = "HEAD"  # per-account lock item; sorts after every "<ISO time>#..." key
_KEY_LOW, _KEY_HIGH = "0", "9~"  # every time-prefixed key lies between these
MAX_CLAIM_ATTEMPTS = 10
CONVERSATION_TEMPLATE = "conversation"


class LedgerContention(RuntimeError):
    """The head item kept moving: too many concurrent writers for one borrower."""


class LedgerBase(ABC):
    """claim/history/record_conversation over four storage primitives."""

    @abstractmethod
    def _head_version(self, account_id: str) -> int:
        """Current version of the account's head item (0 if none)."""

    @abstractmethod
    def _entries(self, account_id: str, since: datetime) -> list[LedgerEntry]:
        """Every entry at or after ``since`` (strongly consistent), oldest first."""

    @abstractmethod
    def _get(self, account_id: str, key: str) -> LedgerEntry | None: ...

    @abstractmethod
    def _commit_sent(self, entry: LedgerEntry, expected_version: int) -> bool:
        """Write ``entry`` and bump the head iff the head is still ``expected_version``."""

    @abstractmethod
    def _put(self, entry: LedgerEntry) -> bool:
        """Write a deferred/blocked entry (takes no slot, needs no lock), never over a
        reserved or sent entry with the same key; False if one is there."""

    @abstractmethod
    def _settle(self, entry: LedgerEntry) -> bool:
        """Overwrite a reserved entry with its outcome (sent, failed, blocked); False if the
        entry is not reserved any more."""

    # ------------------------------------------------------------------ public API

    def claim(
        self,
        intent: ContactIntent,
        profile: BorrowerProfile,
        pack: CompliancePack,
        template: str,
    ) -> Decision:
        """Decide and record. On ALLOW the slot is reserved for you: send exactly once,
        then ``settle`` it (sent with the message id, or failed with the reason).

        Replaying a claim already allowed (same instant, channel, case, template) returns ALLOW
        again without taking a second slot, unless a blocking rule (opt-out, cease,
        payment, ...) has started to apply since. A failed entry at that key is decided
        afresh (the retry of a failed send).
        """
        return self.reserve(intent, profile, pack, template)[0]

    def reserve(
        self,
        intent: ContactIntent,
        profile: BorrowerProfile,
        pack: CompliancePack,
        template: str,
    ) -> tuple[Decision, str]:
        """``claim``, also giving the entry key that ``settle`` takes."""
        account_id = profile.account_id
        key = entry_key(intent.at, intent.channel, intent.case_id)
        since = intent.at - timedelta(days=pack.max_lookback_days)
        for attempt in range(MAX_CLAIM_ATTEMPTS):
            existing = self._get(account_id, key)
            if existing is not None and existing.template != template:
                # a different message at the very same instant (virtual clocks do this)
                key = f"{entry_key(intent.at, intent.channel, intent.case_id)}#{template}"
                existing = self._get(account_id, key)
            if existing is not None and existing.decision in TAKEN_DECISIONS:
                return blocking_reason(intent, profile, pack) or REPLAYED, key
            # head first, then entries: a sent write landing in between moves the head,
            # so the commit below fails and we decide again
            version = self._head_version(account_id)
            history = [
                entry.to_record()
                for entry in self._entries(account_id, since)
                if entry.decision in HISTORY_DECISIONS
            ]
            decision = decide(intent, profile, history, pack)
            entry = self._entry_for(intent, profile, pack, template, key, decision)
            if decision.verdict is not Verdict.ALLOW:
                if self._put(entry):
                    return decision, key
                continue  # the same contact was just allowed elsewhere: replay it
            if self._commit_sent(entry, version):
                return decision, key
            self._backoff(attempt)
        raise LedgerContention(f"could not claim a contact slot after {MAX_CLAIM_ATTEMPTS} tries")

    def settle(
        self,
        account_id: str,
        key: str,
        outcome: str,
        reason: str | None = None,
        message_id: str | None = None,
    ) -> bool:
        """The outcome of a reserved contact: ``sent`` (with the provider's message id),
        ``failed`` (with the reason: it no longer counts toward any cap) or ``blocked`` (the
        rendered message was refused before sending). False if the entry is not reserved
        (already settled, or never reserved)."""
        if outcome not in (SENT, FAILED, BLOCKED):
            raise ValueError(f"not an outcome of a reserved contact: {outcome}")
        existing = self._get(account_id, key)
        if existing is None or existing.decision != RESERVED:
            return False
        settled = replace(
            existing,
            decision=outcome,
            reason=reason or existing.reason,
            message_id=message_id,
        )
        return self._settle(settled)

    def history(self, account_id: str, since: datetime) -> list[ContactRecord]:
        """Contacts that happened or are under way (sent and reserved entries, and
        conversations the borrower started) at or after ``since``: what the gate decides
        on. Failed, deferred and blocked entries take no slot."""
        return [
            e.to_record()
            for e in self._entries(account_id, since)
            if e.decision in HISTORY_DECISIONS
        ]

    def first_sent(self, account_id: str, case_id: str) -> datetime | None:
        """When the first contact about this debt went out (None: nothing sent yet).

        Feeds ``required_content(..., is_first_contact)`` and ``validation_notice_due``.
        """
        for entry in self.entries(account_id):
            if entry.decision == SENT and entry.case_id == case_id and entry.attempt:
                return entry.at
        return None

    def entries(self, account_id: str, since: datetime | None = None) -> list[LedgerEntry]:
        """Every entry (reserved, sent, failed, deferred, blocked, conversation), oldest
        first: for reports and audits."""
        return self._entries(account_id, since or datetime(2000, 1, 1, tzinfo=UTC))

    def record_conversation(
        self,
        account_id: str,
        case_id: str,
        at: datetime,
        *,
        call_entry_key: str | None = None,
        inbound: bool = False,
        local_time: str | None = None,
        retention_days: int = 1096,
    ) -> None:
        """A telephone conversation about the debt took place (starts the quiet period).

        ``call_entry_key``: the ledger entry of the call we placed that reached the
        borrower (it is marked). Without it (or if that entry is no sent call) a new entry
        ``<at>#call#<case_id>#conversation`` is written: an inbound call (``inbound=True``,
        not counted as a call attempt) or a call placed outside ``claim``.
        """
        for attempt in range(MAX_CLAIM_ATTEMPTS):
            version = self._head_version(account_id)
            existing = self._get(account_id, call_entry_key) if call_entry_key else None
            if existing is not None and existing.decision in HISTORY_DECISIONS:
                entry = replace(existing, conversation=True)
            else:
                # its own key: never over a claimed call's entry at the same instant
                key = f"{entry_key(at, Channel.CALL, case_id)}#{CONVERSATION_TEMPLATE}"
                entry = LedgerEntry(
                    account_id=account_id,
                    entry_key=key,
                    case_id=case_id,
                    channel=Channel.CALL,
                    template=CONVERSATION_TEMPLATE,
                    decision=CONVERSATION if inbound else SENT,
                    reason=str(Reason.ALLOWED),  # a plain str, as every other entry stores it
                    at=at.astimezone(UTC),
                    local_time=local_time or at.isoformat(),
                    conversation=True,
                    attempt=not inbound,
                    expires_at=at + timedelta(days=retention_days),
                )
            if self._commit_sent(entry, version):
                return
            self._backoff(attempt)
        raise LedgerContention("could not record the conversation")

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _entry_for(
        intent: ContactIntent,
        profile: BorrowerProfile,
        pack: CompliancePack,
        template: str,
        key: str,
        decision: Decision,
    ) -> LedgerEntry:
        at = intent.at.astimezone(UTC)
        zone = candidate_zones(profile, pack)[0]
        return LedgerEntry(
            account_id=profile.account_id,
            entry_key=key,
            case_id=intent.case_id,
            channel=intent.channel,
            template=template,
            decision=DECISION_OF[decision.verdict],
            reason=str(decision.reason),
            at=at,
            local_time=at.astimezone(zone).isoformat(),
            not_before=decision.not_before,
            rule=decision.rule,
            expires_at=at + timedelta(days=pack.ledger_retention_days),
        )

    @staticmethod
    def _backoff(attempt: int) -> None:
        if attempt:  # the first retry is immediate: the winner has already committed
            time.sleep(random.uniform(0, min(0.2, 0.01 * 2**attempt)))  # jitter, not crypto

    def session(self, since: datetime) -> LedgerSession:
        """This ledger for one step invocation: one read of the account's head and entries
        (from ``since``) serves every claim and lookup of the invocation. See LedgerSession."""
        return LedgerSession(self, since)


class LedgerSession(LedgerBase):
    """One step invocation's view of the ledger, read once and kept in step with its writes.

    The first lookup of an account reads its head version, then its entries from ``since``
    (in that order, as ``claim`` does). Later claims and lookups in the same invocation use
    that view plus what this session itself wrote: after its own sent commit the head is
    exactly one version on. The optimistic lock is unchanged: a commit is still conditional
    on the head version the decision was made from, so a sent entry written by anyone else
    since the view was read fails the commit, drops the view, and the claim re-reads and
    decides again. A stale view can only lack history, which makes a decision more
    permissive, never less; and every permissive decision (ALLOW) is exactly what the head
    condition checks. For a storage round trip per claim instead of four (two channels of a
    stage: head, query and two transactions instead of eight calls, plus the first-contact
    lookups of the message content served from the same view).
    """

    def __init__(self, ledger: LedgerBase, since: datetime) -> None:
        self._ledger = ledger
        self._since = since
        self._views: dict[str, _View] = {}

    def _view(self, account_id: str, since: datetime) -> _View:
        view = self._views.get(account_id)
        if view is None or since < view.since:
            low = min(since, self._since)
            version = self._ledger._head_version(account_id)  # head first, then entries
            entries = {e.entry_key: e for e in self._ledger._entries(account_id, low)}
            view = self._views[account_id] = _View(low, version, entries)
        return view

    def _head_version(self, account_id: str) -> int:
        return self._view(account_id, self._since).version

    def _entries(self, account_id: str, since: datetime) -> list[LedgerEntry]:
        view = self._view(account_id, since)
        low = time_key(since)
        return [view.entries[key] for key in sorted(view.entries) if key >= low]

    def _get(self, account_id: str, key: str) -> LedgerEntry | None:
        if not _KEY_LOW <= key < _KEY_HIGH:  # not a time key (the head): ask the table
            return self._ledger._get(account_id, key)
        view = self._view(account_id, self._since)
        if key < time_key(view.since):  # older than the view covers
            return self._ledger._get(account_id, key)
        return view.entries.get(key)

    def _commit_sent(self, entry: LedgerEntry, expected_version: int) -> bool:
        if not self._ledger._commit_sent(entry, expected_version):
            self._views.pop(entry.account_id, None)  # someone else moved: read again
            return False
        view = self._views.get(entry.account_id)
        if view is not None:
            view.version = expected_version + 1
            if entry.entry_key >= time_key(view.since):
                view.entries[entry.entry_key] = entry
        return True

    def _put(self, entry: LedgerEntry) -> bool:
        return self._write(entry, self._ledger._put)

    def _settle(self, entry: LedgerEntry) -> bool:
        return self._write(entry, self._ledger._settle)

    def _write(self, entry: LedgerEntry, write: Callable[[LedgerEntry], bool]) -> bool:
        if not write(entry):
            self._views.pop(entry.account_id, None)
            return False
        view = self._views.get(entry.account_id)
        if view is not None and entry.entry_key >= time_key(view.since):
            view.entries[entry.entry_key] = entry
        return True


@dataclass
class _View:
    since: datetime
    version: int
    entries: dict[str, LedgerEntry]


# ---------------------------------------------------------------------------- DynamoDB


def bind_ledger_table(env: dict[str, str] | None = None) -> None:
    """Re-read the table names and region (the local runtime sets env after import)."""
    models.bind_tables(env)


def _to_item(entry: LedgerEntry) -> ContactLedgerModel:
    return ContactLedgerModel(
        entry.account_id,
        entry.entry_key,
        case_id=entry.case_id,
        channel=str(entry.channel),
        template=entry.template,
        decision=entry.decision,
        reason=entry.reason,
        rule=entry.rule,
        at=entry.at.astimezone(UTC).isoformat(),
        local_time=entry.local_time,
        not_before=entry.not_before.isoformat() if entry.not_before else None,
        conversation=entry.conversation,
        attempt=entry.attempt,
        expires_at=entry.expires_at,
        message_id=entry.message_id,
    )


def _from_item(item: ContactLedgerModel) -> LedgerEntry:
    return LedgerEntry(
        account_id=item.account_id,
        entry_key=item.entry_key,
        case_id=item.case_id or "",
        channel=Channel(item.channel),
        template=item.template or "",
        decision=item.decision or "",
        reason=item.reason or "",
        at=datetime.fromisoformat(item.at or "").astimezone(UTC),
        local_time=item.local_time or "",
        conversation=bool(item.conversation),
        attempt=item.attempt is not False,
        not_before=datetime.fromisoformat(item.not_before) if item.not_before else None,
        rule=item.rule,
        expires_at=item.expires_at,
        message_id=item.message_id,
    )


_RACE_CODES = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


def _lost_the_race(error: TransactWriteError) -> bool:
    """True when the transaction failed only because another writer moved first."""
    if error.cause_response_code == "TransactionConflictException":
        return True
    if error.cause_response_code != "TransactionCanceledException":
        return False
    codes = {reason.code for reason in error.cancellation_reasons if reason is not None}
    return bool(codes) and codes <= _RACE_CODES


class ContactLedger(LedgerBase):
    """The ledger on DynamoDB (pynamodb)."""

    def __init__(self, model: type[ContactLedgerModel] = ContactLedgerModel) -> None:
        self._model = model

    def _head_version(self, account_id: str) -> int:
        try:
            head = self._model.get(account_id, HEAD_KEY, consistent_read=True)
        except DoesNotExist:
            return 0
        return int(head.version or 0)

    def _entries(self, account_id: str, since: datetime) -> list[LedgerEntry]:
        low = max(time_key(since), _KEY_LOW)
        items = self._model.query(
            account_id,
            self._model.entry_key.between(low, _KEY_HIGH),
            consistent_read=True,
        )
        return [_from_item(item) for item in items]

    def _get(self, account_id: str, key: str) -> LedgerEntry | None:
        try:
            return _from_item(self._model.get(account_id, key, consistent_read=True))
        except DoesNotExist:
            return None

    def _commit_sent(self, entry: LedgerEntry, expected_version: int) -> bool:
        model = self._model
        head = model(entry.account_id, HEAD_KEY)
        condition = (
            model.version.does_not_exist()
            if expected_version == 0
            else model.version == expected_version
        )
        # the model's own connection: one botocore client per container, not per claim
        connection = model._get_connection().connection
        try:
            with TransactWrite(connection=connection) as transaction:
                transaction.update(
                    head, actions=[model.version.set(expected_version + 1)], condition=condition
                )
                transaction.save(_to_item(entry))
        except TransactWriteError as error:
            if _lost_the_race(error):
                return False
            raise
        return True

    def _put(self, entry: LedgerEntry) -> bool:
        model = self._model
        try:
            _to_item(entry).save(
                condition=model.entry_key.does_not_exist()
                | ((model.decision != SENT) & (model.decision != RESERVED))
            )
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _settle(self, entry: LedgerEntry) -> bool:
        try:
            _to_item(entry).save(condition=self._model.decision == RESERVED)
        except PutError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise
        return True


# ---------------------------------------------------------------------------- in memory


class InMemoryContactLedger(LedgerBase):
    """Same semantics as ContactLedger, in a dict guarded by a lock (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[str, int] = {}
        self._items: dict[str, dict[str, LedgerEntry]] = {}

    def _head_version(self, account_id: str) -> int:
        with self._lock:
            return self._versions.get(account_id, 0)

    def _entries(self, account_id: str, since: datetime) -> list[LedgerEntry]:
        low = time_key(since)
        with self._lock:
            items = self._items.get(account_id, {})
            return [items[key] for key in sorted(items) if key >= low]

    def _get(self, account_id: str, key: str) -> LedgerEntry | None:
        with self._lock:
            return self._items.get(account_id, {}).get(key)

    def _commit_sent(self, entry: LedgerEntry, expected_version: int) -> bool:
        with self._lock:
            if self._versions.get(entry.account_id, 0) != expected_version:
                return False
            self._versions[entry.account_id] = expected_version + 1
            self._items.setdefault(entry.account_id, {})[entry.entry_key] = entry
            return True

    def _put(self, entry: LedgerEntry) -> bool:
        with self._lock:
            items = self._items.setdefault(entry.account_id, {})
            current = items.get(entry.entry_key)
            if current is not None and current.decision in TAKEN_DECISIONS:
                return False
            items[entry.entry_key] = entry
            return True

    def _settle(self, entry: LedgerEntry) -> bool:
        with self._lock:
            items = self._items.setdefault(entry.account_id, {})
            current = items.get(entry.entry_key)
            if current is None or current.decision != RESERVED:
                return False
            items[entry.entry_key] = entry
            return True
