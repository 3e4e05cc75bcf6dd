"""Delivery reports out of order or twice: the newest message's fact stands.

SES and SNS do not promise order and deliver at least once. Each case runs on the in-memory
repositories and on DynamoDB (moto), whose conditional update is what makes it hold under
concurrency; both must agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from arrears.adapters.cases import Repositories
from arrears.domain.case import BorrowerRecord
from arrears.domain.types import Channel
from arrears.handlers.delivery import process

from tests.support.aws import repositories

ACCOUNT = "acc-7"
CASE = "acc-7#1"
TAGS = {"account_id": [ACCOUNT], "case_id": ["acc-7_231"]}  # escaped as SES returns them
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["dynamo", "memory"])
def repos(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Repositories]:
    def with_borrower(repositories: Repositories) -> Repositories:
        repositories.borrowers.save_profile(
            BorrowerRecord(account_id=ACCOUNT, email="li@example.cn", phone="+8613800000001")
        )
        return repositories

    with repositories(request.param, monkeypatch) as chosen:
        yield with_borrower(chosen)


def _ses_time(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def email_report(kind: str, message_id: str, sent: datetime, reported: datetime) -> dict[str, Any]:
    """An SES event (SNS message body) about one email sent at ``sent``."""
    event: dict[str, Any] = {
        "eventType": kind,
        "mail": {"timestamp": _ses_time(sent), "messageId": message_id, "tags": TAGS},
    }
    if kind == "Bounce":
        event["bounce"] = {"bounceType": "Permanent", "timestamp": _ses_time(reported)}
    else:
        event["delivery"] = {"timestamp": _ses_time(reported)}
    return event


def sms_report(event_type: str, message_id: str, sent: datetime) -> dict[str, Any]:
    """An End User Messaging SMS event about one text requested at ``sent``."""
    return {
        "eventType": event_type,
        "messageId": message_id,
        "messageRequestTimestamp": int(sent.timestamp() * 1000),
        "eventTimestamp": int((sent + timedelta(minutes=5)).timestamp() * 1000),
        "context": {"account_id": ACCOUNT, "case_id": CASE},
    }


def borrower(repos: Repositories) -> BorrowerRecord:
    record = repos.borrowers.get(ACCOUNT)
    assert record is not None
    return record


def outcome_lines(repos: Repositories) -> list[tuple[str, str]]:
    return [
        (e.detail["message_id"], e.detail["action"])
        for e in repos.timeline.list(CASE)
        if e.kind == "delivery_outcome"
    ]


def test_a_late_delivery_of_an_older_email_does_not_undo_a_newer_bounce(
    repos: Repositories,
) -> None:
    # given email m-2 (sent at T0+1d) hard-bounced: the address is dead
    process(email_report("Bounce", "m-2", T0 + timedelta(days=1), T0 + timedelta(days=1)), repos)
    # when the delivery report for m-1, sent the day before, arrives only now
    counts = process(email_report("Delivery", "m-1", T0, T0 + timedelta(days=1, hours=1)), repos)
    # then it is stale: email stays stopped, and the timeline has only the bounce
    assert counts == {"stale": 1}
    assert borrower(repos).email_bounced is True
    assert outcome_lines(repos) == [("m-2", "channel_stopped")]


def test_a_delivery_of_a_newer_email_clears_the_bounce(repos: Repositories) -> None:
    # given m-1 hard-bounced
    process(email_report("Bounce", "m-1", T0, T0), repos)
    # when m-2, sent later (say to the same address after the mailbox was re-created), arrives
    counts = process(
        email_report("Delivery", "m-2", T0 + timedelta(days=2), T0 + timedelta(days=2)), repos
    )
    # then the address works again
    assert counts == {"reachable": 1}
    assert borrower(repos).email_bounced is False


def test_an_old_bounce_after_a_newer_delivery_leaves_email_open(repos: Repositories) -> None:
    # given m-2 was delivered
    process(email_report("Delivery", "m-2", T0 + timedelta(days=1), T0 + timedelta(days=1)), repos)
    # when a bounce about m-1 (sent earlier, maybe to a previous address) arrives late
    counts = process(email_report("Bounce", "m-1", T0, T0 + timedelta(days=1, hours=2)), repos)
    # then it changes nothing
    assert counts == {"stale": 1}
    assert borrower(repos).email_bounced is False
    assert outcome_lines(repos) == [("m-2", "reachable")]


def test_a_bounce_after_the_same_emails_delivery_stops_it_but_not_the_reverse(
    repos: Repositories,
) -> None:
    # given SES reported m-1 delivered, then (asynchronous bounce) bounced
    process(email_report("Delivery", "m-1", T0, T0 + timedelta(minutes=1)), repos)
    bounced = process(email_report("Bounce", "m-1", T0, T0 + timedelta(hours=3)), repos)
    # when the delivery report of that same message comes again (SNS redelivers)
    again = process(email_report("Delivery", "m-1", T0, T0 + timedelta(minutes=1)), repos)
    # then the bounce wins at equal send time, whichever order they came in
    assert (bounced, again) == ({"channel_stopped": 1}, {"stale": 1})
    assert borrower(repos).email_bounced is True


def test_a_duplicate_report_changes_nothing_and_writes_no_second_line(
    repos: Repositories,
) -> None:
    # given a hard bounce was applied
    report = email_report("Bounce", "m-1", T0, T0 + timedelta(minutes=2))
    process(report, repos)
    before = borrower(repos)
    # when SNS delivers the very same report again
    counts = process(report, repos)
    # then the borrower is unchanged and the timeline still has one line for it
    assert counts == {"stale": 1}
    assert borrower(repos) == before
    assert outcome_lines(repos) == [("m-1", "channel_stopped")]


def test_sms_failures_and_deliveries_are_ordered_by_send_time(repos: Repositories) -> None:
    # given text s-2 failed permanently
    process(sms_report("TEXT_INVALID", "s-2", T0 + timedelta(hours=1)), repos)
    # when a late delivery of s-1 (sent earlier) arrives, then SMS stays stopped
    assert process(sms_report("TEXT_DELIVERED", "s-1", T0), repos) == {"stale": 1}
    assert borrower(repos).sms_failed is True
    # when a later text s-3 is delivered, then SMS works again
    assert process(sms_report("TEXT_DELIVERED", "s-3", T0 + timedelta(hours=2)), repos) == {
        "reachable": 1
    }
    assert borrower(repos).sms_failed is False
    # and the email channel's order is its own: an email sent before s-2 still applies
    assert process(email_report("Bounce", "m-1", T0, T0), repos) == {"channel_stopped": 1}


def test_record_reachability_is_a_conditional_write_on_the_send_time(
    repos: Repositories,
) -> None:
    # given the repository API the delivery adapter calls
    record = repos.borrowers.record_reachability
    # when reports about messages sent at T0 and T0+1h arrive newest first
    newer = record(ACCOUNT, Channel.EMAIL, True, T0 + timedelta(hours=1))
    older = record(ACCOUNT, Channel.EMAIL, False, T0)
    same_clear = record(ACCOUNT, Channel.EMAIL, False, T0 + timedelta(hours=1))
    same_stop = record(ACCOUNT, Channel.EMAIL, True, T0 + timedelta(hours=1))
    later = record(ACCOUNT, Channel.EMAIL, False, T0 + timedelta(hours=1, microseconds=1))
    # then only the first and the strictly later one were written
    assert (newer, older, same_clear, same_stop, later) == (True, False, False, False, True)
    assert borrower(repos).email_bounced is False
    assert borrower(repos).sms_failed is False
