"""The contact step when the SMS or email provider fails: throttled, faulting, or refusing.

The messenger is the real one on moto (SNS, SES v2); a provider fault is injected by making
the client method raise the ClientError botocore would raise.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict
from datetime import timedelta
from typing import Any

import boto3
import pytest
from arrears.adapters.messaging import Messenger
from arrears.domain.errors import ProviderThrottled
from arrears.domain.types import CaseStatus, Stage
from arrears.local.report import _case_report
from arrears.steps.contact import act_on_stage, deliver_message, send_receipt
from arrears.steps.unit_of_work import UnitOfWork
from botocore.exceptions import ClientError
from moto import mock_aws
from step_support import ACCOUNT_ID, CASE_ID, NOW, make_deps

from tests.support.aws import REGION, use_fake_credentials

SENDER = "collections@acme.example"
SINCE = NOW - timedelta(days=30)


def client_error(code: str, status: int, operation: str) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "injected"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, operation)


class Faulty:
    """A moto client whose ``method`` raises ``error`` for the next ``times`` calls."""

    def __init__(self, client: Any, method: str, error: ClientError, times: int = 1) -> None:
        self._client, self._method, self._error, self.times = client, method, error, times
        self.accepted = 0  # calls that reached the provider and were taken

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if name != self._method:
            return method

        def call(**kwargs: Any) -> Any:
            if self.times > 0:
                self.times -= 1
                raise self._error
            self.accepted += 1
            return method(**kwargs)

        return call


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    use_fake_credentials(monkeypatch)
    with mock_aws():
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
        yield


def deps_with(sns: Any = None, sesv2: Any = None, **case: Any) -> UnitOfWork:
    deps = make_deps(**case)
    deps.messenger = Messenger(
        email_from=SENDER,
        sns=sns or boto3.client("sns", region_name=REGION),
        sesv2=sesv2 or boto3.client("sesv2", region_name=REGION),
    )
    return deps


def faulty_sns(code: str = "Throttling", status: int = 400, times: int = 1) -> Faulty:
    sns = boto3.client("sns", region_name=REGION)
    return Faulty(sns, "publish", client_error(code, status, "Publish"), times)


def faulty_ses(code: str = "TooManyRequestsException", status: int = 429) -> Faulty:
    ses = boto3.client("sesv2", region_name=REGION)
    return Faulty(ses, "send_email", client_error(code, status, "SendEmail"))


def ledger(deps: UnitOfWork) -> list[tuple[str, str, str]]:
    return [(str(e.channel), e.decision, e.reason) for e in deps.ledger.entries(ACCOUNT_ID)]


def kinds(deps: UnitOfWork) -> list[str]:
    return [e.kind for e in deps.repos.timeline.list(CASE_ID)]


def done(deps: UnitOfWork) -> frozenset[str]:
    case = deps.repos.cases.get(CASE_ID)
    assert case is not None
    return case.done_actions


def later(deps: UnitOfWork, minutes: int) -> None:
    deps.clock = lambda: NOW + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("Throttling", 400),
        ("ThrottlingException", 400),
        ("TooManyRequestsException", 429),
        ("InternalError", 500),
        ("ServiceUnavailable", 503),
    ],
)
def test_a_throttled_sms_is_recorded_failed_and_raised_for_a_retry(aws, code, status):
    # given SNS that throttles (or faults on) the next publish
    sns = faulty_sns(code, status)
    deps = deps_with(sns=sns)
    # when the follow-up (SMS) runs, then the step fails with the named, retryable error
    with pytest.raises(ProviderThrottled) as error:
        act_on_stage(deps, CASE_ID, Stage.FOLLOW_UP, deliver_message)
    assert error.value.reason == code
    # and the ledger says failed with the provider's reason, never sent
    assert ledger(deps) == [("sms", "failed", code)]
    # it holds no slot under any cap, and the action is not done
    assert deps.ledger.history(ACCOUNT_ID, SINCE) == []
    assert "follow_up#sms" not in done(deps)
    # the timeline says the send failed, and nowhere that it was sent
    assert "contact_failed" in kinds(deps) and "contact_sent" not in kinds(deps)
    (failed,) = [e.detail for e in deps.repos.timeline.list(CASE_ID) if e.kind == "contact_failed"]
    assert (failed["reason"], failed["transient"]) == (code, True)


def test_the_retry_of_a_throttled_sms_sends_it_exactly_once(aws):
    # given a follow-up whose SMS was throttled
    sns = faulty_sns()
    deps = deps_with(sns=sns)
    with pytest.raises(ProviderThrottled):
        act_on_stage(deps, CASE_ID, Stage.FOLLOW_UP, deliver_message)
    # when the state machine retries the step a little later, and then once more
    later(deps, 1)
    out = act_on_stage(deps, CASE_ID, Stage.FOLLOW_UP, deliver_message)
    later(deps, 2)
    act_on_stage(deps, CASE_ID, Stage.FOLLOW_UP, deliver_message)
    # then the SMS went out once, and the ledger holds the failure and one sent contact
    assert out["outcome"] == "sent"
    assert sns.accepted == 1
    assert sorted(ledger(deps)) == [("sms", "failed", "Throttling"), ("sms", "sent", "allowed")]
    (sent,) = [e for e in deps.ledger.entries(ACCOUNT_ID) if e.decision == "sent"]
    assert sent.message_id
    assert kinds(deps).count("contact_sent") == 1
    assert len(deps.ledger.history(ACCOUNT_ID, SINCE)) == 1


def test_a_throttled_email_is_retried_without_sending_the_sms_twice(aws):
    # given SES throttling the reminder's email (the SMS goes first and is taken)
    sns = faulty_sns(times=0)
    deps = deps_with(sns=sns, sesv2=faulty_ses())
    with pytest.raises(ProviderThrottled) as error:
        act_on_stage(deps, CASE_ID, Stage.REMINDER, deliver_message)
    assert error.value.reason == "TooManyRequestsException"
    assert "reminder#sms" in done(deps) and "reminder#email" not in done(deps)
    # when the step is retried
    later(deps, 1)
    out = act_on_stage(deps, CASE_ID, Stage.REMINDER, deliver_message)
    # then the email goes out, the SMS is not sent again
    assert out["outcome"] == "sent"
    assert sns.accepted == 1
    decisions = sorted(ledger(deps))
    assert decisions == [
        ("email", "failed", "TooManyRequestsException"),
        ("email", "sent", "allowed"),
        ("sms", "sent", "allowed"),
    ]


def test_a_permanently_rejected_sms_is_recorded_failed_and_the_step_moves_on(aws):
    # given SNS refusing the message for good
    sns = faulty_sns("InvalidParameter", 400)
    deps = deps_with(sns=sns)
    # when the follow-up runs, then nothing is raised: the channel failed with its reason
    out = act_on_stage(deps, CASE_ID, Stage.FOLLOW_UP, deliver_message)
    assert (out["outcome"], out["reason"]) == ("failed", "sms:InvalidParameter")
    assert ledger(deps) == [("sms", "failed", "InvalidParameter")]
    assert "follow_up#sms" in done(deps)  # decided: the ladder moves on
    assert deps.ledger.history(ACCOUNT_ID, SINCE) == []
    assert "contact_sent" not in kinds(deps)


def test_a_throttled_receipt_raises_for_a_retry_and_is_then_sent_once(aws):
    # given a paid case, and SNS and SES each throttling the receipt once
    sns, ses = faulty_sns(), faulty_ses()
    deps = deps_with(sns=sns, sesv2=ses, status=CaseStatus.PAID)
    # when the receipt is sent, then the throttle is not swallowed: SMS, then email
    with pytest.raises(ProviderThrottled):
        send_receipt(deps, CASE_ID)
    later(deps, 1)
    with pytest.raises(ProviderThrottled):
        send_receipt(deps, CASE_ID)
    # and the next retry thanks the borrower by email; one more changes nothing
    later(deps, 2)
    assert send_receipt(deps, CASE_ID)["outcome"] == "sent"
    later(deps, 3)
    send_receipt(deps, CASE_ID)
    assert (sns.accepted, ses.accepted) == (1, 1)
    assert sorted(ledger(deps)) == [
        ("email", "failed", "TooManyRequestsException"),
        ("email", "sent", "allowed"),
        ("sms", "failed", "Throttling"),
        ("sms", "sent", "allowed"),
    ]


def test_a_message_blocked_by_the_content_check_is_reported_blocked_not_sent(aws, monkeypatch):
    # given a message template edited so that it lost its opt-out line
    from arrears.domain import notices

    real = notices.render_message

    def without_opt_out(*args: Any, **kwargs: Any) -> Any:
        message = real(*args, **kwargs)
        return type(message)(
            **{**asdict(message), "body": message.body.replace("回复TD退订。", "")}
        )

    monkeypatch.setattr(notices, "render_message", without_opt_out)
    deps = deps_with()
    # when the follow-up runs
    act_on_stage(deps, CASE_ID, Stage.FOLLOW_UP, deliver_message)
    # then the ledger says blocked with the reason, and it takes no slot
    assert ledger(deps) == [("sms", "blocked", "content_missing")]
    assert deps.ledger.history(ACCOUNT_ID, SINCE) == []
    # and the report lists it under blocked, not under contacts
    items = [asdict(e) for e in deps.ledger.entries(ACCOUNT_ID)]
    report = _case_report(CASE_ID, {}, items, [], [], [])
    assert report["contacts"] == []
    assert [(b["decision"], b["reason"]) for b in report["blocked"]] == [
        ("blocked", "content_missing")
    ]
