"""CloudWatch dashboard and alarms for operating Arrears from the console (issue 8).

Business metrics are the Powertools EMF metrics the handlers emit in the ``Arrears``
namespace (constants.METRICS_NAMESPACE). Graphs use SEARCH expressions by metric name, so a
metric shows up with whatever dimensions a handler gives it (outcome, reason, action, ...).
Alarms notify the ops topic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from arrears import constants as c
from arrears import topology
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

DASHBOARD_PERIOD = Duration.hours(1)
# Blocked contacts alarm when the hourly count leaves this many standard deviations of its
# learned band: a policy change, holiday data or bad borrower data, not ordinary noise.
BLOCKED_CONTACTS_STD_DEVS = 3


def _search(
    metric_name: str, statistic: str = "Sum", label: str | None = None
) -> cloudwatch.IMetric:
    seconds = int(DASHBOARD_PERIOD.to_seconds())
    return cloudwatch.SearchExpression(
        expression=(
            f'SEARCH(\'Namespace="{c.METRICS_NAMESPACE}" MetricName="{metric_name}"\', '
            f"'{statistic}', {seconds})"
        ),
        label=label or metric_name,
        period=DASHBOARD_PERIOD,
    )


def blocked_contacts_metric() -> cloudwatch.Metric:
    """Every blocked contact, as the contact step counts it for this alarm: one series with
    the service dimension only (ContactBlocked itself is split by channel and reason)."""
    return cloudwatch.Metric(
        namespace=c.METRICS_NAMESPACE,
        metric_name=c.METRIC_CONTACT_BLOCKED_TOTAL,
        dimensions_map={"service": c.SERVICE_NAME},
        statistic="Sum",
        period=DASHBOARD_PERIOD,
    )


def _functions_called_by(spec: topology.StateMachineSpec) -> list[topology.FunctionSpec]:
    return [
        target
        for kind, target in spec.substitutions.values()
        if kind == "function" and isinstance(target, topology.FunctionSpec)
    ]


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        ops_topic: sns.ITopic,
        state_machines: dict[str, sfn.StateMachine],
        functions: Mapping[str, lambda_.IFunction],
        dead_letter_queue: sqs.IQueue,
        ingest_queue: sqs.IQueue,
        delivery_dead_letter_queue: sqs.IQueue,
        other_alarms: Sequence[cloudwatch.Alarm] = (),
    ) -> None:
        """``other_alarms``: alarms other constructs own (they notify ops themselves);
        they join the dashboard's alarm panel so one glance shows everything that broke."""
        super().__init__(scope, construct_id)
        notify_ops = actions.SnsAction(ops_topic)
        self.alarms: list[cloudwatch.Alarm] = []

        def alarm(alarm: cloudwatch.Alarm) -> None:
            alarm.add_alarm_action(notify_ops)
            self.alarms.append(alarm)

        five_minutes = Duration.minutes(5)

        def first_one(metric: cloudwatch.Metric, alarm_id: str, description: str) -> None:
            """Alarm on the first occurrence within five minutes."""
            alarm(
                metric.create_alarm(
                    self,
                    alarm_id,
                    alarm_description=description,
                    threshold=0,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                    evaluation_periods=1,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
            )

        for spec in topology.STATE_MACHINES:
            name = spec.construct_id
            state_machine = state_machines[name]
            if spec.refusal_fails_execution:
                # A refused input fails the execution by design (operator input errors), so
                # only what cannot come from input is an incident: a step's function erred,
                # or the execution timed out or was stopped.
                for function_spec in _functions_called_by(spec):
                    function = functions[function_spec.construct_id]
                    first_one(
                        function.metric_errors(period=five_minutes, statistic="Sum"),
                        f"{function_spec.construct_id}ErrorsAlarm",
                        f"{function_spec.construct_id} raised an error ({name} step)",
                    )
                first_one(
                    state_machine.metric_aborted(period=five_minutes, statistic="Sum"),
                    f"{name}AbortedAlarm",
                    f"{name}: an execution was stopped before it finished",
                )
            else:
                # A failed case execution stopped escalating a case: always an incident.
                first_one(
                    state_machine.metric_failed(period=five_minutes, statistic="Sum"),
                    f"{name}FailedAlarm",
                    f"{name}: an execution failed (docs/ops.md, redrive)",
                )
            first_one(
                state_machine.metric_timed_out(period=five_minutes, statistic="Sum"),
                f"{name}TimedOutAlarm",
                f"{name}: an execution timed out",
            )
        alarm(
            cloudwatch.Metric(
                namespace=c.METRICS_NAMESPACE,
                metric_name=c.METRIC_CASES_STUCK,
                dimensions_map={"service": c.SERVICE_NAME},
                period=five_minutes,
                statistic="Maximum",
            ).create_alarm(
                self,
                "CasesStuckAlarm",
                alarm_description="A case step failed after its retries: see the STUCK work "
                "queue (arrears ops queue --queue STUCK) and resume the case",
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
        alarm(
            dead_letter_queue.metric_approximate_number_of_messages_visible(
                period=five_minutes, statistic="Maximum"
            ).create_alarm(
                self,
                "IngestDeadLetterQueueNotEmptyAlarm",
                alarm_description="Ingest DLQ holds an event that could not be processed",
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )
        )
        alarm(
            cloudwatch.AnomalyDetectionAlarm(
                self,
                "BlockedContactsRisingAlarm",
                metric=blocked_contacts_metric(),
                std_devs=BLOCKED_CONTACTS_STD_DEVS,
                evaluation_periods=1,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description="The compliance gate blocks far more contacts than usual",
            )
        )

        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            dashboard_name=f"{Stack.of(self).stack_name}-operations",
            default_interval=Duration.days(7),
        )
        graph = cloudwatch.GraphWidget
        self.dashboard.add_widgets(
            graph(
                title="Cases opened, closed by payment, resolved (by outcome)",
                left=[
                    _search(c.METRIC_CASES_OPENED),
                    _search(c.METRIC_CASES_CLOSED),
                    _search(c.METRIC_CASE_RESOLVED),
                ],
                width=12,
            ),
            graph(
                title="Amount recovered (by currency)",
                left=[_search(c.METRIC_AMOUNT_RECOVERED)],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            graph(
                title="Contacts sent, deferred, blocked and failed (by channel and reason)",
                left=[
                    _search(c.METRIC_CONTACT_SENT),
                    _search(c.METRIC_CONTACT_DEFERRED),
                    _search(c.METRIC_CONTACT_BLOCKED),
                    _search(c.METRIC_CONTACT_FAILED),
                ],
                width=12,
            ),
            graph(
                title="Letters stored (by kind)", left=[_search(c.METRIC_LETTERS_STORED)], width=12
            ),
        )
        self.dashboard.add_widgets(
            graph(
                title="Human work waiting and overdue (calls, replies, legal decisions, stuck)",
                left=[
                    _search(c.METRIC_AGENT_TASKS_WAITING, "Maximum"),
                    _search(c.METRIC_LEGAL_REVIEWS_WAITING, "Maximum"),
                    _search(c.METRIC_AGENT_TASKS_OVERDUE, "Maximum"),
                    _search(c.METRIC_LEGAL_REVIEWS_OVERDUE, "Maximum"),
                    _search(c.METRIC_LEGAL_REVIEWS_ESCALATED, "Maximum"),
                    _search(c.METRIC_REJECTED_CASES_HELD, "Maximum"),
                    _search(c.METRIC_AGENCY_PLACEMENTS_WAITING, "Maximum"),
                    _search(c.METRIC_REPLY_REVIEWS_WAITING, "Maximum"),
                    _search(c.METRIC_REPLY_REVIEWS_OVERDUE, "Maximum"),
                    _search(c.METRIC_PAYMENT_RECONCILIATIONS_WAITING, "Maximum"),
                    _search(c.METRIC_CASES_STUCK, "Maximum"),
                ],
                width=12,
            ),
            graph(
                title="Ingest queue and dead-letter queue",
                left=[
                    ingest_queue.metric_approximate_number_of_messages_visible(
                        label="ingest visible"
                    ),
                    dead_letter_queue.metric_approximate_number_of_messages_visible(
                        label="DLQ depth"
                    ),
                ],
                right=[ingest_queue.metric_approximate_age_of_oldest_message(label="oldest (s)")],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            *[
                graph(
                    title=f"{name} executions",
                    left=[
                        state_machine.metric_started(label="started"),
                        state_machine.metric_succeeded(label="succeeded"),
                        state_machine.metric_failed(label="failed"),
                        state_machine.metric_timed_out(label="timed out"),
                    ],
                    width=12,
                )
                for name, state_machine in state_machines.items()
            ],
            graph(
                title="Delinquency: rolls into and cures from each bucket",
                left=[_search("DelinquencyRolls"), _search("DelinquencyCures")],
                width=12,
            ),
            graph(
                title="Outbound events published (by type), unconfirmed, failed",
                left=[_search("OutboundPublished")],
                right=[_search("OutboundUnconfirmed"), _search("OutboundPublishFailed")],
                width=12,
            ),
            graph(
                title="Ops actions refused (by action and error)",
                left=[_search(c.METRIC_OPS_ACTION_REFUSED)],
                width=12,
            ),
            graph(
                title="Delivery reports (by action) and delivery DLQ",
                left=[_search(c.METRIC_DELIVERY_OUTCOMES)],
                right=[
                    delivery_dead_letter_queue.metric_approximate_number_of_messages_visible(
                        label="delivery DLQ depth"
                    )
                ],
                width=12,
            ),
        )
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(
                title="Alarms", alarms=[*self.alarms, *other_alarms], width=24
            ),
        )
