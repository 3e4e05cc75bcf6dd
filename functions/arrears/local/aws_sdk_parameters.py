"""Fill one gap in moto 5.2.5's Step Functions interpreter: aws-sdk parameter names.

In AWS, an ``arn:aws:states:::aws-sdk:<service>:<action>`` task takes its parameters in
PascalCase (``"TaskToken"``, ``"Output"``) and Step Functions maps them onto the API's own
member names (``taskToken``, ``output`` for the Step Functions API). moto's interpreter
passes them to boto3 unchanged (``StateTaskService._normalise_parameters`` is a no-op), which
only works for APIs whose members are PascalCase already (DynamoDB). The ops-action state
machine calls ``aws-sdk:sfn:sendTaskSuccess``; this maps its parameters the way AWS does,
with the interpreter's own ``_to_boto_request`` over the operation's botocore input shape.

Installed once per process by ``install()`` (idempotent, harmless for other services: a
PascalCase name with no matching member is left as it is). ``problems()`` names any moto
internal this relies on that moved, for the moto-internals test.
"""

from __future__ import annotations

import threading
from typing import Any

_SERVICE_MODULE = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service"
    ".state_task_service_aws_sdk"
)
_installed = False
_lock = threading.Lock()


def problems() -> list[str]:
    """What moved in moto's internals that ``install()`` relies on (empty when fine)."""
    import importlib

    found: list[str] = []
    try:
        module = importlib.import_module(_SERVICE_MODULE)
    except ImportError as exc:
        return [f"{_SERVICE_MODULE} is gone ({exc})"]
    cls = getattr(module, "StateTaskServiceAwsSdk", None)
    if cls is None:
        return ["StateTaskServiceAwsSdk is gone"]
    for name in ("_normalise_parameters", "_to_boto_request", "_get_boto_service_name"):
        if not hasattr(cls, name):
            found.append(f"StateTaskServiceAwsSdk.{name} is gone")
    return found


def install() -> None:
    """Map aws-sdk task parameters onto the API's member names, as Step Functions does."""
    global _installed
    with _lock:
        if _installed:
            return
        import importlib

        import botocore.session

        module = importlib.import_module(_SERVICE_MODULE)
        cls = module.StateTaskServiceAwsSdk
        session = botocore.session.get_session()
        original = cls._normalise_parameters
        # (service, operation) -> input shape; a service model is rebuilt on every
        # get_service_model call, and shapes are only read
        input_shapes: dict[tuple[str, str], Any] = {}

        def input_shape_of(service: str, operation: str) -> Any:
            key = (service, operation)
            if key not in input_shapes:
                input_shapes[key] = (
                    session.get_service_model(service).operation_model(operation).input_shape
                )
            return input_shapes[key]

        def normalise_parameters(
            self: Any,
            parameters: dict[str, Any],
            boto_service_name: str | None = None,
            service_action_name: str | None = None,
        ) -> None:
            original(self, parameters, boto_service_name, service_action_name)
            service = self._get_boto_service_name(boto_service_name)
            action = service_action_name or self.resource.api_action
            operation = action[:1].upper() + action[1:]
            try:
                input_shape = input_shape_of(service, operation)
            except Exception:  # unknown service/operation: let the call fail as before
                return
            if input_shape is not None:
                self._to_boto_request(parameters, input_shape)

        cls._normalise_parameters = normalise_parameters
        _installed = True
