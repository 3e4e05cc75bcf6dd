"""Names shared by infra/ and the functions: environment variables and event contract."""

SERVICE_NAME = "arrears"
METRICS_NAMESPACE = "Arrears"

# Lambda environment variables (read only through arrears.settings)
ENV_CASES_TABLE = "ARREARS_CASES_TABLE"
ENV_BORROWERS_TABLE = "ARREARS_BORROWERS_TABLE"
ENV_CONTACT_LEDGER_TABLE = "ARREARS_CONTACT_LEDGER_TABLE"
ENV_TIMELINE_TABLE = "ARREARS_TIMELINE_TABLE"
ENV_IDEMPOTENCY_TABLE = "ARREARS_IDEMPOTENCY_TABLE"
ENV_SENT_MESSAGES_TABLE = "ARREARS_SENT_MESSAGES_TABLE"
# the borrower portal (docs/portal.md)
ENV_LINKS_TABLE = "ARREARS_LINKS_TABLE"
ENV_PORTAL_URL = "ARREARS_PORTAL_URL"  # https://portal.example.com (no trailing /)
ENV_PORTAL_MAC_KEY_ID = "ARREARS_PORTAL_MAC_KEY_ID"  # KMS HMAC key: payment references
# the local runtime's signing secret when no KMS key is configured (never set on AWS)
ENV_PORTAL_SIGNING_SECRET = "ARREARS_PORTAL_SIGNING_SECRET"
ENV_OUTBOX_TABLE = "ARREARS_OUTBOX_TABLE"
ENV_ESCALATION_STATE_MACHINE_ARN = "ARREARS_ESCALATION_STATE_MACHINE_ARN"
ENV_EVENT_BUS_NAME = "ARREARS_EVENT_BUS_NAME"
ENV_LETTERS_BUCKET = "ARREARS_LETTERS_BUCKET"
ENV_OPS_TOPIC_ARN = "ARREARS_OPS_TOPIC_ARN"
ENV_KMS_KEY_ARN = "ARREARS_KMS_KEY_ARN"
ENV_POLICY_FILE = "ARREARS_POLICY_FILE"
# pdf (the default) | hash | none: how letters are rendered and stored (arrears simulate)
ENV_LETTERS_MODE = "ARREARS_LETTERS_MODE"
ENV_SMS_SENDER_ID = "ARREARS_SMS_SENDER_ID"
ENV_EMAIL_FROM = "ARREARS_EMAIL_FROM"
# Optional: a dedicated SMS origination number (toll-free / 10DLC) and the SES
# configuration set whose event destination reports bounces and complaints.
ENV_SMS_ORIGINATION_NUMBER = "ARREARS_SMS_ORIGINATION_NUMBER"
ENV_EMAIL_CONFIGURATION_SET = "ARREARS_EMAIL_CONFIGURATION_SET"
# ingest sends malformed events to its DLQ itself, with the validation error attached
ENV_INGEST_DLQ_URL = "ARREARS_INGEST_DLQ_URL"
# parking cases between far-apart stages (domain/parking.py, docs/scale.md): waits longer
# than this many days end the execution; 0 keeps every case's execution open
ENV_PARK_AFTER_DAYS = "ARREARS_PARK_AFTER_DAYS"
DEFAULT_PARK_AFTER_DAYS = "2"
# the EventBridge Scheduler group the resume schedules live in, and the role they run as
ENV_RESUME_SCHEDULE_GROUP = "ARREARS_RESUME_SCHEDULE_GROUP"
ENV_RESUME_SCHEDULER_ROLE_ARN = "ARREARS_RESUME_SCHEDULER_ROLE_ARN"
# compliance pack for borrowers whose country no pack covers (default: "default")
ENV_COMPLIANCE_DEFAULT_PACK = "ARREARS_COMPLIANCE_DEFAULT_PACK"

# Event contract (../shared/DESIGN.md, docs/events.md)
SOURCE_PAYMENTS = "wallet.payments"
DETAIL_PAYMENT_STATUS = "PaymentStatusChanged"
SOURCE_MESSAGING = "wallet.messaging"
DETAIL_BORROWER_REPLIED = "BorrowerReplied"
# the wallet's answer to a CreditLineActionRequested (docs/integrations.md)
SOURCE_WALLET_CREDIT = "wallet.credit"
DETAIL_CREDIT_LINE_ACK = "CreditLineActionAcknowledged"
# Events Arrears itself publishes on its bus
SOURCE_ARREARS = "arrears"
DETAIL_LETTER_READY = "LetterReadyForDispatch"

# How long an event_id is remembered: longer than EventBridge's 24-hour retry window.
IDEMPOTENCY_TTL_SECONDS = 72 * 3600

# Business metrics (Powertools EMF, namespace METRICS_NAMESPACE, dimension service=SERVICE_NAME
# plus the ones named). Handlers emit these names and the CDK dashboard and alarms graph
# them, so both import them from here; tests/infra checks that every graphed name is emitted.
METRIC_CASES_OPENED = "CasesOpened"  # ingest, a new case
METRIC_CASES_CLOSED = "CasesClosed"  # ingest, a payment event closed the case; outcome
METRIC_CASE_RESOLVED = "CaseResolved"  # escalation record step, case resolved; outcome
METRIC_AMOUNT_RECOVERED = "AmountRecovered"  # ingest, balance reduction by a payment; currency
METRIC_CONTACT_SENT = "ContactSent"  # contact step; channel, reason (= stage)
METRIC_CONTACT_FAILED = "ContactFailed"  # contact step; channel, reason (provider code)
METRIC_CONTACT_DEFERRED = "ContactDeferred"  # channel, reason
METRIC_CONTACT_BLOCKED = "ContactBlocked"  # channel, reason
# every blocked contact again, service dimension only: the one series an alarm can watch
METRIC_CONTACT_BLOCKED_TOTAL = "ContactBlockedTotal"
METRIC_LETTERS_STORED = "LettersStored"  # letter step; kind
METRIC_AGENT_TASKS_WAITING = "AgentTasksWaiting"  # scheduled work-queue gauge
METRIC_AGENT_TASKS_OVERDUE = "AgentTasksOverdue"
METRIC_LEGAL_REVIEWS_WAITING = "LegalReviewsWaiting"
METRIC_LEGAL_REVIEWS_OVERDUE = "LegalReviewsOverdue"
METRIC_LEGAL_REVIEWS_ESCALATED = "LegalReviewsEscalated"  # past the review's alerts: a manager
METRIC_REJECTED_CASES_HELD = "RejectedCasesHeld"  # litigation rejected, held for a person
METRIC_AGENCY_PLACEMENTS_WAITING = "AgencyPlacementsWaiting"
METRIC_REPLY_REVIEWS_WAITING = "ReplyReviewsWaiting"
METRIC_REPLY_REVIEWS_OVERDUE = "ReplyReviewsOverdue"
METRIC_SMS_SHORTENED = "SmsShortened"  # an SMS sent without optional parts or its link
METRIC_SMS_OVER_BUDGET = "SmsOverBudget"  # no form of an SMS fitted the policy's parts
METRIC_PAYMENT_RECONCILIATIONS_WAITING = "PaymentReconciliationsWaiting"  # claimed payments
METRIC_CASES_STUCK = "CasesStuck"  # cases whose step failed after its retries, waiting for ops
METRIC_OPS_ACTION_REFUSED = "OpsActionRefused"  # ops function; action, error
METRIC_DELIVERY_OUTCOMES = "DeliveryOutcomes"  # delivery function; action (channel_stopped...)
