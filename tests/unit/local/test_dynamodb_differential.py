"""The in-memory DynamoDB answers the project's calls exactly as moto's does.

Two checks: every DynamoDB call a real local run makes (the demo portfolio on the real
ASL and handlers), replayed on moto and on the engine with each result and error
compared; and hypothesis sequences of the project's own operation shapes (the
conditions, updates, transactions and queries its adapters send) on a small key space,
so conditions pass and fail and transactions cancel in every order.
"""

from __future__ import annotations

import marshal
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from arrears import topology as t
from arrears.local.dynamodb.engine import HOT_ITEMS, InMemoryDynamoDB, ItemCodec, copy_value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.dynamodb_diff import moto_dynamodb, on_engine, on_moto


def _record_a_real_run() -> list[tuple[str, dict[str, Any]]]:
    from arrears.local.portfolio import build_portfolio
    from arrears.local.replay import schedule_entries
    from arrears.local.runtime import LocalRuntime

    calls: list[tuple[str, dict[str, Any]]] = []
    original = InMemoryDynamoDB.call

    def recording(self: InMemoryDynamoDB, operation: str, params: dict[str, Any]) -> Any:
        calls.append((operation, copy_value(params)))
        return original(self, operation, params)

    portfolio = build_portfolio(seed=5, borrowers=12)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(InMemoryDynamoDB, "call", recording)
        with LocalRuntime(start=portfolio.start, seed=5) as rt:
            schedule_entries(rt, portfolio.entries)
            # the wallet delivers the first event twice: idempotency's conditions fail
            first = next(e for e in portfolio.entries if e.event is not None)
            schedule_entries(rt, [replace(first, at=first.at + timedelta(hours=1))])
            rt.advance(timedelta(days=50))
            rt.report()
    return calls


def test_every_call_of_a_real_run_gets_moto_s_answer() -> None:
    calls = _record_a_real_run()
    operations = {operation for operation, _ in calls}
    # the run exercised the calls the adapters and the workflow make
    # (the report reads the tables in place, so Scans are left to the sequences below)
    assert {"TransactWriteItems", "Query", "GetItem", "PutItem", "UpdateItem"} <= operations
    engine = InMemoryDynamoDB()
    mismatches = []
    failures = 0
    with moto_dynamodb() as client:
        for n, (operation, params) in enumerate(calls):
            expected = on_moto(client, operation, copy_value(params))
            got = on_engine(engine, operation, params)
            failures += expected[0] == "error"
            if got != expected:
                mismatches.append((n, operation, params, expected, got))
    assert not mismatches[:3]
    assert failures > 0  # conditions failed too (duplicate deliveries, idempotency)


# ---- hypothesis: the project's operation shapes on a small key space ------------------------

CASES, TIMELINE = t.CASES.local_name, t.TIMELINE.local_name
_ids = st.sampled_from(["c-0", "c-1", "c-2"])
_entries = st.sampled_from(["e-0", "e-1", "e-2", "e-3"])
_statuses = st.sampled_from(["OPEN", "PAID", "CLOSED", "WRITTEN_OFF", "DISPUTED"])
_tokens = st.sampled_from(["t-0", "t-1", "t-2"])
_kinds = st.sampled_from(["payment", "case_opened", "contact_sent"])


def _case_key(case_id: str) -> dict[str, Any]:
    return {"case_id": {"S": case_id}}


def _line_key(case_id: str, entry: str) -> dict[str, Any]:
    return {"case_id": {"S": case_id}, "entry_key": {"S": entry}}


@st.composite
def _put_case(draw: Any) -> tuple[str, dict[str, Any]]:
    condition = draw(st.sampled_from(["none", "new", "status"]))
    params: dict[str, Any] = {
        "TableName": CASES,
        "Item": {**_case_key(draw(_ids)), "status": {"S": draw(_statuses)},
                 "n": {"N": str(draw(st.integers(0, 3)))}},
    }  # fmt: skip
    if condition == "new":
        params |= {"ConditionExpression": "attribute_not_exists (#0)",
                   "ExpressionAttributeNames": {"#0": "case_id"}}  # fmt: skip
    elif condition == "status":
        params |= {
            "ConditionExpression": "(attribute_not_exists (#0) OR (#1 <> :0 AND #1 <> :1))",
            "ExpressionAttributeNames": {"#0": "case_id", "#1": "status"},
            "ExpressionAttributeValues": {":0": {"S": "PAID"}, ":1": {"S": "CLOSED"}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    return "PutItem", params


def _mark_done(case_id: str, token: str) -> dict[str, Any]:
    """The ledger's 'add a token unless already seen' update (ADD to a string set)."""
    return {
        "TableName": CASES,
        "Key": _case_key(case_id),
        "UpdateExpression": "ADD #1 :1",
        "ConditionExpression": "(attribute_exists (#0) AND (NOT contains (#1, :0)))",
        "ExpressionAttributeNames": {"#0": "case_id", "#1": "done"},
        "ExpressionAttributeValues": {":0": {"S": token}, ":1": {"SS": [token]}},
    }


@st.composite
def _update_case(draw: Any) -> tuple[str, dict[str, Any]]:
    shape = draw(st.sampled_from(["mark_done", "set_open", "count"]))
    case_id = draw(_ids)
    if shape == "mark_done":
        params = _mark_done(case_id, draw(_tokens)) | {"ReturnValues": "ALL_NEW"}
    elif shape == "set_open":
        params = {
            "TableName": CASES, "Key": _case_key(case_id),
            "UpdateExpression": "SET #2 = :5 ADD #3 :6",
            "ConditionExpression": "(attribute_exists (#0) AND (NOT #1 IN (:0, :1, :2, :3, :4)))",
            "ExpressionAttributeNames": {"#0": "case_id", "#1": "status", "#2": "stage",
                                         "#3": "n"},
            "ExpressionAttributeValues": {
                ":0": {"S": "PAID"}, ":1": {"S": "CLOSED"}, ":2": {"S": "WRITTEN_OFF"},
                ":3": {"S": "SETTLED"}, ":4": {"S": "CANCELLED"},
                ":5": {"S": draw(st.sampled_from(["reminder", "letter"]))},
                ":6": {"N": str(draw(st.integers(-2, 5)))},
            },
            "ReturnValues": draw(st.sampled_from(["NONE", "ALL_NEW", "ALL_OLD"])),
        }  # fmt: skip
    else:
        params = {
            "TableName": CASES, "Key": _case_key(case_id),
            "UpdateExpression": "SET #0 = if_not_exists(#0, :z) + :1 REMOVE #1",
            "ExpressionAttributeNames": {"#0": "count", "#1": "stage"},
            "ExpressionAttributeValues": {":z": {"N": "0"}, ":1": {"N": "1"}},
            "ReturnValues": "ALL_NEW",
        }  # fmt: skip
    return "UpdateItem", params


@st.composite
def _transaction(draw: Any) -> tuple[str, dict[str, Any]]:
    case_id = draw(_ids)
    entries = draw(st.lists(_entries, min_size=1, max_size=3))
    items: list[dict[str, Any]] = [
        {"Put": {"TableName": TIMELINE,
                 "Item": {**_line_key(case_id, e), "at": {"S": f"2026-11-0{n + 1}"},
                          "kind": {"S": draw(_kinds)}},
                 "ConditionExpression": "attribute_not_exists (#0)",
                 "ExpressionAttributeNames": {"#0": "entry_key"}}}
        for n, e in enumerate(entries)
    ]  # fmt: skip
    if draw(st.booleans()):
        items.append({"Update": _mark_done(case_id, draw(_tokens))})
    return "TransactWriteItems", {"TransactItems": items}


@st.composite
def _read(draw: Any) -> tuple[str, dict[str, Any]]:
    shape = draw(st.sampled_from(["get", "query", "page", "kinds", "scan", "batch"]))
    case_id = draw(_ids)
    if shape == "get":
        return "GetItem", {"TableName": CASES, "Key": _case_key(case_id), "ConsistentRead": True}
    if shape == "batch":
        keys = [_case_key(c) for c in sorted(set(draw(st.lists(_ids, min_size=1))))]
        return "BatchGetItem", {"RequestItems": {CASES: {"Keys": keys}}}
    if shape == "scan":
        return "Scan", {"TableName": draw(st.sampled_from([CASES, TIMELINE]))}
    params: dict[str, Any] = {
        "TableName": TIMELINE,
        "KeyConditionExpression": "(#0 = :0 AND #1 BETWEEN :1 AND :2)",
        "ExpressionAttributeNames": {"#0": "case_id", "#1": "entry_key"},
        "ExpressionAttributeValues": {":0": {"S": case_id}, ":1": {"S": draw(_entries)},
                                      ":2": {"S": draw(_entries)}},
        "ScanIndexForward": draw(st.booleans()),
    }  # fmt: skip
    if shape == "kinds":  # a step reading only some kinds of audit line
        params["FilterExpression"] = "#2 IN (:3, :4)"
        params["ExpressionAttributeNames"]["#2"] = "kind"
        params["ExpressionAttributeValues"] |= {":3": {"S": "payment"}, ":4": {"S": draw(_kinds)}}
    if shape == "page":
        params["Limit"] = draw(st.integers(1, 3))
        if draw(st.booleans()):
            params["ExclusiveStartKey"] = _line_key(case_id, draw(_entries))
    return "Query", params


@st.composite
def _delete(draw: Any) -> tuple[str, dict[str, Any]]:
    return "DeleteItem", {
        "TableName": TIMELINE, "Key": _line_key(draw(_ids), draw(_entries)),
        "ReturnValues": "ALL_OLD",
    }  # fmt: skip


_operation = st.one_of(_put_case(), _update_case(), _transaction(), _read(), _delete())


def _tables() -> list[tuple[str, dict[str, Any]]]:
    from arrears.local.runtime import _create_table_args

    return [("CreateTable", _create_table_args(spec)) for spec in (t.CASES, t.TIMELINE)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_operation, min_size=1, max_size=25))
def test_sequences_of_the_project_s_operations_match_moto(
    operations: list[tuple[str, dict[str, Any]]],
) -> None:
    engine = InMemoryDynamoDB()
    with moto_dynamodb() as client:
        for operation, params in _tables() + operations:
            assert on_engine(engine, operation, params) == on_moto(
                client, operation, copy_value(params)
            ), (operation, params)
        # and the tables hold the same items afterwards
        for name in (CASES, TIMELINE):
            scan = ("Scan", {"TableName": name})
            assert on_engine(engine, *scan) == on_moto(client, *scan)


def test_an_update_reads_every_right_hand_side_before_writing() -> None:
    # SET a = :1, b = a reads the old a, as DynamoDB does (and a cheap case to get wrong)
    engine = InMemoryDynamoDB()
    for operation, params in _tables():
        engine.call(operation, params)
    engine.call("PutItem", {"TableName": CASES, "Item": {**_case_key("c"), "a": {"N": "1"}}})
    result = engine.call(
        "UpdateItem",
        {"TableName": CASES, "Key": _case_key("c"), "UpdateExpression": "SET a = :v, b = a",
         "ExpressionAttributeValues": {":v": {"N": "2"}}, "ReturnValues": "ALL_NEW"},
    )  # fmt: skip
    assert result["Attributes"]["a"] == {"N": "2"}
    assert result["Attributes"]["b"] == {"N": "1"}


def test_an_enum_member_is_stored_as_the_string_the_wire_would_carry() -> None:
    # given a value that is a str subclass, as an adapter may pass an enum member
    from enum import StrEnum

    class Reason(StrEnum):
        ALLOWED = "allowed"

    engine = InMemoryDynamoDB()
    for operation, params in _tables():
        engine.call(operation, params)
    item = {"case_id": {"S": "c-1"}, "reason": {"S": Reason.ALLOWED}}

    # when it is put and read back
    engine.call("PutItem", {"TableName": CASES, "Item": item})
    got = engine.call("GetItem", {"TableName": CASES, "Key": {"case_id": {"S": "c-1"}}})

    # then it reads as the plain string, as after a round trip through botocore and moto
    assert got["Item"]["reason"] == {"S": "allowed"}
    assert type(got["Item"]["reason"]["S"]) is str


@pytest.mark.parametrize("forward", [True, False])
@pytest.mark.parametrize("start", ["e-0", "e-1", "e-2", "e-9", "a"])
def test_a_query_resumes_strictly_after_its_start_key_in_its_own_direction(
    forward: bool, start: str
) -> None:
    # given three timeline lines, and a start key that may or may not be one of them
    lines = [
        ("PutItem", {"TableName": TIMELINE, "Item": {**_line_key("c", e), "at": {"S": "x"}}})
        for e in ("e-1", "e-3", "e-5")
    ]
    query = (
        "Query",
        {"TableName": TIMELINE, "KeyConditionExpression": "case_id = :c",
         "ExpressionAttributeValues": {":c": {"S": "c"}}, "ScanIndexForward": forward,
         "ExclusiveStartKey": _line_key("c", start)},
    )  # fmt: skip
    engine = InMemoryDynamoDB()
    with moto_dynamodb() as client:
        for operation, params in [*_tables(), *lines]:
            on_engine(engine, operation, params)
            on_moto(client, operation, copy_value(params))
        # then the engine returns what moto (and DynamoDB) return: the lines past the key
        assert on_engine(engine, *query) == on_moto(client, query[0], copy_value(query[1]))


@pytest.mark.parametrize("forward", [True, False])
@pytest.mark.parametrize(("low", "high"), [("e-3", "e-3"), ("e-1", "e-3"), ("e-3", "e-5")])
@pytest.mark.parametrize("limit", [1, 2])
def test_a_query_that_fills_its_limit_says_where_to_resume_as_moto_does(
    forward: bool, low: str, high: str, limit: int
) -> None:
    # given three timeline lines, and a sort key range that may match fewer than the limit
    lines = [
        ("PutItem", {"TableName": TIMELINE, "Item": {**_line_key("c", e), "at": {"S": "x"}}})
        for e in ("e-1", "e-3", "e-5")
    ]
    query = (
        "Query",
        {"TableName": TIMELINE,
         "KeyConditionExpression": "case_id = :c AND entry_key BETWEEN :l AND :h",
         "ExpressionAttributeValues": {":c": {"S": "c"}, ":l": {"S": low}, ":h": {"S": high}},
         "ScanIndexForward": forward, "Limit": limit},
    )  # fmt: skip
    engine = InMemoryDynamoDB()
    with moto_dynamodb() as client:
        for operation, params in [*_tables(), *lines]:
            on_engine(engine, operation, params)
            on_moto(client, operation, copy_value(params))
        # then both give the same items and the same LastEvaluatedKey (or none)
        assert on_engine(engine, *query) == on_moto(client, query[0], copy_value(query[1]))


def test_items_are_kept_compressed_once_the_table_has_taught_the_codec_its_items() -> None:
    # given a table's codec and timeline-like items
    codec = ItemCodec()
    items = [
        {"case_id": {"S": f"acc-{n}#1"}, "entry_key": {"S": f"2026-11-0{n % 9 + 1}#00000{n}"},
         "kind": {"S": "message_sent"}, "actor": {"S": "system:escalation"},
         "detail": {"M": {"channel": {"S": "SMS"}, "template": {"S": "reminder"}}}}
        for n in range(3 * ItemCodec.LEARN_FROM)
    ]  # fmt: skip
    # when each is stored and read back
    stored = [codec.encode(marshal.dumps(item)) for item in items]
    # then every item reads back as it was, before and after the codec learnt its dictionary
    assert [codec.decode(blob) for blob in stored] == items
    # and once learnt, items take a fraction of their marshalled size
    learnt = stored[ItemCodec.LEARN_FROM :]
    raw = [marshal.dumps(item) for item in items[ItemCodec.LEARN_FROM :]]
    assert sum(map(len, learnt)) < sum(map(len, raw)) / 2


def test_a_table_compresses_an_item_once_it_leaves_the_recently_written() -> None:
    # given a table holding more items than it keeps uncompressed, one rewritten at the end
    engine = InMemoryDynamoDB()
    for operation, params in _tables():
        on_engine(engine, operation, params)
    lines = [
        {"case_id": {"S": f"acc-{n % 50}#1"}, "entry_key": {"S": f"2026-11-02#{n:06d}"},
         "kind": {"S": "message_sent"}, "detail": {"M": {"channel": {"S": "SMS"}}}}
        for n in range(HOT_ITEMS + 100)
    ]  # fmt: skip
    for line in [*lines, lines[60]]:
        on_engine(engine, "PutItem", {"TableName": TIMELINE, "Item": line})
    table = engine.tables[TIMELINE]
    # then only the most recently written are kept as written (and the first few to cool,
    # which the codec learnt its dictionary from), the rewritten one among them
    plain = {key for key, stored in table.items.items() if stored[0] in MARSHALLED_DICT}
    assert len(plain) == HOT_ITEMS + ItemCodec.LEARN_FROM - 1
    assert table.key_of(_key(lines[60])) in plain
    assert table.key_of(_key(lines[50])) not in plain
    # and every item, compressed or not, reads back as it was written
    assert sorted(table.all_items(), key=lambda i: i["entry_key"]["S"]) == lines


MARSHALLED_DICT = (ord("{"), ord("{") | 0x80)  # marshal's dict code, plain or flagged


def _key(line: dict[str, Any]) -> dict[str, Any]:
    return {"case_id": line["case_id"], "entry_key": line["entry_key"]}


@pytest.mark.parametrize("forward", [True, False])
@pytest.mark.parametrize("limit", [None, 1, 2])
def test_an_index_query_on_a_sort_key_range_matches_moto(forward: bool, limit: int | None) -> None:
    # given cases on the delinquency sweep's sparse index, one of them not on it
    cases = [
        ("PutItem", {"TableName": CASES, "Item": {
            **_case_key(f"c-{n}"), "status": {"S": "OPEN"},
            **({"dpd_shard": {"S": "0"}, "dpd_next_at": {"S": day}} if day else {})}})
        for n, day in enumerate(["2026-11-03", "2026-11-01", None, "2026-11-09", "2026-11-02"])
    ]  # fmt: skip
    query = (
        "Query",
        {"TableName": CASES, "IndexName": "delinquency_due",
         "KeyConditionExpression": "dpd_shard = :s AND dpd_next_at <= :d",
         "ExpressionAttributeValues": {":s": {"S": "0"}, ":d": {"S": "2026-11-03"}},
         "ScanIndexForward": forward, **({"Limit": limit} if limit else {})},
    )  # fmt: skip
    engine = InMemoryDynamoDB()
    with moto_dynamodb() as client:
        for operation, params in [*_tables(), *cases]:
            on_engine(engine, operation, params)
            on_moto(client, operation, copy_value(params))
        # then the engine returns what moto returns: the same keys, in order, same paging
        assert on_engine(engine, *query) == on_moto(client, query[0], copy_value(query[1]))


# ---- numeric sort keys (the outbox's sequence): integral ones are kept as ints ---------------

OUTBOX = t.OUTBOX.local_name
# the same numbers written differently ("5", "5.0", "5E0"), fractions and negatives
_numbers = st.sampled_from(
    ["0", "0.5", "1", "2", "2.5", "5", "5.0", "5E0", "0.5E1", "-3", "1E+2", "100"]
)


@st.composite
def _outbox_operation(draw: Any) -> tuple[str, dict[str, Any]]:
    key = {"case_id": {"S": draw(_ids)}, "sequence": {"N": draw(_numbers)}}
    kind = draw(st.sampled_from(["put", "get", "update", "delete", "query"]))
    if kind == "put":
        item = {**key, "type": {"S": draw(st.sampled_from(["A", "B"]))}}
        return "PutItem", {"TableName": OUTBOX, "Item": item, "ReturnValues": "ALL_OLD"}
    if kind == "get":
        return "GetItem", {"TableName": OUTBOX, "Key": key}
    if kind == "update":
        return "UpdateItem", {
            "TableName": OUTBOX, "Key": key, "UpdateExpression": "SET published = :p",
            "ConditionExpression": "attribute_exists(case_id)",
            "ExpressionAttributeValues": {":p": {"BOOL": True}}, "ReturnValues": "ALL_NEW",
        }  # fmt: skip
    if kind == "delete":
        return "DeleteItem", {"TableName": OUTBOX, "Key": key, "ReturnValues": "ALL_OLD"}
    low, high = sorted([draw(_numbers), draw(_numbers)], key=float)
    return "Query", {
        "TableName": OUTBOX,
        "KeyConditionExpression": "case_id = :c AND #s BETWEEN :lo AND :hi",
        "ExpressionAttributeNames": {"#s": "sequence"},
        "ExpressionAttributeValues": {
            ":c": key["case_id"], ":lo": {"N": low}, ":hi": {"N": high},
        },
        "ScanIndexForward": draw(st.booleans()),
    }  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_outbox_operation(), min_size=1, max_size=25))
def test_numeric_sort_keys_however_written_match_moto(
    operations: list[tuple[str, dict[str, Any]]],
) -> None:
    from arrears.local.runtime import _create_table_args

    engine = InMemoryDynamoDB()
    with moto_dynamodb() as client:
        for operation, params in [("CreateTable", _create_table_args(t.OUTBOX)), *operations]:
            assert on_engine(engine, operation, params) == on_moto(
                client, operation, copy_value(params)
            ), (operation, params)
        scan = ("Scan", {"TableName": OUTBOX})
        assert on_engine(engine, *scan) == on_moto(client, *scan)
