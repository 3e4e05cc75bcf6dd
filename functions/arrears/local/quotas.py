"""AWS quotas on the embedded default's virtual clock: token buckets and Lambda concurrency.

Off by default. ``LocalRuntime(quotas=QuotaPlan())`` (``arrears run --quotas``) enforces
AWS's default quotas for US East (N. Virginia), as docs/scale.md lists them with their
sources:

- Step Functions ``StartExecution``: a bucket of 1,300 tokens refilled at 300 per second;
  ``SendTaskSuccess``: 3,000 refilled at 500 per second. A call that finds the bucket empty
  fails as AWS fails it, ``ThrottlingException`` (HTTP 400).
- Lambda concurrency: 1,000 invocations in flight across the account. Handlers take no
  virtual time here, so each invocation holds its slot for a modelled duration
  (``lambda_seconds``; an ingest batch ``ingest_batch_seconds``). An invocation that finds
  every slot taken fails as Step Functions reports it, ``Lambda.TooManyRequestsException``.
- The ingest queue's event source runs at most ``ingest_concurrency`` batches at a time
  (its maximum concurrency, ``topology.INGEST_QUEUE``): the rest wait in SQS.

The system's own retry paths absorb the refusals: SQS redelivers an ingest record whose
StartExecution or SendTaskSuccess was throttled, the ASL retries a throttled Lambda with
backoff and jitter, and EventBridge Scheduler retries a throttled resume.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


@dataclass
class TokenBucket:
    """``capacity`` tokens, refilled continuously at ``refill_per_second``."""

    capacity: float
    refill_per_second: float
    tokens: float = -1.0
    updated: datetime | None = None
    granted: int = 0
    throttled: int = 0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def take(self, now: datetime) -> bool:
        if self.updated is not None and now > self.updated:
            elapsed = (now - self.updated).total_seconds()
            self.tokens = min(self.capacity, self.tokens + elapsed * self.refill_per_second)
        self.updated = now if self.updated is None else max(self.updated, now)
        if self.tokens >= 1:
            self.tokens -= 1
            self.granted += 1
            return True
        self.throttled += 1
        return False


@dataclass
class Concurrency:
    """At most ``limit`` invocations in flight; each holds its slot until it ends."""

    limit: int
    _ends: list[datetime] = field(default_factory=list)
    peak: int = 0
    throttled: int = 0

    def enter(self, now: datetime, duration: timedelta) -> bool:
        while self._ends and self._ends[0] <= now:
            heapq.heappop(self._ends)
        if len(self._ends) >= self.limit:
            self.throttled += 1
            return False
        heapq.heappush(self._ends, now + duration)
        self.peak = max(self.peak, len(self._ends))
        return True


@dataclass(frozen=True)
class QuotaPlan:
    """The quotas to enforce; the defaults are AWS's (us-east-1), see docs/scale.md."""

    start_execution_bucket: int = 1300
    start_execution_refill: float = 300.0
    send_task_success_bucket: int = 3000
    send_task_success_refill: float = 500.0
    lambda_concurrency: int = 1000
    lambda_seconds: float = 0.2  # modelled duration of one escalation step's invocation
    ingest_batch_seconds: float = 1.0  # modelled duration of one ingest batch (10 records)
    ingest_concurrency: int | None = None  # None: the ingest queue's maximum concurrency


@dataclass
class QuotaState:
    """The buckets of one runtime, and what they granted and refused."""

    plan: QuotaPlan
    buckets: dict[str, TokenBucket] = field(default_factory=dict)
    lambdas: Concurrency = field(init=False)

    def __post_init__(self) -> None:
        self.buckets = {
            "stepfunctions:StartExecution": TokenBucket(
                self.plan.start_execution_bucket, self.plan.start_execution_refill
            ),
            "stepfunctions:SendTaskSuccess": TokenBucket(
                self.plan.send_task_success_bucket, self.plan.send_task_success_refill
            ),
        }
        self.lambdas = Concurrency(self.plan.lambda_concurrency)

    def allows(self, target: str, now: datetime) -> bool:
        bucket = self.buckets.get(target)
        return bucket is None or bucket.take(now)

    def lambda_enters(self, now: datetime, ingest: bool) -> bool:
        seconds = self.plan.ingest_batch_seconds if ingest else self.plan.lambda_seconds
        return self.lambdas.enter(now, timedelta(seconds=seconds))

    def summary(self) -> dict[str, dict[str, int]]:
        counts = {
            target: {"granted": bucket.granted, "throttled": bucket.throttled}
            for target, bucket in self.buckets.items()
        }
        counts["lambda:concurrency"] = {
            "peak": self.lambdas.peak,
            "throttled": self.lambdas.throttled,
        }
        return counts


def raise_if_throttled(
    quotas: QuotaState, client: Any, operation_name: str, now: Callable[[], datetime]
) -> None:
    """Raise the ThrottlingException AWS answers when ``operation_name``'s bucket is empty."""
    service = client.meta.service_model.service_name
    if quotas.allows(f"{service}:{operation_name}", now()):
        return
    response = {
        "Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
        "ResponseMetadata": {
            "RequestId": "emulated-quota",
            "HTTPStatusCode": 400,
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        },
    }
    raise client.exceptions.from_code("ThrottlingException")(response, operation_name)


def load_plan(value: QuotaPlan | bool | None) -> QuotaPlan | None:
    if value is True:
        return QuotaPlan()
    if value is False or value is None:
        return None
    return value
