"""The `plan` attribute of the case item (a DynamoDB map), read and written on its own.

The plan is not part of ``CaseRecord``'s whole-case writes (ingest never touches it), so it
is written with its own UpdateItem, conditioned on the revision that was read: two writers
(a reply accepting the offer, the record step matching a payment) never undo each other.
``InMemoryPlans`` is the fake with the same semantics for unit tests.
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from arrears.adapters.models import CaseModel, aws_region
from arrears.domain.errors import CaseNotFound, ConcurrentUpdate
from arrears.domain.plans import Plan, from_item, to_item

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


class DynamoPlans:
    def __init__(self, client: Any | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = boto3.client("dynamodb", region_name=aws_region())
        return self._client

    def get(self, case_id: str) -> Plan | None:
        answer = self.client.get_item(
            TableName=CaseModel.Meta.table_name,
            Key={"case_id": {"S": case_id}},
            ProjectionExpression="#plan",
            ExpressionAttributeNames={"#plan": "plan"},
            ConsistentRead=True,
        )
        raw = (answer.get("Item") or {}).get("plan")
        if raw is None:
            return None
        return from_item(_plan_value(_deserializer.deserialize(raw)))

    def save(self, case_id: str, plan: Plan) -> Plan:
        stored = replace(plan, revision=plan.revision + 1)
        try:
            self.client.update_item(
                TableName=CaseModel.Meta.table_name,
                Key={"case_id": {"S": case_id}},
                UpdateExpression="SET #plan = :plan",
                ConditionExpression=(
                    "attribute_exists(case_id) AND (attribute_not_exists(#plan) OR "
                    "attribute_type(#plan, :text) OR #plan.#revision = :expected)"
                ),
                ExpressionAttributeNames={"#plan": "plan", "#revision": "revision"},
                ExpressionAttributeValues={
                    ":plan": _serializer.serialize(to_item(stored)),
                    ":expected": {"N": str(plan.revision)},
                    ":text": {"S": "S"},
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            exists = self.client.get_item(
                TableName=CaseModel.Meta.table_name, Key={"case_id": {"S": case_id}}
            ).get("Item")
            if not exists:
                raise CaseNotFound(case_id) from error
            raise ConcurrentUpdate(f"plan of {case_id} changed meanwhile") from error
        return stored


def _plan_value(value: Any) -> dict[str, Any]:
    """The stored plan: a map, or the JSON text an ops action writes (its transaction
    writes strings only); the next save here turns it into a map."""
    if isinstance(value, str):
        parsed: dict[str, Any] = json.loads(value)
        return parsed
    return dict(value)


class InMemoryPlans:
    def __init__(self, case_ids: set[str] | None = None) -> None:
        self.plans: dict[str, Plan] = {}
        self.case_ids = case_ids  # None: any case id exists
        self._lock = threading.Lock()

    def get(self, case_id: str) -> Plan | None:
        return self.plans.get(case_id)

    def save(self, case_id: str, plan: Plan) -> Plan:
        with self._lock:
            if self.case_ids is not None and case_id not in self.case_ids:
                raise CaseNotFound(case_id)
            current = self.plans.get(case_id)
            if current is not None and current.revision != plan.revision:
                raise ConcurrentUpdate(f"plan of {case_id} changed meanwhile")
            stored = replace(plan, revision=plan.revision + 1)
            self.plans[case_id] = stored
            return stored
