"""Injected AWS faults for the embedded default: throttling, 5xx, Lambda errors and timeouts.

A fault plan names AWS operations (``sns:Publish``, ``sesv2:SendEmail``,
``dynamodb:UpdateItem``, ``stepfunctions:SendTaskSuccess``, ``s3:PutObject``, ...) or
Lambda functions (``lambda:contact``), and says how often each fails: at a ``rate`` (a
seeded draw per call, so the same run gives the same faults) and/or once at each of the
named instants ``at`` (the first matching call at or after it). The error surfaces as the
SDK raises it once its own retries are spent (a ``ClientError`` with the service's code),
which is what the handlers and the state machine must survive.

Lambda faults: ``service_error`` reports ``Lambda.ServiceException`` and ``timeout``
reports ``Sandbox.Timedout``; with ``phase: after`` (the default) the handler ran and did
its work first, so the retry meets a step half done, the hardest case for idempotency.

Plan file (YAML or JSON)::

    seed: 7
    faults:
      - {target: "sns:Publish", error: throttle, rate: 0.3}
      - {target: "lambda:contact", error: service_error, rate: 0.3, phase: after}
      - {target: "dynamodb:UpdateItem", error: throttle, at: ["2026-11-05T09:00:00Z"]}
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

AWS_ERRORS = ("throttle", "server_error")
LAMBDA_ERRORS = ("service_error", "timeout")

# (service, kind) -> (error code, HTTP status); the codes each service really answers with
_CODES: dict[tuple[str, str], tuple[str, int]] = {
    ("dynamodb", "throttle"): ("ProvisionedThroughputExceededException", 400),
    ("dynamodb", "server_error"): ("InternalServerError", 500),
    ("sns", "throttle"): ("Throttling", 400),
    ("sns", "server_error"): ("InternalError", 500),
    ("sesv2", "throttle"): ("TooManyRequestsException", 429),
    ("sesv2", "server_error"): ("InternalServiceErrorException", 500),
    ("ses", "throttle"): ("Throttling", 400),
    ("stepfunctions", "throttle"): ("ThrottlingException", 400),
    ("stepfunctions", "server_error"): ("ServiceUnavailable", 503),
    ("s3", "throttle"): ("SlowDown", 503),
    ("s3", "server_error"): ("InternalError", 500),
    ("events", "throttle"): ("ThrottlingException", 400),
    ("sqs", "throttle"): ("RequestThrottled", 400),
}
_DEFAULT_CODES = {
    "throttle": ("ThrottlingException", 400),
    "server_error": ("InternalFailure", 500),
}
LAMBDA_ERROR_TYPES = {"service_error": "Lambda.ServiceException", "timeout": "Sandbox.Timedout"}


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str = Field(description="service:Operation, or lambda:<function>")
    error: Literal["throttle", "server_error", "service_error", "timeout"]
    rate: float = Field(default=0.0, ge=0.0, le=1.0)
    at: tuple[datetime, ...] = ()
    phase: Literal["before", "after"] = "after"  # Lambda faults: before or after the handler
    code: str | None = None  # an AWS fault's error code, instead of the service's usual one

    @field_validator("target")
    @classmethod
    def _target_shape(cls, value: str) -> str:
        service, _, name = value.partition(":")
        if not service or not name:
            raise ValueError("target is service:Operation (e.g. sns:Publish) or lambda:<function>")
        return value

    @field_validator("at")
    @classmethod
    def _aware(cls, value: tuple[datetime, ...]) -> tuple[datetime, ...]:
        if any(when.tzinfo is None for when in value):
            raise ValueError("fault instants must carry a timezone (e.g. 2026-11-05T09:00:00Z)")
        return tuple(sorted(value))

    def model_post_init(self, context: Any) -> None:
        is_lambda = self.target.startswith("lambda:")
        if is_lambda != (self.error in LAMBDA_ERRORS):
            kinds = LAMBDA_ERRORS if is_lambda else AWS_ERRORS
            raise ValueError(f"{self.target}: error must be one of {', '.join(kinds)}")
        if not self.rate and not self.at:
            raise ValueError(f"{self.target}: give a rate, instants (at) or both")


class FaultPlanFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = 0
    faults: tuple[FaultRule, ...]


@dataclass
class Injected:
    """One fault that fired: what, where and when (for the report)."""

    target: str
    error: str
    at: str


@dataclass
class FaultPlan:
    """Decides, call by call, whether a fault fires; deterministic for a seed and call order."""

    rules: Sequence[FaultRule]
    seed: int = 0
    injected: list[Injected] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._pending_instants = {index: list(rule.at) for index, rule in enumerate(self.rules)}

    @classmethod
    def load(cls, path: Path) -> FaultPlan:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        parsed = FaultPlanFile.model_validate(raw)
        return cls(rules=parsed.faults, seed=parsed.seed)

    @classmethod
    def of(cls, plan: FaultPlan | Mapping[str, Any] | Sequence[Any] | None) -> FaultPlan | None:
        """A plan from a plan, a ``{seed, faults}`` mapping or a list of rules."""
        if plan is None or isinstance(plan, FaultPlan):
            return plan
        raw: Any = plan if isinstance(plan, Mapping) else {"faults": list(plan)}
        parsed = FaultPlanFile.model_validate(raw)
        return cls(rules=parsed.faults, seed=parsed.seed)

    def fires(self, target: str, now: datetime) -> FaultRule | None:
        """The rule that fails this call of ``target`` at ``now``, if any."""
        for index, rule in enumerate(self.rules):
            if rule.target != target:
                continue
            instants = self._pending_instants[index]
            due = bool(instants) and instants[0] <= now
            if due:
                instants.pop(0)
            # one draw per matching call whatever happens, so call order alone sets the run
            drawn = self._rng.random() < rule.rate if rule.rate else False
            if due or drawn:
                self.injected.append(Injected(target, rule.error, now.isoformat()))
                return rule
        return None

    def summary(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for fault in self.injected:
            key = f"{fault.target} {fault.error}"
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))


def aws_error(service: str, rule: FaultRule) -> dict[str, Any]:
    """The parsed error response botocore builds for this fault."""
    code, status = _CODES.get((service, rule.error)) or _DEFAULT_CODES[rule.error]
    if rule.code:
        code = rule.code
    return {
        "Error": {"Code": code, "Message": f"injected fault: {rule.error}"},
        # what botocore parses from a real error response (the interpreter reads RequestId)
        "ResponseMetadata": {
            "RequestId": "injected-fault",
            "HTTPStatusCode": status,
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        },
    }


def raise_if_faulted(
    plan: FaultPlan, client: Any, operation_name: str, now: Callable[[], datetime]
) -> None:
    """Raise the ClientError a faulted call of ``operation_name`` on ``client`` gives."""
    service = client.meta.service_model.service_name
    rule = plan.fires(f"{service}:{operation_name}", now())
    if rule is None:
        return
    response = aws_error(service, rule)
    raise client.exceptions.from_code(response["Error"]["Code"])(response, operation_name)
