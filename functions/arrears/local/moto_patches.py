"""Every moto internal the local runtime replaces, in one place, against moto 5.2.5.

moto's Step Functions interpreter runs on real time and real threads: a Wait sleeps, every
Task state runs in a new thread whose caller waits ``TimeoutSeconds``, a callback waits on a
``threading.Event``, and each service task builds a new boto3 client. Lambda tasks reach
moto's Lambda backend, which wants Docker. The local runtime needs instead:

* waits on the virtual clock, through the cooperative ``Scheduler`` (``clock.py``);
* task bodies run inline in the execution's thread (no thread per task), with the task's
  ``TimeoutSeconds`` / ``HeartbeatSeconds`` as virtual deadlines; a callback that times out
  surfaces as the interpreter's ``EvalTimeoutError`` so ASL catches ``States.Timeout``;
* executions started as scheduler tasks, not free-running threads;
* Lambda functions invoked in-process (``handler(event, context)``);
* one boto3 client per (region, service) and one parsed program per definition.

``PATCH_POINTS`` lists each replaced attribute with the parameters it had in the pinned
version; ``check_internals()`` compares them with the installed moto, and
``tests/unit/local/test_moto_internals.py`` fails naming the attribute that moved.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import importlib
import inspect
import json
import pickle
import sys
import threading
import types
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from arrears.local import (
    aws_sdk_parameters,
    field_paths,
    no_batch_tasks,
    object_spool,
    program_cache,
    shared_models,
)
from arrears.local.clock import Scheduler, Wake
from arrears.local.packed import pack_attributes

PINNED_MOTO_VERSION = "5.2.5"

_STATE_TASK_SERVICE_MODULE = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service"
)

# (module, attribute path inside the module, parameter names in moto 5.2.5)
PATCH_POINTS: tuple[tuple[str, str, tuple[str, ...] | None], ...] = (
    ("moto.stepfunctions.parser.backend.execution_worker", "ExecutionWorker.start", ("self",)),
    (
        "moto.stepfunctions.parser.backend.execution_worker",
        "ExecutionWorker.stop",
        ("self", "stop_date", "error", "cause"),
    ),
    (
        "moto.stepfunctions.parser.backend.execution_worker",
        "ExecutionWorker._execution_logic",
        ("self",),
    ),
    (
        "moto.stepfunctions.parser.backend.execution_worker",
        "ExecutionWorker._get_evaluation_entrypoint",
        ("self",),
    ),
    ("moto.stepfunctions.parser.asl.component.program.program", "Program.eval", ("self", "env")),
    (
        "moto.stepfunctions.parser.models",
        "StepFunctionsParserBackend._validate_definition",
        ("definition",),
    ),
    (
        "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
        "ExecutionState._evaluate_with_timeout",
        ("self", "env"),
    ),
    (
        "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
        "ExecutionState._eval_execution",
        ("self", "env"),
    ),
    (
        "moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function",
        "WaitFunction._wait_interval",
        ("self", "env", "wait_seconds"),
    ),
    (
        "moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp",
        "Timestamp._get_wait_seconds",
        ("self", "env"),
    ),
    (
        "moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp",
        "Timestamp._from_timestamp_string",
        ("timestamp",),
    ),
    (
        "moto.stepfunctions.parser.asl.eval.callback.callback",
        "CallbackEndpoint.wait",
        ("self", "timeout"),
    ),
    (
        "moto.stepfunctions.parser.asl.eval.callback.callback",
        "CallbackEndpoint.notify",
        ("self", "outcome"),
    ),
    (
        "moto.stepfunctions.parser.asl.eval.callback.callback",
        "CallbackEndpoint.interrupt_all",
        ("self",),
    ),
    (
        "moto.stepfunctions.parser.asl.eval.callback.callback",
        "HeartbeatEndpoint.clear_and_wait",
        ("self",),
    ),
    (
        "moto.stepfunctions.parser.asl.eval.callback.callback",
        "HeartbeatEndpoint.notify",
        ("self",),
    ),
    (
        "moto.stepfunctions.parser.asl.component.common.timeouts.timeout",
        "EvalTimeoutError",
        None,
    ),
    (
        "moto.stepfunctions.parser.asl.utils.boto_client",
        "boto_client_for",
        ("region", "service", "state_credentials"),
    ),
    ("moto.awslambda.models", "LambdaFunction._invoke_lambda", ("self", "event")),
    ("moto.events.models", "EventPattern.matches_event", ("self", "event")),
    # states-only histories: the events they drop are not built (LeanEventManager)
    (
        "moto.stepfunctions.parser.asl.eval.event.event_manager",
        "EventManager.add_event",
        ("self", "context", "event_type", "event_details", "timestamp", "update_source_event_id"),
    ),
    (
        "moto.stepfunctions.parser.asl.component.state.state",
        "CommonStateField._get_state_entered_event_details",
        ("self", "env"),
    ),
    (
        "moto.stepfunctions.parser.asl.component.state.state",
        "CommonStateField._get_state_exited_event_details",
        ("self", "env"),
    ),
    # a task's API member names are converted with a regular expression on every call
    (_STATE_TASK_SERVICE_MODULE, "camel_to_snake_case", ("string",)),
    # JSONPath strings are re-parsed (ply) on every evaluation; parsed once per path instead
    ("moto.stepfunctions.parser.asl.utils.json_path", "parse", None),
    ("moto.stepfunctions.parser.asl.component.common.path.result_path", "parse", None),
    # field-only JSONPaths ($.case_id) read by walking dicts (local/field_paths.py)
    ("moto.stepfunctions.parser.asl.utils.json_path", "extract_json", ("path", "data")),
    # moto's EventBridge builds a new JSONPath parser (PLY tables) for every event it sends
    # to a target, importing jsonpath_ng.ext.parse by name at call time
    ("jsonpath_ng.ext", "parse", None),
    # lambda:invoke tasks call the handler directly instead of through botocore + moto Lambda
    (
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
        "_invoke_lambda_function",
        ("parameters", "region", "state_credentials"),
    ),
    # the state data is JSON, copied on every read: a JSON-tree copy instead of deepcopy
    ("moto.stepfunctions.parser.asl.eval.states", "States._extract", ("query", "data")),
    # not moto, but the same kind of per-call cost: pynamodb gives every thread its own
    # botocore session (service models re-read from disk), and executions are threads
    ("pynamodb.connection.base", "get_session", ("env_vars",)),
    # per-call costs of every emulated AWS call (handlers and aws-sdk service tasks alike):
    # moto lists a response class's methods (inspect.getmembers) on every request
    ("moto.core.responses", "method_names_from_class", ("clazz",)),
    # moto parses an UpdateExpression twice per UpdateItem (handler, then backend)
    ("moto.dynamodb.parsing.expressions", "UpdateExpressionParser.make", ("expression_str",)),
    # SigV4 signing of requests moto answers in-process and never checks (see _UNSIGNED_SERVICES)
    ("botocore.auth", "SigV4Auth.add_auth", ("self", "request")),
    # a callback the runtime timed out refuses SendTaskSuccess/Failure as AWS does; moto's
    # backend means to answer TaskTimedOut but builds its error without a message (TypeError)
    (
        "moto.stepfunctions.parser.asl.eval.callback.callback",
        "CallbackPoolManager.notify",
        ("self", "callback_id", "outcome"),
    ),
    # a Retry's backoff sleeps in real time: it waits on the virtual clock instead
    ("moto.stepfunctions.parser.asl.component.common.retry.retrier_decl", "time", None),
    # a variable reference ("x.$": "$name") is evaluated by a JSONata engine moto does not
    # ship (it fails with "'NoneType' object is not callable"): plain names read the store
    (
        "moto.stepfunctions.parser.asl.component.common.string.string_expression",
        "StringVariableSample._eval_body",
        ("self", "env"),
    ),
    # StartExecution looks for an execution of the same name through every execution the
    # state machine ever ran: the cost per start grows with the portfolio. An index by name.
    (
        "moto.stepfunctions.models",
        "StateMachine._handle_name_input_idempotency",
        ("self", "name", "execution_input"),
    ),
    # TransactWriteItems deep-copies every table it touches, once per item, to roll back:
    # the cost grows with the portfolio. The touched items are saved and restored instead.
    (
        "moto.dynamodb.models",
        "DynamoDBBackend.transact_write_items",
        ("self", "transact_items"),
    ),
)

# Interpreter modules whose `copy.deepcopy` calls copy JSON state data (inputs, results,
# parameters, history details): they get a `copy` whose deepcopy copies JSON trees directly.
_JSON_COPY_MODULES = (
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.eval.environment",
    "moto.stepfunctions.parser.asl.eval.event.event_manager",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
    _STATE_TASK_SERVICE_MODULE,
)

# Interpreter modules that bind moto's `extract_json` by name: each gets the fast one.
_EXTRACT_JSON_MODULES = (
    "moto.stepfunctions.parser.asl.utils.json_path",
    "moto.stepfunctions.parser.asl.eval.states",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.intrinsic.argument.argument",
    *(
        "moto.stepfunctions.parser.asl.component.state.choice.comparison.operator"
        f".implementations.{name}"
        for name in ("boolean_equals", "numeric", "string_operators", "timestamp_operators")
    ),
)

# Signing names of the services whose moto responses read the Authorization header only
# for the account (from an access key of 20 capitals and digits, which "testing" is not, so
# the default account either way) and, when the URL has none, the region (these URLs
# always carry it). S3 is left signed: moto's S3 treats an unsigned request as anonymous.
_UNSIGNED_SERVICES = frozenset({"dynamodb", "sqs", "sns", "events", "states", "lambda"})

# Attributes the inline `_evaluate_with_timeout` reads on the state object.
EXECUTION_STATE_ATTRIBUTES = ("timeout", "assign_decl", "result_selector", "result_path")
# Attributes the callback / heartbeat replacements read on moto's endpoint objects.
CALLBACK_ENDPOINT_ATTRIBUTES = ("_notify_event", "_outcome", "_heartbeat_endpoint")
HEARTBEAT_ENDPOINT_ATTRIBUTES = ("_mutex", "_next_heartbeat_event", "_heartbeat_seconds")


class StatesOnlyHistory:
    """An execution history that keeps the states entered (with their time) and the
    execution's own events, without the data they carried: task, wait and callback events,
    inputs, outputs and parameters are nearly all of a long-running case's history, and a
    portfolio run reads only which states were entered when.

    It stands in for the list moto's ``EventManager`` appends to: each event is kept as a
    tuple of its values beside one shared tuple of its keys (a third of a dict's memory),
    and iterating or deep-copying it (GetExecutionHistory) gives the events as dicts.
    """

    DATA = ("input", "inputDetails", "output", "outputDetails", "parameters")
    # Once its data is gone, a state-entered event's details are the state's name: one dict
    # per state, shared by every event entering it (nothing changes a history event, and
    # GetExecutionHistory hands out copies). Likewise one tuple per set of event keys.
    _entered: ClassVar[dict[str, dict[str, Any]]] = {}
    _keys: ClassVar[dict[tuple[str, ...], tuple[str, ...]]] = {}

    __slots__ = ("_events",)

    def __init__(self) -> None:
        self._events: list[tuple[Any, ...]] | bytes = []

    @staticmethod
    def keeps(event_type: Any) -> bool:
        kind = str(getattr(event_type, "value", event_type))
        return kind.endswith("StateEntered") or kind.startswith("Execution")

    def append(self, event: Any) -> None:
        if not self.keeps(event.get("type")):
            return
        for name, details in event.items():
            if name.endswith("EventDetails") and isinstance(details, dict):
                kept = {k: v for k, v in details.items() if k not in self.DATA}
                if name == "stateEnteredEventDetails" and list(kept) == ["name"]:
                    kept = self._entered.setdefault(kept["name"], kept)
                event[name] = kept
        keys = tuple(event)
        assert isinstance(self._events, list), "an ended execution's history gets no events"
        self._events.append((self._keys.setdefault(keys, keys), *event.values()))

    def freeze(self) -> None:
        """The execution has ended: nothing more is appended, and the report reads the
        history once, so keep it as one compressed pickle (a fifth of the tuples' memory)."""
        if isinstance(self._events, list):
            self._events = zlib.compress(pickle.dumps(self._events, pickle.HIGHEST_PROTOCOL))

    def _tuples(self) -> list[tuple[Any, ...]]:
        if isinstance(self._events, bytes):
            return cast(list[tuple[Any, ...]], pickle.loads(zlib.decompress(self._events)))
        return self._events

    def __len__(self) -> int:
        return len(self._tuples())

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for keys, *values in self._tuples():
            yield dict(zip(keys, values, strict=True))

    def __deepcopy__(self, memo: dict[int, Any]) -> list[dict[str, Any]]:
        return [copy.deepcopy(event, memo) for event in self]


@functools.cache
def _lean_event_manager() -> type:
    """moto's ``EventManager`` for a ``StatesOnlyHistory``: an event the history drops gets
    its id and moves the context on as before, without the timestamp and event dict moto
    builds for it (two events in three, 2 % of a never-paying case's CPU)."""
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

    class LeanEventManager(EventManager):
        def add_event(
            self,
            context: Any,
            event_type: Any,
            event_details: Any = None,
            timestamp: Any = None,
            update_source_event_id: bool = True,
        ) -> int:
            if self._cloud_watch_logging_session is not None or StatesOnlyHistory.keeps(event_type):
                return cast(
                    int,
                    super().add_event(
                        context, event_type, event_details, timestamp, update_source_event_id
                    ),
                )
            with self._mutex:  # moto's own bookkeeping, as add_event does it
                event_id: int = self._event_id_gen.get()
                context.last_published_event_id = event_id
                if update_source_event_id:
                    context.source_event_id = event_id
                return event_id

    return LeanEventManager


def _history_problems() -> list[str]:
    """What ``StatesOnlyHistory`` and the report rely on in moto's execution histories."""
    from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
    from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

    problems = []
    add_event = inspect.getsource(EventManager.add_event)
    for line in (
        "event_id: int = self._event_id_gen.get()",
        "context.last_published_event_id = event_id",
        "context.source_event_id = event_id",
    ):
        if line not in add_event:
            problems.append(f"EventManager.add_event no longer does `{line}`")
    exited = inspect.getsource(CommonStateField._get_state_exited_event_details)
    if exited.count("env.variable_store.") != 2 or "reset_tracing()" not in exited:
        problems.append(
            "CommonStateField._get_state_exited_event_details changed what it does to the "
            "variable store"
        )
    if "self._history_event_list = []" not in inspect.getsource(EventManager.__init__):
        problems.append("EventManager no longer keeps its history in _history_event_list")
    if "self._history_event_list.append(" not in inspect.getsource(
        EventManager._publish_history_event
    ):
        problems.append("EventManager._publish_history_event no longer appends to the list")
    if "self._get_evaluation_environment()" not in inspect.getsource(
        ExecutionWorker._execution_logic
    ):
        problems.append("ExecutionWorker._execution_logic no longer asks for its environment")
    return problems


def _ended_environment_problems() -> list[str]:
    """What ``EndedEnvironment`` stands in for on moto's ``Environment``."""
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    problems = []
    for name in ("event_manager", "callback_pool_manager", "map_run_record_pool_manager"):
        if f"self.{name} =" not in inspect.getsource(Environment.__init__):
            problems.append(f"Environment.{name} is no longer set by the environment")
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.map_run_record import (  # noqa: E501
        MapRunRecordPoolManager,
    )
    from moto.stepfunctions.parser.backend.execution import (
        BaseExecutionWorkerCommunication,
        Execution,
    )

    for name in (*_PACKED_EXECUTION_ATTRIBUTES, "state_machine"):
        if f"self.{name} = " not in inspect.getsource(Execution.__init__):
            problems.append(f"Execution.{name} is no longer a plain attribute")
    if "self.execution = execution" not in inspect.getsource(
        BaseExecutionWorkerCommunication.__init__
    ):
        problems.append("an execution worker's communication no longer knows its execution")
    if "self._pool = " not in inspect.getsource(MapRunRecordPoolManager.__init__):
        problems.append("MapRunRecordPoolManager no longer keeps its records in _pool")
    for name, params in (
        ("program_state", ("self",)),
        ("is_running", ("self",)),
        ("set_stop", ("self", "stop_date", "cause", "error")),
    ):
        method = getattr(Environment, name, None)
        if method is None or tuple(inspect.signature(method).parameters) != params:
            problems.append(f"Environment.{name} changed")
    return problems


def _in_process_dynamodb_problems() -> list[str]:
    """What ``InProcessDynamoDB`` needs from botocore's client and moto's stubber."""
    import botocore.client
    import botocore.endpoint

    problems = []
    needs = {
        botocore.client.BaseClient: (
            ("_emit_api_params", ("self", "api_params", "operation_model", "context")),
            (
                "_convert_to_request_dict",
                (
                    "self",
                    "api_params",
                    "operation_model",
                    "endpoint_url",
                    "context",
                    "headers",
                    "set_user_agent_header",
                ),
            ),
        ),
        botocore.endpoint.Endpoint: (
            (
                "_add_modeled_error_fields",
                ("self", "response_dict", "parsed_response", "operation_model", "parser"),
            ),
        ),
    }
    for owner, methods in needs.items():
        for name, params in methods:
            method = getattr(owner, name, None)
            if method is None:
                problems.append(f"botocore {owner.__name__}.{name} is gone")
            elif tuple(inspect.signature(method).parameters) != params:
                problems.append(f"botocore {owner.__name__}.{name} parameters changed")
    if not hasattr(botocore.endpoint, "convert_to_response_dict"):
        problems.append("botocore.endpoint.convert_to_response_dict is gone")
    from moto.core import botocore_stubber, models

    if not hasattr(botocore_stubber, "MockRawResponse"):
        problems.append("moto.core.botocore_stubber.MockRawResponse is gone")
    stubber = getattr(models, "botocore_stubber", None)
    if stubber is None or tuple(inspect.signature(stubber.process_request).parameters) != (
        "request",
    ):
        problems.append("moto.core.models.botocore_stubber.process_request moved or changed")
    return problems


def _execution_name_problems() -> list[str]:
    """What ``same_name_by_index`` relies on: moto's check reads nothing of the machine but
    its executions, and the machine's list is only appended to."""
    import re

    from moto.stepfunctions import models

    check = inspect.getsource(models.StateMachine._handle_name_input_idempotency)
    problems = []
    if set(re.findall(r"self\.(\w+)", check)) != {"executions"}:
        problems.append("StateMachine._handle_name_input_idempotency reads more than executions")
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    start = inspect.getsource(StepFunctionsParserBackend.start_execution)
    if "state_machine.executions.append(execution)" not in start:
        problems.append("StepFunctionsParserBackend.start_execution no longer appends executions")
    return problems


def _machine_copy_problems() -> list[str]:
    """What ``_deepcopy_sharing_machine_copies`` relies on in moto's Step Functions."""
    models = importlib.import_module(_STEPFUNCTIONS_MODELS)
    problems = []
    if getattr(models, "copy", None) not in (copy, _MACHINE_SHARED_COPY):
        problems.append(f"{_STEPFUNCTIONS_MODELS} no longer imports the copy module as `copy`")
    start = inspect.getsource(models.StepFunctionsParserBackend.start_execution)
    if "copy.deepcopy(\n            state_machine," not in start:
        problems.append("start_execution no longer snapshots the state machine with deepcopy")
    return problems


def _transaction_rollback_problems() -> list[str]:
    """What ``transact_write_items_saving_touched_items`` relies on in moto's DynamoDB."""
    from moto.dynamodb import models
    from moto.dynamodb.models.table import Table

    problems = []
    if getattr(models, "copy", None) not in (copy, _TABLES_KEPT_COPY):
        problems.append(f"{_DYNAMODB_MODELS} no longer imports the copy module as `copy`")
    backup = inspect.getsource(models.DynamoDBBackend.transact_write_items)
    if "copy.deepcopy(" not in backup or "original_table_state" not in backup:
        problems.append("DynamoDBBackend.transact_write_items no longer backs up whole tables")
    if "self.items[hash_value][range_value] = item" not in inspect.getsource(Table.put_item):
        problems.append("Table.items is no longer {hash: item} / {hash: {range: item}}")
    return problems


def _resolve(module_name: str, path: str) -> Any:
    obj: Any = importlib.import_module(module_name)
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def check_internals() -> list[str]:
    """Problems with the installed moto's internals, one sentence each (empty when fine)."""
    problems: list[str] = []
    import moto

    if moto.__version__ != PINNED_MOTO_VERSION:
        problems.append(
            f"moto is {moto.__version__}, the local runtime's patches are written against "
            f"{PINNED_MOTO_VERSION}"
        )
    for module_name, path, params in PATCH_POINTS:
        try:
            target = _resolve(module_name, path)
        except (ImportError, AttributeError) as exc:
            problems.append(f"{module_name}.{path} is gone ({exc})")
            continue
        if params is None:
            continue
        try:
            actual = tuple(inspect.signature(target).parameters)
        except (TypeError, ValueError) as exc:
            problems.append(f"{module_name}.{path} has no readable signature ({exc})")
            continue
        if actual != params:
            problems.append(
                f"{module_name}.{path} parameters changed: expected {params}, found {actual}"
            )
    from moto.stepfunctions.parser.asl.eval.callback.callback import (
        CallbackEndpoint,
        HeartbeatEndpoint,
    )

    endpoint = CallbackEndpoint("probe")
    endpoint.setup_heartbeat_endpoint(1)
    for name in CALLBACK_ENDPOINT_ATTRIBUTES:
        if not hasattr(endpoint, name):
            problems.append(f"CallbackEndpoint.{name} is gone")
    heartbeat = HeartbeatEndpoint(1)
    for name in HEARTBEAT_ENDPOINT_ATTRIBUTES:
        if not hasattr(heartbeat, name):
            problems.append(f"HeartbeatEndpoint.{name} is gone")
    from moto.stepfunctions.parser.asl.component.state.exec.execute_state import (
        ExecutionState,
    )

    init_source = "".join(
        inspect.getsource(klass.__dict__[method])
        for klass in ExecutionState.__mro__
        for method in ("__init__", "from_state_props")
        if inspect.isfunction(klass.__dict__.get(method))
    )
    for name in EXECUTION_STATE_ATTRIBUTES:
        if f"self.{name}" not in init_source:
            problems.append(f"ExecutionState.{name} is no longer set by the state")
    problems += _history_problems()
    problems += _ended_environment_problems()
    problems += _scheduler_service_problems()
    for model in _untracked_models():
        if not isinstance(model.__dict__.get("instances_tracked"), list):
            problems.append(f"moto's {model.__module__}.{model.__name__} is no longer tracked")
    problems += no_batch_tasks.problems()
    problems += field_paths.problems()
    extract_json = _resolve(_JSON_PATH_MODULE, "extract_json")
    for module_name in _EXTRACT_JSON_MODULES:
        if getattr(importlib.import_module(module_name), "extract_json", None) is not extract_json:
            problems.append(f"{module_name} no longer binds extract_json by name")
    problems += object_spool.problems()
    problems += shared_models.problems()
    for module_name in _JSON_COPY_MODULES:
        try:
            bound = getattr(importlib.import_module(module_name), "copy", None)
        except ImportError as exc:
            problems.append(f"{module_name} is gone ({exc})")
            continue
        if bound is not copy and bound is not _JSON_COPY:
            problems.append(f"{module_name} no longer imports the copy module as `copy`")
    try:
        for klass in _flat_state_types():
            hooks = {"__copy__", "__deepcopy__", "__reduce__", "__getstate__", "__slots__"}
            if hooks & set(vars(klass)):
                problems.append(f"{klass.__name__} now defines its own copy behaviour")
    except AttributeError as exc:
        problems.append(f"a program state class is gone ({exc})")
    problems.extend(_in_process_dynamodb_problems())
    problems.extend(_transaction_rollback_problems())
    problems.extend(_machine_copy_problems())
    problems.extend(_execution_name_problems())
    import botocore.auth

    if "_service_name" not in inspect.getsource(botocore.auth.SigV4Auth.__init__):
        problems.append("botocore.auth.SigV4Auth no longer keeps _service_name")
    # aws-sdk parameter-name mapping (aws_sdk_parameters.py, written for the ops workflow)
    problems.extend(aws_sdk_parameters.problems())
    for name in ("_is_language_query_jsonpath",):
        if not hasattr(ExecutionState, name):
            problems.append(f"ExecutionState.{name} is gone")
    return problems


@dataclass
class Hooks:
    """What the patched internals call back into (set by the running ``LocalRuntime``)."""

    scheduler: Scheduler
    # function name, event -> (payload JSON, errored)
    invoke_lambda: Callable[[str, Any], tuple[str, bool]]
    # True: task bodies inline on virtual time; False: moto's own threads and real time
    virtual_time: bool = True
    # client, operation -> None, or raises the injected fault (local/faults.py)
    before_aws_call: Callable[[Any, str], None] | None = None
    # True: DynamoDB is the in-memory engine (arrears.local.dynamodb) behind every client
    dynamodb_in_memory: bool = False
    # True: execution histories keep each event without its state data (see StatesOnlyHistory)
    lean_history: bool = False


_hooks: Hooks | None = None
_lock = threading.Lock()


def _active() -> Hooks:
    if _hooks is None:
        raise RuntimeError("moto patches are installed but no LocalRuntime is active")
    return _hooks


# ---- replacements ---------------------------------------------------------------------


# Kept for the process: a parsed program is immutable evaluation nodes (state lives in the
# execution's Environment), and moto intercepts every client created after its import.
_PARSED_PROGRAMS: dict[str, Any] = {}
_INTERPRETER_CLIENTS: dict[tuple[str, str], Any] = {}
_SHARED_SESSION: Any = None
_PARSED_JSON_PATHS: dict[tuple[str, str], Any] = {}
# Kept while a runtime runs (cleared on install): a class gains no methods meanwhile, and a
# parsed UpdateExpression is only read (moto's validator deep-copies it before resolving).
_METHOD_NAMES: dict[type, list[str]] = {}
_PARSED_UPDATE_EXPRESSIONS: dict[tuple[type, str], Any] = {}
_MAX_CACHED_EXPRESSIONS = 4096


def _make_replacements(originals: dict[str, Any]) -> dict[str, Any]:
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import (
        EvalTimeoutError,
    )
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.timestamp import (
        Timestamp,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import (
        CallbackConsumerTimeout,
        CallbackNotifyConsumerError,
    )
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    parsed_programs = _PARSED_PROGRAMS
    clients = _INTERPRETER_CLIENTS

    def execution_start(self: Any) -> None:
        hooks = _active()
        name = str(self._evaluation_details.execution_details.name)
        if hooks.lean_history:
            make_environment = self._get_evaluation_environment

            def lean_environment() -> Any:
                env = make_environment()
                env.event_manager.__class__ = _lean_event_manager()
                env.event_manager._history_event_list = StatesOnlyHistory()
                return env

            self._get_evaluation_environment = lean_environment
            self._arrears_task = hooks.scheduler.spawn(name, lambda: _run_then_release(self))
            return
        self._arrears_task = hooks.scheduler.spawn(name, self._execution_logic)

    def execution_stop(self: Any, stop_date: Any, error: Any, cause: Any) -> None:
        originals["ExecutionWorker.stop"](self, stop_date, error, cause)
        task = getattr(self, "_arrears_task", None)
        if task is not None:
            _active().scheduler.wake(task)

    def evaluation_entrypoint(self: Any) -> Any:
        definition = self._evaluation_details.state_machine_details.definition
        program = parsed_programs.get(definition)
        if program is None:
            program = program_cache.program_for(definition, parse_program)
            parsed_programs[definition] = program
        return program

    def parse_program(definition: str) -> Any:
        return AmazonStateLanguageParser.parse(definition)[0]

    def validate_definition(definition: str) -> None:
        # CreateStateMachine parses the definition only to validate it; keep the program
        if definition in parsed_programs:
            return
        try:
            parsed_programs[definition] = program_cache.program_for(definition, parse_program)
        except Exception:  # let moto raise its own InvalidDefinition
            originals["StepFunctionsParserBackend._validate_definition"](definition)
            raise

    def program_eval(self: Any, env: Any) -> None:
        # The state machine's own TimeoutSeconds is not enforced on virtual time.
        env.next_state_name = self.start_at.start_at_name
        EvalComponent.eval(self, env)

    def evaluate_inline(self: Any, env: Any) -> None:
        hooks = _active()
        self.timeout.eval(env=env)
        timeout_seconds: int = env.stack.pop()
        task = hooks.scheduler.current_task()

        frame = env.open_frame()
        frame.states.reset(input_value=env.states.get_input())
        frame.stack = _json_copy(env.stack)
        if task is not None:
            task.deadlines.append(hooks.scheduler.clock.now + dt.timedelta(seconds=timeout_seconds))
        try:
            self._eval_execution(frame)
            execution_output = frame.stack[-1] if frame.stack else None
            has_output = bool(frame.stack)
        except TimeoutError as exc:
            # callback or heartbeat deadline: the interpreter's own timeout error, so the
            # failure is States.Timeout exactly as when its timer thread fires
            raise EvalTimeoutError() from exc
        finally:
            if task is not None:
                task.deadlines.pop()
            frame.set_ended()
            env.close_frame(frame)
        if not has_output:
            raise RuntimeError("task state produced no output")

        env.stack.append(execution_output)
        if not self._is_language_query_jsonpath():
            env.states.set_result(execution_output)
        if self.assign_decl:
            self.assign_decl.eval(env=env)
        if self.result_selector:
            self.result_selector.eval(env=env)
        if self.result_path:
            self.result_path.eval(env)
        else:
            res = env.stack.pop()
            env.states.reset(input_value=res)

    def wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
        wait_interval_seconds(wait_seconds, env.is_running)

    def wait_interval_seconds(seconds: float, running: Callable[[], bool] = lambda: True) -> None:
        if seconds <= 0:
            return
        scheduler = _active().scheduler
        deadline = scheduler.clock.now + dt.timedelta(seconds=seconds)
        while running() and scheduler.clock.now < deadline:
            scheduler.block(deadline)

    def variable_sample(self: Any, env: Any) -> None:
        name = self.expression[1:]
        if self.expression.startswith("$") and name.isidentifier():
            env.stack.append(copy.deepcopy(env.variable_store.get(name)))
            return
        originals["StringVariableSample._eval_body"](self, env)

    retry_time = _VirtualSleep(originals["retry_time"], wait_interval_seconds)

    # A states-only history keeps a state-entered event's name and drops a state-exited
    # event whole: the JSON text of the state's input or output is not written for them.
    def entered_details(self: Any, env: Any) -> Any:
        if type(env.event_manager) is _lean_event_manager():
            return {"name": self.name}
        return originals["CommonStateField._get_state_entered_event_details"](self, env)

    def exited_details(self: Any, env: Any) -> Any:
        if type(env.event_manager) is _lean_event_manager():
            env.variable_store.reset_tracing()  # what moto's does besides the details
            return {"name": self.name}
        return originals["CommonStateField._get_state_exited_event_details"](self, env)

    def timestamp_wait_seconds(self: Any, env: Any) -> int:
        # moto compares a naive UTC timestamp with naive *local* datetime.now(); compare
        # aware instants on the virtual clock instead.
        self.string.eval(env=env)
        timestamp_str: str = env.stack.pop()
        timestamp = Timestamp._from_timestamp_string(timestamp=timestamp_str)
        if timestamp is None:
            from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
                FailureEventException,
            )

            raise FailureEventException(self._create_failure_event(env, timestamp_str))
        delta = timestamp.replace(tzinfo=dt.UTC) - _active().scheduler.clock.now
        return int(delta.total_seconds())

    def callback_wait(self: Any, timeout: float | None = None) -> Any:
        scheduler = _active().scheduler
        task = scheduler.current_task()
        if task is None:
            return originals["CallbackEndpoint.wait"](self, timeout)
        self._arrears_task = task
        deadline = None if timeout is None else scheduler.clock.now + dt.timedelta(seconds=timeout)
        while not self._notify_event.is_set():
            if scheduler.block(deadline) is Wake.DEADLINE:
                # as in AWS, a late SendTaskSuccess for this token is refused from now on
                # (moto's own timer never marks the callback, so it accepted and lost it)
                self.report(CallbackConsumerTimeout())
                break
        _spend(self)
        return self._outcome

    pool_notify = originals["CallbackPoolManager.notify"]

    def pool_notify_refusing_ended_tasks(self: Any, callback_id: Any, outcome: Any) -> bool:
        from moto.stepfunctions.parser.api import TaskDoesNotExist, TaskTimedOut

        try:
            return bool(pool_notify(self, callback_id, outcome))
        except CallbackNotifyConsumerError as refused:
            if isinstance(refused.callback_consumer_error, CallbackConsumerTimeout):
                raise TaskTimedOut("Task Timed Out", exception_type="TaskTimedOut") from None
            raise TaskDoesNotExist(
                "Task does not exist", exception_type="TaskDoesNotExist"
            ) from None

    def callback_notify(self: Any, outcome: Any) -> None:
        originals["CallbackEndpoint.notify"](self, outcome)
        _wake_waiter(self)

    def callback_interrupt_all(self: Any) -> None:
        originals["CallbackEndpoint.interrupt_all"](self)
        _wake_waiter(self)

    def heartbeat_clear_and_wait(self: Any) -> bool:
        with self._mutex:
            if self._next_heartbeat_event.is_set():
                self._next_heartbeat_event.clear()
                return True
        scheduler = _active().scheduler
        task = scheduler.current_task()
        if task is None:
            result: bool = originals["HeartbeatEndpoint.clear_and_wait"](self)
            return result
        self._arrears_task = task
        beat_deadline = scheduler.clock.now + dt.timedelta(seconds=self._heartbeat_seconds)
        task_deadline = task.deadlines[-1] if task.deadlines else None
        deadline = min(beat_deadline, task_deadline) if task_deadline else beat_deadline
        while not self._next_heartbeat_event.is_set():
            if scheduler.block(deadline) is Wake.DEADLINE:
                break
        if self._next_heartbeat_event.is_set():
            return True
        if task_deadline is not None and scheduler.clock.now >= task_deadline:
            raise EvalTimeoutError()
        return False

    def heartbeat_notify(self: Any) -> None:
        originals["HeartbeatEndpoint.notify"](self)
        _wake_waiter(self)

    def cached_boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        key = (region, service)
        client = clients.get(key)
        if client is None:
            client = originals["boto_client_for"](region, service, state_credentials)
            if service == "dynamodb" and not _active().dynamodb_in_memory:
                client = InProcessDynamoDB(client)
            clients[key] = client
        return client

    def shared_botocore_session(env_vars: Any = None) -> Any:
        # one warm session for every thread: its loader keeps the parsed service models
        global _SHARED_SESSION
        if _SHARED_SESSION is None:
            _SHARED_SESSION = originals["pynamodb_get_session"](env_vars)
        return _SHARED_SESSION

    def extract_with_json_copy(query: str | None, data: Any) -> Any:
        from moto.stepfunctions.parser.asl.utils.json_path import extract_json

        return _json_copy(data if query is None else extract_json(query, data))

    def cached_json_path_parse(path: str) -> Any:
        parsed = _PARSED_JSON_PATHS.get(("ext", path))
        if parsed is None:
            parsed = originals["json_path_parse"](path)
            _PARSED_JSON_PATHS[("ext", path)] = parsed
        return parsed

    def cached_result_path_parse(path: str) -> Any:
        parsed = _PARSED_JSON_PATHS.get(("plain", path))
        if parsed is None:
            parsed = originals["result_path_parse"](path)
            _PARSED_JSON_PATHS[("plain", path)] = parsed
        return parsed

    fast_extract_json = field_paths.fast_extract(
        originals[_extract_json_key(_JSON_PATH_MODULE)], cached_json_path_parse
    )

    def lambda_task_in_process(
        parameters: dict[str, Any], region: str, state_credentials: Any
    ) -> Any:
        name = str(parameters.get("FunctionName", ""))
        local_name = name.split(":function:", 1)[-1].split(":", 1)[0]
        raw = parameters.get("Payload") or b"{}"
        try:
            event = json.loads(raw)
            payload, errored = _active().invoke_lambda(local_name, event)
        except (KeyError, ValueError):  # unknown function or odd payload: moto says why
            return originals["lambda_task_in_process"](parameters, region, state_credentials)
        try:
            body: Any = json.loads(payload)
        except ValueError:
            body = payload
        response: dict[str, Any] = {
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "Payload": body,
        }
        if errored:
            response["FunctionError"] = "Unhandled"
        return response

    def invoke_lambda(self: Any, event: Any = None) -> tuple[str, bool, str]:
        payload, errored = _active().invoke_lambda(self.function_name, event)
        return payload, errored, ""

    def cached_method_names(clazz: Any) -> list[str]:
        names = _METHOD_NAMES.get(clazz)
        if names is None:
            names = originals["method_names_from_class"](clazz)
            _METHOD_NAMES[clazz] = names
        return list(names)

    parse_update_expression = originals["UpdateExpressionParser.make"].__func__

    def cached_update_expression(cls: Any, expression_str: str) -> Any:
        key = (cls, expression_str)
        ast = _PARSED_UPDATE_EXPRESSIONS.get(key)
        if ast is None:
            ast = parse_update_expression(cls, expression_str)  # raises moto's own errors
            if len(_PARSED_UPDATE_EXPRESSIONS) < _MAX_CACHED_EXPRESSIONS:
                _PARSED_UPDATE_EXPRESSIONS[key] = ast
        return ast

    transact_write_items = originals["DynamoDBBackend.transact_write_items"]

    def transact_write_items_saving_touched_items(self: Any, transact_items: Any) -> None:
        # moto's own rollback now "restores" the very tables it holds (_TABLES_KEPT_COPY);
        # what the transaction may have changed is put back from this snapshot instead
        touched = _touched_items(self, transact_items)
        try:
            transact_write_items(self, transact_items)
        except BaseException:
            _restore_items(touched)
            raise

    sigv4_add_auth = originals["SigV4Auth.add_auth"]
    from botocore.auth import SigV4Auth

    def add_auth_unless_in_process(self: Any, request: Any) -> Any:
        # only plain SigV4 header signing is skipped: presigned URLs (query auth) and S3
        # are signed as before
        if type(self) is SigV4Auth and self._service_name in _UNSIGNED_SERVICES:
            return None
        return sigv4_add_auth(self, request)

    def same_name_by_index(self: Any, name: str, execution_input: str) -> Any:
        # moto's own answer, asked about the one execution that can have this name
        named = ExecutionsByName.of(self).find(self.executions, name)
        if named is None:
            return None
        check = originals["StateMachine._handle_name_input_idempotency"]
        return check(types.SimpleNamespace(executions=[named]), name, execution_input)

    return {
        "ExecutionWorker.start": execution_start,
        "ExecutionWorker.stop": execution_stop,
        "ExecutionWorker._get_evaluation_entrypoint": evaluation_entrypoint,
        "StepFunctionsParserBackend._validate_definition": staticmethod(validate_definition),
        "Program.eval": program_eval,
        "ExecutionState._evaluate_with_timeout": evaluate_inline,
        "WaitFunction._wait_interval": wait_interval,
        "retry_time": retry_time,
        "StringVariableSample._eval_body": variable_sample,
        "CommonStateField._get_state_entered_event_details": entered_details,
        "CommonStateField._get_state_exited_event_details": exited_details,
        "camel_to_snake_case": functools.lru_cache(maxsize=4096)(originals["camel_to_snake_case"]),
        "Timestamp._get_wait_seconds": timestamp_wait_seconds,
        "CallbackEndpoint.wait": callback_wait,
        "CallbackEndpoint.notify": callback_notify,
        "CallbackPoolManager.notify": pool_notify_refusing_ended_tasks,
        "CallbackEndpoint.interrupt_all": callback_interrupt_all,
        "HeartbeatEndpoint.clear_and_wait": heartbeat_clear_and_wait,
        "HeartbeatEndpoint.notify": heartbeat_notify,
        "boto_client_for": cached_boto_client_for,
        "LambdaFunction._invoke_lambda": invoke_lambda,
        "pynamodb_get_session": shared_botocore_session,
        "json_path_parse": cached_json_path_parse,
        "events_json_path_parse": cached_json_path_parse,
        "result_path_parse": cached_result_path_parse,
        "lambda_task_in_process": lambda_task_in_process,
        "States._extract": staticmethod(extract_with_json_copy),
        "method_names_from_class": cached_method_names,
        "UpdateExpressionParser.make": classmethod(cached_update_expression),
        "SigV4Auth.add_auth": add_auth_unless_in_process,
        "DynamoDBBackend.transact_write_items": transact_write_items_saving_touched_items,
        "StateMachine._handle_name_input_idempotency": same_name_by_index,
        _DYNAMODB_COPY_KEY: _TABLES_KEPT_COPY,
        _MACHINE_COPY_KEY: _MACHINE_SHARED_COPY,
        **{_json_copy_key(name): _JSON_COPY for name in _JSON_COPY_MODULES},
        **{_extract_json_key(name): fast_extract_json for name in _EXTRACT_JSON_MODULES},
    }


class _VirtualSleep:
    """Stands in for the ``time`` module where moto sleeps between Retry attempts."""

    def __init__(self, real_time: Any, wait: Callable[[float], None]) -> None:
        self._real_time = real_time
        self.sleep = wait

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real_time, name)


class ExecutionsByName:
    """A state machine's executions by name. moto only appends to a machine's list of
    executions, and names are unique in it (a second start of a name is refused, or answered
    with the first execution): the index catches up with the executions started since it
    last looked."""

    def __init__(self) -> None:
        self._named: dict[str, Any] = {}
        self._seen = 0

    def __deepcopy__(self, memo: dict[int, Any]) -> ExecutionsByName:
        # moto snapshots the machine (without its executions) for every execution it starts
        return ExecutionsByName()

    @classmethod
    def of(cls, machine: Any) -> ExecutionsByName:
        index = machine.__dict__.get("_arrears_by_name")
        if index is None:
            index = machine._arrears_by_name = cls()
        return cast(ExecutionsByName, index)

    def find(self, executions: list[Any], name: str) -> Any:
        if len(executions) < self._seen:  # not appended to: replaced or cut, index anew
            self._named, self._seen = {}, 0
        for execution in executions[self._seen :]:
            self._named.setdefault(execution.name, execution)
        self._seen = len(executions)
        return self._named.get(name)


def _touched_items(backend: Any, transact_items: Any) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash value, range value, deep copy of the item or None) per transaction item."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    touched = []
    for entry in transact_items:
        if not isinstance(entry, dict) or len(entry) != 1:
            continue  # moto refuses it before writing anything
        (op,) = entry.values()
        table = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        key = (op.get("Key") or op.get("Item") or {}) if table is not None else {}
        if table is None or table.hash_key_attr not in key:
            continue
        if table.range_key_attr and table.range_key_attr not in key:
            continue  # a validation error, raised before any write
        hash_value = DynamoType(key[table.hash_key_attr])
        if table.range_key_attr:
            range_value = DynamoType(key[table.range_key_attr])
            before = table.items.get(hash_value, {}).get(range_value)
        else:
            range_value = None
            before = table.items.get(hash_value)
        touched.append((table, hash_value, range_value, copy.deepcopy(before)))
    return touched


def _restore_items(touched: list[tuple[Any, Any, Any, Any]]) -> None:
    for table, hash_value, range_value, before in reversed(touched):
        if range_value is None:
            if before is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = before
            continue
        bucket = table.items.get(hash_value)
        if before is not None:
            table.items[hash_value] = {**(bucket or {}), range_value: before}
        elif bucket is not None:
            bucket.pop(range_value, None)
            if not bucket:
                del table.items[hash_value]


def _copy_module(deepcopy: Callable[..., Any], what: str) -> types.ModuleType:
    """The copy module with another ``deepcopy``, to bind as a moto module's ``copy``."""
    module = types.ModuleType("copy", f"the copy module, whose {what}")
    module.__dict__.update({k: v for k, v in vars(copy).items() if not k.startswith("__")})
    module.deepcopy = deepcopy  # type: ignore[attr-defined]
    return module


def _deepcopy_keeping_tables(value: Any, memo: dict[int, Any] | None = None) -> Any:
    from moto.dynamodb.models.table import Table

    return value if isinstance(value, Table) else copy.deepcopy(value, memo)


# moto.dynamodb.models' `copy` while a runtime runs: TransactWriteItems' whole-table backups
# become the tables themselves (transact_write_items_saving_touched_items restores instead)
_TABLES_KEPT_COPY = _copy_module(_deepcopy_keeping_tables, "deepcopy keeps DynamoDB tables")
_DYNAMODB_COPY_KEY = "dynamodb_models_copy"
_DYNAMODB_MODELS = "moto.dynamodb.models"


_ATOMS = frozenset({str, int, float, bool, type(None)})


def _json_copy(value: Any) -> Any:
    """Deep copy of a JSON tree (dicts, lists, scalars); anything else via deepcopy."""
    kind = type(value)
    if kind is dict:
        # scalars are immutable: kept as they are without a call per leaf
        return {
            key: item if type(item) in _ATOMS else _json_copy(item) for key, item in value.items()
        }
    if kind is list:
        return [item if type(item) in _ATOMS else _json_copy(item) for item in value]
    if kind in _ATOMS:
        return value
    if kind in _FLAT_STATE_TYPES:
        return _flat_copy(value)
    return copy.deepcopy(value)


def _flat_copy(value: Any) -> Any:
    """What deepcopy makes of an object whose attributes are all immutable, made directly."""
    attributes = vars(value)
    if any(type(item) not in _IMMUTABLE for item in attributes.values()):
        return copy.deepcopy(value)
    clone = object.__new__(type(value))
    vars(clone).update(attributes)
    return clone


def _flat_state_types() -> frozenset[type]:
    # the interpreter deep-copies its program state (running, next state name) on every
    # read; these classes hold only strings, None and a datetime
    from moto.stepfunctions.parser.asl.eval import program_state

    return frozenset(
        getattr(program_state, name)
        for name in ("ProgramRunning", "ProgramEnded", "ProgramStopped", "ProgramTimedOut")
    )


_FLAT_STATE_TYPES: frozenset[type] = frozenset()
_IMMUTABLE = _ATOMS | {dt.datetime}


class InProcessDynamoDB:
    """The interpreter's DynamoDB client, handing each call to moto without the HTTP layer.

    A call runs the client's own parameter hooks, serializer and response parser and
    moto's own dispatch, exactly as through botocore; what it leaves out is what an
    in-process call never needs: endpoint rules (DynamoDB's endpoint is fixed), signing,
    the send/retry event chain (the interpreter's client makes one attempt) and the
    HTTP request/response objects. Errors are raised as the client raises them (the same
    ``ClientError`` subclass with the same parsed response), so ASL Catch sees the same
    error names. Anything but an API operation is the real client's.
    """

    def __init__(self, client: Any) -> None:
        self._client = client
        self._operations: dict[str, str] = dict(client.meta.method_to_api_mapping)

    def __getattr__(self, name: str) -> Any:
        operation = self._operations.get(name)
        if operation is None:
            return getattr(self._client, name)

        def call(**params: Any) -> Any:
            return self._call(operation, params)

        return call

    def _call(self, operation_name: str, params: dict[str, Any]) -> Any:
        from botocore.awsrequest import AWSResponse, create_request_object
        from botocore.endpoint import convert_to_response_dict
        from moto.core.botocore_stubber import MockRawResponse
        from moto.core.models import botocore_stubber

        client = self._client
        hooks = _hooks
        if hooks is not None and hooks.before_aws_call is not None:
            hooks.before_aws_call(client, operation_name)
        operation = client.meta.service_model.operation_model(operation_name)
        context = {"client_region": client.meta.region_name, "client_config": client.meta.config}
        params = client._emit_api_params(
            api_params=params, operation_model=operation, context=context
        )
        request_dict = client._convert_to_request_dict(
            api_params=params,
            operation_model=operation,
            endpoint_url=client.meta.endpoint_url,
            context=context,
        )
        request = create_request_object(request_dict).prepare()
        answered = botocore_stubber.process_request(request)
        if answered is None:  # not something moto serves: the full client path
            return getattr(client, _python_name(client, operation_name))(**params)
        status, headers, body = answered
        http = AWSResponse(request.url, status, headers, MockRawResponse(body))
        response = convert_to_response_dict(http, operation)
        protocol = operation.service_model.resolved_protocol
        parser = client._endpoint._response_parser_factory.create_parser(protocol)
        parsed: dict[str, Any] = parser.parse(response, operation.output_shape)
        if status >= 300:
            client._endpoint._add_modeled_error_fields(response, parsed, operation, parser)
            error_code = parsed.get("Error", {}).get("Code")
            raise client.exceptions.from_code(error_code)(parsed, operation_name)
        parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
        return parsed


def _python_name(client: Any, operation_name: str) -> str:
    for python_name, api_name in client.meta.method_to_api_mapping.items():
        if api_name == operation_name:
            return str(python_name)
    raise AttributeError(operation_name)


def _deepcopy_json_first(value: Any, memo: dict[int, Any] | None = None) -> Any:
    return _json_copy(value) if memo is None else copy.deepcopy(value, memo)


_JSON_COPY = _copy_module(_deepcopy_json_first, "deepcopy fast on JSON trees")


def _json_copy_key(module_name: str) -> str:
    return f"json_copy:{module_name}"


def _extract_json_key(module_name: str) -> str:
    return f"extract_json:{module_name}"


# A spent callback endpoint's event: set for good, shared by every spent endpoint.
_SPENT = threading.Event()
_SPENT.set()


def _spend(endpoint: Any) -> None:
    """Let a callback whose wait is over drop its own event and waiter.

    moto keeps every endpoint of a running execution in its pool, so a duplicate or late
    SendTaskSuccess gets the answer it always got (accepted, or refused once timed out);
    what a long-running case no longer carries is an Event (a Condition, a lock and a
    deque) per task it has waited on.
    """
    endpoint._notify_event = _SPENT
    endpoint._arrears_task = None


class _Untracked(list[Any]):
    """moto lists every model object it creates (for its server's dashboard), so a deleted
    SQS message (about four per case) or a one-time schedule that ran and was deleted
    (about four per case) would live as long as the process."""

    def append(self, item: Any) -> None:
        pass


def _scheduler_service_problems() -> list[str]:
    """What ``resume_schedules.ScheduleFirer`` reads of the emulated Scheduler's state."""
    from moto.scheduler.models import EventBridgeSchedulerBackend, Schedule

    problems = []
    for name in ("get_schedule", "delete_schedule"):
        method = getattr(EventBridgeSchedulerBackend, name, None)
        if method is None or tuple(inspect.signature(method).parameters) != (
            "self",
            "group_name",
            "name",
        ):
            problems.append(f"moto's scheduler backend {name} changed")
    for name in ("target", "action_after_completion"):
        if f"self.{name} = " not in inspect.getsource(Schedule.__init__):
            problems.append(f"moto's Schedule no longer keeps {name}")
    return problems


def _untracked_models() -> tuple[type, ...]:
    from moto.scheduler.models import Schedule
    from moto.sqs.models import Message as SqsMessage

    return (SqsMessage, Schedule)


class EndedEnvironment:
    """What an ended execution keeps of its interpreter environment: its history, its final
    program state, and a callback pool with no endpoints (every task token it handed out
    is refused, as AWS refuses the tokens of an ended execution)."""

    __slots__ = (
        "_program_state",
        "callback_pool_manager",
        "event_manager",
        "map_run_record_pool_manager",
    )
    # Nothing is added to an ended execution's pools: they are read (a late task token is
    # looked up and refused, map runs are listed), so every ended execution can share one
    # empty pool of each kind instead of keeping its own.
    _no_callbacks: ClassVar[Any] = None
    _no_map_runs: ClassVar[Any] = None

    def __init__(self, env: Any) -> None:
        cls = type(self)
        if cls._no_callbacks is None:
            from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.map_run_record import (  # noqa: E501
                MapRunRecordPoolManager,
            )
            from moto.stepfunctions.parser.asl.eval.callback.callback import (
                CallbackPoolManager,
            )

            cls._no_callbacks = CallbackPoolManager(activity_store={})
            cls._no_map_runs = MapRunRecordPoolManager()
        self.event_manager = env.event_manager
        self.callback_pool_manager = cls._no_callbacks
        map_runs = env.map_run_record_pool_manager
        self.map_run_record_pool_manager = map_runs if map_runs._pool else cls._no_map_runs
        self._program_state = env.program_state()

    def program_state(self) -> Any:
        return self._program_state

    def is_running(self) -> bool:
        return False

    def set_stop(self, stop_date: Any, cause: Any, error: Any) -> None:
        """Stopping an ended execution changes nothing (moto's environment does the same)."""


# What an ended execution keeps unpacked is read by every ListExecutions and report row;
# its input and output are read once per DescribeExecution or report row (the input for its
# case id), and are most of what it holds.
_PACKED_EXECUTION_ATTRIBUTES = ("input_data", "output")


# moto gives every execution it starts its own copy of the state machine (its definition
# when it started); executions of an unchanged machine share one (cleared per runtime)
_MACHINE_COPIES: list[Any] = []
# what a copy holds besides its own values: the executions list (empty in a copy), the
# backend (shared) and the name index (ExecutionsByName)
_NOT_COMPARED = frozenset({"executions", "backend", "_arrears_by_name"})


def _compared(machine: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(machine).items() if k not in _NOT_COMPARED}


def _equal_machine_copy(machine: Any) -> Any | None:
    """A copy kept before whose values equal ``machine``'s, or None."""
    values = _compared(machine)
    for kept in _MACHINE_COPIES:
        if type(kept) is type(machine) and values == _compared(kept):
            return kept
    return None


def _shared_machine_copy(machine: Any) -> Any:
    """An equal copy kept before, or this one, kept from now on."""
    kept = _equal_machine_copy(machine)
    if kept is None:
        _MACHINE_COPIES.append(machine)
        kept = machine
    return kept


def _deepcopy_sharing_machine_copies(value: Any, memo: dict[int, Any] | None = None) -> Any:
    # start_execution's snapshot of the machine: nothing writes to a snapshot, so one taken
    # before serves while the machine is unchanged (each copy kept beside the long-lived
    # cases is memory the run holds, and freed copies leave holes between them)
    from moto.stepfunctions.models import StateMachineInstance

    if isinstance(value, StateMachineInstance):
        kept = _equal_machine_copy(value)
        if kept is None:
            kept = copy.deepcopy(value, memo)
            _MACHINE_COPIES.append(kept)
        return kept
    return copy.deepcopy(value, memo)


_MACHINE_SHARED_COPY = _copy_module(
    _deepcopy_sharing_machine_copies, "deepcopy shares state machine snapshots"
)
_MACHINE_COPY_KEY = "stepfunctions_models_copy"
_STEPFUNCTIONS_MODELS = "moto.stepfunctions.parser.models"


def _pack_ended_execution(execution: Any) -> None:
    """Keep an ended execution's input and output compressed, behind the same attributes,
    and its copy of the state machine shared with the other ended executions of it."""
    execution.state_machine = _shared_machine_copy(execution.state_machine)
    pack_attributes(execution, _PACKED_EXECUTION_ATTRIBUTES, "Ended")


def _run_then_release(worker: Any) -> None:
    """Run an execution to its end, then keep only what is read of it afterwards:
    DescribeExecution reads the execution itself, GetExecutionHistory and the report the
    history. The rest (states, frames, variables, callback endpoints, the definition and
    input the worker started from, the scheduler's task) is most of what a case's
    execution holds, and a portfolio run keeps every ended execution."""
    worker._execution_logic()
    if worker.env is not None and not worker.env.is_running():
        history = worker.env.event_manager._history_event_list
        if isinstance(history, StatesOnlyHistory):
            history.freeze()
        worker.env = EndedEnvironment(worker.env)
        worker._evaluation_details = None
        worker._arrears_task = None
        _pack_ended_execution(worker._execution_communication.execution)
    worker.__dict__.pop("_get_evaluation_environment", None)


def _wake_waiter(endpoint: Any) -> None:
    task = getattr(endpoint, "_arrears_task", None)
    if task is not None and _hooks is not None:
        _hooks.scheduler.wake(task)


# Which replacements are about virtual time (off in the "unmodified moto" baseline, where
# only Lambda-in-process is needed so Lambda tasks run without Docker).
_VIRTUAL_TIME_KEYS = frozenset(
    {
        "ExecutionWorker.start",
        "ExecutionWorker.stop",
        "Program.eval",
        "ExecutionState._evaluate_with_timeout",
        "WaitFunction._wait_interval",
        "retry_time",
        "Timestamp._get_wait_seconds",
        "CallbackEndpoint.wait",
        "CallbackEndpoint.notify",
        "CallbackEndpoint.interrupt_all",
        "CallbackPoolManager.notify",
        "HeartbeatEndpoint.clear_and_wait",
        "HeartbeatEndpoint.notify",
    }
)
_SPEED_KEYS = frozenset(
    {
        "ExecutionWorker._get_evaluation_entrypoint",
        "StepFunctionsParserBackend._validate_definition",
        "boto_client_for",
        "pynamodb_get_session",
        "json_path_parse",
        "events_json_path_parse",
        "result_path_parse",
        "lambda_task_in_process",
        "States._extract",
        "method_names_from_class",
        "UpdateExpressionParser.make",
        "SigV4Auth.add_auth",
        "DynamoDBBackend.transact_write_items",
        "StateMachine._handle_name_input_idempotency",
        "CommonStateField._get_state_entered_event_details",
        "CommonStateField._get_state_exited_event_details",
        "camel_to_snake_case",
        _DYNAMODB_COPY_KEY,
        _MACHINE_COPY_KEY,
        *(_json_copy_key(name) for name in _JSON_COPY_MODULES),
        *(_extract_json_key(name) for name in _EXTRACT_JSON_MODULES),
    }
)

_WAIT = "moto.stepfunctions.parser.asl.component.state.wait.wait_function"
_STRING_EXPRESSION_MODULE = (
    "moto.stepfunctions.parser.asl.component.common.string.string_expression"
)
_OWNERS = {
    "StepFunctionsParserBackend": "moto.stepfunctions.parser.models",
    "States": "moto.stepfunctions.parser.asl.eval.states",
    "ExecutionWorker": "moto.stepfunctions.parser.backend.execution_worker",
    "Program": "moto.stepfunctions.parser.asl.component.program.program",
    "ExecutionState": "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
    "WaitFunction": _WAIT + ".wait_function",
    "Timestamp": _WAIT + ".timestamp",
    "CallbackEndpoint": "moto.stepfunctions.parser.asl.eval.callback.callback",
    "HeartbeatEndpoint": "moto.stepfunctions.parser.asl.eval.callback.callback",
    "CallbackPoolManager": "moto.stepfunctions.parser.asl.eval.callback.callback",
    "LambdaFunction": "moto.awslambda.models",
    "UpdateExpressionParser": "moto.dynamodb.parsing.expressions",
    "SigV4Auth": "botocore.auth",
    "DynamoDBBackend": "moto.dynamodb.models",
    "StringVariableSample": _STRING_EXPRESSION_MODULE,
    "CommonStateField": "moto.stepfunctions.parser.asl.component.state.state",
    "StateMachine": "moto.stepfunctions.models",
}
_BOTO_CLIENT_MODULE = "moto.stepfunctions.parser.asl.utils.boto_client"
_PYNAMODB_MODULE = "pynamodb.connection.base"
_JSON_PATH_MODULE = "moto.stepfunctions.parser.asl.utils.json_path"
_RESULT_PATH_MODULE = "moto.stepfunctions.parser.asl.component.common.path.result_path"
_RETRIER_MODULE = "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl"
_LAMBDA_EVAL_MODULE = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils"
)


def _import_interpreter_modules() -> None:
    """Import every interpreter module that binds ``boto_client_for`` by name."""
    no_batch_tasks.install()  # before the interpreter imports its Batch integration
    task = "moto.stepfunctions.parser.asl.component.state.exec.state_task"
    importlib.import_module(f"{task}.lambda_eval_utils")
    importlib.import_module(f"{task}.service.state_task_service_factory")
    importlib.import_module("moto.stepfunctions.parser.models")


@contextmanager
def patched(hooks: Hooks, *, virtual_time: bool = True, speedups: bool = True) -> Iterator[None]:
    """Install the replacements while the block runs (one runtime at a time)."""
    global _hooks
    if not _lock.acquire(blocking=False):
        raise RuntimeError("another LocalRuntime is already running in this process")
    try:
        _import_interpreter_modules()
        # permanent and idempotent: aws-sdk task parameters mapped to API member names
        aws_sdk_parameters.install()
        originals: dict[str, Any] = {}
        for key in (
            "ExecutionWorker.start",
            "ExecutionWorker.stop",
            "CallbackEndpoint.wait",
            "CallbackEndpoint.notify",
            "CallbackEndpoint.interrupt_all",
            "CallbackPoolManager.notify",
            "HeartbeatEndpoint.clear_and_wait",
            "HeartbeatEndpoint.notify",
            "StepFunctionsParserBackend._validate_definition",
            "UpdateExpressionParser.make",
            "SigV4Auth.add_auth",
            "DynamoDBBackend.transact_write_items",
            "StringVariableSample._eval_body",
            "StateMachine._handle_name_input_idempotency",
            "CommonStateField._get_state_entered_event_details",
            "CommonStateField._get_state_exited_event_details",
        ):
            owner, attr = key.split(".")
            originals[key] = getattr(_resolve(_OWNERS[owner], owner), attr)
        boto_module = importlib.import_module(_BOTO_CLIENT_MODULE)
        originals["boto_client_for"] = boto_module.boto_client_for
        # module-level functions replaced by name: key -> (module, attribute)
        module_functions = {
            "json_path_parse": (_JSON_PATH_MODULE, "parse"),
            "events_json_path_parse": ("jsonpath_ng.ext", "parse"),
            "result_path_parse": (_RESULT_PATH_MODULE, "parse"),
            "lambda_task_in_process": (_LAMBDA_EVAL_MODULE, "_invoke_lambda_function"),
            "method_names_from_class": ("moto.core.responses", "method_names_from_class"),
            "retry_time": (_RETRIER_MODULE, "time"),
            "camel_to_snake_case": (_STATE_TASK_SERVICE_MODULE, "camel_to_snake_case"),
            _DYNAMODB_COPY_KEY: (_DYNAMODB_MODELS, "copy"),
            _MACHINE_COPY_KEY: (_STEPFUNCTIONS_MODELS, "copy"),
            **{_json_copy_key(name): (name, "copy") for name in _JSON_COPY_MODULES},
            **{_extract_json_key(name): (name, "extract_json") for name in _EXTRACT_JSON_MODULES},
        }
        for key, (module_name, attr) in module_functions.items():
            originals[key] = getattr(importlib.import_module(module_name), attr)
        pynamodb_base = importlib.import_module(_PYNAMODB_MODULE)
        originals["pynamodb_get_session"] = pynamodb_base.get_session
        replacements = _make_replacements(originals)
        global _FLAT_STATE_TYPES
        _FLAT_STATE_TYPES = _flat_state_types()
        _METHOD_NAMES.clear()
        _MACHINE_COPIES.clear()
        _PARSED_UPDATE_EXPRESSIONS.clear()

        selected = {
            key: fn
            for key, fn in replacements.items()
            if (virtual_time or key not in _VIRTUAL_TIME_KEYS)
            and (speedups or key not in _SPEED_KEYS)
        }
        undo: list[tuple[Any, str, Any]] = []
        for key, fn in selected.items():
            if key in module_functions:
                module_name, attr = module_functions[key]
                module = importlib.import_module(module_name)
                undo.append((module, attr, originals[key]))
                setattr(module, attr, fn)
                continue
            if key == "pynamodb_get_session":
                undo.append((pynamodb_base, "get_session", originals[key]))
                setattr(pynamodb_base, "get_session", fn)  # noqa: B010
                continue
            if key == "boto_client_for":
                # bound by name in many interpreter modules: replace every binding
                for module in list(sys.modules.values()):
                    name = getattr(module, "__name__", "") or ""
                    if name.startswith("moto.stepfunctions.parser") and (
                        getattr(module, "boto_client_for", None) is originals["boto_client_for"]
                    ):
                        undo.append((module, "boto_client_for", originals["boto_client_for"]))
                        module.boto_client_for = fn  # type: ignore[attr-defined]
                continue
            owner_name, attr = key.split(".")
            owner = _resolve(_OWNERS[owner_name], owner_name)
            undo.append((owner, attr, owner.__dict__[attr]))
            setattr(owner, attr, fn)
        for model in _untracked_models():
            undo.append((model, "instances_tracked", model.__dict__["instances_tracked"]))
            model.instances_tracked = _Untracked()  # type: ignore[attr-defined]
        _hooks = hooks
        hooks.virtual_time = virtual_time
        try:
            yield
        finally:
            _hooks = None
            for owner, attr, original in reversed(undo):
                setattr(owner, attr, original)
    finally:
        _lock.release()


def seed_moto_random(seed: int) -> None:
    """Seed moto's own random source (execution ids, message ids, request ids)."""
    from moto.moto_api._internal import mock_random

    mock_random.seed(seed)


def event_pattern_matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """EventBridge pattern matching as moto's events backend implements it."""
    from moto.events.models import EventPattern

    return bool(EventPattern.load(json.dumps(pattern)).matches_event(cast(Any, event)))
