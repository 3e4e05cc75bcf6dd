"""Keep AWS Batch out of the local runtime's start-up.

moto's Step Functions interpreter imports every service integration when it is first
imported, and its Batch integration imports moto's Batch backend, which imports moto's EC2
models: about 0.6 s of CPU (region and instance-type tables) in every process that starts a
runtime, for an integration Arrears does not use and the local runtime cannot run
(``batch:submitJob.sync`` is a ``.sync`` integration, see docs/local-runtime.md, Limits).

``install()`` (once per process, before the interpreter is imported) puts a stand-in for
that one integration module in ``sys.modules``: the interpreter imports as before, and an
ASL ``batch`` task fails with a clear error instead of running. If the real module was
imported already, nothing changes. ``problems()`` names what moved in moto, for the
moto-internals test.
"""

from __future__ import annotations

import sys
import types
from typing import Any

BATCH_MODULE = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_batch"
)
FACTORY_MODULE = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service"
    ".state_task_service_factory"
)


class BatchTasksNotSupported(NotImplementedError):
    """An ASL task used the AWS Batch integration, which the local runtime does not run."""


class _StateTaskServiceBatch:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise BatchTasksNotSupported("AWS Batch tasks are not run by the local runtime")


def install() -> None:
    if BATCH_MODULE in sys.modules:
        return
    stand_in = types.ModuleType(BATCH_MODULE, "stand-in: AWS Batch tasks are not run locally")
    stand_in.StateTaskServiceBatch = _StateTaskServiceBatch  # type: ignore[attr-defined]
    sys.modules[BATCH_MODULE] = stand_in


def problems() -> list[str]:
    """What this relies on in moto: the factory takes the Batch integration by that name."""
    import importlib.util
    import inspect

    spec = importlib.util.find_spec(FACTORY_MODULE)
    source = inspect.getsource(importlib.import_module(FACTORY_MODULE)) if spec else ""
    expected = f"from {BATCH_MODULE} import (\n    StateTaskServiceBatch,\n)"
    if expected not in source:
        return [f"{FACTORY_MODULE} no longer imports StateTaskServiceBatch from {BATCH_MODULE}"]
    if source.count("StateTaskServiceBatch") != 2:
        return [f"{FACTORY_MODULE} uses StateTaskServiceBatch beyond the batch service"]
    return []
