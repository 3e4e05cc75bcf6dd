"""The embedded default: the deployed system, running in-process on a virtual clock.

``LocalRuntime`` stands up, on moto, every resource ``arrears.topology`` describes (the same
definitions the CDK stack is built from), runs the real ASL files on moto's Step Functions
interpreter and invokes the real handlers in-process, exactly as Lambda calls them. Time is
virtual (``clock.py``): 120 days of escalation run in seconds, deterministically.

    with LocalRuntime(start=datetime(2026, 11, 2, tzinfo=UTC), seed=7) as rt:
        rt.put_event("wallet.payments", "PaymentStatusChanged", detail)
        rt.advance(timedelta(days=30))
        rt.report()

The topology is injectable (``LocalTopology``) so workflow tests can run their own ASL
fixtures and fake handlers.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import io
import json
import logging
import os
import random
import re
import secrets
import sys
import traceback
import uuid
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from arrears import constants as c
from arrears import topology as t
from arrears.local import delivery_events, moto_patches
from arrears.local.clock import Scheduler, VirtualClock
from arrears.local.direct_calls import serving_directly
from arrears.local.dynamodb import InMemoryDynamoDB
from arrears.local.dynamodb import serving as serving_dynamodb
from arrears.local.faults import LAMBDA_ERROR_TYPES, FaultPlan, raise_if_faulted
from arrears.local.object_spool import spooled_objects
from arrears.local.outbound_stream import OutboxStream
from arrears.local.quotas import QuotaPlan, QuotaState, load_plan, raise_if_throttled
from arrears.local.resume_schedules import ScheduleFirer, observing_create_schedule
from arrears.local.shared_models import loaders_sharing_models

REGION = "us-east-1"
BURST_FEED = 1000  # put_events: events handed to moto's queue at a time
ACCOUNT_ID = "123456789012"  # moto's default account
PARTITION = "aws"
_ROLE_NAME = "arrears-local"
# where `arrears portal` serves the links local runs put in messages (its default address)
LOCAL_PORTAL_URL = "http://127.0.0.1:8765"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")

# The ops issue's hook: a module exposing `apply(runtime, action: dict) -> None`.
OPS_ACTION_HOOK_MODULE = "arrears.tools.ops_local"

log = logging.getLogger(__name__)


class UnresolvedPlaceholder(ValueError):
    """A ``${Placeholder}`` in an ASL file has no substitution in its StateMachineSpec."""


@dataclass(frozen=True)
class LocalTopology:
    """What the runtime stands up. ``default()`` is the deployed system's topology."""

    tables: tuple[t.TableSpec, ...]
    rules: tuple[t.RuleSpec, ...]
    ingest_queue: t.QueueSpec
    ingest_function: t.FunctionSpec  # consumes ingest_queue (the SQS event source)
    functions: tuple[t.FunctionSpec, ...]
    state_machines: tuple[t.StateMachineSpec, ...]
    # state machine construct id -> environment variable carrying its ARN
    state_machine_env: Mapping[str, str] = field(
        default_factory=lambda: {t.ESCALATION.construct_id: c.ENV_ESCALATION_STATE_MACHINE_ARN}
    )
    event_bus_name: str = t.EVENT_BUS_LOCAL_NAME
    ops_topic_name: str = t.OPS_TOPIC_LOCAL_NAME
    letters_bucket_name: str = t.LETTERS_BUCKET_LOCAL_NAME
    # delivery outcomes (infra/constructs/delivery.py): SES events reach the subscriber
    # through this topic, SMS delivery-status failures through a log subscription
    delivery_topic_name: str = t.DELIVERY_TOPIC_LOCAL_NAME
    delivery_dlq_name: str = t.DELIVERY_DLQ_LOCAL_NAME
    email_configuration_set: str = t.EMAIL_CONFIGURATION_SET_LOCAL_NAME
    delivery_subscriber: t.FunctionSpec = t.DELIVERY_TOPIC_SUBSCRIBER
    resume_schedule_group: str = t.RESUME_SCHEDULE_GROUP_LOCAL_NAME

    @classmethod
    def default(cls) -> LocalTopology:
        return cls(
            tables=t.TABLES,
            rules=t.RULES,
            ingest_queue=t.INGEST_QUEUE,
            ingest_function=t.INGEST_FUNCTION,
            functions=t.FUNCTIONS,
            state_machines=t.STATE_MACHINES,
        )

    def with_functions(self, *functions: t.FunctionSpec) -> LocalTopology:
        return replace(self, functions=functions)


# ---- names and ARNs of the local resources ---------------------------------------------


def function_arn(spec: t.FunctionSpec) -> str:
    return f"arn:{PARTITION}:lambda:{REGION}:{ACCOUNT_ID}:function:{spec.local_name}"


def state_machine_arn(spec: t.StateMachineSpec) -> str:
    return f"arn:{PARTITION}:states:{REGION}:{ACCOUNT_ID}:stateMachine:{spec.local_name}"


def table_arn(spec: t.TableSpec) -> str:
    return f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT_ID}:table/{spec.local_name}"


def topic_arn(name: str) -> str:
    return f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT_ID}:{name}"


def queue_url(name: str) -> str:
    return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"


def bus_arn(name: str) -> str:
    return f"arn:{PARTITION}:events:{REGION}:{ACCOUNT_ID}:event-bus/{name}"


def queue_arn(name: str) -> str:
    return f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT_ID}:{name}"


def substitution_value(kind: str, target: object, topology: LocalTopology) -> str:
    """The local value for one ``definition_substitutions`` entry of a StateMachineSpec."""
    if kind == "table" and isinstance(target, t.TableSpec):
        return target.local_name
    if kind == "table_arn" and isinstance(target, t.TableSpec):
        return table_arn(target)
    if kind == "function" and isinstance(target, t.FunctionSpec):
        return function_arn(target)
    if kind == "state_machine" and isinstance(target, t.StateMachineSpec):
        return state_machine_arn(target)
    if kind == "topic" and target == t.OPS_TOPIC_CONSTRUCT_ID:
        return topic_arn(topology.ops_topic_name)
    if kind == "bus" and target == t.EVENT_BUS_CONSTRUCT_ID:
        return topology.event_bus_name
    if kind == "bus_arn" and target == t.EVENT_BUS_CONSTRUCT_ID:
        return bus_arn(topology.event_bus_name)
    if kind == "bucket" and target == t.LETTERS_BUCKET_CONSTRUCT_ID:
        return topology.letters_bucket_name
    if kind == "queue" and isinstance(target, t.QueueSpec):
        return queue_arn(target.local_name)
    raise UnresolvedPlaceholder(f"no local value for substitution kind {kind!r} -> {target!r}")


def local_definition(spec: t.StateMachineSpec, topology: LocalTopology) -> str:
    """The spec's ASL with every ``${Placeholder}`` replaced by its local value.

    Raises ``UnresolvedPlaceholder`` naming any placeholder the spec does not map, so an
    ASL file and its StateMachineSpec cannot drift apart silently.
    """
    text = spec.definition_path.read_text(encoding="utf-8")
    values = {
        name: substitution_value(kind, target, topology)
        for name, (kind, target) in spec.substitutions.items()
    }
    missing = sorted({m for m in _PLACEHOLDER.findall(text) if m not in values})
    if missing:
        raise UnresolvedPlaceholder(
            f"{spec.definition_file}: no substitution for {', '.join(missing)}"
        )
    result = _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)
    json.loads(result)  # still valid JSON after substitution
    return result


def _scheduler_service() -> Any:
    """The emulated EventBridge Scheduler's state in the runtime's account and region."""
    from moto.scheduler.models import scheduler_backends

    return scheduler_backends[ACCOUNT_ID][REGION]


def local_environment(topology: LocalTopology) -> dict[str, str]:
    """The Lambda environment variables (``constants.ENV_*``) with the local names."""
    env = {spec.env_var: spec.local_name for spec in topology.tables}
    for spec in topology.state_machines:
        var = spec.env_var or topology.state_machine_env.get(spec.construct_id)
        if var:
            env[var] = state_machine_arn(spec)
    env[c.ENV_INGEST_DLQ_URL] = queue_url(topology.ingest_queue.dlq_local_name)
    env[c.ENV_EVENT_BUS_NAME] = topology.event_bus_name
    env[c.ENV_LETTERS_BUCKET] = topology.letters_bucket_name
    env[c.ENV_OPS_TOPIC_ARN] = topic_arn(topology.ops_topic_name)
    env[c.ENV_EMAIL_CONFIGURATION_SET] = topology.email_configuration_set
    env[c.ENV_RESUME_SCHEDULE_GROUP] = topology.resume_schedule_group
    env[c.ENV_RESUME_SCHEDULER_ROLE_ARN] = f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{_ROLE_NAME}"
    # messages carry portal links as deployed ones do; `arrears portal` serves them here
    env[c.ENV_PORTAL_URL] = LOCAL_PORTAL_URL
    return env


# ---- Lambda, in-process ------------------------------------------------------------------


@dataclass
class LambdaContext:
    """The attributes handlers (and Powertools) read from Lambda's context object."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    timeout_seconds: int
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"

    def __post_init__(self) -> None:
        self.log_group_name = f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_seconds * 1000  # a handler takes no virtual time


@dataclass(frozen=True, slots=True)
class Invocation:
    function: str
    at: str
    case_id: str | None
    error: str | None


def _case_id_of(event: Any) -> str | None:
    if isinstance(event, dict):
        value = event.get("case_id")
        if isinstance(value, str):
            # each event is parsed JSON with its own copy of the id: a case's invocation
            # records share one (about fifteen records a case, 60 bytes each)
            return sys.intern(value)
    return None


# ---- the runtime --------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryStats:
    events_published: int = 0
    events_unmatched: int = 0
    batches: int = 0
    messages_delivered: int = 0
    messages_failed: int = 0


class LocalRuntime:
    """See the module docstring. One runtime per process at a time."""

    def __init__(
        self,
        start: datetime | None = None,
        seed: int = 0,
        topology: LocalTopology | None = None,
        *,
        quiet: bool = True,
        virtual_time: bool = True,
        speedups: bool = True,
        extra_env: Mapping[str, str] | None = None,
        run_schedules: bool = False,
        faults: FaultPlan | Mapping[str, Any] | Sequence[Any] | None = None,
        dynamodb: str = "memory",
        history: str = "full",
        quotas: QuotaPlan | bool | None = None,
    ) -> None:
        start = start or datetime(2026, 11, 2, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self.topology = topology or LocalTopology.default()
        self.seed = seed
        self.clock = VirtualClock(start)
        self.scheduler = Scheduler(self.clock)
        self.invocations: list[Invocation] = []
        self.unsupported_ops_actions: list[dict[str, Any]] = []
        self.ops_hook: Callable[[LocalRuntime, dict[str, Any]], None] | None = None
        self._quiet = quiet
        self._virtual_time = virtual_time
        self._speedups = speedups
        if dynamodb not in ("memory", "moto"):
            raise ValueError(f"dynamodb must be 'memory' or 'moto', not {dynamodb!r}")
        # "memory": the in-memory engine (arrears.local.dynamodb), checked against moto call
        # by call; "moto": moto's own DynamoDB (the reference, and the unmodified baseline)
        self.dynamodb = InMemoryDynamoDB() if dynamodb == "memory" and speedups else None
        if history not in ("full", "states"):
            raise ValueError(f"history must be 'full' or 'states', not {history!r}")
        # "states": execution histories keep the states entered, not the data they carried
        # (the report needs no more; a portfolio keeps far less memory per case)
        self._lean_history = history == "states"
        self._extra_env = dict(extra_env or {})
        self._portal_secret = secrets.token_hex(32)
        # FunctionSpec.schedule_minutes (EventBridge rate schedules) are off by default: the
        # only one today is a 5-minute metrics gauge, 34,560 invocations in 120 days
        self._run_schedules = run_schedules
        self._rng = random.Random(seed)
        # injected AWS faults (local/faults.py); they hit only the handlers' and the
        # workflow's calls, never the runtime's own provisioning, polling or reporting
        self.faults = FaultPlan.of(faults)
        # emulated AWS quotas (local/quotas.py): token buckets, Lambda concurrency
        plan = load_plan(quotas)
        self.quotas = QuotaState(plan) if plan is not None else None
        # EventBridge Scheduler's one-time schedules (parked cases), fired on the clock
        self.schedules = ScheduleFirer(
            client=self.client,
            service=_scheduler_service,
            schedule=self.scheduler.schedule,
            now=lambda: self.clock.now,
            before_start=self._start_execution_quota if self.quotas else None,
            seed=seed,
        )
        self._invoking = 0
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._functions = {spec.local_name: spec for spec in self._all_functions()}
        self._stack: ExitStack | None = None
        # where S3 objects keep their bytes while the runtime runs (object_spool.py)
        self.spool_directory: Path | None = None
        self._stats = DeliveryStats()
        self._queue_url = ""
        self._dlq_url = ""
        self._poll_scheduled_at: set[datetime] = set()
        self._wave_start: datetime | None = None
        # a burst's events not yet in moto's queue (put_events): SQS's backlog
        self._burst: deque[tuple[str, str, Mapping[str, Any] | str]] = deque()
        self._wave_batches = 0
        # the outbox stream -> publisher -> bus -> consumers (local/outbound_stream.py)
        self.outbound = OutboxStream(self)

    # ---- lifecycle ----------------------------------------------------------------------
    def __enter__(self) -> LocalRuntime:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        stack = ExitStack()
        self._stack = stack
        try:
            # start-up makes what lives as long as the runtime (modules, service models, the
            # provisioned resources): collecting meanwhile would walk it again and again
            with _collections_paused() if self._speedups else contextlib.nullcontext():
                self._enter_services(stack)
            if self._speedups:
                stack.enter_context(_frozen_heap())
                stack.enter_context(_young_collections_spaced())
            if self._run_schedules:
                self._start_schedules()
            else:  # the daily delinquency sweep runs always: buckets move with the clock
                self._start_daily_sweep()
        except BaseException:
            stack.close()
            self._stack = None
            raise

    def _enter_services(self, stack: ExitStack) -> None:
        """The emulated AWS, patched for the runtime and provisioned, kept open by ``stack``."""
        from moto import mock_aws

        from arrears import settings as settings_module

        stack.enter_context(_environment(self._process_env()))
        if self._speedups:
            stack.enter_context(loaders_sharing_models())
        if self._quiet:
            stack.enter_context(_quiet_loggers())
        # same seed, same ids: moto and the handlers draw from `random` and uuid4
        random.seed(self.seed)
        stack.enter_context(_seeded_uuid4(random.Random(self.seed)))
        if self._virtual_time:  # the unmodified-moto baseline keeps real time
            self.clock.start()
            stack.callback(self.clock.stop)
        stack.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        moto_patches.seed_moto_random(self.seed)
        hooks = moto_patches.Hooks(
            scheduler=self.scheduler,
            invoke_lambda=self._invoke,
            before_aws_call=self._inject_aws_fault if self.faults else None,
            dynamodb_in_memory=self.dynamodb is not None,
            lean_history=self._lean_history,
        )
        stack.enter_context(
            moto_patches.patched(hooks, virtual_time=self._virtual_time, speedups=self._speedups)
        )
        stack.callback(self.scheduler.close)
        if self.dynamodb is not None:
            stack.enter_context(serving_dynamodb(self.dynamodb))
        if self._speedups:
            stack.enter_context(serving_directly(ACCOUNT_ID, REGION))
            self.spool_directory = stack.enter_context(spooled_objects())
        settings_module.settings.cache_clear()
        stack.callback(settings_module.settings.cache_clear)
        self._provision()
        stack.enter_context(self.outbound.observing())
        if self.faults is not None or self.quotas is not None:
            stack.enter_context(_faults_on_sdk_calls(self._inject_aws_fault))
        stack.enter_context(observing_create_schedule(self.schedules.created))

    def close(self) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.close()

    # ---- public API -----------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        return self.clock.now

    def client(self, service: str) -> Any:
        """A boto3 client on the in-process AWS (one per service)."""
        return _client(service)

    def put_event(self, source: str, detail_type: str, detail: Mapping[str, Any] | str) -> None:
        """Publish to the bus now (as PutEvents), deliver what the rules route, and run."""
        self._publish(source, detail_type, detail)
        self._poll_ingest_queue()
        self.scheduler.run_ready()

    def put_events(self, entries: Iterable[tuple[str, str, Mapping[str, Any] | str]]) -> None:
        """Publish many events at this one instant (a burst), then deliver and run them:
        the ingest queue's event source finds them all waiting, as SQS holds them.

        They reach moto's queue a thousand at a time, as the event source drains it (moto
        scans its whole queue for every message it receives): the queue stands for SQS's
        backlog, in order, whatever its size."""
        self._burst.extend(entries)
        self._feed_burst()
        self._poll_ingest_queue()
        self.scheduler.run_ready()

    def _feed_burst(self) -> bool:
        fed = 0
        while self._burst and fed < BURST_FEED:
            source, detail_type, detail = self._burst.popleft()
            self._publish(source, detail_type, detail)
            fed += 1
        return fed > 0

    def schedule_event(
        self, at: datetime, source: str, detail_type: str, detail: Mapping[str, Any] | str
    ) -> None:
        self._require_aware(at)
        self.scheduler.schedule(
            at, lambda: self.put_event(source, detail_type, detail), f"event {detail_type}"
        )

    def schedule_ops_action(self, at: datetime, action: Mapping[str, Any]) -> None:
        self._require_aware(at)
        payload = dict(action)
        self.scheduler.schedule(at, lambda: self.apply_ops_action(payload), "ops action")

    def run_until(self, until: datetime, on_step: Callable[[datetime], None] | None = None) -> None:
        self._require_aware(until)
        self.scheduler.run_until(until, on_step)
        self._raise_thread_failures()

    def advance(self, delta: timedelta, on_step: Callable[[datetime], None] | None = None) -> None:
        self.run_until(self.now + delta, on_step)

    def start_execution(self, state_machine: str, payload: Mapping[str, Any], name: str) -> str:
        """Start an execution of the state machine with this construct id or local name."""
        spec = self._state_machine(state_machine)
        arn: str = self.client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn(spec), name=name, input=json.dumps(payload)
        )["executionArn"]
        self.scheduler.run_ready()
        return arn

    def wait_for_executions(self, timeout_seconds: float = 600.0) -> None:
        """Real-time mode only (``virtual_time=False``): wait until no execution runs."""
        import time

        deadline = time.monotonic() + timeout_seconds
        while any(e["status"] == "RUNNING" for e in self.executions()):
            if time.monotonic() > deadline:
                raise TimeoutError("executions still running")
            time.sleep(0.05)

    def executions(self, state_machine: str | None = None) -> list[dict[str, Any]]:
        specs = (
            [self._state_machine(state_machine)] if state_machine else self.topology.state_machines
        )
        sfn = self.client("stepfunctions")
        found: list[dict[str, Any]] = []
        for spec in specs:
            paginator = sfn.get_paginator("list_executions")
            for page in paginator.paginate(stateMachineArn=state_machine_arn(spec)):
                found.extend(page["executions"])
        return found

    def execution_records(self) -> Iterator[tuple[t.StateMachineSpec, Any]]:
        """moto's own execution objects, per state machine (read them, never change them):
        what the report is built from, without an API call per execution."""
        from moto.stepfunctions.parser.models import stepfunctions_parser_backends

        backend = stepfunctions_parser_backends[ACCOUNT_ID][REGION]
        by_arn = {machine.arn: machine for machine in backend.state_machines}
        for spec in self.topology.state_machines:
            machine = by_arn.get(state_machine_arn(spec))
            for execution in machine.executions if machine is not None else ():
                yield spec, execution

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        sfn = self.client("stepfunctions")
        events: list[dict[str, Any]] = []
        paginator = sfn.get_paginator("get_execution_history")
        for page in paginator.paginate(executionArn=execution_arn):
            events.extend(page["events"])
        return events

    @property
    def delivery(self) -> DeliveryStats:
        return self._stats

    def dlq_messages(self) -> list[dict[str, Any]]:
        """Every message in the ingest DLQ, in arrival order, as ReceiveMessage shapes them.

        Read from moto's queue rather than received: a receive hides each message at least
        until the virtual clock moves, so a second look at the same instant would miss them.
        """
        from moto.sqs.models import sqs_backends

        queue = sqs_backends[ACCOUNT_ID][REGION].get_queue(self._dlq_url.rsplit("/", 1)[-1])
        return [
            {
                "MessageId": message.id,
                "Body": message.body,
                "MessageAttributes": dict(message.message_attributes),
            }
            for message in queue._messages
        ]

    def dlq_count(self) -> int:
        attributes = self.client("sqs").get_queue_attributes(
            QueueUrl=self._dlq_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def report(self) -> dict[str, Any]:
        from arrears.local.report import build_report

        return build_report(self)

    # ---- internals: provisioning ------------------------------------------------------------
    def _all_functions(self) -> tuple[t.FunctionSpec, ...]:
        specs = {s.local_name: s for s in self.topology.functions}
        specs.setdefault(self.topology.ingest_function.local_name, self.topology.ingest_function)
        return tuple(specs.values())

    def _process_env(self) -> dict[str, str]:
        env = {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SECURITY_TOKEN": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "POWERTOOLS_SERVICE_NAME": c.SERVICE_NAME,
            "POWERTOOLS_METRICS_NAMESPACE": c.METRICS_NAMESPACE,
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_LOG_LEVEL": "WARNING" if self._quiet else "INFO",
        }
        env.update(local_environment(self.topology))
        # the deployed portal signs payment references with a KMS key; here, a key per run
        env[c.ENV_PORTAL_SIGNING_SECRET] = self._portal_secret
        env.update(self._extra_env)
        return env

    def _provision(self) -> None:
        topo = self.topology
        ddb = self.client("dynamodb")
        for table in topo.tables:
            ddb.create_table(**_create_table_args(table))
            if table.ttl_attribute:
                ddb.update_time_to_live(
                    TableName=table.local_name,
                    TimeToLiveSpecification={
                        "Enabled": True,
                        "AttributeName": table.ttl_attribute,
                    },
                )

        sqs = self.client("sqs")
        q = topo.ingest_queue
        self._dlq_url = sqs.create_queue(
            QueueName=q.dlq_local_name,
            Attributes={"MessageRetentionPeriod": str(q.dlq_retention_days * 86400)},
        )["QueueUrl"]
        if self._dlq_url != queue_url(q.dlq_local_name):  # the env var promised this URL
            raise RuntimeError(f"unexpected local queue URL {self._dlq_url}")
        self._queue_url = sqs.create_queue(
            QueueName=q.local_name,
            Attributes={
                "VisibilityTimeout": str(q.visibility_timeout_seconds),
                "RedrivePolicy": json.dumps(
                    {
                        "deadLetterTargetArn": queue_arn(q.dlq_local_name),
                        "maxReceiveCount": q.max_receive_count,
                    }
                ),
            },
        )["QueueUrl"]

        events = self.client("events")
        events.create_event_bus(Name=topo.event_bus_name)
        for rule in topo.rules:
            events.put_rule(
                Name=rule.local_name,
                EventBusName=topo.event_bus_name,
                EventPattern=json.dumps(rule.event_pattern),
                State="ENABLED",
            )
            events.put_targets(
                Rule=rule.local_name,
                EventBusName=topo.event_bus_name,
                Targets=[{"Id": "ingest-queue", "Arn": queue_arn(q.local_name)}],
            )

        self.client("sns").create_topic(Name=topo.ops_topic_name)
        self.client("scheduler").create_schedule_group(Name=topo.resume_schedule_group)
        self._provision_delivery_outcomes()
        s3 = self.client("s3")
        s3.create_bucket(Bucket=topo.letters_bucket_name)
        s3.put_bucket_versioning(
            Bucket=topo.letters_bucket_name, VersioningConfiguration={"Status": "Enabled"}
        )
        self.outbound.provision()
        self.client("ses").verify_email_identity(
            EmailAddress=os.environ.get(c.ENV_EMAIL_FROM, "collections@example.com")
        )

        role_arn = self.client("iam").create_role(
            RoleName=_ROLE_NAME,
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        lam = self.client("lambda")
        code = _placeholder_zip()
        for spec in self._all_functions():
            lam.create_function(
                FunctionName=spec.local_name,
                Runtime="python3.12",
                Role=role_arn,
                Handler=spec.handler,
                Code={"ZipFile": code},
                Timeout=spec.timeout_seconds,
                MemorySize=spec.memory_mb,
            )

        sfn = self.client("stepfunctions")
        for sm in topo.state_machines:
            sfn.create_state_machine(
                name=sm.local_name,
                definition=local_definition(sm, topo),
                roleArn=role_arn,
                type="STANDARD",
            )

    def _state_machine(self, key: str) -> t.StateMachineSpec:
        for spec in self.topology.state_machines:
            if key in (spec.construct_id, spec.local_name):
                return spec
        raise KeyError(f"no state machine {key!r} in this topology")

    # ---- internals: Lambda --------------------------------------------------------------------
    def _handler(self, spec: t.FunctionSpec) -> Callable[[Any, Any], Any]:
        handler = self._handlers.get(spec.local_name)
        if handler is None:
            module_name, _, attr = spec.handler.rpartition(".")
            if ":" in spec.handler:
                module_name, _, attr = spec.handler.partition(":")
            handler = getattr(importlib.import_module(module_name), attr)
            self._handlers[spec.local_name] = handler
        return handler

    def _invoke(self, function_name: str, event: Any) -> tuple[str, bool]:
        """Invoke a function's handler in-process; returns (payload JSON, errored)."""
        spec = self._functions.get(function_name)
        if spec is None:
            raise KeyError(f"no local function {function_name!r}")
        request_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
        context = LambdaContext(
            function_name=spec.local_name,
            invoked_function_arn=function_arn(spec),
            memory_limit_in_mb=spec.memory_mb,
            aws_request_id=request_id,
            timeout_seconds=spec.timeout_seconds,
        )
        error: str | None = None
        fault = self.faults.fires(f"lambda:{_short_name(spec)}", self.now) if self.faults else None
        if fault is not None and fault.phase == "before":
            return self._lambda_fault(spec, event, fault.error, request_id)
        if self.quotas is not None:
            ingest = spec.local_name == self.topology.ingest_function.local_name
            if not self.quotas.lambda_enters(self.now, ingest=ingest):
                # throttled before it ran: Step Functions sees Lambda's 429 by this name
                error_type = "Lambda.TooManyRequestsException"
                return _error_payload(error_type, "Rate Exceeded.", request_id), True
        # Lambda's stdout is CloudWatch Logs: structured logs and EMF metric lines. Quiet
        # runs drop it (letting Powertools flush, so metrics do not pile up in memory).
        sink = (
            contextlib.redirect_stdout(io.StringIO()) if self._quiet else contextlib.nullcontext()
        )
        self._invoking += 1
        try:
            with sink:
                result = self._handler(spec)(event, context)
            try:
                payload = json.dumps(result)
            except (TypeError, ValueError) as exc:
                error = "Runtime.MarshalError"
                payload = _error_payload(error, f"Unable to marshal response: {exc}", request_id)
        except Exception as exc:
            error = type(exc).__name__
            payload = _error_payload(
                error, str(exc), request_id, traceback.format_exception(exc)[-5:]
            )
        finally:
            self._invoking -= 1
        if self.dynamodb is None and spec.local_name != t.PUBLISHER_FUNCTION.local_name:
            self.outbound.poll_table()  # moto's DynamoDB: no insert hook, so look
        if fault is not None and error is None:  # it ran; Lambda reports a failure anyway
            return self._lambda_fault(spec, event, fault.error, request_id)
        self.invocations.append(
            Invocation(
                function=spec.local_name,
                at=_iso(self.now),
                case_id=_case_id_of(event),
                error=error,
            )
        )
        return payload, error is not None

    def _lambda_fault(
        self, spec: t.FunctionSpec, event: Any, kind: str, request_id: str
    ) -> tuple[str, bool]:
        error = LAMBDA_ERROR_TYPES[kind]
        self.invocations.append(
            Invocation(spec.local_name, _iso(self.now), _case_id_of(event), error)
        )
        return _error_payload(error, f"injected fault: {kind}", request_id), True

    def _inject_aws_fault(self, client: Any, operation_name: str) -> None:
        inside = self._invoking or self.scheduler.current_task() is not None
        if self.faults is not None and inside:
            raise_if_faulted(self.faults, client, operation_name, lambda: self.now)
        if self.quotas is not None and inside:
            raise_if_throttled(self.quotas, client, operation_name, lambda: self.now)

    def _start_execution_quota(self) -> None:
        """A schedule's StartExecution draws on the same bucket as every other caller's."""
        if self.quotas is not None:
            raise_if_throttled(
                self.quotas, self.client("stepfunctions"), "StartExecution", lambda: self.now
            )

    def invoke(self, function: str, event: Any) -> Any:
        """Invoke a local function directly (tests); raises if the handler failed."""
        payload, errored = self._invoke(function, event)
        body = json.loads(payload)
        if errored:
            raise RuntimeError(f"{function} failed: {body.get('errorType')}: {body}")
        self.scheduler.run_ready()
        return body

    # ---- internals: events and the SQS event source ---------------------------------------
    def _publish(self, source: str, detail_type: str, detail: Mapping[str, Any] | str) -> None:
        detail_text = detail if isinstance(detail, str) else json.dumps(detail)
        result = self.client("events").put_events(
            Entries=[
                {
                    "Source": source,
                    "DetailType": detail_type,
                    "Detail": detail_text,
                    "EventBusName": self.topology.event_bus_name,
                    "Time": self.now,
                }
            ]
        )
        if result.get("FailedEntryCount"):
            raise ValueError(f"PutEvents rejected the entry: {result['Entries']}")
        envelope = {
            "version": "0",
            "detail-type": detail_type,
            "source": source,
            "account": ACCOUNT_ID,
            "time": _iso(self.now),
            "region": REGION,
            "resources": [],
            "detail": json.loads(detail_text),
        }
        matched = any(
            moto_patches.event_pattern_matches(rule.event_pattern, envelope)
            for rule in self.topology.rules
        )
        self._stats = replace(
            self._stats,
            events_published=self._stats.events_published + 1,
            events_unmatched=self._stats.events_unmatched + (0 if matched else 1),
        )

    def _poll_ingest_queue(self) -> None:
        """Emulate Lambda's SQS event source: batches, partial batch failure, redrive."""
        sqs = self.client("sqs")
        q = self.topology.ingest_queue
        any_failed = False
        # with quotas: at most the event source's maximum concurrency of batches in flight;
        # the rest stay in SQS until those batches end (the source polls again then)
        cap = self._ingest_batches_per_wave()
        while True:
            if cap is not None and not self._ingest_slot(cap):
                break
            messages = sqs.receive_message(
                QueueUrl=self._queue_url,
                MaxNumberOfMessages=min(q.batch_size, 10),
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                if cap is not None:
                    self._wave_batches -= 1  # an empty receive started no batch
                if self._feed_burst():
                    continue  # the rest of a burst: SQS's backlog
                break
            records = [_sqs_record(m, queue_arn(q.local_name)) for m in messages]
            payload, errored = self._invoke(
                self.topology.ingest_function.local_name, {"Records": records}
            )
            failed_ids = _failed_message_ids(payload, errored, records)
            done = [m for m in messages if m["MessageId"] not in failed_ids]
            for start in range(0, len(done), 10):
                sqs.delete_message_batch(
                    QueueUrl=self._queue_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(done[start : start + 10])
                    ],
                )
            any_failed = any_failed or bool(failed_ids)
            self._stats = replace(
                self._stats,
                batches=self._stats.batches + 1,
                messages_delivered=self._stats.messages_delivered + len(done),
                messages_failed=self._stats.messages_failed + len(failed_ids),
            )
            self.scheduler.run_ready()
        if any_failed:
            # failed messages reappear after the visibility timeout: poll again then
            # (a receive at that time is also what moves a message past maxReceiveCount
            # to the DLQ)
            # (moto, like SQS, makes a message visible strictly after its timeout)
            at = self.now + timedelta(seconds=q.visibility_timeout_seconds, milliseconds=1)
            if at not in self._poll_scheduled_at:
                self._poll_scheduled_at.add(at)
                self.scheduler.schedule(at, lambda: self._redeliver(at), "sqs redelivery")

    def _redeliver(self, at: datetime) -> None:
        self._poll_scheduled_at.discard(at)
        self._poll_ingest_queue()

    def _ingest_batches_per_wave(self) -> int | None:
        if self.quotas is None:
            return None
        return self.quotas.plan.ingest_concurrency or self.topology.ingest_queue.max_concurrency

    def _ingest_slot(self, cap: int) -> bool:
        """Whether another batch may start now: at most ``cap`` batches per modelled batch
        duration; when the wave is full, poll again as it ends (the messages wait in SQS)."""
        assert self.quotas is not None
        length = timedelta(seconds=self.quotas.plan.ingest_batch_seconds)
        if self._wave_start is None or self.now >= self._wave_start + length:
            self._wave_start, self._wave_batches = self.now, 0
        if self._wave_batches < cap:
            self._wave_batches += 1
            return True
        at = self._wave_start + length
        if at not in self._poll_scheduled_at:
            self._poll_scheduled_at.add(at)
            self.scheduler.schedule(at, lambda: self._redeliver(at), "sqs next wave")
        return False

    # ---- internals: scheduled functions ----------------------------------------------------------
    def _start_schedules(self) -> None:
        for spec in self._all_functions():
            minutes = getattr(spec, "schedule_minutes", None)
            if minutes:
                self._schedule_tick(
                    spec, timedelta(minutes=minutes), self.now + timedelta(minutes=minutes)
                )

    def _start_daily_sweep(self) -> None:
        spec = self._functions.get(t.DELINQUENCY_FUNCTION.local_name)
        if spec is not None and spec.schedule_minutes:
            every = timedelta(minutes=spec.schedule_minutes)
            self._schedule_tick(spec, every, self.now + every)

    def _schedule_tick(self, spec: t.FunctionSpec, every: timedelta, at: datetime) -> None:
        def tick() -> None:
            self._invoke(spec.local_name, _scheduled_event(spec, self.now))
            self._schedule_tick(spec, every, at + every)

        self.scheduler.schedule(at, tick, f"schedule {spec.local_name}")

    # ---- delivery outcomes (SES events, SMS delivery status) -------------------------------------
    def publish_delivery_event(self, message: Mapping[str, Any]) -> str:
        """Publish an SES event to the delivery topic, as the configuration set's event
        destination does, and deliver it to the subscribed function now, as SNS invokes a
        Lambda subscriber. Builders: ``arrears.local.delivery_events.ses_event``."""
        text = json.dumps(message)
        arn = topic_arn(self.topology.delivery_topic_name)
        message_id = str(self.client("sns").publish(TopicArn=arn, Message=text)["MessageId"])
        self._deliver_async(
            delivery_events.sns_lambda_event(
                topic_arn=arn, message_id=message_id, message=text, at=self.now
            )
        )
        return message_id

    def deliver_sms_status_logs(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Hand SMS delivery-status records to the delivery function, as the subscription
        filter on SNS's ``DirectPublishToPhoneNumber/Failure`` log group does.
        Builders: ``arrears.local.delivery_events.sms_failure_record``."""
        self._deliver_async(
            delivery_events.log_subscription_event(
                records,
                log_group=f"sns/{REGION}/{ACCOUNT_ID}/DirectPublishToPhoneNumber/Failure",
                at=self.now,
                owner=ACCOUNT_ID,
            )
        )

    def delivery_dlq_count(self) -> int:
        url = queue_url(self.topology.delivery_dlq_name)
        attributes = self.client("sqs").get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def _provision_delivery_outcomes(self) -> None:
        topo = self.topology
        self.client("sns").create_topic(Name=topo.delivery_topic_name)
        self.client("sqs").create_queue(
            QueueName=topo.delivery_dlq_name,
            Attributes={"MessageRetentionPeriod": str(14 * 86400)},
        )
        self.client("sesv2").create_configuration_set(
            ConfigurationSetName=topo.email_configuration_set
        )

    def _deliver_async(self, event: dict[str, Any]) -> None:
        """An asynchronous invocation: Lambda retries a failed one, then sends the event to
        the on-failure destination (the delivery dead-letter queue)."""
        name = self.topology.delivery_subscriber.local_name
        if name not in self._functions:
            raise KeyError(f"the delivery function {name!r} is not in this topology")
        attempts = 1 + t.DELIVERY_RETRY_ATTEMPTS
        for _attempt in range(attempts):
            payload, errored = self._invoke(name, event)
            if not errored:
                break
        else:
            # the record Lambda sends an SQS on-failure destination
            record = {
                "version": "1.0",
                "timestamp": _iso(self.now),
                "requestContext": {
                    "functionArn": function_arn(self._functions[name]),
                    "condition": "RetriesExhausted",
                    "approximateInvokeCount": attempts,
                },
                "requestPayload": event,
                "responsePayload": json.loads(payload),
            }
            self.client("sqs").send_message(
                QueueUrl=queue_url(self.topology.delivery_dlq_name),
                MessageBody=json.dumps(record),
            )
        self.scheduler.run_ready()

    # ---- internals: ops ------------------------------------------------------------------------
    def apply_ops_action(self, action: dict[str, Any]) -> None:
        """Run one ops action now through the ops hook (or record it as unsupported)."""
        hook = self.ops_hook or _load_ops_hook()
        if hook is None:
            self.unsupported_ops_actions.append(
                {
                    "at": _iso(self.now),
                    "action": action,
                    "reason": "ops actions are not supported by this build of the local "
                    f"runtime yet (no {OPS_ACTION_HOOK_MODULE}.apply)",
                }
            )
            return
        hook(self, action)
        self.scheduler.run_ready()

    # ---- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def _require_aware(at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("times must be timezone-aware")

    def _raise_thread_failures(self) -> None:
        if self.scheduler.failures:
            name, exc = self.scheduler.failures[0]
            raise RuntimeError(f"execution thread {name!r} crashed: {exc!r}") from exc


# Clients are kept for the whole process: building one loads botocore's service model
# (tens of ms each), and moto intercepts every client created after it is imported.
_CLIENTS: dict[str, Any] = {}


def _client(service: str) -> Any:
    client = _CLIENTS.get(service)
    if client is None:
        import boto3
        import moto  # noqa: F401  (imported first, so moto's interceptor sees this client)

        client = boto3.client(
            service,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        _CLIENTS[service] = client
    return client


def _short_name(spec: t.FunctionSpec) -> str:
    return spec.local_name.removeprefix("arrears-")


@contextmanager
def _faults_on_sdk_calls(check: Callable[[Any, str], None]) -> Iterator[None]:
    """Every botocore API call (handlers, pynamodb, the interpreter) asks ``check`` first."""
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def make_api_call(self: Any, operation_name: str, api_params: Any) -> Any:
        check(self, operation_name)
        return original(self, operation_name, api_params)

    BaseClient._make_api_call = make_api_call
    try:
        yield
    finally:
        BaseClient._make_api_call = original


def _load_ops_hook() -> Callable[[LocalRuntime, dict[str, Any]], None] | None:
    try:
        module = importlib.import_module(OPS_ACTION_HOOK_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name and OPS_ACTION_HOOK_MODULE.startswith(exc.name):
            return None
        raise
    hook: Callable[[LocalRuntime, dict[str, Any]], None] | None = getattr(module, "apply", None)
    return hook


def _create_table_args(table: t.TableSpec) -> dict[str, Any]:
    attributes: dict[str, str] = {}

    def key_schema(pk: t.Key, sk: t.Key | None) -> list[dict[str, str]]:
        schema = [{"AttributeName": pk.name, "KeyType": "HASH"}]
        attributes[pk.name] = pk.type
        if sk is not None:
            schema.append({"AttributeName": sk.name, "KeyType": "RANGE"})
            attributes[sk.name] = sk.type
        return schema

    args: dict[str, Any] = {
        "TableName": table.local_name,
        "KeySchema": key_schema(table.partition_key, table.sort_key),
        "BillingMode": "PAY_PER_REQUEST",
    }
    if table.indexes:
        args["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": key_schema(index.partition_key, index.sort_key),
                "Projection": {"ProjectionType": index.projection},
            }
            for index in table.indexes
        ]
    args["AttributeDefinitions"] = [
        {"AttributeName": name, "AttributeType": typ} for name, typ in sorted(attributes.items())
    ]
    return args


def _placeholder_zip() -> bytes:
    # moto wants a code package; the handler runs in-process, never from this zip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("README.txt", "invoked in-process by arrears.local")
    return buffer.getvalue()


def _error_payload(
    error_type: str, message: str, request_id: str, trace: list[str] | None = None
) -> str:
    return json.dumps(
        {
            "errorType": error_type,
            "errorMessage": message,
            "requestId": request_id,
            "stackTrace": trace or [],
        }
    )


def _scheduled_event(spec: t.FunctionSpec, now: datetime) -> dict[str, Any]:
    """The event an EventBridge rate schedule sends its target."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": _iso(now).replace(".000000", ""),
        "region": REGION,
        "resources": [f"arn:{PARTITION}:events:{REGION}:{ACCOUNT_ID}:rule/{spec.local_name}"],
        "detail": {},
    }


def _sqs_record(message: dict[str, Any], source_arn: str) -> dict[str, Any]:
    """The record shape Lambda's SQS event source passes to the handler."""
    attributes = message.get("Attributes", {})
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": attributes.get("SentTimestamp", "0"),
            "SenderId": attributes.get("SenderId", ACCOUNT_ID),
            "ApproximateFirstReceiveTimestamp": attributes.get(
                "ApproximateFirstReceiveTimestamp", "0"
            ),
        },
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": source_arn,
        "awsRegion": REGION,
    }


def _failed_message_ids(payload: str, errored: bool, records: list[dict[str, Any]]) -> set[str]:
    """Which messages stay on the queue, per ReportBatchItemFailures semantics."""
    all_ids = {r["messageId"] for r in records}
    if errored:
        return all_ids
    try:
        body = json.loads(payload)
    except ValueError:
        return all_ids
    if not isinstance(body, dict) or not body.get("batchItemFailures"):
        return set()
    failed: set[str] = set()
    for item in body["batchItemFailures"]:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or identifier not in all_ids:
            return all_ids  # an invalid response fails the whole batch, as in AWS
        failed.add(identifier)
    return failed


@lru_cache(maxsize=8)  # one string per instant, shared by everything recorded at it
def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextmanager
def _collections_paused() -> Iterator[None]:
    """No automatic GC passes in the block (the few objects it leaves as garbage are kept)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# Container allocations between two young-generation GC passes while a runtime runs
# (CPython's default is 700).
RUN_GC_THRESHOLD = 10_000


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """Leave what is alive at start-up (modules, service models, moto) out of GC passes.

    A full collection walks every tracked object, about 300k once botocore and moto are
    loaded, and runs once every few thousand emulated calls (about a tenth of a run's CPU).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def _young_collections_spaced() -> Iterator[None]:
    """Pass over the young objects every RUN_GC_THRESHOLD container allocations.

    A never-paying case allocates about 2,500 containers and a few hundred of them end as
    cycles only a pass frees. Passing every 700 allocations, 1,800 young and 10 full passes
    took 2.3 % of a 500-case run's CPU; every 10,000, 92 young passes and one full pass took
    0.9 %, with the same memory after the run.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(RUN_GC_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


@contextmanager
def _quiet_loggers() -> Iterator[None]:
    # moto's interpreter logs every caught error (a caught States.Timeout is normal here)
    names = ("moto", "botocore", "aws_lambda_powertools")
    saved = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


@contextmanager
def _seeded_uuid4(rng: random.Random) -> Iterator[None]:
    """uuid4 from a seeded generator while the runtime runs (ids in moto and handlers)."""
    original = uuid.uuid4

    def seeded() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    uuid.uuid4 = seeded
    try:
        yield
    finally:
        uuid.uuid4 = original


__all__ = [
    "ACCOUNT_ID",
    "REGION",
    "Invocation",
    "LambdaContext",
    "LocalRuntime",
    "LocalTopology",
    "UnresolvedPlaceholder",
    "function_arn",
    "local_definition",
    "local_environment",
    "state_machine_arn",
]
