"""ArrearsStack, synthesized once per session (conftest), checked against arrears.topology."""

from __future__ import annotations

import json
from typing import Any

import pytest
from arrears import constants as c
from arrears import topology

KMS_KEY = "AWS::KMS::Key"


# ---- helpers ----------------------------------------------------------------------------


def key_ref(synthesized: Any) -> dict[str, Any]:
    return {"Fn::GetAtt": [synthesized.logical_id(synthesized.stack.encryption.key), "Arn"]}


def policy_statements_of_role(synthesized: Any, role: Any) -> list[dict[str, Any]]:
    """Every statement of every AWS::IAM::Policy attached to the role."""
    role_ref = {"Ref": synthesized.logical_id(role)}
    statements: list[dict[str, Any]] = []
    for policy in synthesized.of_type("AWS::IAM::Policy").values():
        if role_ref in policy["Properties"]["Roles"]:
            statements += policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allows(statements: list[dict[str, Any]], action: str, resource: Any) -> bool:
    return any(
        s["Effect"] == "Allow"
        and action in as_list(s["Action"])
        and resource in as_list(s["Resource"])
        for s in statements
    )


def function_for(synthesized: Any, spec: topology.FunctionSpec) -> Any:
    return synthesized.stack.workflow.functions[spec.construct_id]


def state_machine_for(synthesized: Any, spec: topology.StateMachineSpec) -> Any:
    return synthesized.stack.workflow.state_machines[spec.construct_id]


# ---- shape ------------------------------------------------------------------------------


def test_resource_counts_follow_the_topology(synthesized):
    # given the topology, when the stack is synthesized, then each spec is one resource
    expected = {
        "AWS::DynamoDB::Table": len(topology.TABLES),
        "AWS::Lambda::Function": len(topology.FUNCTIONS),
        "AWS::StepFunctions::StateMachine": len(topology.STATE_MACHINES),
        # bus rules, plus one schedule per function that runs every N minutes
        "AWS::Events::Rule": len(topology.RULES)
        + sum(1 for f in topology.FUNCTIONS if f.schedule_minutes is not None),
        "AWS::Events::EventBus": 1,
        # ingest queue + its dead-letter queue, the delivery outcomes' dead-letter queue,
        # the outbox stream's dead-letter queue
        "AWS::SQS::Queue": 4,
        # the ingest queue -> ingest; the outbox stream -> publisher
        "AWS::Lambda::EventSourceMapping": 2,
        "AWS::SNS::Topic": 2,  # ops alerts, delivery events
        "AWS::SNS::Subscription": 1,  # the delivery function on the delivery-events topic
        "AWS::SES::ConfigurationSet": 1,
        "AWS::SES::ConfigurationSetEventDestination": 1,
        "AWS::Logs::SubscriptionFilter": 1,  # SMS delivery-status failures -> delivery
        "AWS::S3::Bucket": 2,  # letters + its access logs
        KMS_KEY: 2,  # the data key, the portal's HMAC key for payment references
        # one per function, one per state machine, SNS's SMS delivery-status failures, the
        # portal API's access logs
        "AWS::Logs::LogGroup": len(topology.FUNCTIONS) + len(topology.STATE_MACHINES) + 2,
        "AWS::ApiGatewayV2::Api": 1,
        "AWS::ApiGatewayV2::Stage": 1,
    }
    for resource_type, count in expected.items():
        synthesized.template.resource_count_is(resource_type, count)


def test_test_synth_never_bundles(synthesized):
    # given bundling-stacks = [] in the context, then CDK never asked for the asset to be built
    assert synthesized.bundling_calls == []


# ---- data -------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", topology.TABLES, ids=lambda s: s.construct_id)
def test_table_matches_its_spec(synthesized, spec):
    table = synthesized.resource(synthesized.stack.data.table(spec))["Properties"]

    key_schema = [{"AttributeName": spec.partition_key.name, "KeyType": "HASH"}]
    if spec.sort_key:
        key_schema.append({"AttributeName": spec.sort_key.name, "KeyType": "RANGE"})
    assert table["KeySchema"] == key_schema

    declared = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    keys = [spec.partition_key, spec.sort_key]
    for index in spec.indexes:
        keys += [index.partition_key, index.sort_key]
    assert declared == {k.name: k.type for k in keys if k is not None}

    indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
    assert set(indexes) == {i.name for i in spec.indexes}
    for index in spec.indexes:
        expected = [{"AttributeName": index.partition_key.name, "KeyType": "HASH"}]
        if index.sort_key:
            expected.append({"AttributeName": index.sort_key.name, "KeyType": "RANGE"})
        assert indexes[index.name]["KeySchema"] == expected
        assert indexes[index.name]["Projection"]["ProjectionType"] == index.projection

    if spec.ttl_attribute:
        assert table["TimeToLiveSpecification"] == {
            "AttributeName": spec.ttl_attribute,
            "Enabled": True,
        }
    else:
        assert "TimeToLiveSpecification" not in table

    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSESpecification"] == {
        "KMSMasterKeyId": key_ref(synthesized),
        "SSEEnabled": True,
        "SSEType": "KMS",
    }


# ---- events -----------------------------------------------------------------------------


def test_ingest_queue_has_dead_letter_queue_and_kms(synthesized):
    events = synthesized.stack.events
    queue = synthesized.resource(events.ingest_queue)["Properties"]
    dlq = synthesized.resource(events.dead_letter_queue)["Properties"]
    spec = topology.INGEST_QUEUE

    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {
            "Fn::GetAtt": [synthesized.logical_id(events.dead_letter_queue), "Arn"]
        },
        "maxReceiveCount": spec.max_receive_count,
    }
    assert queue["VisibilityTimeout"] == spec.visibility_timeout_seconds
    assert dlq["MessageRetentionPeriod"] == spec.dlq_retention_days * 86400
    for properties in (queue, dlq):
        assert properties["KmsMasterKeyId"] == key_ref(synthesized)


def test_ingest_consumes_the_queue_reporting_batch_item_failures(synthesized):
    ingest = function_for(synthesized, topology.INGEST_FUNCTION)
    # the SQS mapping (the outbox stream's has a StartingPosition)
    (mapping,) = [
        m
        for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if "StartingPosition" not in m["Properties"]
    ]
    properties = mapping["Properties"]

    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BatchSize"] == topology.INGEST_QUEUE.batch_size
    assert properties["FunctionName"] == {"Ref": synthesized.logical_id(ingest)}
    assert properties["EventSourceArn"] == {
        "Fn::GetAtt": [synthesized.logical_id(synthesized.stack.events.ingest_queue), "Arn"]
    }


@pytest.mark.parametrize("spec", topology.RULES, ids=lambda s: s.construct_id)
def test_rule_pattern_equals_topology_and_targets_the_ingest_queue(synthesized, spec):
    events = synthesized.stack.events
    rule = synthesized.resource(events.rules[spec.construct_id])["Properties"]

    assert rule["EventPattern"] == spec.event_pattern
    assert rule["EventBusName"] == {"Ref": synthesized.logical_id(events.bus)}
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [synthesized.logical_id(events.ingest_queue), "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {
        "Fn::GetAtt": [synthesized.logical_id(events.dead_letter_queue), "Arn"]
    }


def test_eventbridge_may_send_to_the_ingest_queue(synthesized):
    queue_ref = {"Ref": synthesized.logical_id(synthesized.stack.events.ingest_queue)}
    policies = [
        p["Properties"]
        for p in synthesized.of_type("AWS::SQS::QueuePolicy").values()
        if queue_ref in p["Properties"]["Queues"]
    ]
    statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
    assert any(
        s["Effect"] == "Allow"
        and s.get("Principal") == {"Service": "events.amazonaws.com"}
        and "sqs:SendMessage" in as_list(s["Action"])
        for s in statements
    )


# ---- functions --------------------------------------------------------------------------


@pytest.mark.parametrize("spec", topology.FUNCTIONS, ids=lambda s: s.construct_id)
def test_function_runtime_tracing_environment_and_logs(synthesized, spec):
    function = function_for(synthesized, spec)
    properties = synthesized.resource(function)["Properties"]

    assert properties["Runtime"] == "python3.12"
    assert properties["Architectures"] == ["arm64"]
    assert properties["Handler"] == spec.handler
    assert properties["MemorySize"] == spec.memory_mb
    assert properties["Timeout"] == spec.timeout_seconds
    assert properties["TracingConfig"] == {"Mode": "Active"}

    environment = properties["Environment"]["Variables"]
    expected_env = {t.env_var for t in topology.TABLES}
    expected_env |= {s.env_var for s in topology.STATE_MACHINES if s.env_var}
    expected_env |= {
        c.ENV_EVENT_BUS_NAME,
        c.ENV_LETTERS_BUCKET,
        c.ENV_OPS_TOPIC_ARN,
        c.ENV_KMS_KEY_ARN,
        c.ENV_INGEST_DLQ_URL,
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
    }
    assert expected_env <= set(environment)
    assert environment["POWERTOOLS_SERVICE_NAME"] == c.SERVICE_NAME
    assert environment["POWERTOOLS_METRICS_NAMESPACE"] == c.METRICS_NAMESPACE
    for table_spec in topology.TABLES:
        table = synthesized.stack.data.table(table_spec)
        assert environment[table_spec.env_var] == {"Ref": synthesized.logical_id(table)}

    log_group = synthesized.stack.workflow.function_log_groups[spec.construct_id]
    assert properties["LoggingConfig"]["LogGroup"] == {"Ref": synthesized.logical_id(log_group)}
    log_properties = synthesized.resource(log_group)["Properties"]
    assert log_properties["KmsKeyId"] == key_ref(synthesized)
    assert log_properties["RetentionInDays"] > 0


@pytest.mark.parametrize("spec", topology.FUNCTIONS, ids=lambda s: s.construct_id)
def test_function_may_read_and_write_exactly_its_tables(synthesized, spec):
    function = function_for(synthesized, spec)
    statements = policy_statements_of_role(synthesized, function.role)
    for table_spec in topology.TABLES:
        table_arn = {
            "Fn::GetAtt": [synthesized.logical_id(synthesized.stack.data.table(table_spec)), "Arn"]
        }
        granted = allows(statements, "dynamodb:UpdateItem", table_arn)
        assert granted == (table_spec in spec.tables), table_spec.construct_id


def test_state_machine_arns_in_lambda_env_are_the_real_ones(synthesized):
    # the ARN is spelled out (no reference, to avoid a dependency cycle): it must still name
    # the state machine CloudFormation creates
    for spec in topology.STATE_MACHINES:
        state_machine = synthesized.resource(state_machine_for(synthesized, spec))
        spelled = synthesized.resolve(
            synthesized.stack.workflow.state_machine_arns[spec.construct_id]
        )
        assert json.dumps(spelled).endswith(
            f':stateMachine:{state_machine["Properties"]["StateMachineName"]}"]]}}'
        )


def test_ingest_may_start_and_wake_escalation_executions(synthesized):
    ingest = function_for(synthesized, topology.INGEST_FUNCTION)
    statements = policy_statements_of_role(synthesized, ingest.role)
    escalation_arn = synthesized.resolve(
        synthesized.stack.workflow.state_machine_arns[topology.ESCALATION.construct_id]
    )
    assert allows(statements, "states:StartExecution", escalation_arn)
    assert allows(statements, "states:SendTaskSuccess", "*")
    assert allows(statements, "states:SendTaskFailure", "*")
    environment = synthesized.resource(ingest)["Properties"]["Environment"]["Variables"]
    assert environment[c.ENV_ESCALATION_STATE_MACHINE_ARN] == escalation_arn


# ---- state machines ---------------------------------------------------------------------


@pytest.mark.parametrize("spec", topology.STATE_MACHINES, ids=lambda s: s.construct_id)
def test_state_machine_logging_tracing_and_encryption(synthesized, spec):
    state_machine = state_machine_for(synthesized, spec)
    properties = synthesized.resource(state_machine)["Properties"]

    assert properties["StateMachineType"] == "STANDARD"
    assert properties["TracingConfiguration"] == {"Enabled": True}
    assert properties["LoggingConfiguration"]["Level"] == "ALL"
    assert properties["EncryptionConfiguration"]["Type"] == "CUSTOMER_MANAGED_KMS_KEY"
    assert properties["EncryptionConfiguration"]["KmsKeyId"] == key_ref(synthesized)
    (destination,) = properties["LoggingConfiguration"]["Destinations"]
    log_group_id = destination["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
    assert synthesized.resources[log_group_id]["Properties"]["KmsKeyId"] == key_ref(synthesized)


@pytest.mark.parametrize("spec", topology.STATE_MACHINES, ids=lambda s: s.construct_id)
def test_state_machine_may_use_every_substituted_resource(synthesized, spec):
    state_machine = state_machine_for(synthesized, spec)
    statements = policy_statements_of_role(synthesized, state_machine.role)
    substitutions = synthesized.resource(state_machine)["Properties"]["DefinitionSubstitutions"]
    workflow = synthesized.stack.workflow

    for placeholder, (kind, target) in spec.substitutions.items():
        value = substitutions[placeholder]
        if kind == "function":
            function = workflow.functions[target.construct_id]
            assert value == {"Fn::GetAtt": [synthesized.logical_id(function), "Arn"]}
            assert allows(statements, "lambda:InvokeFunction", value), placeholder
        elif kind == "table":
            table = synthesized.stack.data.table(target)
            assert value == {"Ref": synthesized.logical_id(table)}
            table_arn = {"Fn::GetAtt": [synthesized.logical_id(table), "Arn"]}
            assert allows(statements, "dynamodb:UpdateItem", table_arn), placeholder
            assert allows(statements, "dynamodb:GetItem", table_arn), placeholder
        elif kind == "topic":
            assert allows(statements, "sns:Publish", value), placeholder
        elif kind == "bus":
            bus = synthesized.stack.events.bus
            assert allows(
                statements, "events:PutEvents", {"Fn::GetAtt": [synthesized.logical_id(bus), "Arn"]}
            )
        else:  # a new kind needs its own check here
            pytest.fail(f"no grant check for substitution kind {kind!r} ({placeholder})")
    if spec.sends_task_callbacks:
        assert allows(statements, "states:SendTaskSuccess", "*")


def test_encryption_key_rotates_and_lets_cloudwatch_logs_use_it(synthesized):
    (key,) = [
        k
        for k in synthesized.of_type(KMS_KEY).values()
        if k["Properties"].get("KeySpec") != "HMAC_256"  # HMAC keys cannot rotate
    ]
    assert key["Properties"]["EnableKeyRotation"] is True
    services = [
        json.dumps(s["Principal"].get("Service"))
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if "Service" in s.get("Principal", {})
    ]
    assert any("logs." in service for service in services)
    assert any("delivery.logs.amazonaws.com" in service for service in services)


def test_topic_and_buckets_are_encrypted_and_locked_down(synthesized):
    stack = synthesized.stack
    topic = synthesized.resource(stack.messaging.ops_topic)["Properties"]
    assert topic["KmsMasterKeyId"] == key_ref(synthesized)

    letters = synthesized.resource(stack.letters.bucket)["Properties"]
    assert letters["VersioningConfiguration"] == {"Status": "Enabled"}
    assert letters["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (rule,) = letters["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"] == {
        "KMSMasterKeyID": key_ref(synthesized),
        "SSEAlgorithm": "aws:kms",
    }

    bucket_ref = {"Ref": synthesized.logical_id(stack.letters.bucket)}
    (policy,) = [
        p
        for p in synthesized.of_type("AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == bucket_ref
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    )


def test_deployment_settings_come_from_cdk_context(synthesized):
    # given emailFrom in the context (conftest) and no smsOriginationNumber
    from infra.constructs.workflow import DEPLOYMENT_SETTINGS

    assert DEPLOYMENT_SETTINGS["emailFrom"] == c.ENV_EMAIL_FROM
    for spec in topology.FUNCTIONS:
        environment = synthesized.resource(function_for(synthesized, spec))["Properties"][
            "Environment"
        ]["Variables"]
        # then the set one reaches every function, the unset one leaves the handler default
        assert environment[c.ENV_EMAIL_FROM] == "collections@pay.example.com"
        assert c.ENV_SMS_ORIGINATION_NUMBER not in environment


def test_the_outbox_stream_feeds_the_publisher_in_order(synthesized):
    # the outbox table streams new images, read by the publisher one batch per shard at a
    # time (a case's events stay in order), new items only, failures to a dead-letter queue
    tables = synthesized.of_type("AWS::DynamoDB::Table")
    outbox = [
        t
        for t in tables.values()
        if {k["AttributeName"] for k in t["Properties"]["KeySchema"]} == {"case_id", "sequence"}
    ]
    assert len(outbox) == 1
    assert outbox[0]["Properties"]["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    mappings = [
        m["Properties"]
        for m in synthesized.of_type("AWS::Lambda::EventSourceMapping").values()
        if "StartingPosition" in m["Properties"]
    ]
    assert len(mappings) == 1
    mapping = mappings[0]
    assert mapping["ParallelizationFactor"] == 1
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["MaximumRetryAttempts"] == topology.OUTBOX_STREAM_RETRY_ATTEMPTS
    assert "OnFailure" in mapping["DestinationConfig"]
    (pattern,) = [json.loads(f["Pattern"]) for f in mapping["FilterCriteria"]["Filters"]]
    assert pattern == {"eventName": ["INSERT"]}
