"""What one case costs, measured: state transitions, Lambda invocations, DynamoDB writes.

docs/cost.md prices these counts at list prices; the bounds below keep that page honest
(a change that makes a case noticeably more expensive fails here first).
"""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from arrears.domain.types import CaseStatus
from escalation_support import (  # noqa: F401 - fixtures
    case,
    open_overdue,
    ops,
    outbox,
    post_at,
    rt,
    timeline_kinds,
    transitions,
)


@dataclass
class WriteMeter:
    """Counts DynamoDB item writes at moto's backend (every client, every table)."""

    by_table: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_table.values())


@pytest.fixture
def writes(rt) -> Iterator[WriteMeter]:
    import moto.dynamodb.models as ddb

    meter = WriteMeter()
    backend = ddb.DynamoDBBackend

    def counting(name: str, table_of: Any) -> Any:
        original = getattr(backend, name)

        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            for table in table_of(args, kwargs):
                meter.by_table[table] += 1
            return original(self, *args, **kwargs)

        return original, wrapper

    def single(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[str]:
        return [kwargs.get("table_name") or args[0]]

    def transact(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[str]:
        items = kwargs.get("transact_items") or args[0]
        return [next(iter(item.values()))["TableName"] for item in items]

    patched = {
        "put_item": single,
        "update_item": single,
        "delete_item": single,
        "transact_write_items": transact,
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, table_of in patched.items():
            _, wrapper = counting(name, table_of)
            patch.setattr(backend, name, wrapper)
        yield meter


def parks(case_id: str) -> int:
    return timeline_kinds(case_id).count("execution_parked")


def _invocations(rt, case_id: str, since: int) -> Counter[str]:
    return Counter(i.function for i in rt.invocations[since:] if i.case_id in (case_id, None))


def test_cost_of_a_case_paid_after_the_first_reminder(rt, outbox, writes):
    since = len(rt.invocations)
    start = rt.now
    case_id = open_overdue(rt, "acc-cost-paid")
    post_at(rt, start + timedelta(days=3), "acc-cost-paid", "PAID", amount_paid="1250.00")
    rt.advance(timedelta(days=10))
    assert case(case_id).status is CaseStatus.PAID

    lambdas = _invocations(rt, case_id, since)
    print("\npaid early:", transitions(rt, case_id), dict(lambdas), dict(writes.by_table))
    assert transitions(rt, case_id) == 11  # target <= 12 (docs/cost.md)
    # ingest x2, assess, contact x2, record (parks the follow-up wait), assess (the PAID
    # resumes the parked case and handles the wake in its first step)
    published = lambdas.pop("arrears-publisher", 0)
    lambdas.pop("arrears-delinquency", None)  # once a day for every case (not per case)
    assert sum(lambdas.values()) <= 7
    assert parks(case_id) == 1
    _assert_outbound_costs(rt, case_id, published, writes)
    # measured 60 item writes (ingest, idempotency, ledger lock and audit included); an item
    # of a TransactWriteItems counts twice here (moto writes it through put/update_item too),
    # which is also what it costs: 2 WRU. The steps write a case change and its audit lines
    # in one transaction (fewer round trips, atomic audit): 57 before that, 3 more WRU.
    assert writes.total - writes.by_table[OUTBOX] <= 64


def test_cost_of_a_full_ladder_to_litigation(rt, outbox, writes):
    since = len(rt.invocations)
    case_id = open_overdue(rt, "acc-cost-ladder")
    rt.advance(timedelta(days=61))
    ops(
        rt,
        {
            "action": "approve_litigation",
            "case_id": case_id,
            "approver": "counsel.wang",
            "reason": "cost measurement",
        },
    )
    assert case(case_id).status is CaseStatus.LITIGATION

    lambdas = _invocations(rt, case_id, since)
    print("\nfull ladder:", transitions(rt, case_id), dict(lambdas), dict(writes.by_table))
    # 28 without parking; each of the five parked waits (follow-up, agent call, demand and
    # lawyer's letters, legal review) adds two: the park and the resumed "Assess" + Choice
    # replace the wait (docs/cost.md)
    assert transitions(rt, case_id) <= 40  # target <= 40; measured 38
    assert parks(case_id) == 5
    published = lambdas.pop("arrears-publisher", 0)
    lambdas.pop("arrears-delinquency", None)  # once a day for every case (not per case)
    assert sum(lambdas.values()) <= 26  # ops-action Lambdas included; measured 24
    _assert_outbound_costs(rt, case_id, published, writes)
    # measured 100 (transactional items count twice, as they cost 2 WRU); 82 before the
    # steps wrote each case change with its audit lines in one transaction
    # 106: each contact's reservation is settled after the send
    assert writes.total - writes.by_table[OUTBOX] <= 110


OUTBOX = "arrears-outbox"


def _assert_outbound_costs(rt, case_id: str, published: int, writes: WriteMeter) -> None:
    """Outbound events (docs/integrations.md): each costs its outbox item in the step's
    transaction (2 WRU) plus the publisher's claim and publish marks (1 + 1), and at most
    one publisher invocation (the stream batches up to 25 events of any cases together).
    Every outbox item reached the bus once."""
    rt.advance(timedelta(seconds=1))  # the stream delivers after the write
    events = [e for e in rt.outbound.events_out if e["case_id"] == case_id]
    assert events, "the case published no outbound event"
    assert 1 <= published <= len(events)
    items = rt.client("dynamodb").query(
        TableName=OUTBOX,
        KeyConditionExpression="case_id = :c",
        ExpressionAttributeValues={":c": {"S": case_id}},
    )["Items"]
    assert [int(i["sequence"]["N"]) for i in items] == [e["sequence"] for e in events]
    assert {i["state"]["S"] for i in items} == {"published"}
    print("outbound:", len(events), "events,", published, "publisher invocations")
