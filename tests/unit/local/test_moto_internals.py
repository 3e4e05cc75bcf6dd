"""Fails loudly, naming the internal, when moto's internals the local runtime patches move."""

from __future__ import annotations

import json

import pytest
from arrears.local import moto_patches


def test_every_patched_moto_internal_is_where_the_runtime_expects_it():
    # given the pinned moto and the list of replaced attributes with their parameters
    # when they are compared with the installed moto
    problems = moto_patches.check_internals()

    # then nothing moved (each problem names the attribute and what changed)
    assert problems == [], "moto internals changed:\n" + "\n".join(problems)


def test_the_check_names_an_internal_whose_signature_changed(monkeypatch):
    # given a patched internal whose parameters no longer match
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import wait_function

    def changed(self, env, wait_seconds, extra):  # pragma: no cover - never called
        return None

    monkeypatch.setattr(wait_function.WaitFunction, "_wait_interval", changed)

    # when the internals are checked
    problems = moto_patches.check_internals()

    # then the report names it
    assert any("WaitFunction._wait_interval parameters changed" in p for p in problems)


def test_the_check_names_a_missing_internal(monkeypatch):
    from moto.stepfunctions.parser.asl.eval.callback import callback

    monkeypatch.delattr(callback.HeartbeatEndpoint, "clear_and_wait")

    problems = moto_patches.check_internals()

    assert any("HeartbeatEndpoint.clear_and_wait is gone" in p for p in problems)


def test_patches_are_removed_when_the_runtime_closes():
    # given moto's original Wait implementation
    from arrears.local.clock import Scheduler, VirtualClock
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
        WaitFunction,
    )

    original = WaitFunction.__dict__["_wait_interval"]
    hooks = moto_patches.Hooks(
        scheduler=Scheduler(VirtualClock(__import__("datetime").datetime.now().astimezone())),
        invoke_lambda=lambda name, event: ("{}", False),
    )

    # when patches are installed and removed
    with moto_patches.patched(hooks):
        assert WaitFunction.__dict__["_wait_interval"] is not original
        # and a second runtime cannot install them at the same time
        with pytest.raises(RuntimeError, match="already running"), moto_patches.patched(hooks):
            pass

    # then the original is back
    assert WaitFunction.__dict__["_wait_interval"] is original


def test_the_check_names_an_interpreter_module_that_no_longer_imports_copy(monkeypatch):
    # given an interpreter module whose JSON copies the runtime speeds up, now without `copy`
    from moto.stepfunctions.parser.asl.eval import states

    monkeypatch.setattr(states, "copy", object())

    # when the internals are checked
    problems = moto_patches.check_internals()

    # then the report names the module
    assert any("asl.eval.states no longer imports the copy module" in p for p in problems)


def test_the_interpreter_copy_copies_json_trees_and_deep_copies_anything_else():
    # given state data with nested JSON and a non-JSON value inside
    from datetime import UTC, datetime

    when = datetime(2026, 11, 2, tzinfo=UTC)
    data = {"a": [1, {"b": "x", "c": None}], "d": 1.5, "e": True, "when": [when]}

    # when it is copied the way the patched interpreter modules copy
    copied = moto_patches._JSON_COPY.deepcopy(data)

    # then the copy is equal and shares no container with the original
    assert copied == data
    assert copied is not data and copied["a"] is not data["a"]
    assert copied["a"][1] is not data["a"][1] and copied["when"] is not data["when"]
    copied["a"][1]["b"] = "changed"
    assert data["a"][1]["b"] == "x"
    # and the rest of the copy module is the real one
    assert moto_patches._JSON_COPY.copy is __import__("copy").copy


def test_in_process_requests_skip_sigv4_but_s3_and_presigned_urls_stay_signed():
    # given a running local runtime and a hook that sees each request as it is sent
    from arrears.local.runtime import LocalRuntime

    seen: dict[str, dict[str, str]] = {}

    def capture(service):
        def hook(request, **kwargs):
            seen[service] = dict(request.headers)

        return hook

    with LocalRuntime() as rt:
        sqs, s3 = rt.client("sqs"), rt.client("s3")
        hooks = {"sqs": capture("sqs"), "s3": capture("s3")}
        sqs.meta.events.register_first("before-send", hooks["sqs"])
        s3.meta.events.register_first("before-send", hooks["s3"])
        try:
            # when an SQS call and an S3 call are made, and an S3 URL is presigned
            queues = sqs.list_queues()
            s3.list_buckets()
            url = s3.generate_presigned_url(
                "get_object", Params={"Bucket": "b", "Key": "k"}, ExpiresIn=60
            )
        finally:
            sqs.meta.events.unregister("before-send", hooks["sqs"])
            s3.meta.events.unregister("before-send", hooks["s3"])

    # then moto answered the unsigned SQS call as before (same default account)
    assert any("/123456789012/" in q for q in queues.get("QueueUrls", []))
    assert "Authorization" not in seen["sqs"]
    # and S3 (which tells anonymous from signed requests) and presigned URLs are signed
    authorization = seen["s3"]["Authorization"]
    if isinstance(authorization, bytes):
        authorization = authorization.decode()
    assert authorization.startswith("AWS4-HMAC-SHA256")
    assert "Signature=" in url


def _outcome(call):
    """(result without ResponseMetadata, None) or (None, (error class, error body))."""
    from botocore.exceptions import ClientError

    try:
        result = call()
    except ClientError as exc:
        body = {k: v for k, v in exc.response.items() if k != "ResponseMetadata"}
        return None, (type(exc).__name__, body)
    return {k: v for k, v in result.items() if k != "ResponseMetadata"}, None


def test_the_interpreters_in_process_dynamodb_answers_and_fails_as_the_client_does():
    # given the local runtime's cases table, the real client and the interpreter's one
    from arrears import topology as t
    from arrears.local.runtime import LocalRuntime

    with LocalRuntime(dynamodb="moto") as rt:
        real = rt.client("dynamodb")
        in_process = moto_patches.InProcessDynamoDB(real)
        table = t.CASES.local_name

        def update(client, case_id, **extra):
            params = {
                "TableName": table,
                "Key": {"case_id": {"S": case_id}},
                "UpdateExpression": "SET task_token = :t",
                "ExpressionAttributeValues": {":t": {"S": "token"}},
                "ReturnValues": "ALL_NEW",
            }
            return lambda: client.update_item(**{**params, **extra})

        # when the same calls are made through both
        pairs = [
            (update(real, "c-1"), update(in_process, "c-2")),  # success
            (  # a failed condition, with the old item in the error (a modeled error field)
                update(
                    real,
                    "c-1",
                    ConditionExpression="attribute_not_exists(case_id)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ),
                update(
                    in_process,
                    "c-2",
                    ConditionExpression="attribute_not_exists(case_id)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ),
            ),
            (  # a syntax error in the update expression
                update(real, "c-1", UpdateExpression="SET = :t"),
                update(in_process, "c-2", UpdateExpression="SET = :t"),
            ),
            (  # a validation error: a value the expressions do not use
                update(real, "c-1", ExpressionAttributeValues={":t": {"S": "a"}, ":x": {"S": "b"}}),
                update(
                    in_process,
                    "c-2",
                    ExpressionAttributeValues={":t": {"S": "a"}, ":x": {"S": "b"}},
                ),
            ),
            (  # an unknown table
                lambda: real.get_item(TableName="nope", Key={"case_id": {"S": "c-1"}}),
                lambda: in_process.get_item(TableName="nope", Key={"case_id": {"S": "c-1"}}),
            ),
        ]
        outcomes = [(_outcome(a), _outcome(b)) for a, b in pairs]

    # then results and errors match, apart from the key that differs on purpose
    def same_apart_from_key(a, b):
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True).replace("c-2", "c-1")

    (ok_real, _), (ok_in_process, _) = outcomes[0]
    assert ok_real["Attributes"]["task_token"] == {"S": "token"}
    assert same_apart_from_key(ok_real, ok_in_process)
    for (_, real_error), (_, in_process_error) in outcomes[1:]:
        assert real_error is not None
        assert same_apart_from_key(real_error, in_process_error)
    condition_error = outcomes[1][1][1]
    assert condition_error[0] == "ConditionalCheckFailedException"
    assert condition_error[1]["Item"]["case_id"] == {"S": "c-2"}


def test_a_cancelled_transaction_changes_nothing_without_moto_copying_whole_tables():
    # given the runtime's cases (hash key) and timeline (hash + range) tables with items
    from arrears import topology as t
    from arrears.local.runtime import ACCOUNT_ID, REGION, LocalRuntime
    from moto.dynamodb.models import dynamodb_backends

    with LocalRuntime(dynamodb="moto") as rt:
        ddb = rt.client("dynamodb")
        cases, timeline = t.CASES.local_name, t.TIMELINE.local_name
        ddb.put_item(TableName=cases, Item={"case_id": {"S": "c-1"}, "n": {"N": "1"}})
        ddb.put_item(TableName=cases, Item={"case_id": {"S": "c-2"}})
        line = {"case_id": {"S": "c-1"}, "entry_key": {"S": "old"}, "v": {"S": "keep"}}
        ddb.put_item(TableName=timeline, Item=line)
        backend = dynamodb_backends[ACCOUNT_ID][REGION]
        tables_before = {name: backend.tables[name] for name in (cases, timeline)}
        bump = {
            "Update": {
                "TableName": cases,
                "Key": {"case_id": {"S": "c-1"}},
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        }
        new_line = {"case_id": {"S": "c-9"}, "entry_key": {"S": "new"}}

        # when a transaction updates, overwrites and adds items, then fails on its last item
        with pytest.raises(ddb.exceptions.TransactionCanceledException) as cancelled:
            ddb.transact_write_items(
                TransactItems=[
                    bump,
                    {"Put": {"TableName": timeline, "Item": {**line, "v": {"S": "changed"}}}},
                    {"Put": {"TableName": timeline, "Item": new_line}},
                    {
                        "Put": {
                            "TableName": cases,
                            "Item": {"case_id": {"S": "c-2"}},
                            "ConditionExpression": "attribute_not_exists(case_id)",
                        }
                    },
                ]
            )

        # then AWS's answer, and nothing it touched changed
        codes = [r["Code"] for r in cancelled.value.response["CancellationReasons"]]
        assert codes == ["None", "None", "None", "ConditionalCheckFailed"]
        item = ddb.get_item(TableName=cases, Key={"case_id": {"S": "c-1"}})["Item"]
        assert item["n"] == {"N": "1"}
        kept = ddb.get_item(TableName=timeline, Key={k: line[k] for k in ("case_id", "entry_key")})
        assert kept["Item"]["v"] == {"S": "keep"}
        assert (
            ddb.query(
                TableName=timeline,
                KeyConditionExpression="case_id = :c",
                ExpressionAttributeValues={":c": {"S": "c-9"}},
            )["Items"]
            == []
        )
        # and the tables are the same objects: no whole-table copy was made or swapped in
        assert all(backend.tables[name] is table for name, table in tables_before.items())

        # when the same transaction succeeds without its failing item
        ddb.transact_write_items(
            TransactItems=[bump, {"Put": {"TableName": timeline, "Item": new_line}}]
        )
        # then every item is written
        item = ddb.get_item(TableName=cases, Key={"case_id": {"S": "c-1"}})["Item"]
        assert item["n"] == {"N": "2"}
        assert "Item" in ddb.get_item(TableName=timeline, Key=new_line)


def test_a_start_finds_an_execution_of_the_same_name_as_moto_does():
    # given a state machine that waits a day, with executions started before
    from datetime import timedelta

    from arrears.local.runtime import ACCOUNT_ID, REGION, LocalRuntime
    from moto.stepfunctions.parser.models import stepfunctions_parser_backends

    waits = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86400, "End": True}}}
    with LocalRuntime() as rt:
        sfn = rt.client("stepfunctions")
        arn = sfn.create_state_machine(
            name="waits",
            definition=json.dumps(waits),
            roleArn="arn:aws:iam::123456789012:role/sfn",
        )["stateMachineArn"]
        first = {
            f"n-{n}": sfn.start_execution(stateMachineArn=arn, name=f"n-{n}", input="{}")
            for n in range(5)
        }
        rt.scheduler.run_ready()
        # when a running one is started again with its input: the same execution
        again = sfn.start_execution(stateMachineArn=arn, name="n-3", input="{}")
        assert again["executionArn"] == first["n-3"]["executionArn"]
        # when with another input: refused, naming it
        with pytest.raises(sfn.exceptions.ExecutionAlreadyExists, match="n-2"):
            sfn.start_execution(stateMachineArn=arn, name="n-2", input='{"x": 1}')
        # when it has ended: refused even with its input
        rt.advance(timedelta(days=2))
        with pytest.raises(sfn.exceptions.ExecutionAlreadyExists, match="n-4"):
            sfn.start_execution(stateMachineArn=arn, name="n-4", input="{}")
        # and a new name starts a new execution, found by name from then on
        sfn.start_execution(stateMachineArn=arn, name="n-5", input="{}")
        machine = stepfunctions_parser_backends[ACCOUNT_ID][REGION].describe_state_machine(arn)
        index = machine.__dict__["_arrears_by_name"]  # what the starts looked names up in
        assert index.find(machine.executions, "n-5").name == "n-5"
        assert index.find(machine.executions, "n-9") is None
        assert len(machine.executions) == 6
