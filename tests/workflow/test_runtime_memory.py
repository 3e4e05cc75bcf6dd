"""What a long portfolio run no longer keeps per case, and that the APIs answer as before:
ended executions keep their history but not their interpreter state (their input, output
and history packed), S3 objects live in files, deleted SQS messages and schedules are
freed."""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import weakref
from datetime import timedelta

import pytest
from arrears.local.runtime import ACCOUNT_ID, REGION, LocalRuntime
from botocore.exceptions import ClientError
from runtime_fixture_topology import START, fixture_topology

OVERDUE = {"account_id": "acc-1", "status": "OVERDUE"}
PAID = {**OVERDUE, "status": "PAID"}


def _ended_paid_case(history: str) -> tuple[tuple[object, ...], bool, set[str]]:
    """A case that pays while waiting, run to its end; then what the APIs say of its
    execution, whether the execution still holds the endpoint of its spent token, and the
    attributes it keeps as they are."""
    with LocalRuntime(start=START, seed=7, topology=fixture_topology(), history=history) as rt:
        rt.put_event("wallet.payments", "PaymentStatusChanged", OVERDUE)
        rt.advance(timedelta(days=4))
        token = rt.client("dynamodb").get_item(
            TableName="arrears-cases", Key={"case_id": {"S": "acc-1#1"}}
        )["Item"]["task_token"]["S"]
        rt.put_event("wallet.payments", "PaymentStatusChanged", PAID)
        rt.advance(timedelta(days=1))
        sfn = rt.client("stepfunctions")
        (listed,) = rt.executions()
        described = sfn.describe_execution(executionArn=listed["executionArn"])
        entered = [
            e["stateEnteredEventDetails"]["name"]
            for e in rt.history(listed["executionArn"])
            if e["type"].endswith("StateEntered")
        ]
        with pytest.raises(ClientError) as refused:  # the spent token, sent again
            sfn.send_task_success(taskToken=token, output="{}")
        ((_, execution),) = list(rt.execution_records())
        holds = execution.exec_worker.env.callback_pool_manager.get(token) is not None
        answer = (
            described["status"],
            json.loads(described["input"]),
            json.loads(described["output"]),
            entered,
            refused.value.response["Error"]["Code"],
            execution.input_data,
        )
        return answer, holds, set(vars(execution))


@pytest.mark.usefixtures("calls")
def test_an_ended_execution_answers_as_before_without_its_interpreter_state():
    # given the same paid case run keeping full histories and keeping states only
    # when each is described, its history read and its spent token sent again
    full, full_holds, full_attributes = _ended_paid_case("full")
    lean, lean_holds, lean_attributes = _ended_paid_case("states")
    # then both answer alike: succeeded, same input, output and states, the token refused
    assert full == lean
    assert lean[0] == "SUCCEEDED" and lean[4] == "InvalidToken"
    assert lean[1]["case_id"] == "acc-1#1" and lean[5] == lean[1]
    # and only the lean run's ended execution dropped its callback endpoints and keeps its
    # input and output packed
    assert full_holds and not lean_holds
    assert {"input_data", "output"} <= full_attributes
    assert not {"input_data", "output"} & lean_attributes


def _open_files() -> set[str]:
    names = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(FileNotFoundError):  # the listing's own descriptor
            names.add(os.readlink(f"/proc/self/fd/{fd}"))
    return names


@pytest.mark.usefixtures("calls")
def test_s3_objects_keep_their_bytes_in_files_without_holding_them_open(runtime):
    # given a bucket and an object bigger than a letter
    s3 = runtime.client("s3")
    s3.create_bucket(Bucket="spool-check")
    body = os.urandom(40_000)
    before = _open_files()
    # when it is written, copied, read back and overwritten
    s3.put_object(Bucket="spool-check", Key="a.pdf", Body=body)
    s3.copy_object(Bucket="spool-check", Key="b.pdf", CopySource="spool-check/a.pdf")
    read = s3.get_object(Bucket="spool-check", Key="b.pdf")["Body"].read()
    head = s3.head_object(Bucket="spool-check", Key="a.pdf")
    s3.put_object(Bucket="spool-check", Key="a.pdf", Body=b"shorter")
    # then S3 answers as it always did
    assert read == body
    assert head["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    assert head["ContentLength"] == len(body)
    assert s3.get_object(Bucket="spool-check", Key="a.pdf")["Body"].read() == b"shorter"
    # and the bytes sit in files of the spool directory, none of them left open
    assert runtime.spool_directory is not None
    spooled = [p for p in runtime.spool_directory.iterdir() if p.stat().st_size == len(body)]
    assert len(spooled) == 1  # the copy; the original was overwritten
    assert _open_files() - before == set()
    # and a deleted object's file goes with it
    s3.delete_object(Bucket="spool-check", Key="b.pdf")
    gc.collect()
    assert not spooled[0].exists()


@pytest.mark.usefixtures("calls")
def test_the_spool_directory_is_removed_when_the_runtime_stops():
    with LocalRuntime(start=START, seed=7, topology=fixture_topology()) as rt:
        directory = rt.spool_directory
        assert directory is not None
        rt.client("s3").create_bucket(Bucket="spool-check")
        rt.client("s3").put_object(Bucket="spool-check", Key="k", Body=b"x")
        assert directory.is_dir()
    assert not directory.exists()


@pytest.mark.usefixtures("calls")
def test_a_deleted_schedule_is_freed(runtime):
    from moto.scheduler.models import scheduler_backends

    # given a one-time schedule on the emulated EventBridge Scheduler
    scheduler = runtime.client("scheduler")
    scheduler.create_schedule(
        Name="freed-check",
        ScheduleExpression="at(2030-01-01T00:00:00)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:q", "RoleArn": "arn:aws:iam::1:role/r"},
    )
    group = scheduler_backends[ACCOUNT_ID][REGION].schedule_groups["default"]
    schedule = weakref.ref(group.schedules["freed-check"])
    # when it is deleted
    scheduler.delete_schedule(Name="freed-check")
    gc.collect()
    # then nothing keeps it (moto's own list of every model object it made included)
    assert schedule() is None


@pytest.mark.usefixtures("calls")
def test_a_deleted_sqs_message_is_freed(runtime):
    from moto.sqs.models import sqs_backends

    # given a message sent and received on an emulated queue
    sqs = runtime.client("sqs")
    url = sqs.create_queue(QueueName="freed-check")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="hello")
    (received,) = sqs.receive_message(QueueUrl=url)["Messages"]
    queue = sqs_backends[ACCOUNT_ID][REGION].queues["freed-check"]
    message = weakref.ref(queue._messages[0])
    # when it is deleted
    sqs.delete_message(QueueUrl=url, ReceiptHandle=received["ReceiptHandle"])
    gc.collect()
    # then nothing keeps it (moto's own list of every model object it made included)
    assert message() is None


def test_what_consumers_received_is_kept_compressed_and_read_back_as_sent():
    # given events a lender's consumers receive about two cases, like the publisher's
    from arrears.domain.outbound import CATALOGUE, SOURCE

    kind = sorted(CATALOGUE)[0]
    details = [
        {"event_id": f"acc-{n % 2}#1-{n}", "case_id": f"acc-{n % 2}#1", "sequence": n,
         "account_id": f"acc-{n % 2}", "stage": "REMINDER", "days_past_due": n,
         "amount_past_due": "1250.00", "currency": "CNY"}
        for n in range(24)
    ]  # fmt: skip
    with LocalRuntime(start=START, topology=fixture_topology()) as rt:
        # when each is put on the bus
        for detail in details:
            rt.client("events").put_events(
                Entries=[{"Source": SOURCE, "DetailType": kind, "Detail": json.dumps(detail)}]
            )
        # then each case's consumers read them back as sent, in order
        assert [e["detail"] for e in rt.outbound.for_case("acc-1#1")] == details[1::2]
        assert [e["detail"] for e in rt.outbound.events_out] == details
        # and once the first few taught the codec, each is kept in a fraction of its JSON
        kept = [packed for *_, packed in rt.outbound._received[8:]]
        sent = [json.dumps(detail).encode() for detail in details[8:]]
        assert sum(map(len, kept)) < sum(map(len, sent)) / 2


def _open_cases(rt: LocalRuntime, *accounts: str) -> None:
    for account in accounts:
        rt.put_event("wallet.payments", "PaymentStatusChanged", {**OVERDUE, "account_id": account})


def test_ended_executions_of_one_state_machine_share_one_copy_of_it():
    # given two cases that pay while waiting, run to their end
    with LocalRuntime(start=START, seed=7, topology=fixture_topology(), history="states") as rt:
        _open_cases(rt, "acc-1", "acc-2")
        rt.advance(timedelta(days=4))
        for account in ("acc-1", "acc-2"):
            rt.put_event("wallet.payments", "PaymentStatusChanged", {**PAID, "account_id": account})
        rt.advance(timedelta(days=1))
        ended = [execution for _, execution in rt.execution_records()]
        # then both keep the same copy of the machine moto made when each started
        assert len(ended) == 2
        assert ended[0].state_machine is ended[1].state_machine
        # and each is described as before, with its machine
        sfn = rt.client("stepfunctions")
        for execution in ended:
            described = sfn.describe_execution(executionArn=execution.exec_arn)
            assert described["status"] == "SUCCEEDED"
            assert described["stateMachineArn"] == execution.state_machine.arn


def test_running_executions_share_the_machine_snapshot_until_the_machine_changes():
    # given two cases waiting in their executions
    with LocalRuntime(start=START, seed=7, topology=fixture_topology(), history="states") as rt:
        _open_cases(rt, "acc-1", "acc-2")
        rt.advance(timedelta(days=1))
        first, second = (execution for _, execution in rt.execution_records())
        # then both run on one snapshot of the machine
        assert first.state_machine is second.state_machine

        # when the machine's definition changes and a third case opens
        arn = first.state_machine.arn
        sfn = rt.client("stepfunctions")
        changed = json.loads(first.state_machine.definition)
        changed["Comment"] = "changed while cases run"
        sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(changed))
        _open_cases(rt, "acc-3")
        rt.advance(timedelta(hours=1))

        # then the third runs on a snapshot of the changed machine, the first two on theirs
        *_, third = (execution for _, execution in rt.execution_records())
        assert json.loads(third.state_machine.definition)["Comment"] == "changed while cases run"
        assert "changed while cases run" not in first.state_machine.definition
        assert third.state_machine is not first.state_machine


def test_the_invocation_records_of_a_case_share_one_copy_of_its_id():
    # given a case whose functions ran several times (each event is parsed JSON of its own)
    with LocalRuntime(start=START, seed=7, topology=fixture_topology(), history="states") as rt:
        _open_cases(rt, "acc-1")
        rt.advance(timedelta(days=4))
        ids = [i.case_id for i in rt.invocations if i.case_id is not None]

    # then the records name the case with one string object, not one each
    assert len(ids) >= 3
    assert len({id(case_id) for case_id in ids}) == 1


def test_young_objects_are_collected_less_often_while_a_runtime_runs_and_as_before_after():
    from arrears.local.runtime import RUN_GC_THRESHOLD

    before = gc.get_threshold()
    with LocalRuntime(start=START, seed=7, topology=fixture_topology(), history="states"):
        assert gc.get_threshold() == (RUN_GC_THRESHOLD, *before[1:])
    assert gc.get_threshold() == before
