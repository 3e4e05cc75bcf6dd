"""Dashboard and alarms (issue 8): alarms reach the ops topic; the dashboard shows the metrics."""

from __future__ import annotations

import json

from arrears import constants as c
from arrears import topology

from infra.constructs import observability as obs


def alarms(synthesized):
    return synthesized.of_type("AWS::CloudWatch::Alarm")


def topic_ref(synthesized):
    return {"Ref": synthesized.logical_id(synthesized.stack.messaging.ops_topic)}


def test_every_alarm_notifies_the_ops_topic(synthesized):
    found = alarms(synthesized)
    assert found
    for logical_id, alarm in found.items():
        assert alarm["Properties"]["AlarmActions"] == [topic_ref(synthesized)], logical_id


def first_one_alarms(synthesized, namespace, dimension_name, dimension_value):
    """Metric names alarmed on at their first occurrence for one resource."""
    return {
        a["Properties"]["MetricName"]
        for a in alarms(synthesized).values()
        if a["Properties"].get("Namespace") == namespace
        and a["Properties"]["Dimensions"] == [{"Name": dimension_name, "Value": dimension_value}]
        and a["Properties"]["Threshold"] == 0
        and a["Properties"]["ComparisonOperator"] == "GreaterThanThreshold"
        and a["Properties"]["Statistic"] == "Sum"
    }


def state_machine_alarms(synthesized, spec):
    state_machine = synthesized.stack.workflow.state_machines[spec.construct_id]
    arn = {"Ref": synthesized.logical_id(state_machine)}
    return first_one_alarms(synthesized, "AWS/States", "StateMachineArn", arn)


def test_failed_and_timed_out_case_executions_alarm_on_the_first_one(synthesized):
    # a failed case execution stopped escalating a case: an incident every time
    assert not topology.ESCALATION.refusal_fails_execution
    assert state_machine_alarms(synthesized, topology.ESCALATION) == {
        "ExecutionsFailed",
        "ExecutionsTimedOut",
    }


def test_refused_ops_actions_do_not_page_but_broken_ones_do(synthesized):
    # given the ops machine fails executions on purpose for refused input (issue 8)
    assert topology.OPS_ACTION.refusal_fails_execution
    # then its failed executions raise no alarm; timed-out and aborted ones do
    assert state_machine_alarms(synthesized, topology.OPS_ACTION) == {
        "ExecutionsTimedOut",
        "ExecutionsAborted",
    }
    # and so does any error of the function its steps call
    ops_function = synthesized.stack.workflow.functions[topology.OPS_FUNCTION.construct_id]
    function_ref = {"Ref": synthesized.logical_id(ops_function)}
    assert first_one_alarms(synthesized, "AWS/Lambda", "FunctionName", function_ref) == {"Errors"}


def test_only_state_machines_whose_failures_are_incidents_alarm_on_failures(synthesized):
    failed_alarms = [
        a["Properties"]["Dimensions"][0]["Value"]
        for a in alarms(synthesized).values()
        if a["Properties"].get("MetricName") == "ExecutionsFailed"
    ]
    expected = [
        {"Ref": synthesized.logical_id(synthesized.stack.workflow.state_machines[s.construct_id])}
        for s in topology.STATE_MACHINES
        if not s.refusal_fails_execution
    ]
    assert sorted(map(str, failed_alarms)) == sorted(map(str, expected))


def test_dead_letter_queue_depth_above_zero_alarms(synthesized):
    dlq_name = {
        "Fn::GetAtt": [
            synthesized.logical_id(synthesized.stack.events.dead_letter_queue),
            "QueueName",
        ]
    }
    # (the delivery outcomes' own dead-letter queue has its alarm too: test_delivery_stack.py)
    (dlq_alarm,) = [
        a["Properties"]
        for a in alarms(synthesized).values()
        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and a["Properties"]["Dimensions"] == [{"Name": "QueueName", "Value": dlq_name}]
    ]
    assert dlq_alarm["Threshold"] == 0
    assert dlq_alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_blocked_contacts_rising_is_an_anomaly_alarm_on_the_blocked_total(synthesized):
    # given the one alarm that compares against a learned band
    (anomaly,) = [
        a["Properties"]
        for a in alarms(synthesized).values()
        if a["Properties"]["ComparisonOperator"] == "GreaterThanUpperThreshold"
    ]
    queries = {q["Id"]: q for q in anomaly["Metrics"]}
    (metric_query,) = [q for q in queries.values() if "MetricStat" in q]
    # then its band is 3 standard deviations around the hourly count of blocked contacts
    band = queries[anomaly["ThresholdMetricId"]]
    assert band["Expression"] == (
        f"ANOMALY_DETECTION_BAND({metric_query['Id']}, {obs.BLOCKED_CONTACTS_STD_DEVS})"
    )
    assert metric_query["MetricStat"]["Stat"] == "Sum"
    assert metric_query["MetricStat"]["Period"] == 3600
    assert anomaly["TreatMissingData"] == "notBreaching"
    # and it watches the single all-reasons series the contact step emits for it, with the
    # service dimension only (an alarm cannot add up ContactBlocked's channel/reason series)
    metric = metric_query["MetricStat"]["Metric"]
    assert metric["Namespace"] == c.METRICS_NAMESPACE
    assert metric["MetricName"] == c.METRIC_CONTACT_BLOCKED_TOTAL
    assert metric["Dimensions"] == [{"Name": "service", "Value": c.SERVICE_NAME}]


def test_dashboard_shows_the_operational_metrics(synthesized):
    (dashboard,) = synthesized.of_type("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for metric_name in (
        c.METRIC_CASES_OPENED,
        c.METRIC_CASES_CLOSED,
        c.METRIC_CASE_RESOLVED,
        c.METRIC_AMOUNT_RECOVERED,
        c.METRIC_CONTACT_SENT,
        c.METRIC_CONTACT_BLOCKED,
        c.METRIC_LETTERS_STORED,
        c.METRIC_AGENT_TASKS_WAITING,
        c.METRIC_LEGAL_REVIEWS_WAITING,
        c.METRIC_OPS_ACTION_REFUSED,
        c.METRIC_DELIVERY_OUTCOMES,
        "DelinquencyRolls",
        "DelinquencyCures",
        "OutboundPublished",
        "OutboundUnconfirmed",
        "ApproximateNumberOfMessagesVisible",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
    ):
        assert metric_name in body, metric_name
    assert f'Namespace=\\\\\\"{c.METRICS_NAMESPACE}\\\\\\"' in body


def test_the_alarm_panel_shows_every_alarm_including_the_delivery_dlq(synthesized):
    (dashboard,) = synthesized.of_type("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for logical_id in alarms(synthesized):
        assert logical_id in body, logical_id  # the panel lists alarms by their ARN
