"""The ingest Lambda end to end on moto: SQS batch in, DynamoDB, Step Functions, DLQ."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from arrears import constants as c
from arrears.adapters.cases import Repositories, dynamodb_client
from arrears.adapters.models import bind_tables
from arrears.domain.types import CaseStatus, Channel
from arrears.handlers import ingest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from tests.support.aws import REGION, create_tables, table_env

ROLE = "arn:aws:iam::123456789012:role/escalation"
# Stand-in for the escalation ladder: store the task token on the case and wait for a wake.
WAIT_FOR_WAKE = {
    "StartAt": "WaitForPayment",
    "States": {
        "WaitForPayment": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:dynamodb:updateItem.waitForTaskToken",
            "Parameters": {
                "TableName": "arrears-cases",
                "Key": {"case_id": {"S.$": "$.case_id"}},
                "UpdateExpression": "SET task_token = :token, waiting_for = :what",
                "ExpressionAttributeValues": {
                    ":token": {"S.$": "$$.Task.Token"},
                    ":what": {"S": "payment"},
                },
            },
            "TimeoutSeconds": 20,
            "ResultPath": "$.woken",
            "End": True,
        }
    },
}


@dataclass
class Context:
    function_name: str = "arrears-ingest"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:arrears-ingest"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass
class Aws:
    dlq_url: str
    state_machine_arn: str
    repos: Repositories

    @property
    def sqs(self) -> Any:
        return boto3.client("sqs", region_name=REGION)

    @property
    def sfn(self) -> Any:
        return boto3.client("stepfunctions", region_name=REGION)

    def dlq(self) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while True:
            got = self.sqs.receive_message(
                QueueUrl=self.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
            ).get("Messages", [])
            if not got:
                return messages
            messages.extend(got)
            for message in got:
                self.sqs.delete_message(
                    QueueUrl=self.dlq_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def executions(self) -> list[dict[str, Any]]:
        listed = self.sfn.list_executions(stateMachineArn=self.state_machine_arn)
        executions: list[dict[str, Any]] = listed["executions"]
        return executions


def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
        **table_env(),
    }.items():
        monkeypatch.setenv(key, value)


def _start_aws(monkeypatch: pytest.MonkeyPatch, definition: dict[str, Any]) -> Aws:
    create_tables(boto3.client("dynamodb", region_name=REGION))
    sqs = boto3.client("sqs", region_name=REGION)
    dlq_url = sqs.create_queue(QueueName="arrears-ingest-dlq")["QueueUrl"]
    arn = boto3.client("stepfunctions", region_name=REGION).create_state_machine(
        name="arrears-escalation", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    monkeypatch.setenv(c.ENV_INGEST_DLQ_URL, dlq_url)
    monkeypatch.setenv(c.ENV_ESCALATION_STATE_MACHINE_ARN, arn)
    bind_tables()
    ingest.reset()
    return Aws(dlq_url, arn, Repositories.dynamo())


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """Step Functions records executions without running them."""
    _environment(monkeypatch)
    with mock_aws():
        yield _start_aws(monkeypatch, WAIT_FOR_WAKE)
    ingest.reset()


@pytest.fixture
def running_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    """Step Functions runs the stand-in ASL, so a wake reaches a real waiting task."""
    _environment(monkeypatch)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield _start_aws(monkeypatch, WAIT_FOR_WAKE)
    ingest.reset()


# --------------------------------------------------------------------------- builders


def payment(status: str, sequence: int, **overrides: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "event_id": f"evt-{sequence}",
        "account_id": "acc-42",
        "obligation_id": "loan-7/inst-3",
        "status": status,
        "amount_due": "1250.00",
        "amount_paid": "0.00",
        "currency": "CNY",
        "due_date": "2026-11-01",
        "occurred_at": "2026-11-02T01:00:00Z",
        "sequence": sequence,
        "borrower": {
            "name": "李伟",
            "phone": "+8613800000000",
            "email": "li.wei@example.cn",
            "locale": "zh-CN",
            "timezone": "Asia/Shanghai",
            "country": "CN",
        },
    }
    detail.update(overrides)
    return detail


def envelope(detail: Any, *, source: str = c.SOURCE_PAYMENTS, kind: str = "") -> str:
    return json.dumps(
        {
            "version": "0",
            "id": "eb-0001",
            "source": source,
            "detail-type": kind or c.DETAIL_PAYMENT_STATUS,
            "account": "123456789012",
            "time": "2026-11-02T01:00:00Z",
            "region": REGION,
            "resources": [],
            "detail": detail,
        }
    )


def sqs_event(*bodies: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": f"msg-{i}",
                "receiptHandle": f"rh-{i}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:123456789012:arrears-ingest",
                "awsRegion": REGION,
            }
            for i, body in enumerate(bodies)
        ]
    }


def invoke(*bodies: str) -> dict[str, Any]:
    return ingest.handler(sqs_event(*bodies), Context())  # type: ignore[arg-type]


def emitted_metrics(output: str) -> dict[str, list[dict[str, Any]]]:
    """EMF lines printed by Powertools: metric name -> the documents carrying it."""
    found: dict[str, list[dict[str, Any]]] = {}
    for line in output.splitlines():
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                found.setdefault(metric["Name"], []).append(document)
    return found


# --------------------------------------------------------------------------- opening


def test_overdue_opens_a_case_and_starts_its_named_execution(aws: Aws) -> None:
    # when the first OVERDUE of an account arrives through the queue
    response = invoke(envelope(payment("OVERDUE", 12)))
    # then the batch succeeds, the case and borrower exist, and one execution runs
    assert response == {"batchItemFailures": []}
    case = aws.repos.cases.get("acc-42#1")
    assert case is not None and case.status is CaseStatus.OPEN
    borrower = aws.repos.borrowers.get("acc-42")
    assert borrower is not None and borrower.phone == "+8613800000000"
    executions = aws.executions()
    assert [e["name"] for e in executions] == ["acc-42-1-c1"]
    described = aws.sfn.describe_execution(executionArn=executions[0]["executionArn"])
    assert json.loads(described["input"]) == {
        "case_id": "acc-42#1",
        "account_id": "acc-42",
        "cycle": 1,
        # waits longer than this park the case (ARREARS_PARK_AFTER_DAYS, default 2 days)
        "park_after_seconds": 2 * 24 * 3600,
    }
    kinds = [e.kind for e in aws.repos.timeline.list("acc-42#1")]
    assert kinds == ["event_received", "case_opened", "execution_started"]


def test_a_repeated_event_id_is_applied_once(aws: Aws) -> None:
    body = envelope(payment("OVERDUE", 12))
    invoke(body)
    invoke(body)  # EventBridge/SQS at-least-once delivery
    assert len(aws.executions()) == 1
    assert len(aws.repos.timeline.list("acc-42#1")) == 3
    assert aws.repos.cases.get("acc-42#2") is None


def test_the_idempotency_store_sends_through_the_tables_client(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given the idempotency store's creation is watched
    from aws_lambda_powertools.utilities import idempotency

    made: list[Any] = []
    real = idempotency.DynamoDBPersistenceLayer

    def watched(*args: Any, **kwargs: Any) -> Any:
        made.append(kwargs.get("boto3_client"))
        return real(*args, **kwargs)

    monkeypatch.setattr(idempotency, "DynamoDBPersistenceLayer", watched)
    ingest.reset()
    # when the first record builds the runtime, and an event is applied once for two deliveries
    body = envelope(payment("OVERDUE", 12))
    invoke(body)
    invoke(body)
    # then the store got the client the table models send through (no second DynamoDB
    # service model parsed on a cold start), and it still answered the redelivery
    assert made == [dynamodb_client()]
    assert len(aws.executions()) == 1


def test_a_redelivery_after_a_failed_start_starts_the_execution(aws: Aws) -> None:
    # given the first attempt wrote the case but StartExecution failed (throttled)
    workflow = ingest.runtime().workflow()
    real_start = workflow.start
    calls = {"n": 0}

    def flaky_start(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise ClientError({"Error": {"Code": "ThrottlingException"}}, "StartExecution")
        return real_start(*args)

    workflow.start = flaky_start  # type: ignore[method-assign]
    body = envelope(payment("OVERDUE", 12))
    # when the record fails, and SQS delivers it again
    first = invoke(body)
    second = invoke(body)
    # then the first is handed back to SQS, and the redelivery starts the execution
    assert first == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}
    assert second == {"batchItemFailures": []}
    assert [e["name"] for e in aws.executions()] == ["acc-42-1-c1"]


def test_events_of_different_accounts_in_one_batch_are_independent(aws: Aws) -> None:
    response = invoke(
        envelope(payment("OVERDUE", 1, account_id="acc-1", event_id="e-1")),
        envelope(payment("OVERDUE", 1, account_id="acc-2", event_id="e-2")),
    )
    assert response == {"batchItemFailures": []}
    assert sorted(e["name"] for e in aws.executions()) == ["acc-1-1-c1", "acc-2-1-c1"]


# --------------------------------------------------------------------------- waking


def _wait_for_token(aws: Aws, case_id: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        case = aws.repos.cases.get(case_id)
        if case is not None and case.task_token:
            return case.task_token
        time.sleep(0.05)
    raise AssertionError("the execution never stored its task token")


def _wait_for_end(aws: Aws, arn: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        described: dict[str, Any] = aws.sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError("the execution did not finish")


def test_paid_wakes_the_waiting_execution_at_once(running_aws: Aws) -> None:
    aws = running_aws
    # given an open case whose execution waits with its token stored on the case
    invoke(envelope(payment("OVERDUE", 12)))
    _wait_for_token(aws, "acc-42#1")
    # when the payment arrives
    invoke(envelope(payment("PAID", 13, amount_paid="1250.00")))
    # then the execution resumes with the PAID wake and the case is closed
    described = _wait_for_end(aws, aws.executions()[0]["executionArn"])
    assert described["status"] == "SUCCEEDED"
    woken = json.loads(described["output"])["woken"]
    assert woken["wake"] == "PAID" and woken["balance"] == "0.00"
    case = aws.repos.cases.get("acc-42#1")
    assert case is not None
    assert case.status is CaseStatus.PAID and case.task_token is None
    assert "execution_woken" in [e.kind for e in aws.repos.timeline.list("acc-42#1")]


def test_paid_while_no_execution_waits_still_closes_the_case(aws: Aws) -> None:
    # given an open case whose execution is busy in a Lambda step (no token stored)
    invoke(envelope(payment("OVERDUE", 12)))
    # when the payment arrives
    invoke(envelope(payment("PAID", 13, amount_paid="1250.00")))
    # then the status is set for the ladder's guards, and the audit says nobody waited
    case = aws.repos.cases.get("acc-42#1")
    assert case is not None and case.status is CaseStatus.PAID
    last = aws.repos.timeline.list("acc-42#1")[-1]
    assert (last.kind, last.detail["wake"]) == ("execution_not_waiting", "PAID")


def test_a_stale_token_counts_as_nothing_waiting(running_aws: Aws) -> None:
    aws = running_aws
    invoke(envelope(payment("OVERDUE", 12)))
    _wait_for_token(aws, "acc-42#1")
    aws.repos.cases.store_task_token("acc-42#1", "token-of-a-finished-wait", "payment")
    response = invoke(envelope(payment("PAID", 13, amount_paid="1250.00")))
    assert response == {"batchItemFailures": []}
    last = aws.repos.timeline.list("acc-42#1")[-1]
    assert (last.kind, last.detail.get("token")) == ("execution_not_waiting", "expired")
    case = aws.repos.cases.get("acc-42#1")
    assert case is not None and case.status is CaseStatus.PAID and case.task_token is None
    # let the real waiting execution finish instead of lingering until its timeout
    aws.sfn.stop_execution(executionArn=aws.executions()[0]["executionArn"])


# --------------------------------------------------------------------------- ignoring


def test_a_late_overdue_after_paid_is_ignored_and_recorded(aws: Aws) -> None:
    invoke(envelope(payment("OVERDUE", 12)))
    invoke(envelope(payment("PAID", 13, amount_paid="1250.00")))
    invoke(envelope(payment("OVERDUE", 11, event_id="evt-late")))
    case = aws.repos.cases.get("acc-42#1")
    assert case is not None and case.status is CaseStatus.PAID
    assert aws.repos.cases.get("acc-42#2") is None
    last = aws.repos.timeline.list("acc-42#1")[-1]
    assert (last.kind, last.detail["reason"]) == ("event_ignored", "stale_sequence")
    assert len(aws.executions()) == 1


def test_payment_news_for_an_unknown_account_is_recorded_under_the_pseudo_case(aws: Aws) -> None:
    invoke(envelope(payment("PAID", 3, account_id="acc-9")))
    entries = aws.repos.timeline.list("acc-9#0")
    assert [(e.kind, e.detail["reason"]) for e in entries] == [("event_ignored", "no_case")]
    assert aws.executions() == []


def test_a_reply_is_recorded_without_its_text(aws: Aws) -> None:
    invoke(envelope(payment("OVERDUE", 12)))
    reply = {
        "account_id": "acc-42",
        "channel": "sms",
        "text": "我已经还款了 please stop",
        "received_at": "2026-11-03T02:00:00Z",
    }
    response = invoke(envelope(reply, source=c.SOURCE_MESSAGING, kind=c.DETAIL_BORROWER_REPLIED))
    assert response == {"batchItemFailures": []}
    entries = aws.repos.timeline.list("acc-42#1")
    [received] = [e for e in entries if e.kind == "reply_received"]
    assert received.detail["channel"] == "sms" and received.detail["chars"] == 18
    # the text itself is in no audit line (issue 9's analysis adds its own lines)
    assert all("还款" not in json.dumps(e.detail, ensure_ascii=False) for e in entries)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("mutation", "field"),
    [
        ({"event_id": None}, "event_id"),  # missing
        ({"status": "LATE"}, "status"),
        ({"amount_due": 1250.0}, "amount_due"),  # float
        ({"amount_paid": "-5.00"}, "amount_paid"),  # negative
        ({"currency": "ZZZ"}, "currency"),  # unknown currency
    ],
)
def test_a_malformed_event_goes_to_the_dlq_with_its_error_and_nothing_is_applied(
    aws: Aws, capsys: pytest.CaptureFixture[str], mutation: dict[str, Any], field: str
) -> None:
    # given an event that fails validation
    detail = {k: v for k, v in {**payment("OVERDUE", 12), **mutation}.items() if v is not None}
    body = envelope(detail)
    # when it is delivered
    response = invoke(body)
    # then the record counts as processed (no retry) and the DLQ holds it with the reason
    assert response == {"batchItemFailures": []}
    [message] = aws.dlq()
    assert message["Body"] == body
    attributes = message["MessageAttributes"]
    assert attributes["error_reason"]["StringValue"] == "schema_validation"
    assert field in attributes["error_detail"]["StringValue"]
    # and nothing was half-applied
    assert aws.repos.borrowers.get("acc-42") is None
    assert aws.repos.cases.get("acc-42#1") is None
    assert aws.executions() == []
    # and the rejection is counted
    metrics = emitted_metrics(capsys.readouterr().out)
    assert metrics["EventsRejected"][0]["reason"] == "schema_validation"


def test_logs_never_carry_contact_data(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    invoke(envelope(payment("OVERDUE", 12)))
    invoke(envelope(payment("OVERDUE", 13, borrower={"phone": "+8612345", "country": "CN"})))
    output = capsys.readouterr()
    logged = output.out + output.err
    assert "ingest" not in logged or True  # noqa: SIM222 - the assertion is the next lines
    for secret in ("8613800000000", "li.wei@example.cn", "李伟", "+8612345"):
        assert secret not in logged


def test_a_transient_error_hands_the_record_back_to_sqs(
    aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given DynamoDB throttles reads of the borrower
    def throttled(account_id: str) -> Any:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "Get")

    monkeypatch.setattr(ingest.runtime().repos.borrowers, "get", throttled)
    good = envelope(payment("OVERDUE", 1, account_id="acc-1", event_id="e-1"))
    # when a batch with one such record is processed
    response = invoke(good, "not json at all")
    # then only that record fails (SQS retries it), and the malformed one went to the DLQ
    assert response == {"batchItemFailures": [{"itemIdentifier": "msg-0"}]}
    [rejected] = aws.dlq()
    assert rejected["MessageAttributes"]["error_reason"]["StringValue"] == "not_json"


def test_an_invocation_without_records_is_harmless(aws: Aws) -> None:
    assert ingest.handler({"detail": "x"}, Context()) == {"batchItemFailures": []}  # type: ignore[arg-type]
    assert ingest.handler({"Records": []}, Context()) == {"batchItemFailures": []}  # type: ignore[arg-type]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = sorted(payment("OVERDUE", 1))


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    raw=JSON,
    detail=JSON,
    mutations=st.dictionaries(st.sampled_from(FIELDS), JSON, min_size=1, max_size=3),
)
# an example that keeps the event valid, then one that does not: each must start afresh
@example(raw=None, detail=None, mutations={"status": "OVERDUE"})
@example(raw=None, detail=None, mutations={"account_id": ""})
def test_the_handler_never_crashes_on_any_json(
    monkeypatch: pytest.MonkeyPatch, raw: Any, detail: Any, mutations: dict[str, Any]
) -> None:
    """Arbitrary JSON as the body, as the detail, and as values of real fields."""
    # every example gets empty tables: a borrower applied by an earlier one would count here
    _environment(monkeypatch)
    with mock_aws():
        _fuzz_once(_start_aws(monkeypatch, WAIT_FOR_WAKE), raw, detail, mutations)
    ingest.reset()


def _fuzz_once(aws: Aws, raw: Any, detail: Any, mutations: dict[str, Any]) -> None:
    # given three bodies: any JSON, any detail in a real envelope, a real event mutated
    mutated = {**payment("OVERDUE", 1, account_id="acc-fuzz"), **mutations}
    bodies = (json.dumps(raw), envelope(detail), envelope(mutated))
    # when they are delivered in one batch
    response = invoke(*bodies)
    # then the handler returns normally and retries nothing: each was rejected to the DLQ
    # or (if the mutation happened to keep the event valid) applied
    assert response == {"batchItemFailures": []}
    rejected = aws.dlq()
    applied = aws.repos.borrowers.get("acc-fuzz") is not None
    assert len(rejected) == 3 - int(applied)
    for message in rejected:
        assert message["MessageAttributes"]["error_detail"]["StringValue"]


# --------------------------------------------------------------------------- wrong number


def _flag_wrong_number() -> None:
    """What ops' wrong_number call outcome writes: the flag, and the phone unverified."""
    from arrears.adapters.models import BorrowerModel

    BorrowerModel("acc-42").update(
        actions=[
            BorrowerModel.flags.add({"wrong_number"}),
            BorrowerModel.verified_channels.delete({"sms", "call"}),
        ]
    )


def test_the_same_phone_does_not_reverify_a_wrong_number(aws: Aws) -> None:
    # given a borrower whose phone an agent found to reach someone else
    invoke(envelope(payment("OVERDUE", 12)))
    _flag_wrong_number()
    # when the next event carries the same phone number
    invoke(envelope(payment("PAYMENT_PENDING", 13)))
    # then SMS and calls stay unverified and the flag stays
    borrower = aws.repos.borrowers.get("acc-42")
    assert borrower is not None
    assert borrower.verified_channels == {Channel.EMAIL, Channel.LETTER}
    assert "wrong_number" in borrower.flags


def test_a_different_phone_clears_the_wrong_number_flag(aws: Aws) -> None:
    # given a borrower flagged wrong_number
    invoke(envelope(payment("OVERDUE", 12)))
    _flag_wrong_number()
    # when an event brings a different (newly verified) phone number
    detail = payment("PAYMENT_PENDING", 13)
    detail["borrower"] = {**detail["borrower"], "phone": "+8613900000001"}
    invoke(envelope(detail))
    # then the new phone's channels are verified and the flag is gone
    borrower = aws.repos.borrowers.get("acc-42")
    assert borrower is not None
    assert {Channel.SMS, Channel.CALL} <= borrower.verified_channels
    assert "wrong_number" not in borrower.flags
    assert borrower.phone == "+8613900000001"


# --------------------------------------------------------------------------- stopped channels


def test_a_stopped_channel_reopens_only_for_a_different_address_or_number(aws: Aws) -> None:
    # given a borrower whose email hard-bounced and whose number failed (delivery reports)
    invoke(envelope(payment("OVERDUE", 12)))
    aws.repos.borrowers.mark_unreachable("acc-42", Channel.EMAIL)
    aws.repos.borrowers.mark_unreachable("acc-42", Channel.SMS)
    # when the next event repeats the same email and brings a different phone number
    detail = payment("PAYMENT_PENDING", 13)
    detail["borrower"] = {**detail["borrower"], "phone": "+8613900000001"}
    invoke(envelope(detail))
    # then SMS is worth trying on the new number; the bounced email stays stopped
    borrower = aws.repos.borrowers.get("acc-42")
    assert borrower is not None
    assert borrower.sms_failed is False
    assert borrower.email_bounced is True
    # when a later event brings a different email too
    detail = payment("PAYMENT_PENDING", 14)
    detail["borrower"] = {**detail["borrower"], "email": "li.wei@new.example.cn"}
    invoke(envelope(detail))
    # then email reopens as well
    borrower = aws.repos.borrowers.get("acc-42")
    assert borrower is not None and borrower.email_bounced is False


def test_replies_share_one_analyzer_and_plan_store_per_container(aws: Aws) -> None:
    # each holds a boto3 client, which costs more to build than a reply costs to handle
    first = ingest.runtime().reply_adapters()
    assert ingest.runtime().reply_adapters() is first
    ingest.reset()  # a changed environment gets new ones
    assert ingest.runtime().reply_adapters() is not first
