"""Typed view of the Lambda environment: the one place handlers read it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from arrears import constants as c


@dataclass(frozen=True)
class Settings:
    cases_table: str
    borrowers_table: str
    contact_ledger_table: str
    timeline_table: str
    idempotency_table: str
    escalation_state_machine_arn: str
    event_bus_name: str
    letters_bucket: str
    ops_topic_arn: str
    kms_key_arn: str
    policy_file: str
    sms_sender_id: str
    email_from: str
    sms_origination_number: str = ""
    email_configuration_set: str = ""
    ingest_dlq_url: str = ""
    letters_mode: str = "pdf"
    park_after_days: float = float(c.DEFAULT_PARK_AFTER_DAYS)
    resume_schedule_group: str = ""
    resume_scheduler_role_arn: str = ""
    links_table: str = ""
    portal_url: str = ""
    portal_mac_key_id: str = ""
    portal_signing_secret: str = ""

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        return cls(
            cases_table=env.get(c.ENV_CASES_TABLE, ""),
            borrowers_table=env.get(c.ENV_BORROWERS_TABLE, ""),
            contact_ledger_table=env.get(c.ENV_CONTACT_LEDGER_TABLE, ""),
            timeline_table=env.get(c.ENV_TIMELINE_TABLE, ""),
            idempotency_table=env.get(c.ENV_IDEMPOTENCY_TABLE, ""),
            escalation_state_machine_arn=env.get(c.ENV_ESCALATION_STATE_MACHINE_ARN, ""),
            event_bus_name=env.get(c.ENV_EVENT_BUS_NAME, ""),
            letters_bucket=env.get(c.ENV_LETTERS_BUCKET, ""),
            ops_topic_arn=env.get(c.ENV_OPS_TOPIC_ARN, ""),
            kms_key_arn=env.get(c.ENV_KMS_KEY_ARN, ""),
            policy_file=env.get(c.ENV_POLICY_FILE, "default.yaml"),
            sms_sender_id=env.get(c.ENV_SMS_SENDER_ID, "ARREARS"),
            email_from=env.get(c.ENV_EMAIL_FROM, "collections@example.com"),
            sms_origination_number=env.get(c.ENV_SMS_ORIGINATION_NUMBER, ""),
            email_configuration_set=env.get(c.ENV_EMAIL_CONFIGURATION_SET, ""),
            ingest_dlq_url=env.get(c.ENV_INGEST_DLQ_URL, ""),
            letters_mode=env.get(c.ENV_LETTERS_MODE, "pdf"),
            park_after_days=float(env.get(c.ENV_PARK_AFTER_DAYS) or c.DEFAULT_PARK_AFTER_DAYS),
            resume_schedule_group=env.get(c.ENV_RESUME_SCHEDULE_GROUP, ""),
            resume_scheduler_role_arn=env.get(c.ENV_RESUME_SCHEDULER_ROLE_ARN, ""),
            links_table=env.get(c.ENV_LINKS_TABLE, ""),
            portal_url=env.get(c.ENV_PORTAL_URL, "").rstrip("/"),
            portal_mac_key_id=env.get(c.ENV_PORTAL_MAC_KEY_ID, ""),
            portal_signing_secret=env.get(c.ENV_PORTAL_SIGNING_SECRET, ""),
        )


@cache
def settings() -> Settings:
    """Read once per Lambda container (the local runtime sets the env before first use)."""
    return Settings.from_env()
