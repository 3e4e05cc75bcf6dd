"""Lambda functions and Step Functions state machines, from ``topology.FUNCTIONS`` and
``topology.STATE_MACHINES``.

A state machine loaded from an ASL file gives CDK no view of what it calls, so every
``${Placeholder}`` is resolved here from the spec's substitutions map and the matching
resource is granted to the state machine's role explicitly.

State machines get fixed names and their ARNs are spelled out (not referenced) in Lambda
environments and grants: a state machine that invokes a function whose environment holds
that state machine's ARN would otherwise be a CloudFormation dependency cycle.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from arrears import constants as c
from arrears import topology
from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_events as events_
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.bundling import LAMBDA_ARCHITECTURE, LAMBDA_RUNTIME, lambda_code
from infra.constructs.data import KEY_USE_ACTIONS, Data
from infra.constructs.events import Events
from infra.constructs.letters import Letters
from infra.constructs.messaging import Messaging
from infra.nag import acknowledge, acknowledge_wildcard_resource

LOG_RETENTION = logs.RetentionDays.ONE_YEAR
# Per-deployment settings, given as CDK context (`npx cdk deploy -c emailFrom=...`, or in
# cdk.context.json); unset keys leave the handler defaults of arrears.settings in force.
DEPLOYMENT_SETTINGS = {
    "emailFrom": c.ENV_EMAIL_FROM,
    "smsSenderId": c.ENV_SMS_SENDER_ID,
    "smsOriginationNumber": c.ENV_SMS_ORIGINATION_NUMBER,
    "complianceDefaultPack": c.ENV_COMPLIANCE_DEFAULT_PACK,
    "policyFile": c.ENV_POLICY_FILE,
}
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")

XRAY_REASON = (
    "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; "
    "CDK adds them for active tracing."
)


def placeholders_in(definition: str) -> set[str]:
    """Every ``${Name}`` an ASL document expects to be substituted."""
    return set(PLACEHOLDER.findall(definition))


def state_machine_name(stack: Stack, spec: topology.StateMachineSpec) -> str:
    return f"{stack.stack_name}-{spec.local_name.removeprefix('arrears-')}"


@dataclass(frozen=True)
class Substitution:
    value: str  # what replaces ${Placeholder}
    grant: Callable[[iam.IGrantable], object]  # what the state machine may do with it


class Workflow(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        key: kms.IKey,
        data: Data,
        events: Events,
        messaging: Messaging,
        letters: Letters,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = key
        self.data = data
        self.events = events
        self.messaging = messaging
        self.letters = letters
        stack = Stack.of(self)

        self.state_machine_arns: dict[str, str] = {
            spec.construct_id: stack.format_arn(
                service="states",
                resource="stateMachine",
                resource_name=state_machine_name(stack, spec),
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            for spec in topology.STATE_MACHINES
        }

        self._resume_schedules(stack)
        environment = self._function_environment()
        self.functions: dict[str, lambda_.Function] = {}
        self.function_log_groups: dict[str, logs.LogGroup] = {}
        # one asset per handler module: each holds only what its handler imports
        codes: dict[str, lambda_.Code] = {}
        for spec in topology.FUNCTIONS:
            module = spec.handler.rsplit(".", 1)[0]
            if module not in codes:
                codes[module] = lambda_code(spec.handler)
            self.functions[spec.construct_id] = self._function(spec, codes[module], environment)

        self._grant_function_rights()
        self.schedules: dict[str, events_.Rule] = {}
        for spec in topology.FUNCTIONS:
            if spec.schedule_minutes is not None:
                self.schedules[spec.construct_id] = self._schedule(spec, spec.schedule_minutes)

        ingest = self.functions[topology.INGEST_FUNCTION.construct_id]
        ingest.add_event_source(
            event_sources.SqsEventSource(
                events.ingest_queue,
                batch_size=topology.INGEST_QUEUE.batch_size,
                report_batch_item_failures=True,
                # batches in flight: keeps StartExecution under its refill rate in a
                # month-start burst, the backlog waiting in SQS (docs/scale.md)
                max_concurrency=topology.INGEST_QUEUE.max_concurrency,
            )
        )

        self.state_machines: dict[str, sfn.StateMachine] = {}
        for sm_spec in topology.STATE_MACHINES:
            self.state_machines[sm_spec.construct_id] = self._state_machine(stack, sm_spec)

    # ---- parked cases: the schedules that resume them -----------------------------------

    def _resume_schedules(self, stack: Stack) -> None:
        """The schedule group the park step writes one-time schedules into, and the role
        EventBridge Scheduler assumes to start the resumed executions (docs/scale.md)."""
        self.resume_group_name = f"{stack.stack_name}-resume"
        self.resume_schedule_group = scheduler.CfnScheduleGroup(
            self, topology.RESUME_SCHEDULE_GROUP_CONSTRUCT_ID, name=self.resume_group_name
        )
        role = iam.Role(
            self,
            topology.RESUME_SCHEDULER_ROLE_CONSTRUCT_ID,
            assumed_by=iam.ServicePrincipal(
                "scheduler.amazonaws.com",
                conditions={"StringEquals": {"aws:SourceAccount": stack.account}},
            ),
            description="Arrears: EventBridge Scheduler resumes parked cases",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["states:StartExecution"],
                resources=[self.state_machine_arns[topology.ESCALATION.construct_id]],
            )
        )
        # the state machine is encrypted with the stack's key: starting one needs it
        role.add_to_policy(
            iam.PolicyStatement(actions=KEY_USE_ACTIONS, resources=[self.key.key_arn])
        )
        self.resume_scheduler_role = role
        self.resume_schedules_arn = stack.format_arn(
            service="scheduler",
            resource="schedule",
            resource_name=f"{self.resume_group_name}/*",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )

    def _grant_resume_schedules(self, function: lambda_.Function) -> None:
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=[
                    "scheduler:CreateSchedule",
                    "scheduler:DeleteSchedule",
                    "scheduler:GetSchedule",
                ],
                resources=[self.resume_schedules_arn],
            )
        )
        function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.resume_scheduler_role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "scheduler.amazonaws.com"}},
            )
        )
        acknowledge_wildcard_resource(
            function.role,  # type: ignore[arg-type]
            self.resume_schedules_arn,
            "Resume schedules are named per case at run time; the grant is limited to the "
            "stack's own schedule group.",
        )

    # ---- functions -------------------------------------------------------------------

    def _function_environment(self) -> dict[str, str]:
        environment = {
            "POWERTOOLS_SERVICE_NAME": c.SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": c.METRICS_NAMESPACE,
            # Responses can carry borrower data; traces must not.
            "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
            "POWERTOOLS_LOG_LEVEL": "INFO",
            c.ENV_EVENT_BUS_NAME: self.events.bus.event_bus_name,
            c.ENV_LETTERS_BUCKET: self.letters.bucket.bucket_name,
            c.ENV_OPS_TOPIC_ARN: self.messaging.ops_topic.topic_arn,
            c.ENV_KMS_KEY_ARN: self.key.key_arn,
            c.ENV_INGEST_DLQ_URL: self.events.dead_letter_queue.queue_url,
            # the stack's own set, whose event destination feeds delivery outcomes back
            c.ENV_EMAIL_CONFIGURATION_SET: (
                self.messaging.configuration_set.configuration_set_name
            ),
            c.ENV_RESUME_SCHEDULE_GROUP: self.resume_group_name,
            c.ENV_RESUME_SCHEDULER_ROLE_ARN: self.resume_scheduler_role.role_arn,
        }
        for table_spec in topology.TABLES:
            environment[table_spec.env_var] = self.data.table(table_spec).table_name
        for sm_spec in topology.STATE_MACHINES:
            if sm_spec.env_var:
                environment[sm_spec.env_var] = self.state_machine_arns[sm_spec.construct_id]
        for context_key, env_var in DEPLOYMENT_SETTINGS.items():
            value = self.node.try_get_context(context_key)
            if value:
                environment[env_var] = str(value)
        return environment

    def _function(
        self, spec: topology.FunctionSpec, code: lambda_.Code, environment: Mapping[str, str]
    ) -> lambda_.Function:
        log_group = logs.LogGroup(
            self,
            f"{spec.construct_id}Logs",
            retention=LOG_RETENTION,
            encryption_key=self.key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # Own role without the AWS-managed basic execution policy: it may write only to its
        # own log group.
        role = iam.Role(
            self,
            f"{spec.construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Arrears {spec.construct_id}",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            )
        )
        function = lambda_.Function(
            self,
            spec.construct_id,
            code=code,
            handler=spec.handler,
            runtime=LAMBDA_RUNTIME,
            architecture=LAMBDA_ARCHITECTURE,
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_seconds),
            tracing=lambda_.Tracing.ACTIVE,
            environment=dict(environment),
            log_group=log_group,
            role=role,
            description=f"Arrears {spec.handler}",
        )
        for table_spec in spec.tables:
            self.data.grant_read_write(function, table_spec)
        acknowledge(role, "AwsSolutions-IAM5[Resource::*]", XRAY_REASON)
        acknowledge(
            function,
            "AwsSolutions-L1",
            "Pinned to python3.12 on purpose: the package supports the 3.11/3.12 runtimes and "
            "the arm64 wheels are built for CPython 3.12 (docs/infrastructure.md).",
        )
        self.function_log_groups[spec.construct_id] = log_group
        return function

    def _schedule(self, spec: topology.FunctionSpec, minutes: int) -> events_.Rule:
        """Invoke the function every ``minutes`` (an EventBridge rule on the default bus)."""
        period = Duration.minutes(minutes)
        return events_.Rule(
            self,
            f"{spec.construct_id}Schedule",
            description=f"Arrears {spec.construct_id} every {minutes} minutes",
            schedule=events_.Schedule.rate(period),
            targets=[
                targets.LambdaFunction(
                    self.functions[spec.construct_id],
                    # a scheduled run is a periodic gauge: once the next one is due, a late
                    # retry adds nothing, so give up when the period is over
                    max_event_age=period,
                    retry_attempts=2,
                )
            ],
        )

    def _grant_function_rights(self) -> None:
        """What each function may do beyond its tables (topology lists the tables)."""
        stack = Stack.of(self)
        functions = self.functions

        ingest = functions.get(topology.INGEST_FUNCTION.construct_id)
        if ingest is not None:
            escalation = self.state_machine_arns[topology.ESCALATION.construct_id]
            executions = stack.format_arn(
                service="states",
                resource="execution",
                resource_name=f"{state_machine_name(stack, topology.ESCALATION)}:*",
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            ingest.add_to_role_policy(
                iam.PolicyStatement(actions=["states:StartExecution"], resources=[escalation])
            )
            ingest.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["states:DescribeExecution", "states:StopExecution"],
                    resources=[executions],
                )
            )
            _grant_task_callbacks(ingest)
            # Malformed events go to the DLQ straight away, with the validation error attached.
            dlq = self.events.dead_letter_queue
            ingest.add_to_role_policy(
                iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[dlq.queue_arn])
            )
            ingest.add_to_role_policy(
                iam.PolicyStatement(actions=KEY_USE_ACTIONS, resources=[self.key.key_arn])
            )
            # Borrower replies (issue 9, adapters/comprehend.py): Comprehend's real-time
            # APIs have no resource ARN, so "*" is the only resource they accept.
            ingest.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["comprehend:DetectSentiment", "comprehend:DetectDominantLanguage"],
                    resources=["*"],
                )
            )
            acknowledge_wildcard_resource(
                ingest.role,  # type: ignore[arg-type]
                executions,
                "Executions are named per case at run time; the grant is limited to "
                "executions of the escalation state machine.",
            )

        contact = functions.get(topology.CONTACT_FUNCTION.construct_id)
        if contact is not None:
            self.messaging.grant_send_sms(contact)
            self.messaging.grant_send_email(contact)
            acknowledge_wildcard_resource(
                contact.role,  # type: ignore[arg-type]
                stack.format_arn(service="ses", resource="identity", resource_name="*"),
                "SES checks the sender identity at send time; the verified identity is chosen "
                "per deployment (docs/deploy.md), so any identity of this account is allowed.",
            )

        letter = functions.get(topology.LETTER_FUNCTION.construct_id)
        if letter is not None:
            objects = self.letters.grant_store_letters(letter)
            acknowledge_wildcard_resource(
                letter.role,  # type: ignore[arg-type]
                objects,
                "Letter object keys are generated per case; the grant is limited to the "
                "letters/ prefix of the letters bucket.",
            )
            self._grant_put_events(letter)

        sweep = functions.get(topology.DELINQUENCY_FUNCTION.construct_id)
        if sweep is not None:  # the monthly bureau report reads every case once a month
            cases = self.data.table(topology.CASES)
            sweep.add_to_role_policy(
                iam.PolicyStatement(actions=["dynamodb:Scan"], resources=[cases.table_arn])
            )

        ops = functions.get(topology.OPS_FUNCTION.construct_id)
        if ops is not None:
            self._grant_put_events(ops)  # `republish`: outbound events put on the bus again
            case_files = self.letters.grant_store_case_files(ops)
            acknowledge_wildcard_resource(
                ops.role,  # type: ignore[arg-type]
                case_files,
                "Agency case files are keyed per case and placement; the grant is limited to "
                "the agency/ prefix of the letters bucket.",
            )

        record = functions.get(topology.RECORD_FUNCTION.construct_id)
        if record is not None:
            self.messaging.grant_publish_ops_alert(record)

        for writer in topology.RESUME_SCHEDULE_WRITERS:
            if writer.construct_id in functions:
                self._grant_resume_schedules(functions[writer.construct_id])

    def _grant_put_events(self, grantee: iam.IGrantable) -> None:
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["events:PutEvents"], resources=[self.events.bus.event_bus_arn]
            )
        )

    # ---- state machines --------------------------------------------------------------

    def substitutions_for(self, spec: topology.StateMachineSpec) -> dict[str, Substitution]:
        """Resolve each ``${Placeholder}`` of a spec to a value and a grant."""
        resolved: dict[str, Substitution] = {}
        for placeholder, (kind, target) in spec.substitutions.items():
            resolved[placeholder] = self._substitution(placeholder, kind, target)
        return resolved

    def _substitution(self, placeholder: str, kind: str, target: object) -> Substitution:
        target_id = getattr(target, "construct_id", target)
        if kind == "table" and isinstance(target, topology.TableSpec):
            table_spec = target
            return Substitution(
                self.data.table(table_spec).table_name,
                lambda grantee: self.data.grant_read_write(grantee, table_spec),
            )
        if kind == "function":
            function = self.functions[str(target_id)]
            return Substitution(
                function.function_arn,
                lambda grantee: grantee.grant_principal.add_to_principal_policy(
                    iam.PolicyStatement(
                        actions=["lambda:InvokeFunction"], resources=[function.function_arn]
                    )
                ),
            )
        if kind == "topic" and target_id == topology.OPS_TOPIC_CONSTRUCT_ID:
            return Substitution(
                self.messaging.ops_topic.topic_arn, self.messaging.grant_publish_ops_alert
            )
        if kind == "bus" and target_id == topology.EVENT_BUS_CONSTRUCT_ID:
            return Substitution(self.events.bus.event_bus_name, self._grant_put_events)
        if kind == "bucket" and target_id == topology.LETTERS_BUCKET_CONSTRUCT_ID:
            return Substitution(self.letters.bucket.bucket_name, self.letters.grant_store_letters)
        if kind == "state_machine" and str(target_id) in self.state_machine_arns:
            arn = self.state_machine_arns[str(target_id)]
            return Substitution(
                arn,
                lambda grantee: grantee.grant_principal.add_to_principal_policy(
                    iam.PolicyStatement(actions=["states:StartExecution"], resources=[arn])
                ),
            )
        if kind == "queue" and target_id == topology.INGEST_QUEUE.construct_id:
            queue = self.events.ingest_queue
            return Substitution(queue.queue_url, lambda grantee: self._grant_send(grantee))
        raise ValueError(
            f"${{{placeholder}}}: no infra mapping for substitution kind {kind!r} -> {target_id!r}"
        )

    def _grant_send(self, grantee: iam.IGrantable) -> None:
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["sqs:SendMessage"], resources=[self.events.ingest_queue.queue_arn]
            )
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=KEY_USE_ACTIONS, resources=[self.key.key_arn])
        )

    def _state_machine(self, stack: Stack, spec: topology.StateMachineSpec) -> sfn.StateMachine:
        definition = spec.definition_path.read_text(encoding="utf-8")
        substitutions = self.substitutions_for(spec)
        missing = placeholders_in(definition) - substitutions.keys()
        unused = substitutions.keys() - placeholders_in(definition)
        if missing or unused:
            raise ValueError(
                f"{spec.definition_file}: placeholders without a substitution {sorted(missing)}, "
                f"substitutions never used {sorted(unused)} (fix topology.{spec.construct_id})"
            )
        name = state_machine_name(stack, spec)
        log_group = logs.LogGroup(
            self,
            f"{spec.construct_id}Logs",
            # the vended-logs prefix keeps CloudWatch's resource policy from growing per group
            log_group_name=f"/aws/vendedlogs/states/{name}",
            retention=LOG_RETENTION,
            encryption_key=self.key,
            removal_policy=RemovalPolicy.RETAIN,
        )
        state_machine = sfn.StateMachine(
            self,
            spec.construct_id,
            state_machine_name=name,
            state_machine_type=sfn.StateMachineType.STANDARD,
            definition_body=sfn.DefinitionBody.from_file(str(spec.definition_path)),
            definition_substitutions={k: s.value for k, s in substitutions.items()},
            logs=sfn.LogOptions(
                destination=log_group,
                level=sfn.LogLevel.ALL,
                # state carries ids only, but keep payloads out of logs on principle (no PII)
                include_execution_data=False,
            ),
            tracing_enabled=True,
            encryption_configuration=sfn.CustomerManagedEncryptionConfiguration(self.key),
        )
        for substitution in substitutions.values():
            substitution.grant(state_machine)
        if spec.sends_task_callbacks:
            _grant_task_callbacks(state_machine)
        acknowledge(
            state_machine.role,
            "AwsSolutions-IAM5[Resource::*]",
            "Log delivery (logs:CreateLogDelivery & co.) and X-Ray actions support no "
            "resource-level permissions; CDK adds them for logging and tracing.",
        )
        return state_machine


def _grant_task_callbacks(grantee: iam.IGrantable) -> None:
    """Wake waiting executions. Task tokens are not resources: these actions accept only "*"."""
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=[
                "states:SendTaskSuccess",
                "states:SendTaskFailure",
                "states:SendTaskHeartbeat",
            ],
            resources=["*"],
        )
    )
