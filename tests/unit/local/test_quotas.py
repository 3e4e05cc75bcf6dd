"""Emulated AWS quotas (arrears.local.quotas): token buckets, Lambda concurrency, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from arrears.local.quotas import Concurrency, QuotaPlan, QuotaState, TokenBucket, raise_if_throttled
from botocore.exceptions import ClientError

T0 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


def test_a_bucket_grants_its_size_at_once_then_its_refill_rate():
    bucket = TokenBucket(capacity=1300, refill_per_second=300)
    assert sum(bucket.take(T0) for _ in range(2000)) == 1300
    assert bucket.throttled == 700
    one_second = T0 + timedelta(seconds=1)
    assert sum(bucket.take(one_second) for _ in range(1000)) == 300
    # it never holds more than its size, however long it rests
    later = T0 + timedelta(hours=1)
    assert sum(bucket.take(later) for _ in range(5000)) == 1300


def test_concurrency_frees_a_slot_when_an_invocation_ends():
    slots = Concurrency(limit=2)
    duration = timedelta(seconds=0.2)
    assert slots.enter(T0, duration) and slots.enter(T0, duration)
    assert not slots.enter(T0, duration)
    assert slots.enter(T0 + duration, duration)
    assert (slots.peak, slots.throttled) == (2, 1)


def test_aws_defaults_are_the_plan_defaults():
    plan = QuotaPlan()
    assert (plan.start_execution_bucket, plan.start_execution_refill) == (1300, 300)
    assert (plan.send_task_success_bucket, plan.send_task_success_refill) == (3000, 500)
    assert plan.lambda_concurrency == 1000


def test_a_throttled_call_fails_as_aws_fails_it():
    quotas = QuotaState(QuotaPlan(start_execution_bucket=1, start_execution_refill=0))
    client = boto3.client("stepfunctions", region_name="us-east-1")
    raise_if_throttled(quotas, client, "StartExecution", lambda: T0)  # the one token
    with pytest.raises(ClientError) as refused:
        raise_if_throttled(quotas, client, "StartExecution", lambda: T0)
    assert refused.value.response["Error"]["Code"] == "ThrottlingException"
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # other operations have no bucket here
    raise_if_throttled(quotas, client, "DescribeExecution", lambda: T0)
    assert quotas.summary()["stepfunctions:StartExecution"] == {"granted": 1, "throttled": 1}
