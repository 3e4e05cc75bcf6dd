"""The monthly bureau report's reads and its one write per case (steps/bureau.py).

The write is one transaction: the case's ``bureau_period`` and ``out_seq`` (conditioned on
the period not reported yet and ``out_seq`` unchanged since the read) and the outbox item
of its ``CreditBureauReportDue``: a case is reported once per month however often the run
is repeated.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from arrears.adapters.cases import outbox_item
from arrears.adapters.models import CaseModel, OutboxModel, TimelineModel, aws_region
from arrears.domain.case import CaseRecord, iso_utc_micro
from arrears.domain.outbound import OutboundEvent

DISPUTE_KINDS = frozenset({"dispute_opened", "disputed"})


class DynamoBureau:
    def __init__(self, client: Any | None = None) -> None:
        self._client = client or boto3.client("dynamodb", region_name=aws_region())

    def candidates(self, period: str) -> list[str]:
        found: list[str] = []
        for page in self._client.get_paginator("scan").paginate(
            TableName=CaseModel.Meta.table_name,
            ProjectionExpression="case_id",
            FilterExpression="attribute_not_exists(bureau_period) OR bureau_period < :p",
            ExpressionAttributeValues={":p": {"S": period}},
        ):
            found.extend(item["case_id"]["S"] for item in page.get("Items", []))
        return sorted(found)

    def disputed_since(self, case_id: str, since: datetime) -> bool:
        # filtered in DynamoDB: a month of a case's timeline is read, only its disputes
        # come back to be deserialized (usually none)
        dispute = TimelineModel.kind.is_in(*DISPUTE_KINDS) | (
            (TimelineModel.kind == "agent_outcome") & (TimelineModel.detail["outcome"] == "dispute")
        )
        entries = TimelineModel.query(
            case_id,
            range_key_condition=TimelineModel.entry_key >= iso_utc_micro(since),
            filter_condition=dispute,
        )
        return next(iter(entries), None) is not None

    def record(self, case: CaseRecord, period: str, event: OutboundEvent) -> bool:
        read = case.out_seq
        same_seq = "attribute_not_exists(out_seq)" if read == 0 else "out_seq = :read"
        if read == 0:
            same_seq = "(attribute_not_exists(out_seq) OR out_seq = :read)"
        item = outbox_item(event).serialize()
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": CaseModel.Meta.table_name,
                            "Key": {"case_id": {"S": case.case_id}},
                            "UpdateExpression": "SET bureau_period = :p, out_seq = :seq",
                            "ConditionExpression": "attribute_exists(case_id) AND "
                            f"{same_seq} AND "
                            "(attribute_not_exists(bureau_period) OR bureau_period < :p)",
                            "ExpressionAttributeValues": {
                                ":p": {"S": period},
                                ":seq": {"N": str(event.sequence)},
                                ":read": {"N": str(read)},
                            },
                        }
                    },
                    {
                        "Put": {
                            "TableName": OutboxModel.Meta.table_name,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(#s)",
                            "ExpressionAttributeNames": {"#s": "sequence"},
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True
