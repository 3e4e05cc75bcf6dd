"""Work-queue depth: COUNT queries on the cases table's sparse ``work_queue`` index (the
queue-metrics function's one call; apart from the ops actions' adapter, so that function
never imports the actions' models)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import boto3

from arrears.adapters.models import CaseModel, aws_region
from arrears.domain.case import queue_time


@cache
def _dynamodb(region: str) -> Any:
    # one client per container (and per region): building one costs tens of milliseconds
    return boto3.client("dynamodb", region_name=region)


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def count_waiting(queue: str, now: datetime, client: Any | None = None) -> tuple[int, int]:
    """(waiting, overdue) human tasks in ``queue``: COUNT queries on the work_queue index."""
    dynamodb = client or _dynamodb(aws_region())

    def count(condition: str, values: dict[str, Any]) -> int:
        total = 0
        paginator = dynamodb.get_paginator("query")
        for page in paginator.paginate(
            TableName=CaseModel.Meta.table_name,
            IndexName="work_queue",
            Select="COUNT",
            KeyConditionExpression=condition,
            ExpressionAttributeNames={"#q": "queue"},
            ExpressionAttributeValues=values,
        ):
            total += int(page["Count"])
        return total

    waiting = count("#q = :q", {":q": _s(queue)})
    overdue = count(
        "#q = :q AND queue_due_at < :now", {":q": _s(queue), ":now": _s(queue_time(now))}
    )
    return waiting, overdue
