"""Delivery outcomes on the local runtime: a hard bounce stops email, a soft one does not.

The real escalation (ASL + handlers) sends the reminder; the SES event for that email is
published to the local delivery-events topic, which invokes the real delivery handler the
way SNS invokes its Lambda subscriber (``LocalRuntime.publish_delivery_event``). What the
borrower receives afterwards shows whether the outcome reached the contact gate.
"""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from arrears.adapters.cases import Repositories
from arrears.adapters.sent_messages import SentMessage, SentMessages
from arrears.domain.case import BorrowerRecord, TimelineEntry
from arrears.domain.types import Channel
from arrears.local.delivery_events import ses_event, sms_failure_record
from escalation_support import (  # noqa: F401 - fixtures
    email_of,
    open_overdue,
    outbox,
    phone_of,
    post,
    rt,
)


@pytest.fixture(scope="module")
def email_tags(outbox: Any) -> Iterator[dict[str, dict[str, str]]]:
    """Message id -> the tags the contact step passed with that email."""
    recorded: dict[str, dict[str, str]] = {}
    send_email = outbox.send_email

    def recording(to: str, subject: str, body: str, tags: dict[str, str] | None = None) -> str:
        message_id: str = send_email(to, subject, body, tags)
        recorded[message_id] = dict(tags or {})
        return message_id

    outbox.send_email = recording
    yield recorded
    del outbox.send_email


def _borrower(account_id: str) -> BorrowerRecord:
    record = Repositories.dynamo().borrowers.get(account_id)
    assert record is not None
    return record


def _timeline(case_id: str, kind: str) -> list[TimelineEntry]:
    return [e for e in Repositories.dynamo().timeline.list(case_id) if e.kind == kind]


def _sent_contacts(case_id: str) -> list[tuple[str, str, str]]:
    """(stage, channel, template) of every contact the case sent, in order."""
    return [
        (e.detail["stage"], e.detail["channel"], e.detail["template"])
        for e in _timeline(case_id, "contact_sent")
    ]


def _reminder_email(rt: Any, outbox: Any, account_id: str) -> dict[str, Any]:
    """Open a standard case and run it past its day-1 reminder (SMS + email)."""
    open_overdue(rt, account_id)
    rt.advance(timedelta(days=2))
    emails = [s for s in outbox.to(account_id) if s["channel"] == "email"]
    assert len(emails) == 1
    return emails[0]


def _outcome_for(rt: Any, email_tags: dict[str, dict[str, str]], account_id: str, **kw: Any):
    """The SES event for the one email this account was sent, as SES publishes it."""
    ((message_id, tags),) = [
        (m, t) for m, t in email_tags.items() if t.get("account_id") == account_id
    ]
    return ses_event(
        message_id=message_id, tags=tags, recipient=email_of(account_id), at=rt.now, **kw
    )


def test_a_hard_bounce_stops_email_while_sms_goes_on(rt, outbox, email_tags):
    # given a borrower whose day-1 reminder went out by SMS and email
    account_id = "acc-hard-bounce"
    _reminder_email(rt, outbox, account_id)
    case_id = f"{account_id}#1"
    # (the email carried the ids a bounce needs to find its borrower and case)
    assert list(email_tags.values())[-1] == {"account_id": account_id, "case_id": case_id}

    # when SES reports a permanent bounce for it, through the delivery-events topic
    rt.publish_delivery_event(_outcome_for(rt, email_tags, account_id, event_type="Bounce"))

    # then the borrower's email is marked unreachable and the case says why
    assert _borrower(account_id).email_bounced is True
    (outcome,) = _timeline(case_id, "delivery_outcome")
    assert outcome.detail["outcome"] == "hard_bounce"
    assert outcome.detail["action"] == "channel_stopped"
    assert email_of(account_id) not in str(outcome.detail)

    # when the borrower pays: the receipt goes by SMS, the email is blocked
    post(rt, account_id, "PAID", amount_paid="1250.00")
    rt.advance(timedelta(hours=1))
    assert _sent_contacts(case_id)[-1] == ("closed", "sms", "receipt")
    (blocked,) = _timeline(case_id, "contact_blocked")
    assert blocked.detail["channel"] == "email"
    assert blocked.detail["reason"] == "channel_unreachable"

    # and when they fall behind again, the next case's reminder is SMS only
    post(rt, account_id, "OVERDUE")
    rt.advance(timedelta(days=2))
    next_case = f"{account_id}#2"
    assert _sent_contacts(next_case) == [("reminder", "sms", "reminder")]
    assert [b.detail["reason"] for b in _timeline(next_case, "contact_blocked")] == [
        "channel_unreachable"
    ]
    channels = [s["channel"] for s in outbox.to(account_id)]
    assert channels == ["sms", "email", "sms", "sms"]


def test_a_soft_bounce_leaves_email_open(rt, outbox, email_tags):
    # given a borrower whose reminder email came back with a transient bounce
    account_id = "acc-soft-bounce"
    _reminder_email(rt, outbox, account_id)
    case_id = f"{account_id}#1"
    rt.publish_delivery_event(
        _outcome_for(rt, email_tags, account_id, event_type="Bounce", bounce_type="Transient")
    )

    # then email stays usable, and the miss is on the case timeline
    assert _borrower(account_id).email_bounced is False
    (outcome,) = _timeline(case_id, "delivery_outcome")
    assert (outcome.detail["outcome"], outcome.detail["action"]) == (
        "soft_bounce",
        "not_delivered",
    )

    # when the borrower pays, the receipt goes by SMS and by email
    post(rt, account_id, "PAID", amount_paid="1250.00")
    rt.advance(timedelta(hours=1))
    assert _sent_contacts(case_id)[-2:] == [
        ("closed", "sms", "receipt"),
        ("closed", "email", "receipt"),
    ]
    assert _timeline(case_id, "contact_blocked") == []


def test_a_complaint_opts_the_borrower_out_of_email(rt, outbox, email_tags):
    # given a borrower who marked the reminder email as spam
    account_id = "acc-complaint"
    _reminder_email(rt, outbox, account_id)
    rt.publish_delivery_event(_outcome_for(rt, email_tags, account_id, event_type="Complaint"))

    # then email is opted out (as if they had replied STOP), and the receipt skips it
    assert "email" in {c.value for c in _borrower(account_id).opted_out}
    post(rt, account_id, "PAID", amount_paid="1250.00")
    rt.advance(timedelta(hours=1))
    (blocked,) = _timeline(f"{account_id}#1", "contact_blocked")
    assert blocked.detail["channel"] == "email"
    assert blocked.detail["reason"] != "channel_unreachable"  # an opt-out, not a bounce


def test_a_permanent_sms_failure_stops_sms_while_email_goes_on(rt, outbox, email_tags):
    # given a borrower whose day-1 reminder went out by SMS and email
    account_id = "acc-sms-failed"
    _reminder_email(rt, outbox, account_id)
    case_id = f"{account_id}#1"
    (sms_sent,) = [e for e in _timeline(case_id, "contact_sent") if e.detail["channel"] == "sms"]
    # the entry Messenger.send_sms(..., tags) leaves in the sent-messages index (the contact
    # step does not pass the tags to send_sms yet: handlers/_escalation.send_message)
    SentMessages().remember(
        SentMessage(sms_sent.detail["message_id"], account_id, case_id, Channel.SMS, rt.now)
    )

    # when SNS's delivery-status log reports that text as sent to an invalid number
    rt.deliver_sms_status_logs(
        [
            sms_failure_record(
                message_id=sms_sent.detail["message_id"],
                destination=phone_of(account_id),
                provider_response="Invalid phone number",
                at=rt.now,
            )
        ]
    )

    # then SMS is stopped for the borrower, and the receipt goes by email only
    assert _borrower(account_id).sms_failed is True
    (outcome,) = _timeline(case_id, "delivery_outcome")
    assert (outcome.detail["outcome"], outcome.detail["action"]) == (
        "sms_permanent_failure",
        "channel_stopped",
    )
    assert phone_of(account_id) not in str(outcome.detail)
    post(rt, account_id, "PAID", amount_paid="1250.00")
    rt.advance(timedelta(hours=1))
    assert _sent_contacts(case_id)[-1] == ("closed", "email", "receipt")
    (blocked,) = _timeline(case_id, "contact_blocked")
    assert (blocked.detail["channel"], blocked.detail["reason"]) == ("sms", "channel_unreachable")


def test_an_outcome_the_handler_cannot_apply_ends_in_the_delivery_dead_letter_queue(
    rt, monkeypatch
):
    # given a delivery handler that fails (its tables unavailable, say)
    import arrears.handlers.delivery as delivery_handler

    def broken(*_args: Any, **_kwargs: Any) -> dict[str, int]:
        raise RuntimeError("DynamoDB unavailable")

    monkeypatch.setattr(delivery_handler, "process", broken)
    before = rt.delivery_dlq_count()
    failed_before = sum(1 for i in rt.invocations if i.function == "arrears-delivery" and i.error)

    # when an SMS delivery-status failure arrives through the log subscription
    record = sms_failure_record(
        message_id="sms-x",
        destination=phone_of("acc-dlq"),
        provider_response="Invalid phone number",
        at=rt.now,
    )
    rt.deliver_sms_status_logs([record])

    # then Lambda's two retries failed too, and the event waits in the dead-letter queue
    failed = sum(1 for i in rt.invocations if i.function == "arrears-delivery" and i.error)
    assert failed - failed_before == 3
    assert rt.delivery_dlq_count() == before + 1
