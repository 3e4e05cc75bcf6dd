"""Outbound events: which facts a write records, and exactly-once numbering and publication.

docs/integrations.md. Faults are injected at each point where a retry could publish twice:
the step retried after its write, two writers racing for the same sequence numbers, the
publisher failing before and after PutEvents, and the stream delivering a record twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from arrears.adapters.outbound_events import (
    PUBLISHED,
    SENDING,
    DynamoOutbox,
    MemoryBus,
    PublishFailed,
    event_from_image,
)
from arrears.domain import outbound
from arrears.domain.case import CaseRecord, TimelineEntry
from arrears.domain.errors import ConcurrentUpdate
from arrears.domain.ports import StepWrite
from arrears.domain.types import CaseStatus, Stage
from arrears.steps.publish import StreamRecord, publish_batch, republish, stream_records
from moto import mock_aws

from tests.support.aws import REGION, create_tables, use_fake_credentials
from tests.support.cases import a_case as shared_case

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def a_case(**changes: Any) -> CaseRecord:
    return replace(
        shared_case(
            opened_at=NOW - timedelta(days=18),
            obligations={"loan-7/inst-3": Decimal("1250.00")},
            policy_version="default-3",
        ),
        **changes,
    )


def types(facts: list[outbound.Fact]) -> list[str]:
    return [f.type for f in facts]


# ---------------------------------------------------------------------------- derive


class TestDerive:
    def test_a_new_case_is_opened(self) -> None:
        facts = outbound.derive(None, a_case(stage=Stage.ASSESS))
        assert types(facts) == ["CaseOpened"]
        assert facts[0].reason == "payment_overdue"

    def test_a_stage_change_names_both_stages(self) -> None:
        entered = TimelineEntry("acc-42#1", NOW, "stage_entered", "x", {"outcome": "sent"})
        facts = outbound.derive(a_case(), a_case(stage=Stage.FOLLOW_UP), [entered])
        assert types(facts) == ["CaseStageChanged"]
        assert facts[0].detail == {"from_stage": "reminder", "to_stage": "follow_up"}
        assert facts[0].reason == "sent"

    def test_nothing_changed_records_nothing(self) -> None:
        assert outbound.derive(a_case(), a_case(balance=Decimal("10.00"))) == []

    def test_a_promise_made_then_broken(self) -> None:
        promised = a_case(status=CaseStatus.PROMISED)
        made = outbound.derive(
            a_case(), promised, (), {"promise_date": "2026-12-05", "promise_amount": "500.00"}
        )
        assert types(made) == ["PromiseMade"]
        assert made[0].detail == {"promise_date": "2026-12-05", "promise_amount": "500.00"}
        assert types(outbound.derive(promised, a_case())) == ["PromiseBroken"]

    def test_a_failed_payment_back_to_a_promise_is_not_a_new_promise(self) -> None:
        pending = a_case(status=CaseStatus.PAYMENT_PENDING, resume_status=CaseStatus.PROMISED)
        assert outbound.derive(pending, a_case(status=CaseStatus.PROMISED)) == []

    def test_a_plan_agreed_then_broken(self) -> None:
        on_plan = a_case(status=CaseStatus.ON_PLAN)
        assert types(outbound.derive(a_case(), on_plan)) == ["PlanAgreed"]
        assert types(outbound.derive(on_plan, a_case())) == ["PlanBroken"]

    def test_litigation_is_referred_and_the_case_closes(self) -> None:
        before = a_case(stage=Stage.LEGAL_REVIEW)
        after = a_case(
            status=CaseStatus.LITIGATION,
            stage=Stage.CLOSED,
            outcome="litigation_referred",
            closed_at=NOW,
        )
        referred = TimelineEntry("acc-42#1", NOW, "litigation_referred", "x", {"approver": "z"})
        facts = outbound.derive(before, after, [referred])
        assert types(facts) == ["LitigationReferred", "CaseClosed"]
        assert facts[1].detail["last_stage"] == "legal_review"

    def test_numbering_gives_ids_decimal_strings_and_the_policy_version(self) -> None:
        facts = outbound.derive(a_case(), a_case(stage=Stage.FOLLOW_UP))
        (event,) = outbound.number(a_case(stage=Stage.FOLLOW_UP), facts, 4, NOW)
        assert event.sequence == 4
        assert event.detail["event_id"] == "acc-42#1/4"
        assert event.detail["balance"] == "1250.00"
        assert event.detail["policy_version"] == "default-3"
        assert event.detail["occurred_at"] == "2026-11-20T02:00:00Z"

    def test_contact_data_is_caught_at_any_depth(self) -> None:
        assert outbound.carries_contact_data({"a": [{"phone": "+86..."}]})
        assert outbound.carries_contact_data({"borrower": {}})
        assert not outbound.carries_contact_data({"case_id": "acc-42#1", "reason": "x"})

    def test_no_fact_of_any_kind_carries_contact_data(self) -> None:
        cases = [
            (None, a_case()),
            (a_case(), a_case(stage=Stage.FOLLOW_UP)),
            (a_case(), a_case(status=CaseStatus.PROMISED)),
            (a_case(status=CaseStatus.PROMISED), a_case()),
            (a_case(), a_case(status=CaseStatus.ON_PLAN)),
            (a_case(status=CaseStatus.ON_PLAN), a_case()),
            (a_case(), a_case(status=CaseStatus.LITIGATION, closed_at=NOW)),
        ]
        for before, after in cases:
            for event in outbound.number(after, outbound.derive(before, after), 1, NOW):
                assert not outbound.carries_contact_data(event.detail), event


# ---------------------------------------------------------------------------- the write


@pytest.fixture
def dynamo(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from arrears.adapters.cases import Repositories
    from arrears.adapters.models import bind_tables

    use_fake_credentials(monkeypatch)
    with mock_aws():
        create_tables(boto3.client("dynamodb", region_name=REGION))
        bind_tables({})
        yield Repositories.dynamo()


def _outbox_items(case_id: str) -> list[dict[str, Any]]:
    items = boto3.client("dynamodb", region_name=REGION).query(
        TableName="arrears-outbox",
        KeyConditionExpression="case_id = :c",
        ExpressionAttributeValues={":c": {"S": case_id}},
    )["Items"]
    return items


def _stage_write(case: CaseRecord, stage: Stage) -> StepWrite:
    """A step that moves the case to ``stage``, as UnitOfWork.flush builds it."""
    from arrears.steps.unit_of_work import StepWork

    work = StepWork(case)
    work.fields["stage"] = stage
    work.case = replace(case, stage=stage)
    work.timeline.append(TimelineEntry(case.case_id, NOW, "stage_entered", "t", {}))
    return work.take(NOW)


class TestExactlyOnceWrite:
    def test_the_fact_and_its_outbox_item_are_one_write(self, dynamo: Any) -> None:
        dynamo.cases.create(a_case())
        assert dynamo.cases.commit_step(_stage_write(a_case(), Stage.FOLLOW_UP))
        (item,) = _outbox_items("acc-42#1")
        assert item["sequence"]["N"] == "1" and item["type"]["S"] == "CaseStageChanged"
        assert dynamo.cases.get("acc-42#1").out_seq == 1

    def test_a_step_retried_on_the_case_it_read_first_writes_nothing(self, dynamo: Any) -> None:
        # given a step whose write landed, and a retry that decided from the same read
        dynamo.cases.create(a_case())
        write = _stage_write(a_case(), Stage.FOLLOW_UP)
        assert dynamo.cases.commit_step(write)
        # when the retry writes the same numbered events again
        with pytest.raises(ConcurrentUpdate):
            dynamo.cases.commit_step(write)
        # then the outbox still holds the fact once, and its audit line too
        assert len(_outbox_items("acc-42#1")) == 1
        kinds = [e.kind for e in dynamo.timeline.list("acc-42#1")]
        assert kinds.count("stage_entered") == 1

    def test_a_step_retried_on_the_fresh_case_records_no_new_fact(self, dynamo: Any) -> None:
        dynamo.cases.create(a_case())
        dynamo.cases.commit_step(_stage_write(a_case(), Stage.FOLLOW_UP))
        fresh = dynamo.cases.get("acc-42#1")
        again = _stage_write(fresh, Stage.FOLLOW_UP)
        assert again.outbound == ()
        assert len(_outbox_items("acc-42#1")) == 1

    def test_two_writers_racing_get_distinct_sequences(self, dynamo: Any) -> None:
        # given two steps that read the same case (out_seq 0)
        dynamo.cases.create(a_case())
        first = _stage_write(a_case(), Stage.FOLLOW_UP)
        second = _stage_write(a_case(), Stage.AGENT_CALL)
        assert dynamo.cases.commit_step(first)
        # the loser fails whole (no case change, no outbox item) and decides again
        with pytest.raises(ConcurrentUpdate):
            dynamo.cases.commit_step(second)
        assert dynamo.cases.get("acc-42#1").stage is Stage.FOLLOW_UP
        retried = _stage_write(dynamo.cases.get("acc-42#1"), Stage.AGENT_CALL)
        assert dynamo.cases.commit_step(retried)
        assert [i["sequence"]["N"] for i in _outbox_items("acc-42#1")] == ["1", "2"]

    def test_the_in_memory_store_enforces_the_same_rule(self) -> None:
        from arrears.adapters.cases import Repositories

        repos = Repositories.in_memory()
        repos.cases.create(a_case())
        write = _stage_write(a_case(), Stage.FOLLOW_UP)
        assert repos.cases.commit_step(write)
        with pytest.raises(ConcurrentUpdate):
            repos.cases.commit_step(write)
        assert len(repos.ingest.outbox_items) == 1  # type: ignore[attr-defined]

    def test_an_ops_promise_is_recorded_with_the_action(self, dynamo: Any) -> None:
        from arrears.adapters.ops import OpsStore
        from arrears.domain.ops import parse_action, plan_action

        dynamo.cases.create(a_case(stage=Stage.AGENT_CALL))
        store = OpsStore(boto3.client("dynamodb", region_name=REGION))
        raw = {
            "action": "record_call_outcome",
            "case_id": "acc-42#1",
            "operator": "li.wei",
            "outcome": "promise_to_pay",
            "promise_date": "2026-12-05",
            "promise_amount": "500.00",
        }
        action = parse_action(raw)
        store.apply("acc-42#1", "exec-1", NOW, lambda snap: plan_action(action, snap.case, NOW))
        (item,) = _outbox_items("acc-42#1")
        detail = json.loads(item["detail"]["S"])
        assert item["type"]["S"] == "PromiseMade"
        assert detail["promise_amount"] == "500.00" and detail["reason"].startswith("ops_")
        # the operator's name and free text never reach the event
        assert "li.wei" not in item["detail"]["S"]
        # the same execution applied again (a retried Lambda) writes nothing new
        store.apply("acc-42#1", "exec-1", NOW, lambda snap: plan_action(action, snap.case, NOW))
        assert len(_outbox_items("acc-42#1")) == 1


# ---------------------------------------------------------------------------- publishing


class FlakyBus(MemoryBus):
    """A bus whose put can fail before EventBridge takes the entry."""


def _records(*events: outbound.OutboundEvent) -> list[StreamRecord]:
    return [StreamRecord(f"{n:05d}", e) for n, e in enumerate(events, 1)]


@pytest.fixture
def stored(dynamo: Any) -> list[outbound.OutboundEvent]:
    """Three events of one case in the outbox (moto), as the steps write them."""
    dynamo.cases.create(a_case())
    case = a_case()
    for stage in (Stage.FOLLOW_UP, Stage.AGENT_CALL, Stage.DEMAND_LETTER):
        write = _stage_write(case, stage)
        dynamo.cases.commit_step(write)
        case = dynamo.cases.get("acc-42#1")
    return [e for e, _ in DynamoOutbox().events("acc-42#1")]


def clock() -> datetime:
    return NOW


class TestExactlyOncePublication:
    def test_a_batch_is_published_in_sequence_order(self, stored: list[Any]) -> None:
        bus = MemoryBus()
        assert publish_batch(_records(*stored), DynamoOutbox(), bus, clock) == {
            "batchItemFailures": []
        }
        assert [e.sequence for e, _ in bus.put_events] == [1, 2, 3]
        assert {s for _, s in DynamoOutbox().events("acc-42#1")} == {PUBLISHED}

    def test_a_duplicate_stream_delivery_publishes_nothing(self, stored: list[Any]) -> None:
        bus = MemoryBus()
        publish_batch(_records(*stored), DynamoOutbox(), bus, clock)
        publish_batch(_records(*stored), DynamoOutbox(), bus, clock)
        publish_batch(_records(stored[1]), DynamoOutbox(), bus, clock)
        assert [e.sequence for e, _ in bus.put_events] == [1, 2, 3]

    def test_a_put_that_fails_is_retried_from_that_record_in_order(self, stored: list[Any]) -> None:
        # given the bus refuses the second event (throttled)
        bus = MemoryBus()
        records = _records(*stored)

        class FailSecond(MemoryBus):
            def put(self, event: Any, *, republished: bool = False) -> str:
                if event.sequence == 2 and not getattr(self, "failed", False):
                    self.failed = True
                    raise PublishFailed("ThrottlingException")
                return bus.put(event, republished=republished)

        flaky = FailSecond()
        answer = publish_batch(records, DynamoOutbox(), flaky, clock)
        # then the stream is told to retry from the second record; the third waits
        assert answer == {"batchItemFailures": [{"itemIdentifier": records[1].sequence_number}]}
        assert [e.sequence for e, _ in bus.put_events] == [1]
        # and the claim was released, so the retry (the stream resends 2 and 3) publishes
        assert dict((e.sequence, s) for e, s in DynamoOutbox().events("acc-42#1"))[2] is None
        assert publish_batch(records[1:], DynamoOutbox(), flaky, clock)["batchItemFailures"] == []
        assert [e.sequence for e, _ in bus.put_events] == [1, 2, 3]

    def test_a_publisher_that_fails_after_put_events_never_puts_again(
        self, stored: list[Any], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # given the publish mark fails after EventBridge took the event (DynamoDB throttled)
        bus = MemoryBus()
        outbox = DynamoOutbox()

        def throttled(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("ProvisionedThroughputExceededException")

        monkeypatch.setattr(outbox, "mark_published", throttled)
        publish_batch(_records(stored[0]), outbox, bus, clock)
        # when the stream (or a Lambda retry) hands the record over again
        publish_batch(_records(stored[0]), DynamoOutbox(), bus, clock)
        publish_batch(_records(stored[0]), DynamoOutbox(), bus, clock)
        # then it was put once, and the item says it is unconfirmed, not unpublished
        assert [e.sequence for e, _ in bus.put_events] == [1]
        assert DynamoOutbox().events("acc-42#1")[0][1] == SENDING

    def test_a_lambda_that_dies_after_put_events_never_puts_again(self, stored: list[Any]) -> None:
        # given an invocation that put the event and was then killed (timeout) before
        # answering: its work stands, and the stream retries the whole batch
        bus = MemoryBus()
        publish_batch(_records(*stored), DynamoOutbox(), bus, clock)
        answer = publish_batch(_records(*stored), DynamoOutbox(), bus, clock)
        assert answer == {"batchItemFailures": []}
        assert len(bus.put_events) == 3

    def test_republish_puts_again_on_purpose_with_the_same_ids(self, stored: list[Any]) -> None:
        bus = MemoryBus()
        publish_batch(_records(*stored), DynamoOutbox(), bus, clock)
        again = republish("acc-42#1", DynamoOutbox(), bus, sequences=[2])
        assert [e.sequence for e in again] == [2]
        event, republished = bus.put_events[-1]
        assert republished and event.event_id == "acc-42#1/2"
        entry = outbound.entry_for_bus(event, "arrears", republished=True)
        assert json.loads(entry["Detail"])["republished"] is True

    def test_stream_records_decode_inserts_and_skip_the_rest(self, stored: list[Any]) -> None:
        from arrears.adapters.cases import outbox_item

        image = outbox_item(stored[0]).serialize()
        event = {
            "Records": [
                {"eventName": "INSERT", "dynamodb": {"NewImage": image, "SequenceNumber": "1"}},
                {"eventName": "MODIFY", "dynamodb": {"NewImage": image, "SequenceNumber": "2"}},
            ]
        }
        records = stream_records(event, event_from_image)
        assert records[0].event == stored[0]
        assert records[1].event is None


def _update_item_returns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ReturnValues of every UpdateItem sent from here on ("NONE" when not named)."""
    from botocore.client import BaseClient

    sent: list[str] = []
    original = BaseClient._make_api_call

    def recording(self: Any, operation: str, params: dict[str, Any]) -> Any:
        if operation == "UpdateItem":
            sent.append(params.get("ReturnValues", "NONE"))
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    return sent


def test_publishing_does_not_read_the_outbox_items_back(
    stored: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # an outbox item carries its whole event: the claim and the mark only need to know
    # whether their condition held
    sent = _update_item_returns(monkeypatch)
    publish_batch(_records(*stored), DynamoOutbox(), MemoryBus(), clock)
    assert sent == ["NONE"] * 6
    assert {s for _, s in DynamoOutbox().events("acc-42#1")} == {PUBLISHED}
