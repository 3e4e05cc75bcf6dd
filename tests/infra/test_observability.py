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
    # failed + timed out per state machine, DLQ depth, blocked contacts rising
    assert len(found) == 2 * len(topology.STATE_MACHINES) + 2
    for logical_id, alarm in found.items():
        assert alarm["Properties"]["AlarmActions"] == [topic_ref(synthesized)], logical_id


def test_failed_and_timed_out_executions_alarm_on_the_first_one(synthesized):
    for spec in topology.STATE_MACHINES:
        state_machine = synthesized.stack.workflow.state_machines[spec.construct_id]
        arn = {"Ref": synthesized.logical_id(state_machine)}
        watched = {
            a["Properties"]["MetricName"]
            for a in alarms(synthesized).values()
            if a["Properties"].get("Namespace") == "AWS/States"
            and a["Properties"]["Dimensions"] == [{"Name": "StateMachineArn", "Value": arn}]
            and a["Properties"]["Threshold"] == 0
            and a["Properties"]["ComparisonOperator"] == "GreaterThanThreshold"
        }
        assert watched == {"ExecutionsFailed", "ExecutionsTimedOut"}, spec.construct_id


def test_dead_letter_queue_depth_above_zero_alarms(synthesized):
    dlq_name = {
        "Fn::GetAtt": [
            synthesized.logical_id(synthesized.stack.events.dead_letter_queue),
            "QueueName",
        ]
    }
    (dlq_alarm,) = [
        a["Properties"]
        for a in alarms(synthesized).values()
        if a["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
    ]
    assert dlq_alarm["Dimensions"] == [{"Name": "QueueName", "Value": dlq_name}]
    assert dlq_alarm["Threshold"] == 0
    assert dlq_alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_blocked_contacts_rising_is_an_anomaly_alarm_on_the_emitted_metric(synthesized):
    (anomaly,) = [
        a["Properties"]
        for a in alarms(synthesized).values()
        if a["Properties"]["ComparisonOperator"] == "GreaterThanUpperThreshold"
    ]
    queries = {q["Id"]: q for q in anomaly["Metrics"]}
    band = queries[anomaly["ThresholdMetricId"]]
    assert band["Expression"].startswith("ANOMALY_DETECTION_BAND(")
    (metric_query,) = [q for q in queries.values() if "MetricStat" in q]
    metric = metric_query["MetricStat"]["Metric"]
    assert metric["Namespace"] == c.METRICS_NAMESPACE
    assert metric["MetricName"] == obs.CONTACT_BLOCKED
    assert metric["Dimensions"] == [{"Name": "service", "Value": c.SERVICE_NAME}]


def test_dashboard_shows_the_operational_metrics(synthesized):
    (dashboard,) = synthesized.of_type("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    for metric_name in (
        obs.CASES_OPENED,
        obs.CASES_CLOSED,
        obs.AMOUNT_RECOVERED,
        obs.CONTACT_SENT,
        obs.CONTACT_BLOCKED,
        obs.LETTERS_STORED,
        obs.AGENT_TASKS_WAITING,
        obs.LEGAL_REVIEWS_WAITING,
        "ApproximateNumberOfMessagesVisible",
        "ExecutionsFailed",
        "ExecutionsTimedOut",
    ):
        assert metric_name in body, metric_name
    assert f'Namespace=\\\\\\"{c.METRICS_NAMESPACE}\\\\\\"' in body
