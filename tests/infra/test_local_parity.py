"""The embedded default and the deployed stack describe the same system.

Both are built from `arrears.topology`, and other tests check each against it. These tests
compare the two directly: the resources the local runtime stands up on moto against the
synthesized CloudFormation template, so a change to either side alone fails here.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from arrears import constants as c
from arrears import topology as t
from arrears.local.runtime import LocalRuntime, LocalTopology, local_definition, local_environment

_TOKEN_LOGICAL_ID = re.compile(r"^[A-Za-z0-9]+$")


@pytest.fixture(scope="module")
def local() -> Any:
    """Describe every resource the local runtime created (moto is stopped afterwards)."""
    with LocalRuntime(start=datetime(2026, 11, 2, tzinfo=UTC), seed=1) as rt:
        dynamodb, events, sqs = rt.client("dynamodb"), rt.client("events"), rt.client("sqs")
        tables = {}
        for spec in t.TABLES:
            table = dynamodb.describe_table(TableName=spec.local_name)["Table"]
            ttl = dynamodb.describe_time_to_live(TableName=spec.local_name)
            tables[spec.construct_id] = (table, ttl["TimeToLiveDescription"])
        rules = {
            r["Name"]: json.loads(r["EventPattern"])
            for r in events.list_rules(EventBusName=t.EVENT_BUS_LOCAL_NAME)["Rules"]
        }
        queue_url = sqs.get_queue_url(QueueName=t.INGEST_QUEUE.local_name)["QueueUrl"]
        queue = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])
        topics = {x["TopicArn"].rsplit(":", 1)[1] for x in rt.client("sns").list_topics()["Topics"]}
        queues = {u.rsplit("/", 1)[1] for u in sqs.list_queues().get("QueueUrls", [])}
        configuration_sets = set(rt.client("sesv2").list_configuration_sets()["ConfigurationSets"])
        yield {
            "tables": tables,
            "rules": rules,
            "queue": queue["Attributes"],
            "topics": topics,
            "queues": queues,
            "configuration_sets": configuration_sets,
        }


def _only(resources: dict[str, dict[str, Any]], kind: str, construct_id: str) -> dict[str, Any]:
    """The one template resource of `kind` whose logical id carries `construct_id`."""
    found = [r for k, r in resources.items() if r["Type"] == kind and construct_id in k]
    assert len(found) == 1, f"expected one {kind} for {construct_id}, found {len(found)}"
    return found[0]["Properties"]


def _key_schema(schema: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(k["AttributeName"], k["KeyType"]) for k in schema]


@pytest.mark.parametrize("spec", t.TABLES, ids=lambda s: s.construct_id)
def test_each_local_table_has_the_deployed_keys_indexes_and_ttl(
    synthesized: Any, local: Any, spec: t.TableSpec
) -> None:
    deployed = _only(synthesized.resources, "AWS::DynamoDB::Table", spec.construct_id)
    table, ttl = local["tables"][spec.construct_id]

    assert _key_schema(table["KeySchema"]) == _key_schema(deployed["KeySchema"])
    assert {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]} == {
        (a["AttributeName"], a["AttributeType"]) for a in deployed["AttributeDefinitions"]
    }
    local_indexes = {
        i["IndexName"]: (_key_schema(i["KeySchema"]), i["Projection"]["ProjectionType"])
        for i in table.get("GlobalSecondaryIndexes", [])
    }
    deployed_indexes = {
        i["IndexName"]: (_key_schema(i["KeySchema"]), i["Projection"]["ProjectionType"])
        for i in deployed.get("GlobalSecondaryIndexes", [])
    }
    assert local_indexes == deployed_indexes
    deployed_ttl = deployed.get("TimeToLiveSpecification", {}).get("AttributeName")
    local_ttl = ttl.get("AttributeName") if ttl.get("TimeToLiveStatus") == "ENABLED" else None
    assert local_ttl == deployed_ttl


def test_local_rules_match_the_deployed_patterns(synthesized: Any, local: Any) -> None:
    deployed = sorted(
        json.dumps(r["Properties"]["EventPattern"], sort_keys=True)
        for r in synthesized.resources.values()
        if r["Type"] == "AWS::Events::Rule" and "EventPattern" in r["Properties"]
    )
    assert sorted(json.dumps(p, sort_keys=True) for p in local["rules"].values()) == deployed


def test_local_ingest_queue_redrives_and_hides_like_the_deployed_one(
    synthesized: Any, local: Any
) -> None:
    deployed = _only(synthesized.resources, "AWS::SQS::Queue", t.INGEST_QUEUE.construct_id)
    redrive = json.loads(local["queue"]["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == deployed["RedrivePolicy"]["maxReceiveCount"]
    assert int(local["queue"]["VisibilityTimeout"]) == deployed["VisibilityTimeout"]


def _definition_asset(synthesized: Any, properties: dict[str, Any]) -> str:
    key = properties["DefinitionS3Location"]["Key"]
    outdir = Path(synthesized.app.outdir)
    return (outdir / f"asset.{key}").read_text(encoding="utf-8")


@pytest.mark.parametrize("spec", t.STATE_MACHINES, ids=lambda s: s.construct_id)
def test_each_state_machine_runs_the_same_file_wired_to_the_same_resources(
    synthesized: Any, spec: t.StateMachineSpec
) -> None:
    deployed = _only(synthesized.resources, "AWS::StepFunctions::StateMachine", spec.construct_id)
    # the deployed definition is the very file the local runtime loads
    assert _definition_asset(synthesized, deployed) == spec.definition_path.read_text("utf-8")
    local_definition(spec, LocalTopology.default())  # raises on an unmapped placeholder

    # each placeholder points at the same resource on both sides
    deployed_subs = deployed["DefinitionSubstitutions"]
    assert set(deployed_subs) == set(spec.substitutions)
    for placeholder, (_kind, target) in spec.substitutions.items():
        token = deployed_subs[placeholder]
        referenced = token.get("Ref") or token.get("Fn::GetAtt", [None])[0]
        assert isinstance(referenced, str) and _TOKEN_LOGICAL_ID.match(referenced), token
        construct_id = target if isinstance(target, str) else target.construct_id  # type: ignore[attr-defined]
        assert construct_id in referenced, f"{placeholder}: {referenced} is not {construct_id}"


def test_the_local_handlers_get_every_resource_setting_the_deployed_ones_get(
    synthesized: Any,
) -> None:
    deployed_names = {
        name
        for r in synthesized.resources.values()
        if r["Type"] == "AWS::Lambda::Function"
        for name in r["Properties"].get("Environment", {}).get("Variables", {})
        if name.startswith("ARREARS_")
    }
    local_names = set(local_environment(LocalTopology.default()))
    # Encryption is the one resource the local runtime leaves out: moto stores plaintext.
    assert deployed_names - local_names <= {c.ENV_KMS_KEY_ARN} | _per_deployment_settings()
    assert local_names <= deployed_names


def _per_deployment_settings() -> set[str]:
    """Settings given with `cdk deploy -c ...`, not resources; they have defaults locally."""
    return {
        getattr(c, name)
        for name in dir(c)
        if name.startswith("ENV_")
        and not getattr(c, name).endswith(("_TABLE", "_ARN", "_URL", "_BUCKET", "_BUS_NAME"))
    }


def _logical_id_of(resources: dict[str, dict[str, Any]], kind: str, construct_id: str) -> str:
    (found,) = [k for k, r in resources.items() if r["Type"] == kind and construct_id in k]
    return found


def test_delivery_outcomes_reach_the_same_function_through_the_same_topic(
    synthesized: Any, local: Any
) -> None:
    resources = synthesized.resources
    topology = LocalTopology.default()
    # the topic exists on both sides
    topic_id = _logical_id_of(resources, "AWS::SNS::Topic", t.DELIVERY_TOPIC_CONSTRUCT_ID)
    assert topology.delivery_topic_name in local["topics"]
    # its one subscriber is the function the local runtime invokes for a published outcome
    (subscription,) = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::SNS::Subscription"
        and r["Properties"]["TopicArn"] == {"Ref": topic_id}
    ]
    subscriber = topology.delivery_subscriber
    assert subscriber.construct_id in subscription["Endpoint"]["Fn::GetAtt"][0]
    assert subscriber in topology.functions
    # the SMS delivery-status log subscription feeds the same function
    (log_subscription,) = [
        r["Properties"] for r in resources.values() if r["Type"] == "AWS::Logs::SubscriptionFilter"
    ]
    assert subscriber.construct_id in log_subscription["DestinationArn"]["Fn::GetAtt"][0]


def test_failed_delivery_outcomes_dead_letter_after_the_same_retries(
    synthesized: Any, local: Any
) -> None:
    resources = synthesized.resources
    dlq_id = _logical_id_of(resources, "AWS::SQS::Queue", t.DELIVERY_DLQ_CONSTRUCT_ID)
    assert LocalTopology.default().delivery_dlq_name in local["queues"]
    (invoke_config,) = [
        r["Properties"] for r in resources.values() if r["Type"] == "AWS::Lambda::EventInvokeConfig"
    ]
    assert invoke_config["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": [dlq_id, "Arn"]
    }
    # the local runtime retries t.DELIVERY_RETRY_ATTEMPTS times before dead-lettering
    assert invoke_config["MaximumRetryAttempts"] == t.DELIVERY_RETRY_ATTEMPTS


def test_emails_name_a_configuration_set_that_exists_on_both_sides(
    synthesized: Any, local: Any
) -> None:
    resources = synthesized.resources
    set_id = _logical_id_of(
        resources, "AWS::SES::ConfigurationSet", t.EMAIL_CONFIGURATION_SET_CONSTRUCT_ID
    )
    contact = _only(resources, "AWS::Lambda::Function", t.CONTACT_FUNCTION.construct_id)
    assert contact["Environment"]["Variables"][c.ENV_EMAIL_CONFIGURATION_SET] == {"Ref": set_id}
    local_env = local_environment(LocalTopology.default())
    assert local_env[c.ENV_EMAIL_CONFIGURATION_SET] in local["configuration_sets"]
