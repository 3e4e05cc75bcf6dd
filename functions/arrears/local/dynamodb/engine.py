"""An in-memory DynamoDB for the local runtime: the operations the project makes, in the
wire format, with the results, errors and condition/transaction semantics of moto's
DynamoDB (checked call by call in tests/unit/local/test_dynamodb_differential.py).

Why not moto's: moto serializes every response through a generic shape walker and sorts a
whole table on every Query, so a call costs milliseconds and grows with the portfolio.
Here a table keeps its items by key and each partition's sort keys (and each index's) in
order, so a GetItem is a dict lookup and a Query a bisect.

Not modelled (the project makes none of these calls): LSIs, streams, backups, PartiQL,
the legacy ``Expected``/``AttributesToGet`` parameters, the 1 MB page limit (a Scan or
Query returns every match up to ``Limit`` in one page), TTL deletion (moto does not delete
expired items either). ``UPDATED_NEW``/``UPDATED_OLD`` return the updated attributes only,
as DynamoDB does (moto adds the key of an item the update created; the project asks for
``ALL_NEW`` or nothing).
"""

from __future__ import annotations

import bisect
import functools
import marshal
import re
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from arrears.local.dynamodb import expressions as x
from arrears.local.dynamodb.expressions import Bindings, ExpressionError, Item, Value


class DynamoDBError(Exception):
    """An error response: ``code`` is the error code botocore raises, ``extra`` any members
    the response carries beside Code and Message (CancellationReasons, Item)."""

    def __init__(self, code: str, message: str, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = dict(extra or {})


def _validation(message: str) -> DynamoDBError:
    return DynamoDBError("ValidationException", message)


_CONDITION_FAILED = "The conditional request failed"


def copy_value(value: Any) -> Any:
    """A deep copy of wire-format data (dicts, lists, atoms), several times faster than
    ``copy.deepcopy`` on it."""
    if isinstance(value, dict):
        return {k: copy_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_value(v) for v in value]
    return value


@dataclass(frozen=True)
class KeySchema:
    partition: str
    sort: str | None

    def of(self, item: Mapping[str, Value]) -> tuple[Any, ...] | None:
        """The item's position key, or None if it lacks an attribute of this schema."""
        pk = item.get(self.partition)
        if pk is None:
            return None
        if self.sort is None:
            return (_key_value(pk),)
        sk = item.get(self.sort)
        return None if sk is None else (_key_value(pk), _key_value(sk))


def _key_value(value: Value) -> Any:
    """A key attribute as it sorts. An integral number is kept as an int: it sorts, compares
    and hashes as its Decimal does (so a Query's Decimal bounds find it), in a quarter of
    the memory (28 bytes, not 104), and every outbox item's key is one."""
    ordered = x.ordered(value)
    if type(ordered) is Decimal and ordered == ordered.to_integral_value():
        return int(ordered)
    return ordered


@dataclass
class Index:
    name: str
    schema: KeySchema
    projection: str
    non_key_attributes: tuple[str, ...] = ()
    # partition value -> sorted [(index sort value, table key)]
    partitions: dict[Any, list[tuple[Any, ...]]] = field(default_factory=dict)


# items per table kept uncompressed since their last write (``Table.hot``)
HOT_ITEMS = 256


class ItemCodec:
    """A table's items as marshal bytes, compressed with a dictionary learnt from the
    table's first items: items of one table share their attribute names and much of their
    values, so each compresses to about a third (a case's timeline lines, 375 -> 131
    bytes), where compressing items one by one without it saves a third at most. A 4 KiB
    window keeps a compressor's set-up to a few microseconds (32 KiB takes 30)."""

    LEARN_FROM = 8
    _WBITS, _MEMLEVEL = 12, 2
    # level 6 keeps a mixed portfolio's items 11 % smaller than level 1 (9.7 against 10.9
    # KB a case) for 2 microseconds more per compression, which happens once, when it cools
    _LEVEL = 6
    _MARSHALLED_DICT = (ord("{"), ord("{") | 0x80)  # marshal's dict code, plain or flagged

    def __init__(self) -> None:
        self.zdict: bytes | None = None
        self._samples: list[bytes] = []

    def encode(self, raw: bytes) -> bytes:
        if self.zdict is None:
            self._samples.append(raw)
            if len(self._samples) < self.LEARN_FROM:
                return raw
            self.zdict, self._samples = b"".join(self._samples)[-(1 << self._WBITS) :], []
        compressor = zlib.compressobj(
            self._LEVEL, zlib.DEFLATED, self._WBITS, self._MEMLEVEL, zdict=self.zdict
        )
        return compressor.compress(raw) + compressor.flush()

    def decode(self, stored: bytes) -> Item:
        return marshal.loads(self.unpack(stored))

    def unpack(self, stored: bytes) -> bytes:
        """The bytes given to ``encode``: marshalled dicts, or JSON objects (whose first
        byte is the same, ``{``), are kept as given until the dictionary is learnt."""
        if stored[0] in self._MARSHALLED_DICT:
            return stored
        assert self.zdict is not None
        return zlib.decompressobj(self._WBITS, zdict=self.zdict).decompress(stored)


@dataclass
class Table:
    name: str
    schema: KeySchema
    attribute_types: dict[str, str]
    indexes: dict[str, Index]
    description: dict[str, Any]
    # key -> the item, marshalled and compressed (``ItemCodec``): a fraction of the memory
    # of the wire-format dicts, and every read decodes a fresh copy the caller may change.
    # The last HOT_ITEMS written are kept marshalled only (``hot``, oldest first): a case's
    # items are read and rewritten several times while its step runs, and compressing
    # once, when an item cools, costs a third of compressing on every write.
    items: dict[tuple[Any, ...], bytes] = field(default_factory=dict)
    codec: ItemCodec = field(default_factory=lambda: ItemCodec())
    hot: dict[tuple[Any, ...], None] = field(default_factory=dict)
    # partition value -> sorted sort values (tables with a sort key)
    partitions: dict[Any, list[Any]] = field(default_factory=dict)
    # partition value -> the one copy of it the item keys share (tables with a sort key)
    partition_values: dict[Any, Any] = field(default_factory=dict)
    ttl: dict[str, Any] = field(default_factory=lambda: {"TimeToLiveStatus": "DISABLED"})

    # ---- keys ----------------------------------------------------------------------------
    def key_of(self, key: Mapping[str, Value], *, exact: bool = True) -> tuple[Any, ...]:
        names = [self.schema.partition] + ([self.schema.sort] if self.schema.sort else [])
        if exact and set(key) != set(names):
            raise _validation("The provided key element does not match the schema")
        for name in names:
            value = key.get(name)
            if value is None:
                raise _validation(
                    "One of the required keys was not given a value"
                    if exact
                    else f"One or more parameter values were invalid: Missing the key {name} "
                    "in the item"
                )
            kind, raw = next(iter(value.items()))
            if kind != self.attribute_types[name]:
                raise _validation(
                    "One or more parameter values were invalid: Type mismatch for key "
                    f"{name} expected: {self.attribute_types[name]} actual: {kind}"
                )
            if raw in ("", b""):
                raise _validation(
                    "One or more parameter values are not valid. The AttributeValue for a key "
                    f"attribute cannot contain an empty string value. Key: {name}"
                )
        found = self.schema.of(key)
        assert found is not None
        return found

    def key_attributes(self, item: Mapping[str, Value]) -> Item:
        names = [self.schema.partition] + ([self.schema.sort] if self.schema.sort else [])
        return {name: item[name] for name in names}

    # ---- storage -------------------------------------------------------------------------
    def get(self, key: tuple[Any, ...]) -> Item | None:
        """A copy of the item at ``key``, or None."""
        stored = self.items.get(key)
        return None if stored is None else self.codec.decode(stored)

    def all_items(self) -> Iterator[Item]:
        return (self.codec.decode(stored) for stored in self.items.values())

    def put(self, key: tuple[Any, ...], item: Item, old: Item | None = None) -> None:
        """Store a copy of ``item`` at ``key``. ``old``: the item there, when the caller has
        just read it (unchanged), so that it is not decoded again for the indexes."""
        stored = self.items.get(key)
        if stored is not None:
            if self.indexes:  # only the indexes need the old item back
                self._unindex(key, old if old is not None else self.codec.decode(stored))
        elif self.schema.sort is not None:
            # the items of a partition share one copy of its value (a case's timeline holds
            # dozens of items under one case id)
            key = (self.partition_values.setdefault(key[0], key[0]), key[1])
            bisect.insort(self.partitions.setdefault(key[0], []), key[1])
        try:
            raw = marshal.dumps(item)
        except ValueError:  # a str subclass (an enum member): stored as the wire carries it
            raw = marshal.dumps(_as_sent(item))
        self.items[key] = raw
        self._heat(key)
        for index in self.indexes.values():
            at = index.schema.of(item)
            if at is not None and self._typed_for(index, item):
                bisect.insort(index.partitions.setdefault(at[0], []), (*at[1:], key))

    def _heat(self, key: tuple[Any, ...]) -> None:
        """``key`` was just written: the most recent of the hot items; the oldest of them
        is compressed once there are more than HOT_ITEMS."""
        self.hot.pop(key, None)
        self.hot[key] = None
        if len(self.hot) > HOT_ITEMS:
            cooled = next(iter(self.hot))
            del self.hot[cooled]
            self.items[cooled] = self.codec.encode(self.items[cooled])

    def delete(self, key: tuple[Any, ...]) -> Item | None:
        stored = self.items.pop(key, None)
        if stored is None:
            return None
        self.hot.pop(key, None)
        old = self.codec.decode(stored)
        self._unindex(key, old)
        if self.schema.sort is not None:
            sorts = self.partitions[key[0]]
            del sorts[bisect.bisect_left(sorts, key[1])]
            if not sorts:
                del self.partitions[key[0]]
                del self.partition_values[key[0]]
        return old

    def _unindex(self, key: tuple[Any, ...], item: Item) -> None:
        for index in self.indexes.values():
            at = index.schema.of(item)
            if at is None or not self._typed_for(index, item):
                continue
            entries = index.partitions[at[0]]
            del entries[bisect.bisect_left(entries, (*at[1:], key))]
            if not entries:
                del index.partitions[at[0]]

    def _typed_for(self, index: Index, item: Mapping[str, Value]) -> bool:
        # an item whose index key has another type than the index's is not in the index
        names = [index.schema.partition] + ([index.schema.sort] if index.schema.sort else [])
        return all(self.attribute_types.get(n) in item[n] for n in names)

    def project_for(self, index: Index, item: Item) -> Item:
        if index.projection == "ALL":
            return item
        keep = set(self.key_attributes(item)) | {index.schema.partition}
        if index.schema.sort:
            keep.add(index.schema.sort)
        if index.projection == "INCLUDE":
            keep.update(index.non_key_attributes)
        return {k: v for k, v in item.items() if k in keep}


class InMemoryDynamoDB:
    """One account and region's tables. ``call(operation, params)`` answers as botocore's
    parsed response would (without ResponseMetadata) or raises ``DynamoDBError``."""

    def __init__(self) -> None:
        self.tables: dict[str, Table] = {}
        self._operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "CreateTable": self.create_table,
            "DescribeTable": self.describe_table,
            "ListTables": self.list_tables,
            "DeleteTable": self.delete_table,
            "UpdateTimeToLive": self.update_time_to_live,
            "DescribeTimeToLive": self.describe_time_to_live,
            "GetItem": self.get_item,
            "PutItem": self.put_item,
            "UpdateItem": self.update_item,
            "DeleteItem": self.delete_item,
            "Query": self.query,
            "Scan": self.scan,
            "BatchGetItem": self.batch_get_item,
            "BatchWriteItem": self.batch_write_item,
            "TransactWriteItems": self.transact_write_items,
            "TransactGetItems": self.transact_get_items,
        }

    def handles(self, operation: str) -> bool:
        return operation in self._operations

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            _reject_unused(params)
            for entry in params.get("TransactItems", ()):
                for op in entry.values():
                    _reject_unused(op)
            return self._operations[operation](params)
        except ExpressionError as exc:
            raise _validation(str(exc)) from None

    # ---- tables --------------------------------------------------------------------------
    def table(self, name: str) -> Table:
        table = self.tables.get(name)
        if table is None:
            raise DynamoDBError("ResourceNotFoundException", "Requested resource not found")
        return table

    def create_table(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["TableName"]
        if name in self.tables:
            raise DynamoDBError("ResourceInUseException", f"Table already exists: {name}")
        types = {a["AttributeName"]: a["AttributeType"] for a in params["AttributeDefinitions"]}
        indexes = {
            spec["IndexName"]: Index(
                spec["IndexName"],
                _schema(spec["KeySchema"]),
                spec["Projection"].get("ProjectionType", "ALL"),
                tuple(spec["Projection"].get("NonKeyAttributes", ())),
            )
            for spec in params.get("GlobalSecondaryIndexes", ())
        }
        description = {
            "TableName": name,
            "TableArn": f"arn:aws:dynamodb:us-east-1:123456789012:table/{name}",
            "TableStatus": "ACTIVE",
            "KeySchema": copy_value(params["KeySchema"]),
            "AttributeDefinitions": copy_value(params["AttributeDefinitions"]),
            "BillingModeSummary": {"BillingMode": params.get("BillingMode", "PROVISIONED")},
        }
        if params.get("GlobalSecondaryIndexes"):
            description["GlobalSecondaryIndexes"] = [
                {**copy_value(spec), "IndexStatus": "ACTIVE"}
                for spec in params["GlobalSecondaryIndexes"]
            ]
        self.tables[name] = Table(name, _schema(params["KeySchema"]), types, indexes, description)
        return {"TableDescription": self._description(self.tables[name])}

    def _description(self, table: Table) -> dict[str, Any]:
        return {**copy_value(table.description), "ItemCount": len(table.items)}

    def describe_table(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"Table": self._description(self.table(params["TableName"]))}

    def list_tables(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"TableNames": sorted(self.tables)}

    def delete_table(self, params: dict[str, Any]) -> dict[str, Any]:
        table = self.table(params["TableName"])
        del self.tables[table.name]
        return {"TableDescription": self._description(table)}

    def update_time_to_live(self, params: dict[str, Any]) -> dict[str, Any]:
        table = self.table(params["TableName"])
        spec = params["TimeToLiveSpecification"]
        table.ttl = {
            "TimeToLiveStatus": "ENABLED" if spec["Enabled"] else "DISABLED",
            "AttributeName": spec["AttributeName"],
        }
        return {"TimeToLiveSpecification": copy_value(spec)}

    def describe_time_to_live(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"TimeToLiveDescription": dict(self.table(params["TableName"]).ttl)}

    # ---- single items ---------------------------------------------------------------------
    def get_item(self, params: dict[str, Any]) -> dict[str, Any]:
        table = self.table(params["TableName"])
        item = table.get(table.key_of(params["Key"]))
        if item is None:
            return {}
        return {"Item": _projected(item, params)}

    def put_item(self, params: dict[str, Any]) -> dict[str, Any]:
        table = self.table(params["TableName"])
        returns = params.get("ReturnValues", "NONE")
        if returns not in ("NONE", "ALL_OLD"):
            raise _validation("Return values set to invalid value")
        item = params["Item"]
        key = table.key_of(item, exact=False)
        old = table.get(key)
        self._check(params, old)
        table.put(key, item, old)
        return {"Attributes": old} if returns == "ALL_OLD" and old else {}

    def update_item(self, params: dict[str, Any]) -> dict[str, Any]:
        table = self.table(params["TableName"])
        key = table.key_of(params["Key"])
        old = table.get(key)
        self._check(params, old)
        new, touched = _updated(table, params, old)
        table.put(key, new, old)
        return _update_returns(params.get("ReturnValues", "NONE"), old, new, touched)

    def delete_item(self, params: dict[str, Any]) -> dict[str, Any]:
        table = self.table(params["TableName"])
        key = table.key_of(params["Key"])
        old = table.get(key)
        self._check(params, old)
        table.delete(key)
        if params.get("ReturnValues") == "ALL_OLD" and old:
            return {"Attributes": old}
        return {}

    def _check(self, params: Mapping[str, Any], item: Item | None) -> None:
        text = params.get("ConditionExpression")
        if text is None:
            return
        if not x.evaluate(x.parse_condition(text), item, _bindings(params)):
            extra = {}
            if params.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD" and item:
                extra["Item"] = copy_value(item)
            raise DynamoDBError("ConditionalCheckFailedException", _CONDITION_FAILED, extra)

    # ---- many items -----------------------------------------------------------------------
    def query(self, params: dict[str, Any]) -> dict[str, Any]:
        table = self.table(params["TableName"])
        bind = _bindings(params)
        index = self._index(table, params)
        schema = index.schema if index else table.schema
        condition = x.key_condition(
            params["KeyConditionExpression"], bind, schema.partition, schema.sort
        )
        partition = x.ordered(condition.partition_value)
        # (sort key value or None, table key) of the partition's items, in key order
        entries: list[tuple[Any, tuple[Any, ...]]]
        if index is not None:
            sorted_by = schema.sort is not None
            found = index.partitions.get(partition, ())
            entries = [(e[0] if sorted_by else None, e[-1]) for e in found]
        elif schema.sort is None:
            entries = [(None, (partition,))] if (partition,) in table.items else []
        else:
            entries = [(s, (partition, s)) for s in table.partitions.get(partition, ())]
        forward = params.get("ScanIndexForward", True) is not False
        start = params.get("ExclusiveStartKey")
        if start is not None and index is None and schema.sort in start:
            # DynamoDB resumes strictly past the start key in the query's direction, whether
            # or not an item has that key
            bound = x.ordered(start[schema.sort])
            entries = [e for e in entries if (e[0] > bound if forward else e[0] < bound)]
            params = {k: v for k, v in params.items() if k != "ExclusiveStartKey"}
        if not forward:
            entries.reverse()
        keys = [key for _, key in entries]
        # moto (like DynamoDB, which stops reading at the limit) gives a LastEvaluatedKey
        # once the limit is reached while the partition holds more items in the query's
        # direction, whether or not those match the sort key condition
        limit = params.get("Limit")
        sort_kind = table.attribute_types.get(schema.sort or "")  # index keys are defined too
        if sort_kind in ("S", "B") and "ExclusiveStartKey" not in params:
            # a string or binary sort key is its own wire value: test the condition on the
            # keys and decode only the items the page returns
            hits = [n for n, e in enumerate(entries) if condition.sort_matches({sort_kind: e[0]})]
            shown = hits if limit is None else hits[:limit]
            matches = [item for item in (table.get(keys[n]) for n in shown) if item is not None]
            more = limit is not None and 0 < limit <= len(hits) and hits[limit - 1] + 1 < len(keys)
            return self._page(table, index, matches, params, bind, more=more)
        candidates = [item for item in (table.get(k) for k in keys) if item is not None]
        if params.get("ExclusiveStartKey") is not None:
            candidates = _after_start(table, index, candidates, params["ExclusiveStartKey"])
            params = {k: v for k, v in params.items() if k != "ExclusiveStartKey"}
        matching = [
            schema.sort is None or condition.sort_matches(item.get(schema.sort))
            for item in candidates
        ]
        matches = [item for item, hit in zip(candidates, matching, strict=True) if hit]
        more = False
        if limit is not None and 0 < limit <= len(matches):
            last_hit = [n for n, hit in enumerate(matching) if hit][limit - 1]
            more = last_hit + 1 < len(candidates)
        return self._page(table, index, matches, params, bind, more=more)

    def scan(self, params: dict[str, Any]) -> dict[str, Any]:
        table = self.table(params["TableName"])
        index = self._index(table, params)
        items = list(table.all_items())
        if index is not None:
            items = [i for i in items if index.schema.of(i) is not None]
        return self._page(table, index, items, params, _bindings(params))

    def _index(self, table: Table, params: Mapping[str, Any]) -> Index | None:
        name = params.get("IndexName")
        if name is None:
            return None
        index = table.indexes.get(name)
        if index is None:
            raise _validation(f"The table does not have the specified index: {name}")
        return index

    def _page(
        self,
        table: Table,
        index: Index | None,
        items: list[Item],
        params: Mapping[str, Any],
        bind: Bindings,
        more: bool = False,
    ) -> dict[str, Any]:
        """One page of ``items``; ``more``: the source holds items past the limit's last."""
        start = params.get("ExclusiveStartKey")
        if start is not None:
            items = _after_start(table, index, items, start)
        limit = params.get("Limit")
        last_key = None
        if limit is not None and (len(items) > limit or (more and len(items) == limit)):
            items = items[:limit]
            last = items[-1]
            last_key = table.key_attributes(last)
            if index is not None:
                last_key.update({n: last[n] for n in _index_key_names(index)})
            last_key = copy_value(last_key)
        scanned = len(items)
        text = params.get("FilterExpression")
        if text is not None:
            node = x.parse_condition(text)
            items = [item for item in items if x.evaluate(node, item, bind)]
        result: dict[str, Any] = {"Count": len(items), "ScannedCount": scanned}
        if params.get("Select") != "COUNT":
            shown = (table.project_for(index, i) if index else i for i in items)
            result["Items"] = [_projected(i, params) for i in shown]
        if last_key is not None:
            result["LastEvaluatedKey"] = last_key
        return result

    def batch_get_item(self, params: dict[str, Any]) -> dict[str, Any]:
        responses: dict[str, list[Item]] = {}
        for name, request in params["RequestItems"].items():
            table = self.table(name)
            found = responses.setdefault(name, [])
            for key in request["Keys"]:
                item = table.get(table.key_of(key))
                if item is not None:
                    found.append(_projected(item, request))
        return {"Responses": responses, "UnprocessedKeys": {}}

    def batch_write_item(self, params: dict[str, Any]) -> dict[str, Any]:
        writes: list[tuple[Table, tuple[Any, ...], Item | None]] = []
        for name, requests in params["RequestItems"].items():
            table = self.table(name)
            for request in requests:
                if "PutRequest" in request:
                    item = request["PutRequest"]["Item"]
                    writes.append((table, table.key_of(item, exact=False), item))
                else:
                    writes.append((table, table.key_of(request["DeleteRequest"]["Key"]), None))
        seen = [(t.name, k) for t, k, _ in writes]
        if len(set(seen)) != len(seen):
            raise _validation("Provided list of item keys contains duplicates")
        for table, key, item in writes:
            if item is None:
                table.delete(key)
            else:
                table.put(key, item)
        return {"UnprocessedItems": {}}

    def transact_get_items(self, params: dict[str, Any]) -> dict[str, Any]:
        responses = []
        for entry in params["TransactItems"]:
            got = self.get_item(entry["Get"])
            responses.append({"Item": got["Item"]} if "Item" in got else {})
        return {"Responses": responses}

    def transact_write_items(self, params: dict[str, Any]) -> dict[str, Any]:
        entries = params["TransactItems"]
        if len(entries) > 100:
            raise _validation(
                "1 validation error detected at 'transactItems' failed to satisfy constraint: "
                "Member must have length less than or equal to 100"
            )
        planned: list[tuple[str, Table, tuple[Any, ...], dict[str, Any]]] = []
        targets: set[tuple[str, tuple[Any, ...]]] = set()
        for entry in entries:
            if len(entry) != 1:
                raise _validation(
                    "TransactItems can only contain one of Check, Put, Update or Delete"
                )
            kind, op = next(iter(entry.items()))
            table = self.table(op["TableName"])
            key = (
                table.key_of(op["Item"], exact=False) if kind == "Put" else table.key_of(op["Key"])
            )
            if (table.name, key) in targets:
                raise _validation(
                    "Transaction request cannot include multiple operations on one item"
                )
            targets.add((table.name, key))
            planned.append((kind, table, key, op))
        # every condition sees the state before the transaction; nothing is written unless
        # all pass (one item per operation, so the order of the writes does not matter)
        reasons: list[dict[str, Any]] = []
        writes: list[tuple[Table, tuple[Any, ...], Item | None, Item | None]] = []
        for kind, table, key, op in planned:
            old = table.get(key)
            try:
                self._check(op, old)
                if kind == "Put":
                    writes.append((table, key, op["Item"], old))
                elif kind == "Update":
                    writes.append((table, key, _updated(table, op, old)[0], old))
                elif kind == "Delete":
                    writes.append((table, key, None, old))
                reasons.append({"Code": "None"})
            except DynamoDBError as failure:
                if failure.code != "ConditionalCheckFailedException":
                    raise
                reason = {"Code": "ConditionalCheckFailed", "Message": failure.message}
                reason.update(failure.extra)
                reasons.append(reason)
        if any(r["Code"] != "None" for r in reasons):
            codes = ", ".join(r["Code"] for r in reasons)
            message = (
                "Transaction cancelled, please refer cancellation reasons for specific reasons "
                f"[{codes}]"
            )
            # the error body repeats the message beside the reasons, as botocore parses it
            raise DynamoDBError(
                "TransactionCanceledException",
                message,
                {"Message": message, "CancellationReasons": reasons},
            )
        for table, key, item, old in writes:
            if item is None:
                table.delete(key)
            else:
                table.put(key, item, old)
        return {}


# ---- helpers ----------------------------------------------------------------------------------


def _as_sent(value: Any) -> Any:
    """Wire-format data as botocore would have sent it: a str subclass (an enum member) as
    its plain string."""
    if isinstance(value, dict):
        return {k: _as_sent(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_sent(v) for v in value]
    if isinstance(value, str):
        return str.__str__(value)
    return value


def _schema(key_schema: list[dict[str, str]]) -> KeySchema:
    names = {k["KeyType"]: k["AttributeName"] for k in key_schema}
    return KeySchema(names["HASH"], names.get("RANGE"))


def _index_key_names(index: Index) -> list[str]:
    return [index.schema.partition] + ([index.schema.sort] if index.schema.sort else [])


def _after_start(
    table: Table, index: Index | None, items: list[Item], start: Mapping[str, Value]
) -> list[Item]:
    """The items after the one at ExclusiveStartKey (all of them when none is there: the
    project only ever passes the previous page's last key)."""
    position = _position(table, index, start)
    after = next(
        (n for n, item in enumerate(items) if _position(table, index, item) == position), None
    )
    return items[after + 1 :] if after is not None else items


def _position(table: Table, index: Index | None, item: Mapping[str, Value]) -> Any:
    own = table.schema.of(item)
    return (own, index.schema.of(item)) if index is not None else own


_EXPRESSIONS = (
    "ConditionExpression",
    "UpdateExpression",
    "KeyConditionExpression",
    "FilterExpression",
    "ProjectionExpression",
)


def _reject_unused(params: Mapping[str, Any]) -> None:
    names, values = params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues")
    if not names and not values:
        return
    text = " ".join(params[k] for k in _EXPRESSIONS if k in params)
    for kind, given in (("Values", values), ("Names", names)):
        unused = sorted(set(given or ()) - _placeholders(text))
        if unused:
            raise _validation(
                f"Value provided in ExpressionAttribute{kind} unused in expressions: "
                f"keys: {{{', '.join(unused)}}}"
            )


@functools.lru_cache(maxsize=4096)
def _placeholders(text: str) -> frozenset[str]:
    """The #names and :values an expression names (the project's expressions repeat)."""
    return frozenset(re.findall(r"[#:][A-Za-z0-9_]+", text))


def _bindings(params: Mapping[str, Any]) -> Bindings:
    return Bindings(
        params.get("ExpressionAttributeNames") or {},
        params.get("ExpressionAttributeValues") or {},
    )


def _projected(item: Item, params: Mapping[str, Any]) -> Item:
    text = params.get("ProjectionExpression")
    if text is None:  # the table's reads are copies already
        return item
    return x.project(item, x.parse_projection(text), _bindings(params))


def _updated(table: Table, params: Mapping[str, Any], old: Item | None) -> tuple[Item, set[str]]:
    """The item after the update expression, and the top-level attributes it touched."""
    bind = _bindings(params)
    update = x.parse_update(params["UpdateExpression"])
    key = table.key_attributes(params["Key"])
    before: Item = old if old is not None else copy_value(key)
    paths = [bind.path(p) for p in update.paths()]
    _reject_overlaps(paths)
    for path in paths:
        if path[0] in key:
            raise _validation(
                f"One or more parameter values were invalid: Cannot update attribute {path[0]}. "
                "This attribute is part of the key"
            )
    # right-hand sides read the item as it was before this update
    values = [(bind.path(p), x.set_value(e, before, bind)) for p, e in update.sets]
    item = copy_value(before)
    for path, value in values:
        _assign(item, path, copy_value(value))
    for path in sorted((bind.path(p) for p in update.removes), key=_removal_order):
        _remove(item, path)
    for path, operand in update.adds:
        _add(item, bind.path(path), bind.operand(operand, None), adding=True)
    for path, operand in update.deletes:
        _add(item, bind.path(path), bind.operand(operand, None), adding=False)
    touched = {str(p[0]) for p in paths}
    return item, touched


def _removal_order(path: x.Path) -> tuple[Any, ...]:
    # list elements go from the highest index down, so earlier indexes stay valid
    return tuple(-p if isinstance(p, int) else 0 for p in path)


def _reject_overlaps(paths: list[x.Path]) -> None:
    for n, one in enumerate(paths):
        for two in paths[n + 1 :]:
            shorter = min(len(one), len(two))
            if one[:shorter] == two[:shorter]:
                raise _validation(
                    "Invalid UpdateExpression: Two document paths overlap with each other; must "
                    "remove or rewrite one of these paths; path one: ["
                    + ", ".join(map(str, one)) + "], path two: [" + ", ".join(map(str, two)) + "]"
                )  # fmt: skip


def _parent(item: Item, path: x.Path) -> Any:
    """The map (dict of members) or list that holds ``path``'s last step."""
    if len(path) == 1:
        return item
    holder = x.resolve(item, path[:-1])
    step = path[-1]
    if holder is not None and isinstance(step, str) and "M" in holder:
        return holder["M"]
    if holder is not None and isinstance(step, int) and "L" in holder:
        return holder["L"]
    raise _validation("The document path provided in the update expression is invalid for update")


def _assign(item: Item, path: x.Path, value: Value) -> None:
    holder, step = _parent(item, path), path[-1]
    if isinstance(step, int):
        if step < len(holder):
            holder[step] = value
        else:
            holder.append(value)
    else:
        holder[step] = value


def _remove(item: Item, path: x.Path) -> None:
    try:
        holder = _parent(item, path)
    except DynamoDBError:
        return  # removing what is not there is not an error
    step = path[-1]
    if isinstance(step, int):
        if step < len(holder):
            del holder[step]
    else:
        holder.pop(step, None)


def _add(item: Item, path: x.Path, value: Value | None, *, adding: bool) -> None:
    assert value is not None
    current = x.resolve(item, path)
    kind = next(iter(value))
    wrong_type = _validation("An operand in the update expression has an incorrect data type")
    if adding and kind == "N":
        if current is not None and "N" not in current:
            raise wrong_type
        total = Decimal(value["N"]) + (Decimal(current["N"]) if current else 0)
        _assign(item, path, {"N": x.number_text(total)})
        return
    if kind not in ("SS", "NS", "BS") or (current is not None and kind not in current):
        raise wrong_type
    members = list(current[kind]) if current is not None else []
    if adding:
        merged = members + [m for m in value[kind] if m not in members]
        _assign(item, path, {kind: merged})
        return
    if current is None:
        return
    left = [m for m in members if m not in value[kind]]
    if left:
        _assign(item, path, {kind: left})
    else:
        _remove(item, path)


def _update_returns(returns: str, old: Item | None, new: Item, touched: set[str]) -> dict[str, Any]:
    if returns == "ALL_NEW":
        return {"Attributes": copy_value(new)}
    if returns == "ALL_OLD":
        return {"Attributes": copy_value(old)} if old else {}
    if returns in ("UPDATED_NEW", "UPDATED_OLD"):
        source = new if returns == "UPDATED_NEW" else (old or {})
        shown = {k: copy_value(v) for k, v in source.items() if k in touched}
        return {"Attributes": shown} if shown else {}
    return {}
