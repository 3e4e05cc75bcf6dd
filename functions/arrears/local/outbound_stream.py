"""The outbox's DynamoDB stream and the bus's outbound consumers, on the local runtime.

moto has no DynamoDB stream that invokes a Lambda, so this emulates the event source the
stack deploys: every new outbox item (an INSERT) becomes a stream record; records are
handed to the publisher function in batches, in write order, after the write (at the same
virtual instant); a batch whose response names a failed record is retried from that
record on, with backoff, and a batch that keeps failing goes to a dead-letter list after
``topology.OUTBOX_STREAM_RETRY_ATTEMPTS`` retries, as Lambda's stream event source does.

What EventBridge takes from a PutEvents call with source ``arrears`` (the publisher's, and
ops republish) is what the lender's consumers receive: ``events_out`` lists it in order,
duplicates included (tests count them).
"""

from __future__ import annotations

import json
import sys
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from arrears import topology as t
from arrears.domain.outbound import CATALOGUE, SOURCE
from arrears.local.dynamodb.engine import ItemCodec

if TYPE_CHECKING:
    from arrears.local.runtime import LocalRuntime


class OutboxStream:
    def __init__(self, rt: LocalRuntime) -> None:
        self.rt = rt
        self.pending: deque[dict[str, Any]] = deque()
        # what consumers received: (case id, type, time, received at, detail JSON) in order,
        # and each case's positions in it; a portfolio run keeps about fifteen per case, so
        # the detail stays the JSON it arrived as, compressed like a table's items, until a
        # report or test reads it
        self._received: list[tuple[str, str, str, str, bytes]] = []
        self._details = ItemCodec()
        self._by_case: dict[str, list[int]] = {}
        self.dead_letters: list[dict[str, Any]] = []
        # test hook: a stream record handed to the publisher a second time, as a stream
        # may deliver it (at least once)
        self.duplicate_delivery: Callable[[dict[str, Any]], bool] | None = None
        self._counter = 0
        self._scheduled = False
        self._attempts = 0
        self._seen: set[tuple[str, str]] = set()
        self.enabled = False

    # ---- provisioning ---------------------------------------------------------------------
    def provision(self) -> None:
        rt = self.rt
        names = {f.local_name for f in rt.topology.functions}
        tables = {s.local_name for s in rt.topology.tables}
        if t.PUBLISHER_FUNCTION.local_name not in names or t.OUTBOX.local_name not in tables:
            return
        self.enabled = True
        if rt.dynamodb is not None:
            table = rt.dynamodb.table(t.OUTBOX.local_name)
            original = table.put

            def put(
                key: tuple[Any, ...], item: dict[str, Any], old: dict[str, Any] | None = None
            ) -> None:
                new = key not in table.items
                original(key, item, old)
                if new:
                    self.inserted(item)

            table.put = put  # type: ignore[method-assign]

    # ---- the stream -----------------------------------------------------------------------
    def inserted(self, item: dict[str, Any]) -> None:
        self._counter += 1
        self.pending.append(
            {
                "eventID": f"{self._counter:020d}",
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "eventSourceARN": f"arn:aws:dynamodb:us-east-1:123456789012:table/"
                f"{t.OUTBOX.local_name}/stream/local",
                "dynamodb": {
                    "Keys": {"case_id": item["case_id"], "sequence": item["sequence"]},
                    "NewImage": item,
                    "SequenceNumber": f"{self._counter:021d}",
                    "StreamViewType": "NEW_IMAGE",
                },
            }
        )
        self._schedule(self.rt.now)

    def poll_table(self) -> None:
        """Without the in-memory engine (moto's DynamoDB): find new items by scanning."""
        if not self.enabled or self.rt.dynamodb is not None:
            return
        ddb = self.rt.client("dynamodb")
        pages = ddb.get_paginator("scan").paginate(TableName=t.OUTBOX.local_name)
        for page in pages:
            for item in page.get("Items", []):
                key = (item["case_id"]["S"], item["sequence"]["N"])
                if key not in self._seen:
                    self._seen.add(key)
                    self.inserted(item)

    def _schedule(self, at: datetime) -> None:
        if not self._scheduled:
            self._scheduled = True
            self.rt.scheduler.schedule(at, self.deliver, "outbox stream")

    def deliver(self) -> None:
        self._scheduled = False
        name = t.PUBLISHER_FUNCTION.local_name
        while self.pending:
            batch = [
                self.pending[i] for i in range(min(len(self.pending), t.OUTBOX_STREAM_BATCH_SIZE))
            ]
            payload, errored = self.rt._invoke(name, {"Records": batch})
            failed_at = _first_failure(payload, errored, batch)
            if failed_at is None:
                for record in batch:
                    self.pending.popleft()
                    if self.duplicate_delivery is not None and self.duplicate_delivery(record):
                        self.rt._invoke(name, {"Records": [record]})
                self._attempts = 0
                continue
            for _ in range(failed_at):
                self.pending.popleft()
            self._attempts += 1
            if self._attempts > t.OUTBOX_STREAM_RETRY_ATTEMPTS:
                self.dead_letters.append(self.pending.popleft())
                self._attempts = 0
                continue
            backoff = timedelta(seconds=min(2**self._attempts, 60))
            self._schedule(self.rt.now + backoff)
            return

    # ---- the consumers ----------------------------------------------------------------------
    @contextmanager
    def observing(self) -> Iterator[None]:
        """What consumers of source ``arrears`` receive: every outbound entry EventBridge
        took (PutEvents answered it with an id), in order. A call that failed (an injected
        fault, a throttle) delivers nothing, as on AWS."""
        from botocore.client import BaseClient

        original = BaseClient._make_api_call

        def make_api_call(client: Any, operation_name: str, api_params: Any) -> Any:
            response = original(client, operation_name, api_params)
            if operation_name == "PutEvents":
                answers = response.get("Entries") or []
                for entry, answer in zip(api_params.get("Entries") or [], answers, strict=False):
                    ours = entry.get("DetailType") in CATALOGUE
                    if entry.get("Source") == SOURCE and ours and answer.get("EventId"):
                        self._consume(entry)
            return response

        BaseClient._make_api_call = make_api_call
        try:
            yield
        finally:
            BaseClient._make_api_call = original

    def _consume(self, entry: dict[str, Any]) -> None:
        detail = entry.get("Detail") or "{}"
        case_id = sys.intern(str(json.loads(detail).get("case_id")))  # one copy per case
        at = entry.get("Time")
        time = _iso(at) if isinstance(at, datetime) else _iso(self.rt.now)
        self._by_case.setdefault(case_id, []).append(len(self._received))
        kind = str(entry.get("DetailType"))
        packed = self._details.encode(detail.encode())
        self._received.append((case_id, kind, time, _iso(self.rt.now), packed))

    def _consumed(self, kept: tuple[str, str, str, str, bytes]) -> dict[str, Any]:
        case_id, kind, time, received_at, packed = kept
        detail = json.loads(self._details.unpack(packed))
        return {
            "id": detail.get("event_id"),
            "case_id": case_id,
            "sequence": detail.get("sequence"),
            "type": kind,
            "time": time,
            "received_at": received_at,
            "detail": detail,
        }

    @property
    def events_out(self) -> list[dict[str, Any]]:
        """Everything consumers received so far, duplicates included."""
        return [self._consumed(kept) for kept in self._received]

    def for_case(self, case_id: str) -> list[dict[str, Any]]:
        """What consumers received about one case, in the order they received it."""
        return [
            {k: e[k] for k in ("id", "sequence", "type", "time", "detail")}
            for e in (self._consumed(self._received[n]) for n in self._by_case.get(case_id, ()))
        ]


def _first_failure(payload: str, errored: bool, batch: list[dict[str, Any]]) -> int | None:
    """Index of the first record to retry: 0 when the invocation failed as a whole."""
    if errored:
        return 0
    try:
        failures = json.loads(payload).get("batchItemFailures") or []
    except (ValueError, AttributeError):
        return 0
    if not failures:
        return None
    ids = [r["dynamodb"]["SequenceNumber"] for r in batch]
    wanted = {str(f.get("itemIdentifier")) for f in failures}
    for index, sequence_number in enumerate(ids):
        if sequence_number in wanted:
            return index
    return 0


@lru_cache(maxsize=8)  # one string per instant, shared by the events received at it
def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
