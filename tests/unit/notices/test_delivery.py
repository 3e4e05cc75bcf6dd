"""Delivery outcomes: SES bounces/complaints and SMS failures update reachability."""

from __future__ import annotations

import json
from typing import Any

import pytest
from arrears.adapters import delivery
from arrears.adapters.cases import Repositories
from arrears.domain.case import BorrowerRecord
from arrears.domain.types import Channel
from arrears.handlers.delivery import process

# as SES reports them: values escaped on the way out (domain.message_tags)
TAGS = {"account_id": ["acc-42"], "case_id": ["acc-42_231"]}


def ses_event(event_type: str, **extra: Any) -> dict[str, Any]:
    """The shape SES puts on EventBridge from a configuration set destination."""
    detail = {
        "eventType": event_type,
        "mail": {
            "timestamp": "2026-11-25T09:00:00.000Z",
            "messageId": "ses-msg-1",
            "destination": ["jane@example.com"],
            "tags": TAGS,
        },
        **extra,
    }
    return {"source": "aws.ses", "detail-type": f"Email {event_type}", "detail": detail}


@pytest.fixture
def repos() -> Repositories:
    repositories = Repositories.in_memory()
    repositories.borrowers.save_profile(
        BorrowerRecord(account_id="acc-42", email="jane@example.com", phone="+8613800000000")
    )
    return repositories


def borrower(repos: Repositories) -> BorrowerRecord:
    record = repos.borrowers.get("acc-42")
    assert record is not None
    return record


def test_hard_bounce_stops_email_and_is_audited_without_the_address(repos: Repositories) -> None:
    # Given a permanent bounce for a tagged email
    event = ses_event("Bounce", bounce={"bounceType": "Permanent", "bounceSubType": "General"})
    # When the delivery handler processes it
    counts = process(event, repos)
    # Then the borrower's email is marked bounced and the case timeline says so
    assert counts == {"channel_stopped": 1}
    assert borrower(repos).email_bounced is True
    entries = [e for e in repos.timeline.list("acc-42#1") if e.kind == "delivery_outcome"]
    assert entries[0].detail["outcome"] == "hard_bounce"
    assert "jane@example.com" not in json.dumps(entries[0].detail)


@pytest.mark.parametrize("bounce_type", ["Transient", "Undetermined"])
def test_soft_bounce_keeps_the_channel_open_and_notes_the_miss(
    repos: Repositories, bounce_type: str
) -> None:
    # Given a bounce SES does not call permanent (mailbox full, greylisting, ...)
    event = ses_event("Bounce", bounce={"bounceType": bounce_type, "bounceSubType": "General"})
    # When it is processed
    counts = process(event, repos)
    # Then email stays usable, and the case timeline records that this message missed
    assert counts == {"not_delivered": 1}
    assert borrower(repos).email_bounced is False
    (entry,) = [e for e in repos.timeline.list("acc-42#1") if e.kind == "delivery_outcome"]
    assert entry.detail == {
        "channel": "email",
        "outcome": "soft_bounce",
        "action": "not_delivered",
        "message_id": "ses-msg-1",
    }


def test_reject_is_about_our_content_not_the_address(repos: Repositories) -> None:
    # Given SES refused to send a message (it found a virus in it)
    event = ses_event("Reject", reject={"reason": "Bad content"})
    # When it is processed
    counts = process(event, repos)
    # Then the address is not marked, and the miss is on the timeline
    assert counts == {"not_delivered": 1}
    assert borrower(repos).email_bounced is False
    assert Channel.EMAIL not in borrower(repos).opted_out
    (entry,) = [e for e in repos.timeline.list("acc-42#1") if e.kind == "delivery_outcome"]
    assert entry.detail["outcome"] == "rejected"


def test_not_spam_feedback_is_not_an_opt_out(repos: Repositories) -> None:
    # Given a provider's feedback report that says the mail was wanted
    event = ses_event("Complaint", complaint={"complaintFeedbackType": "not-spam"})
    # When it is processed, then nothing changes
    assert process(event, repos) == {"ignored": 1}
    assert Channel.EMAIL not in borrower(repos).opted_out


def test_complaint_opts_the_borrower_out_of_email(repos: Repositories) -> None:
    process(ses_event("Complaint", complaint={"timestamp": "2026-11-25T10:00:00Z"}), repos)
    assert Channel.EMAIL in borrower(repos).opted_out


def test_delivery_clears_an_earlier_bounce(repos: Repositories) -> None:
    repos.borrowers.mark_unreachable("acc-42", Channel.EMAIL, True)
    process(ses_event("Delivery", delivery={"timestamp": "2026-11-25T09:00:01Z"}), repos)
    assert borrower(repos).email_bounced is False


def test_ses_notification_through_sqs_and_sns_envelope(repos: Repositories) -> None:
    # Given the SNS notification format, wrapped by SNS and then delivered through SQS
    notification = {
        "notificationType": "Bounce",
        "bounce": {"bounceType": "Permanent", "timestamp": "2026-11-25T09:00:00Z"},
        "mail": {"messageId": "m-2", "tags": TAGS},
    }
    envelope = {"Type": "Notification", "Message": json.dumps(notification)}
    counts = process({"Records": [{"body": json.dumps(envelope)}]}, repos)
    assert counts == {"channel_stopped": 1} and borrower(repos).email_bounced is True


@pytest.mark.parametrize(
    ("event_type", "stopped"),
    [("TEXT_CARRIER_UNREACHABLE", True), ("TEXT_TTL_EXPIRED", False), ("TEXT_DELIVERED", False)],
)
def test_sms_events_from_end_user_messaging(
    repos: Repositories, event_type: str, stopped: bool
) -> None:
    event = {
        "eventType": event_type,
        "messageId": "sms-1",
        "eventTimestamp": 1795600000000,
        "destinationPhoneNumber": "+8613800000000",
        "context": {"account_id": "acc-42", "case_id": "acc-42#1"},
    }
    process({"Records": [{"Sns": {"Message": json.dumps(event)}}]}, repos)
    assert borrower(repos).sms_failed is stopped


@pytest.mark.parametrize(
    ("provider_response", "expected"),
    [
        ("Invalid phone number", delivery.Outcome.SMS_PERMANENT_FAILURE),
        ("Phone number is opted out", delivery.Outcome.SMS_PERMANENT_FAILURE),
        ("Phone has blocked SMS", delivery.Outcome.SMS_PERMANENT_FAILURE),
        ("Phone is on a blocked list", delivery.Outcome.SMS_PERMANENT_FAILURE),
        # switched off, out of coverage, a carrier outage, a filtered text: try again later
        ("Phone is currently unreachable/unavailable", delivery.Outcome.SMS_TEMPORARY_FAILURE),
        (
            "Phone carrier is currently unreachable/unavailable",
            delivery.Outcome.SMS_TEMPORARY_FAILURE,
        ),
        ("Unknown error attempting to reach phone", delivery.Outcome.SMS_TEMPORARY_FAILURE),
        ("Phone carrier has blocked this message", delivery.Outcome.SMS_TEMPORARY_FAILURE),
    ],
)
def test_sns_sms_delivery_status_failure_is_classified_by_provider_response(
    provider_response: str, expected: delivery.Outcome
) -> None:
    record = {
        "notification": {"messageId": "x", "timestamp": "2026-11-25 09:00:00.000"},
        "delivery": {"destination": "+15555550100", "providerResponse": provider_response},
        "status": "FAILURE",
        "account_id": "acc-42",
    }
    outcome = delivery.parse(record)
    assert outcome is not None and outcome.outcome is expected


def test_untagged_outcome_is_counted_not_matched_by_address(repos: Repositories) -> None:
    event = ses_event("Bounce", bounce={"bounceType": "Permanent"})
    event["detail"]["mail"]["tags"] = {}
    assert process(event, repos) == {"unmatched": 1}
    assert borrower(repos).email_bounced is False


def test_unrelated_events_are_ignored(repos: Repositories) -> None:
    assert process({"source": "aws.ses", "detail": {"eventType": "Open"}}, repos) == {"ignored": 1}
