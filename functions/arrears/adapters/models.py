"""pynamodb models of the Arrears tables.

Keys, indexes and TTL mirror ``arrears.topology`` (tests/unit/test_models_match_topology.py
fails if they drift). Table names come from the Lambda environment (the variable each
TableSpec names) and fall back to the local runtime's physical names, so the same models
work deployed, on the local runtime and in unit tests.

Every write to these tables is an UpdateItem of the attributes the writer owns (see
``adapters.cases``), never a whole-item PutItem over an existing item: the escalation
state machine writes some attributes (task_token, waiting_for) directly, and a PutItem
would wipe them.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, ClassVar

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.connection import Connection, TableConnection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from arrears import topology
from arrears.topology import TableSpec


def table_name(spec: TableSpec) -> str:
    return os.environ.get(spec.env_var) or spec.local_name


def aws_region() -> str:
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"


class _Meta:
    """Shared Meta settings; each model's Meta adds its table name."""

    region = aws_region()
    billing_mode = "PAY_PER_REQUEST"


_connections: dict[tuple[str, str | None], Connection] = {}


def shared_connection(region: str, host: str | None = None) -> Connection:
    """One pynamodb connection per region for every table and transaction. pynamodb would
    build one per table, each with its own botocore session that parses DynamoDB's service
    model again on its first call: a tenth of a second per table on a Lambda cold start."""
    key = (region, host)
    if key not in _connections:
        _connections[key] = Connection(region=region, host=host)
    return _connections[key]


class _TableModel(Model):
    """A model whose table connection sends through :func:`shared_connection`."""

    @classmethod
    def _get_connection(cls) -> TableConnection:
        table = super()._get_connection()
        shared = shared_connection(cls.Meta.region or aws_region(), getattr(cls.Meta, "host", None))
        if table.connection is not shared:
            meta_table = table.connection.get_meta_table(cls.Meta.table_name)
            # ValueError: known already, the model was bound again (bind_tables)
            with contextlib.suppress(ValueError):
                shared.add_meta_table(meta_table)
            table.connection = shared
        return table

    def update_unread(self, actions: list[Any], condition: Any = None) -> None:
        """UpdateItem without reading the item back. ``Model.update`` asks for ALL_NEW and
        loads it into the model: a whole case or outbox event per write, where these
        callers only need to know whether the condition held (UpdateError when not)."""
        hash_key, range_key = self._get_hash_range_key_serialized_values()
        self._get_connection().update_item(
            hash_key, range_key=range_key, actions=actions, condition=condition
        )


# --------------------------------------------------------------------------- Cases


class CasesByAccountIndex(GlobalSecondaryIndex["CaseModel"]):
    """Every cycle of one account, ordered by cycle (query descending for the latest)."""

    class Meta:
        index_name = "by_account"
        projection = AllProjection()

    account_id = UnicodeAttribute(hash_key=True)
    cycle = NumberAttribute(range_key=True)


class WorkQueueIndex(GlobalSecondaryIndex["CaseModel"]):
    """Sparse: only cases waiting on a human carry `queue` ("AGENT_CALL" / "LEGAL_REVIEW")."""

    class Meta:
        index_name = "work_queue"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)
    queue_due_at = UnicodeAttribute(range_key=True)


class DelinquencyDueIndex(GlobalSecondaryIndex["CaseModel"]):
    """Sparse: open cases whose delinquency bucket changes by itself on `dpd_next_at`."""

    class Meta:
        index_name = "delinquency_due"
        projection = KeysOnlyProjection()

    dpd_shard = UnicodeAttribute(hash_key=True)
    dpd_next_at = UnicodeAttribute(range_key=True)


class CaseModel(_TableModel):
    SPEC: ClassVar[TableSpec] = topology.CASES

    class Meta(_Meta):
        table_name = table_name(topology.CASES)

    case_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    cycle = NumberAttribute()
    status = UnicodeAttribute()
    stage = UnicodeAttribute()
    balance = UnicodeAttribute()  # decimal string
    currency = UnicodeAttribute()
    # obligation id -> outstanding amount (decimal string)
    obligations = MapAttribute[str, Any](default=dict)
    # obligation id -> the producer's split {amount_due, principal, interest, fees}
    stated_splits = MapAttribute[str, Any](null=True)
    due_date = UnicodeAttribute(null=True)  # ISO date
    opened_at = UnicodeAttribute()  # ISO UTC
    closed_at = UnicodeAttribute(null=True)
    outcome = UnicodeAttribute(null=True)
    segment = UnicodeAttribute(null=True)
    score = NumberAttribute(null=True)
    model_version = UnicodeAttribute(null=True)
    task_token = UnicodeAttribute(null=True)
    waiting_for = UnicodeAttribute(null=True)
    pending_wake = UnicodeAttribute(null=True)  # JSON wake output parked for the next wait
    parked = UnicodeAttribute(null=True)  # JSON: where a parked case resumes (domain/parking)
    done_actions = UnicodeSetAttribute(null=True)  # "<stage>#<channel>"
    queue = UnicodeAttribute(null=True)
    queue_due_at = UnicodeAttribute(null=True)  # ISO UTC
    # the queue "Wait for legal review decision" lists the case in (LEGAL_REVIEW if absent)
    decision_queue = UnicodeAttribute(null=True)
    # set by the escalation when a step failed after its retries (state, error, cause, since)
    needs_attention = MapAttribute[str, Any](null=True)
    last_sequence = NumberAttribute(default=0)
    execution_name = UnicodeAttribute(null=True)
    policy_version = UnicodeAttribute(null=True)
    arm = UnicodeAttribute(null=True)
    pending_since = UnicodeAttribute(null=True)  # ISO UTC
    resume_status = UnicodeAttribute(null=True)  # status to restore if the payment fails
    # a claimed payment ops are to find (ISO UTC): the PAYMENT_RECONCILIATION queue's deadline
    reconcile_by = UnicodeAttribute(null=True)
    payment_claimed_at = UnicodeAttribute(null=True)  # ISO UTC, when the borrower said so
    last_payment_status = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    version = NumberAttribute(default=0)
    # the sequence number of the last outbound event stored in the outbox
    out_seq = NumberAttribute(null=True)
    dpd_bucket = UnicodeAttribute(null=True)
    dpd_shard = UnicodeAttribute(null=True)
    dpd_next_at = UnicodeAttribute(null=True)  # ISO date
    credit_line = UnicodeAttribute(null=True)  # frozen / reduced / restored (requested)
    agency = UnicodeAttribute(null=True)  # placed with this collection agency (ops)
    agency_file = UnicodeAttribute(null=True)  # S3 key of the case file it received
    bureau_period = UnicodeAttribute(null=True)  # last month reported to the bureau

    by_account = CasesByAccountIndex()
    work_queue = WorkQueueIndex()
    delinquency_due = DelinquencyDueIndex()


# --------------------------------------------------------------------------- Borrowers


class BorrowerModel(_TableModel):
    """Holds PII (name, phone, email): read it, never log it."""

    SPEC: ClassVar[TableSpec] = topology.BORROWERS

    class Meta(_Meta):
        table_name = table_name(topology.BORROWERS)

    account_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)  # E.164
    email = UnicodeAttribute(null=True)
    locale = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)  # IANA
    country = UnicodeAttribute(null=True)  # ISO 3166-1 alpha-2
    verified_channels = UnicodeSetAttribute(null=True)
    opted_out = UnicodeSetAttribute(null=True)
    cease_communication = BooleanAttribute(default=False)
    flags = UnicodeSetAttribute(null=True)
    last_sequence = NumberAttribute(null=True)
    last_event_id = UnicodeAttribute(null=True)
    open_case_id = UnicodeAttribute(null=True)
    cycle = NumberAttribute(default=0)
    # reachability, written by the contact adapters
    email_bounced = BooleanAttribute(default=False)
    sms_failed = BooleanAttribute(default=False)
    # when the message behind each flag was sent (ISO UTC micro): a delivery report about
    # an older message is stale and changes nothing (adapters.delivery)
    email_reachability_at = UnicodeAttribute(null=True)
    sms_reachability_at = UnicodeAttribute(null=True)
    # the optional `account` block of PaymentStatusChanged (risk-scoring inputs)
    credit_limit = UnicodeAttribute(null=True)  # decimal string
    account_opened_at = UnicodeAttribute(null=True)  # ISO date
    prior_delinquencies = NumberAttribute(null=True)
    prior_cures = NumberAttribute(null=True)
    on_time_payment_ratio = UnicodeAttribute(null=True)  # decimal string
    # latest DUE_SOON (issue 6)
    due_soon_obligation_id = UnicodeAttribute(null=True)
    due_soon_due_date = UnicodeAttribute(null=True)
    due_soon_amount = UnicodeAttribute(null=True)
    due_soon_currency = UnicodeAttribute(null=True)
    due_soon_seen_at = UnicodeAttribute(null=True)
    updated_at = UnicodeAttribute(null=True)
    # the portal's knowledge check: kind, salt and a hash of the answer (JSON), never the answer
    knowledge_check = UnicodeAttribute(null=True)
    # contact preferences set on the portal (docs/portal.md)
    preferred_channel = UnicodeAttribute(null=True)
    preferred_hours = UnicodeAttribute(null=True)  # "9-18", local hours


# --------------------------------------------------------------------------- Timeline


class TimelineModel(_TableModel):
    SPEC: ClassVar[TableSpec] = topology.TIMELINE

    class Meta(_Meta):
        table_name = table_name(topology.TIMELINE)

    case_id = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)  # "<at ISO UTC micro>#<6-digit seq>"
    at = UnicodeAttribute()
    kind = UnicodeAttribute()
    actor = UnicodeAttribute()
    detail = MapAttribute[str, Any](default=dict)  # no PII
    expires_at = TTLAttribute(null=True)


# --------------------------------------------------------------------------- Outbox


class OutboxModel(_TableModel):
    """One outbound event (domain/outbound.py), written with the case change it reports."""

    SPEC: ClassVar[TableSpec] = topology.OUTBOX

    class Meta(_Meta):
        table_name = table_name(topology.OUTBOX)

    case_id = UnicodeAttribute(hash_key=True)
    sequence = NumberAttribute(range_key=True)
    type = UnicodeAttribute()
    occurred_at = UnicodeAttribute()  # ISO UTC
    detail = UnicodeAttribute()  # the event's detail, JSON (no PII)
    # set by the publisher: "sending" before PutEvents, "published" after it
    state = UnicodeAttribute(null=True)
    claimed_at = UnicodeAttribute(null=True)
    published_at = UnicodeAttribute(null=True)
    bus_event_id = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)


# --------------------------------------------------------------------------- Contact ledger


class ContactLedgerModel(_TableModel):
    """Ledger items and the per-account HEAD item (only ``version`` set); adapters.ledger."""

    SPEC: ClassVar[TableSpec] = topology.CONTACT_LEDGER

    class Meta(_Meta):
        table_name = table_name(topology.CONTACT_LEDGER)

    account_id = UnicodeAttribute(hash_key=True)
    entry_key = UnicodeAttribute(range_key=True)  # "<at ISO UTC>#<channel>#<case_id>" | HEAD
    case_id = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    template = UnicodeAttribute(null=True)
    decision = UnicodeAttribute(null=True)  # reserved | sent | failed | deferred | blocked
    reason = UnicodeAttribute(null=True)
    rule = UnicodeAttribute(null=True)
    at = UnicodeAttribute(null=True)  # ISO UTC
    local_time = UnicodeAttribute(null=True)
    not_before = UnicodeAttribute(null=True)  # ISO UTC, deferred only
    conversation = BooleanAttribute(null=True)
    attempt = BooleanAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    message_id = UnicodeAttribute(null=True)  # the provider's, sent entries only
    version = NumberAttribute(null=True)  # HEAD only


# --------------------------------------------------------------------------- Sent messages


class SentMessageModel(_TableModel):
    """SMS message id -> account and case (adapters.sent_messages); no phone number."""

    SPEC: ClassVar[TableSpec] = topology.SENT_MESSAGES

    class Meta(_Meta):
        table_name = table_name(topology.SENT_MESSAGES)

    message_id = UnicodeAttribute(hash_key=True)
    account_id = UnicodeAttribute()
    case_id = UnicodeAttribute(null=True)
    channel = UnicodeAttribute()
    sent_at = UnicodeAttribute()  # ISO UTC
    expires_at = TTLAttribute(null=True)


class LinkModel(_TableModel):
    """A portal link (``link_id`` = ``tok#`` + SHA-256 of the token), a one-time form token
    (``nonce#...``) or a rate-limit counter (``rate#...``). No PII and never the token
    (docs/portal.md)."""

    SPEC: ClassVar[TableSpec] = topology.LINKS

    class Meta(_Meta):
        table_name = table_name(topology.LINKS)

    link_id = UnicodeAttribute(hash_key=True)
    case_id = UnicodeAttribute(null=True)
    account_id = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)  # ISO UTC
    valid_until = UnicodeAttribute(null=True)  # ISO UTC: the link's expiry (TTL is later)
    revoked = BooleanAttribute(default=False)
    failed_checks = NumberAttribute(default=0)
    session_hash = UnicodeAttribute(null=True)
    session_until = UnicodeAttribute(null=True)
    # a one-time form token's item (``nonce#<sha256>``): the link it belongs to
    link = UnicodeAttribute(null=True)
    hits = NumberAttribute(null=True)  # rate-limit counters
    expires_at = TTLAttribute(null=True)


# Every model of a topology table, for the drift test and for rebinding table names.
MODELS: tuple[type[Model], ...] = (
    CaseModel,
    BorrowerModel,
    TimelineModel,
    ContactLedgerModel,
    SentMessageModel,
    LinkModel,
    OutboxModel,
)
# The Idempotency table has no model on purpose: Powertools owns its schema.


def bind_tables(env: dict[str, str] | None = None) -> None:
    """Re-read table names and region (the local runtime sets env after import).

    Drops each model's cached connection so the next call uses the new names.
    """
    source = os.environ if env is None else env
    region = source.get("AWS_REGION") or source.get("AWS_DEFAULT_REGION") or aws_region()
    for model in MODELS:
        spec: TableSpec = model.SPEC  # type: ignore[attr-defined]
        model.Meta.table_name = source.get(spec.env_var) or spec.local_name
        model.Meta.region = region
        model._connection = None
