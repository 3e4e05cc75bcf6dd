"""Delivery outcomes in the stack: SES events and SMS delivery status reach the function."""

from __future__ import annotations

import json
from typing import Any

from arrears import constants as c
from arrears import topology
from test_stack import allows, as_list, function_for, key_ref, policy_statements_of_role


def _ref(synthesized: Any, construct: Any) -> dict[str, str]:
    return {"Ref": synthesized.logical_id(construct)}


def _arn(synthesized: Any, construct: Any) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [synthesized.logical_id(construct), "Arn"]}


def _configuration_set_arn(synthesized: Any) -> Any:
    return synthesized.resolve(synthesized.stack.messaging.configuration_set_arn)


def test_configuration_set_publishes_the_outcome_events_to_the_delivery_topic(synthesized):
    stack = synthesized.stack
    configuration_set = synthesized.resource(stack.messaging.configuration_set)["Properties"]
    # SES keeps hard-bounced and complaining addresses off on its own too
    assert configuration_set["SuppressionOptions"] == {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]}

    (destination,) = synthesized.of_type("AWS::SES::ConfigurationSetEventDestination").values()
    properties = destination["Properties"]
    assert properties["ConfigurationSetName"] == _ref(
        synthesized, stack.messaging.configuration_set
    )
    event_destination = properties["EventDestination"]
    assert event_destination["Enabled"] is True
    assert sorted(event_destination["MatchingEventTypes"]) == sorted(
        name.lower() for name in topology.DELIVERY_EVENT_TYPES
    )
    assert {"bounce", "complaint"} <= set(event_destination["MatchingEventTypes"])
    assert event_destination["SnsDestination"] == {
        "TopicARN": _ref(synthesized, stack.delivery.topic)
    }


def test_delivery_topic_is_encrypted_and_only_this_configuration_set_publishes_to_it(
    synthesized,
):
    stack = synthesized.stack
    topic = synthesized.resource(stack.delivery.topic)["Properties"]
    assert topic["KmsMasterKeyId"] == key_ref(synthesized)

    topic_ref = _ref(synthesized, stack.delivery.topic)
    (policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synthesized.of_type("AWS::SNS::TopicPolicy").values()
        if topic_ref in p["Properties"]["Topics"]
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy
    )
    (ses,) = [s for s in policy if s.get("Principal") == {"Service": "ses.amazonaws.com"}]
    assert ses["Effect"] == "Allow" and ses["Action"] == "sns:Publish"
    assert ses["Condition"] == {
        "StringEquals": {
            "AWS:SourceAccount": {"Ref": "AWS::AccountId"},
            "AWS:SourceArn": _configuration_set_arn(synthesized),
        }
    }


def test_ses_and_sns_may_use_the_key_for_the_encrypted_topic_and_queue(synthesized):
    # the stack's data key (the portal's HMAC key signs payment references only)
    (key,) = [
        k
        for k in synthesized.of_type("AWS::KMS::Key").values()
        if k["Properties"].get("KeySpec") != "HMAC_256"
    ]
    statements = key["Properties"]["KeyPolicy"]["Statement"]
    for service in ("ses.amazonaws.com", "sns.amazonaws.com"):
        (statement,) = [
            s
            for s in statements
            if s.get("Principal") == {"Service": service}
            and "kms:GenerateDataKey*" in as_list(s["Action"])
        ]
        assert "kms:Decrypt" in as_list(statement["Action"])
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
        }


def test_delivery_function_is_subscribed_with_a_dead_letter_queue(synthesized):
    stack = synthesized.stack
    function = function_for(synthesized, topology.DELIVERY_FUNCTION)
    dlq = stack.delivery.dead_letter_queue

    (subscription,) = synthesized.of_type("AWS::SNS::Subscription").values()
    properties = subscription["Properties"]
    assert properties["Protocol"] == "lambda"
    assert properties["TopicArn"] == _ref(synthesized, stack.delivery.topic)
    assert properties["Endpoint"] == _arn(synthesized, function)
    assert properties["RedrivePolicy"] == {"deadLetterTargetArn": _arn(synthesized, dlq)}

    queue = synthesized.resource(dlq)["Properties"]
    assert queue["KmsMasterKeyId"] == key_ref(synthesized)
    assert queue["MessageRetentionPeriod"] == 14 * 86400
    queue_ref = _ref(synthesized, dlq)
    statements = [
        s
        for p in synthesized.of_type("AWS::SQS::QueuePolicy").values()
        if queue_ref in p["Properties"]["Queues"]
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in statements
    )
    assert any(
        s["Effect"] == "Allow"
        and s["Principal"] == {"Service": "sns.amazonaws.com"}
        and s["Condition"]
        == {"ArnEquals": {"aws:SourceArn": _ref(synthesized, stack.delivery.topic)}}
        for s in statements
    )

    permissions = [
        p["Properties"]
        for p in synthesized.of_type("AWS::Lambda::Permission").values()
        if p["Properties"]["FunctionName"] == _arn(synthesized, function)
    ]
    assert {(p["Principal"], json.dumps(p["SourceArn"], sort_keys=True)) for p in permissions} == {
        ("sns.amazonaws.com", json.dumps(_ref(synthesized, stack.delivery.topic), sort_keys=True)),
        (
            "logs.amazonaws.com",
            json.dumps(_arn(synthesized, stack.delivery.sms_failure_log_group), sort_keys=True),
        ),
    }


def test_failed_invocations_are_retried_then_dead_lettered_and_alarmed(synthesized):
    stack = synthesized.stack
    function = function_for(synthesized, topology.DELIVERY_FUNCTION)
    dlq_arn = _arn(synthesized, stack.delivery.dead_letter_queue)

    (config,) = synthesized.of_type("AWS::Lambda::EventInvokeConfig").values()
    assert config["Properties"]["FunctionName"] == _ref(synthesized, function)
    assert config["Properties"]["MaximumRetryAttempts"] == topology.DELIVERY_RETRY_ATTEMPTS
    assert config["Properties"]["DestinationConfig"] == {"OnFailure": {"Destination": dlq_arn}}
    statements = policy_statements_of_role(synthesized, function.role)
    assert allows(statements, "sqs:SendMessage", dlq_arn)

    alarm = synthesized.resource(stack.delivery.dead_letter_alarm)["Properties"]
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [
        {
            "Name": "QueueName",
            "Value": {
                "Fn::GetAtt": [
                    synthesized.logical_id(stack.delivery.dead_letter_queue),
                    "QueueName",
                ]
            },
        }
    ]
    assert alarm["AlarmActions"] == [_ref(synthesized, stack.messaging.ops_topic)]


def test_sms_delivery_status_failures_reach_the_function(synthesized):
    stack = synthesized.stack
    log_group = synthesized.resource(stack.delivery.sms_failure_log_group)["Properties"]
    assert log_group["LogGroupName"] == {
        "Fn::Join": [
            "",
            [
                "sns/",
                {"Ref": "AWS::Region"},
                "/",
                {"Ref": "AWS::AccountId"},
                "/DirectPublishToPhoneNumber/Failure",
            ],
        ]
    }
    assert log_group["KmsKeyId"] == key_ref(synthesized)
    # the records carry phone numbers: kept for a month, not the one year of function logs
    assert log_group["RetentionInDays"] == 30

    (subscription,) = synthesized.of_type("AWS::Logs::SubscriptionFilter").values()
    function = function_for(synthesized, topology.DELIVERY_FUNCTION)
    assert subscription["Properties"]["DestinationArn"] == _arn(synthesized, function)
    assert subscription["Properties"]["LogGroupName"] == _ref(
        synthesized, stack.delivery.sms_failure_log_group
    )
    assert subscription["Properties"]["FilterPattern"] == ""


def test_sns_may_write_sms_delivery_status_logs_with_the_output_role(synthesized):
    stack = synthesized.stack
    role = stack.delivery.sms_delivery_status_role
    trust = synthesized.resource(role)["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "sns.amazonaws.com"}]

    statements = policy_statements_of_role(synthesized, role)
    resources = {json.dumps(r) for s in statements for r in as_list(s["Resource"])}
    assert len(resources) == 1 and "DirectPublishToPhoneNumber*" in resources.pop()
    assert allows(
        statements,
        "logs:PutLogEvents",
        synthesized.resolve(statements[0]["Resource"]),
    )
    outputs = synthesized.template_json["Outputs"]
    assert outputs["SmsDeliveryStatusRoleArn"]["Value"] == _arn(synthesized, role)


def test_contact_sends_with_the_stack_configuration_set_and_may_use_only_that_one(synthesized):
    stack = synthesized.stack
    contact = function_for(synthesized, topology.CONTACT_FUNCTION)
    environment = synthesized.resource(contact)["Properties"]["Environment"]["Variables"]
    assert environment[c.ENV_EMAIL_CONFIGURATION_SET] == _ref(
        synthesized, stack.messaging.configuration_set
    )

    statements = policy_statements_of_role(synthesized, contact.role)
    assert allows(statements, "ses:SendEmail", _configuration_set_arn(synthesized))
    granted = json.dumps(
        [s["Resource"] for s in statements if "ses:SendEmail" in as_list(s["Action"])]
    )
    assert "configuration-set/*" not in granted

    outputs = synthesized.template_json["Outputs"]
    assert outputs["EmailConfigurationSetName"]["Value"] == _ref(
        synthesized, stack.messaging.configuration_set
    )
    assert outputs["DeliveryEventsTopicArn"]["Value"] == _ref(synthesized, stack.delivery.topic)
