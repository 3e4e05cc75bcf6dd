"""The shape of the deployed system, as plain data.

One source of truth read by three consumers:
- ``infra/`` builds the CDK stack from it (tables, bus, rules, queues, functions,
  state machines and their ``${Placeholder}`` substitutions);
- ``arrears.local`` stands up the same resources on moto for the embedded default;
- ``adapters.models`` (pynamodb) mirrors the table specs, and tests prove all three agree.

Nothing here imports AWS or CDK code, so the Lambda package can carry it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from arrears import constants as c

AttrType = Literal["S", "N"]

PACKAGE_DIR = Path(__file__).resolve().parent
# statemachines/ sits at the repository root; the Lambda asset never needs it.
REPO_ROOT = PACKAGE_DIR.parent.parent
STATEMACHINES_DIR = REPO_ROOT / "statemachines"


@dataclass(frozen=True)
class Key:
    name: str
    type: AttrType = "S"


@dataclass(frozen=True)
class IndexSpec:
    name: str
    partition_key: Key
    sort_key: Key | None = None
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


@dataclass(frozen=True)
class TableSpec:
    construct_id: str
    env_var: str  # the Lambda environment variable carrying the physical name
    local_name: str  # physical name on the local runtime
    partition_key: Key
    sort_key: Key | None = None
    ttl_attribute: str | None = None
    indexes: tuple[IndexSpec, ...] = ()
    # a DynamoDB stream on the table ("NEW_IMAGE"...), read by a function (None: no stream)
    stream: str | None = None


CASES = TableSpec(
    construct_id="CasesTable",
    env_var=c.ENV_CASES_TABLE,
    local_name="arrears-cases",
    partition_key=Key("case_id"),
    indexes=(
        # every cycle of one account, newest last
        IndexSpec("by_account", Key("account_id"), Key("cycle", "N")),
        # sparse: only cases waiting on a human (agent call, legal review) carry `queue`
        IndexSpec("work_queue", Key("queue"), Key("queue_due_at")),
        # sparse: open cases whose delinquency bucket changes by itself (the daily sweep)
        IndexSpec("delinquency_due", Key("dpd_shard"), Key("dpd_next_at"), "KEYS_ONLY"),
    ),
)
BORROWERS = TableSpec(
    construct_id="BorrowersTable",
    env_var=c.ENV_BORROWERS_TABLE,
    local_name="arrears-borrowers",
    partition_key=Key("account_id"),
)
CONTACT_LEDGER = TableSpec(
    construct_id="ContactLedgerTable",
    env_var=c.ENV_CONTACT_LEDGER_TABLE,
    local_name="arrears-contact-ledger",
    partition_key=Key("account_id"),
    sort_key=Key("entry_key"),
    ttl_attribute="expires_at",
)
TIMELINE = TableSpec(
    construct_id="TimelineTable",
    env_var=c.ENV_TIMELINE_TABLE,
    local_name="arrears-timeline",
    partition_key=Key("case_id"),
    sort_key=Key("entry_key"),
    ttl_attribute="expires_at",
)
# Schema fixed by Powertools Idempotency's DynamoDB persistence layer.
IDEMPOTENCY = TableSpec(
    construct_id="IdempotencyTable",
    env_var=c.ENV_IDEMPOTENCY_TABLE,
    local_name="arrears-idempotency",
    partition_key=Key("id"),
    ttl_attribute="expiration",
)
# SMS message id -> account and case, remembered when an SMS is sent: SNS's SMS
# delivery-status records name only the message id (and the phone number), so this is how
# a failed text finds its borrower without a lookup by number (docs/notices.md). Kept for
# as long as a delivery report can take to arrive.
SENT_MESSAGES = TableSpec(
    construct_id="SentMessagesTable",
    env_var=c.ENV_SENT_MESSAGES_TABLE,
    local_name="arrears-sent-messages",
    partition_key=Key("message_id"),
    ttl_attribute="expires_at",
)
# Portal links (docs/portal.md): one item per link, keyed by the SHA-256 of its token (the
# token itself is never stored), plus short-lived rate-limit counters; both expire by TTL.
LINKS = TableSpec(
    construct_id="LinksTable",
    env_var=c.ENV_LINKS_TABLE,
    local_name="arrears-links",
    partition_key=Key("link_id"),
    ttl_attribute="expires_at",
)
# Outbound events (docs/integrations.md): one item per fact, per case in `sequence` order,
# written in the same transaction as the case change that records the fact; its stream
# feeds the publisher, which puts each on the bus once.
OUTBOX = TableSpec(
    construct_id="OutboxTable",
    env_var=c.ENV_OUTBOX_TABLE,
    local_name="arrears-outbox",
    partition_key=Key("case_id"),
    sort_key=Key("sequence", "N"),
    ttl_attribute="expires_at",
    stream="NEW_IMAGE",
)
TABLES: tuple[TableSpec, ...] = (
    CASES,
    BORROWERS,
    CONTACT_LEDGER,
    TIMELINE,
    IDEMPOTENCY,
    SENT_MESSAGES,
    LINKS,
    OUTBOX,
)


@dataclass(frozen=True)
class RuleSpec:
    construct_id: str
    local_name: str
    event_pattern: dict[str, list[str]]


PAYMENT_STATUS_RULE = RuleSpec(
    construct_id="PaymentStatusRule",
    local_name="arrears-payment-status",
    event_pattern={"source": [c.SOURCE_PAYMENTS], "detail-type": [c.DETAIL_PAYMENT_STATUS]},
)
BORROWER_REPLY_RULE = RuleSpec(
    construct_id="BorrowerReplyRule",
    local_name="arrears-borrower-reply",
    event_pattern={"source": [c.SOURCE_MESSAGING], "detail-type": [c.DETAIL_BORROWER_REPLIED]},
)
CREDIT_LINE_ACK_RULE = RuleSpec(
    construct_id="CreditLineAckRule",
    local_name="arrears-credit-line-ack",
    event_pattern={"source": [c.SOURCE_WALLET_CREDIT], "detail-type": [c.DETAIL_CREDIT_LINE_ACK]},
)
# Every rule delivers to the one ingest queue; the ingest handler routes by detail-type.
RULES: tuple[RuleSpec, ...] = (PAYMENT_STATUS_RULE, BORROWER_REPLY_RULE, CREDIT_LINE_ACK_RULE)


@dataclass(frozen=True)
class QueueSpec:
    construct_id: str
    local_name: str
    dlq_construct_id: str
    dlq_local_name: str
    visibility_timeout_seconds: int
    max_receive_count: int
    batch_size: int
    dlq_retention_days: int = 14
    # the event source's maximum concurrency (batches in flight); None: Lambda's own scaling
    max_concurrency: int | None = None


INGEST_QUEUE = QueueSpec(
    construct_id="IngestQueue",
    local_name="arrears-ingest",
    dlq_construct_id="IngestDeadLetterQueue",
    dlq_local_name="arrears-ingest-dlq",
    # six times the ingest function's timeout, as AWS recommends for SQS event sources
    visibility_timeout_seconds=180,
    # a transient fault (throttled writes) gets ten tries, half an hour apart at most, before
    # the record goes to the DLQ; malformed records go there at once, so nothing loops long
    max_receive_count=10,
    batch_size=10,
    # 25 batches of 10 in flight, about a second each: ~250 StartExecution calls a second,
    # under Step Functions' refill of 300 a second, so a month-start burst waits in SQS
    # instead of being throttled (docs/scale.md)
    max_concurrency=25,
)


@dataclass(frozen=True)
class FunctionSpec:
    construct_id: str
    handler: str  # module:function inside the Lambda package
    local_name: str
    memory_mb: int = 512
    timeout_seconds: int = 30
    # which tables it reads/writes; infra grants exactly these, plus its extras
    tables: tuple[TableSpec, ...] = ()
    # run every N minutes on an EventBridge schedule (None: invoked by something else)
    schedule_minutes: int | None = None


INGEST_FUNCTION = FunctionSpec(
    construct_id="IngestFunction",
    handler="arrears.handlers.ingest.handler",
    local_name="arrears-ingest",
    tables=(CASES, BORROWERS, TIMELINE, IDEMPOTENCY, OUTBOX),
)
ASSESS_FUNCTION = FunctionSpec(
    construct_id="AssessFunction",
    handler="arrears.handlers.assess.handler",
    local_name="arrears-assess",
    tables=(CASES, BORROWERS, TIMELINE, OUTBOX),
)
CONTACT_FUNCTION = FunctionSpec(
    construct_id="ContactFunction",
    handler="arrears.handlers.contact.handler",
    local_name="arrears-contact",
    # LINKS: every SMS and email carries a new portal link (docs/portal.md)
    tables=(CASES, BORROWERS, CONTACT_LEDGER, TIMELINE, SENT_MESSAGES, LINKS, OUTBOX),
)
LETTER_FUNCTION = FunctionSpec(
    construct_id="LetterFunction",
    handler="arrears.handlers.letter.handler",
    local_name="arrears-letter",
    memory_mb=1024,
    timeout_seconds=60,
    tables=(CASES, BORROWERS, CONTACT_LEDGER, TIMELINE, OUTBOX),
)
RECORD_FUNCTION = FunctionSpec(
    construct_id="RecordFunction",
    handler="arrears.handlers.record.handler",
    local_name="arrears-record",
    tables=(CASES, BORROWERS, TIMELINE, OUTBOX),
)
# Checks, applies and records one ops action (statemachines/ops-action.asl.json)
OPS_FUNCTION = FunctionSpec(
    construct_id="OpsFunction",
    handler="arrears.handlers.ops.handler",
    local_name="arrears-ops",
    # the ledger: an agent call that reached the borrower starts the Reg F quiet period
    tables=(CASES, BORROWERS, TIMELINE, CONTACT_LEDGER, OUTBOX),
)
# Counts the work queue (agent calls, legal reviews waiting) for the dashboard
QUEUE_METRICS_FUNCTION = FunctionSpec(
    construct_id="QueueMetricsFunction",
    handler="arrears.handlers.queue_metrics.handler",
    local_name="arrears-queue-metrics",
    memory_mb=256,
    tables=(CASES,),
    schedule_minutes=5,
)
# Delivery outcomes -> borrower reachability (docs/notices.md): SES bounce, complaint,
# delivery and reject events arrive through the delivery-events topic, SNS SMS
# delivery-status failures through a CloudWatch Logs subscription
DELIVERY_FUNCTION = FunctionSpec(
    construct_id="DeliveryFunction",
    handler="arrears.handlers.delivery.handler",
    local_name="arrears-delivery",
    memory_mb=256,
    tables=(BORROWERS, TIMELINE, SENT_MESSAGES),
)
# The borrower portal behind the HTTP API (docs/portal.md): pages, knowledge check, and
# the borrower's actions through the ops domain (it wakes the case's execution itself)
PORTAL_FUNCTION = FunctionSpec(
    construct_id="PortalFunction",
    handler="arrears.handlers.portal.handler",
    local_name="arrears-portal",
    timeout_seconds=10,
    tables=(CASES, BORROWERS, TIMELINE, LINKS, OUTBOX),
)
# Daily: every open case whose days past due cross into another bucket today
# (steps/delinquency.py); reads the sparse delinquency_due index, never the whole table
DELINQUENCY_FUNCTION = FunctionSpec(
    construct_id="DelinquencyFunction",
    handler="arrears.handlers.delinquency.handler",
    local_name="arrears-delinquency",
    timeout_seconds=900,
    # borrowers: the country whose compliance pack maps the monthly bureau report
    tables=(CASES, BORROWERS, TIMELINE, OUTBOX),
    schedule_minutes=24 * 60,
)
# Outbox stream -> the lender's bus: each outbound event put once (docs/integrations.md)
PUBLISHER_FUNCTION = FunctionSpec(
    construct_id="PublisherFunction",
    handler="arrears.handlers.publisher.handler",
    local_name="arrears-publisher",
    memory_mb=256,
    tables=(OUTBOX,),
)
# the stream's event source: records per batch, and how often a failed batch is retried
# before its records go to the publisher's dead-letter queue
OUTBOX_STREAM_BATCH_SIZE = 25
OUTBOX_STREAM_RETRY_ATTEMPTS = 10
PUBLISHER_DLQ_CONSTRUCT_ID = "PublisherDeadLetterQueue"
FUNCTIONS: tuple[FunctionSpec, ...] = (
    INGEST_FUNCTION,
    ASSESS_FUNCTION,
    CONTACT_FUNCTION,
    LETTER_FUNCTION,
    RECORD_FUNCTION,
    OPS_FUNCTION,
    QUEUE_METRICS_FUNCTION,
    DELIVERY_FUNCTION,
    PORTAL_FUNCTION,
    PUBLISHER_FUNCTION,
    DELINQUENCY_FUNCTION,
)


@dataclass(frozen=True)
class StateMachineSpec:
    construct_id: str
    local_name: str
    definition_file: str  # under statemachines/
    # Lambda environment variable carrying this state machine's ARN (None: not exposed)
    env_var: str | None = None
    # ${Placeholder} -> what it stands for: ("table", TableSpec) / ("function", FunctionSpec)
    # / ("topic", construct id) / ("bus", construct id)
    substitutions: dict[str, tuple[str, object]] = field(default_factory=dict)
    # Calls states:SendTaskSuccess/SendTaskFailure itself (aws-sdk:sfn integration) to wake
    # other executions; task tokens are not resources, so infra grants these on "*".
    sends_task_callbacks: bool = False
    # Refused input ends the execution in a Fail state on purpose (ops actions), so a failed
    # execution is not an incident: infra alarms on its functions' errors and on timed-out
    # or aborted executions instead.
    refusal_fails_execution: bool = False

    @property
    def definition_path(self) -> Path:
        return STATEMACHINES_DIR / self.definition_file


ESCALATION = StateMachineSpec(
    construct_id="EscalationStateMachine",
    local_name="arrears-escalation",
    definition_file="escalation.asl.json",
    env_var=c.ENV_ESCALATION_STATE_MACHINE_ARN,
    substitutions={
        "CasesTable": ("table", CASES),
        "AssessFunctionArn": ("function", ASSESS_FUNCTION),
        "ContactFunctionArn": ("function", CONTACT_FUNCTION),
        "LetterFunctionArn": ("function", LETTER_FUNCTION),
        "RecordFunctionArn": ("function", RECORD_FUNCTION),
        # legal review past its deadline: alert ops directly (sns:publish), no Lambda
        "OpsAlertsTopicArn": ("topic", "OpsAlertsTopic"),  # = OPS_TOPIC_CONSTRUCT_ID below
    },
)
# One operator action per execution, started from the console (docs/ops.md)
OPS_ACTION = StateMachineSpec(
    construct_id="OpsActionStateMachine",
    local_name="arrears-ops-action",
    definition_file="ops-action.asl.json",
    substitutions={"OpsFunctionArn": ("function", OPS_FUNCTION), "CasesTable": ("table", CASES)},
    sends_task_callbacks=True,
    refusal_fails_execution=True,
)
STATE_MACHINES: tuple[StateMachineSpec, ...] = (ESCALATION, OPS_ACTION)

# EventBridge Scheduler: the one-time schedules that resume parked cases (domain/parking.py)
RESUME_SCHEDULE_GROUP_CONSTRUCT_ID = "ResumeScheduleGroup"
RESUME_SCHEDULE_GROUP_LOCAL_NAME = "arrears-resume"
RESUME_SCHEDULER_ROLE_CONSTRUCT_ID = "ResumeSchedulerRole"
# the functions that create (record: park) and delete (assess: resume) resume schedules
RESUME_SCHEDULE_WRITERS: tuple[FunctionSpec, ...] = (RECORD_FUNCTION, ASSESS_FUNCTION)

EVENT_BUS_CONSTRUCT_ID = "EventBus"
EVENT_BUS_LOCAL_NAME = "arrears"
OPS_TOPIC_CONSTRUCT_ID = "OpsAlertsTopic"
OPS_TOPIC_LOCAL_NAME = "arrears-ops-alerts"
LETTERS_BUCKET_CONSTRUCT_ID = "LettersBucket"
LETTERS_BUCKET_LOCAL_NAME = "arrears-letters"
# The SES configuration set every email is sent with; its event destination publishes
# bounces, complaints, deliveries and rejects to the delivery-events topic, which the
# delivery function is subscribed to (with a dead-letter queue)
EMAIL_CONFIGURATION_SET_CONSTRUCT_ID = "EmailConfigurationSet"
EMAIL_CONFIGURATION_SET_LOCAL_NAME = "arrears-email"
DELIVERY_TOPIC_CONSTRUCT_ID = "DeliveryEventsTopic"
DELIVERY_TOPIC_LOCAL_NAME = "arrears-delivery-events"
DELIVERY_TOPIC_SUBSCRIBER = DELIVERY_FUNCTION
# SES event types published to the topic (names as SES v2 spells them)
DELIVERY_EVENT_TYPES: tuple[str, ...] = ("BOUNCE", "COMPLAINT", "DELIVERY", "REJECT")
# what SNS could not deliver to the delivery function, and its failed invocations
DELIVERY_DLQ_CONSTRUCT_ID = "DeliveryDeadLetterQueue"
DELIVERY_DLQ_LOCAL_NAME = "arrears-delivery-dlq"
# the async retries Lambda makes before an invocation goes to the dead-letter queue
DELIVERY_RETRY_ATTEMPTS = 2
