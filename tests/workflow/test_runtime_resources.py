"""The local runtime stands up exactly what arrears.topology describes (what CDK deploys).

tests/infra checks the synthesized template against the same specs, so the local runtime
and the deployed stack cannot disagree without one of the two suites failing.
"""

from __future__ import annotations

import json

import pytest
from arrears import topology as t
from arrears.local.runtime import LocalRuntime, function_arn, state_machine_arn
from botocore.exceptions import ClientError


@pytest.fixture(scope="module")
def default_rt():
    with LocalRuntime(seed=0) as rt:
        yield rt


@pytest.mark.parametrize("spec", t.TABLES, ids=lambda s: s.construct_id)
def test_tables_have_the_spec_keys_indexes_and_ttl(default_rt, spec):
    ddb = default_rt.client("dynamodb")
    table = ddb.describe_table(TableName=spec.local_name)["Table"]
    keys = {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]}
    expected = {spec.partition_key.name: "HASH"}
    if spec.sort_key:
        expected[spec.sort_key.name] = "RANGE"
    assert keys == expected
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    assert types[spec.partition_key.name] == spec.partition_key.type
    indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {i.name for i in spec.indexes}
    for index in spec.indexes:
        schema = {k["AttributeName"]: k["KeyType"] for k in indexes[index.name]["KeySchema"]}
        assert schema[index.partition_key.name] == "HASH"
        assert indexes[index.name]["Projection"]["ProjectionType"] == index.projection
    ttl = ddb.describe_time_to_live(TableName=spec.local_name)["TimeToLiveDescription"]
    if spec.ttl_attribute:
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": spec.ttl_attribute}
    else:
        assert ttl["TimeToLiveStatus"] == "DISABLED"


def test_rules_carry_the_spec_patterns_and_target_the_ingest_queue(default_rt):
    events = default_rt.client("events")
    for spec in t.RULES:
        rule = events.describe_rule(Name=spec.local_name, EventBusName=t.EVENT_BUS_LOCAL_NAME)
        assert json.loads(rule["EventPattern"]) == spec.event_pattern
        targets = events.list_targets_by_rule(
            Rule=spec.local_name, EventBusName=t.EVENT_BUS_LOCAL_NAME
        )["Targets"]
        assert [x["Arn"].rsplit(":", 1)[1] for x in targets] == [t.INGEST_QUEUE.local_name]


def test_the_ingest_queue_redrives_to_its_dlq(default_rt):
    sqs = default_rt.client("sqs")
    url = sqs.get_queue_url(QueueName=t.INGEST_QUEUE.local_name)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == str(t.INGEST_QUEUE.visibility_timeout_seconds)
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["maxReceiveCount"] == t.INGEST_QUEUE.max_receive_count
    assert redrive["deadLetterTargetArn"].endswith(":" + t.INGEST_QUEUE.dlq_local_name)


def test_functions_state_machines_topic_and_bucket_exist(default_rt):
    functions = default_rt.client("lambda").list_functions()["Functions"]
    assert {f["FunctionArn"] for f in functions} == {function_arn(s) for s in t.FUNCTIONS}
    machines = default_rt.client("stepfunctions").list_state_machines()["stateMachines"]
    assert {m["stateMachineArn"] for m in machines} == {
        state_machine_arn(s) for s in t.STATE_MACHINES
    }
    topics = default_rt.client("sns").list_topics()["Topics"]
    assert sorted(x["TopicArn"].rsplit(":", 1)[1] for x in topics) == sorted(
        [t.OPS_TOPIC_LOCAL_NAME, t.DELIVERY_TOPIC_LOCAL_NAME]
    )
    versioning = default_rt.client("s3").get_bucket_versioning(Bucket=t.LETTERS_BUCKET_LOCAL_NAME)
    assert versioning["Status"] == "Enabled"


def test_an_invalid_definition_is_still_rejected_by_moto(default_rt):
    # the runtime caches parsed definitions; a bad one must still fail CreateStateMachine
    # exactly as unmodified moto fails it (moto 5.2.5 sends the parser error, no code)
    with pytest.raises(ClientError, match=r'ASLParserException.*at "Nope"'):
        default_rt.client("stepfunctions").create_state_machine(
            name="broken",
            definition=json.dumps({"StartAt": "Nowhere", "States": {"A": {"Type": "Nope"}}}),
            roleArn="arn:aws:iam::123456789012:role/arrears-local",
        )
