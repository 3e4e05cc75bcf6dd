"""The DynamoDB repositories (on moto) and the in-memory fake obey the same conditions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import boto3
import pytest
from arrears.adapters.cases import IngestWrite, Repositories
from arrears.domain.case import BorrowerRecord, CaseRecord, TimelineEntry
from arrears.domain.errors import CaseAlreadyExists, CaseNotFound, ConcurrentUpdate
from arrears.domain.types import CaseStatus, Channel, Stage

from tests.support.aws import REGION, repositories

T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


@pytest.fixture(params=["dynamo", "memory"])
def repos(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Repositories]:
    with repositories(request.param, monkeypatch) as chosen:
        yield chosen


def a_case(**overrides: object) -> CaseRecord:
    case = CaseRecord(
        case_id="acc-1#1",
        account_id="acc-1",
        cycle=1,
        status=CaseStatus.OPEN,
        stage=Stage.ASSESS,
        balance=Decimal("1250.00"),
        currency="CNY",
        opened_at=T0,
        obligations={"loan/1": Decimal("1250.00")},
    )
    return replace(case, **overrides)  # type: ignore[arg-type]


def test_a_case_round_trips_with_exact_money_and_aware_times(repos: Repositories) -> None:
    case = a_case(queue_due_at=T0 + timedelta(days=1), segment="standard", score=612)
    repos.cases.create(case)
    loaded = repos.cases.get("acc-1#1")
    assert loaded == case
    assert loaded is not None and loaded.balance == Decimal("1250.00")
    assert loaded.opened_at.tzinfo is not None


def test_creating_the_same_case_twice_is_refused(repos: Repositories) -> None:
    repos.cases.create(a_case())
    with pytest.raises(CaseAlreadyExists):
        repos.cases.create(a_case(stage=Stage.REMINDER))


def test_an_action_is_marked_done_only_once(repos: Repositories) -> None:
    repos.cases.create(a_case())
    first = repos.cases.mark_action_done("acc-1#1", "reminder#sms")
    retried = repos.cases.mark_action_done("acc-1#1", "reminder#sms")
    other = repos.cases.mark_action_done("acc-1#1", "reminder#email")
    assert (first, retried, other) == (True, False, True)
    loaded = repos.cases.get("acc-1#1")
    assert loaded is not None
    assert loaded.done_actions == frozenset({"reminder#sms", "reminder#email"})


def test_marking_an_action_on_a_missing_case_says_so(repos: Repositories) -> None:
    with pytest.raises(CaseNotFound):
        repos.cases.mark_action_done("nope#1", "reminder#sms")


def test_save_is_guarded_by_version_and_keeps_the_token(repos: Repositories) -> None:
    # given a stored case whose execution has stored its task token
    repos.cases.create(a_case())
    repos.cases.store_task_token("acc-1#1", "token-1", "payment")
    loaded = repos.cases.get("acc-1#1")
    assert loaded is not None
    # when one writer saves from version 0, and a second writer also from version 0
    saved = repos.cases.save(replace(loaded, stage=Stage.REMINDER), expected_version=0)
    with pytest.raises(ConcurrentUpdate):
        repos.cases.save(replace(loaded, stage=Stage.FOLLOW_UP), expected_version=0)
    # then the first write stands and the token the state machine wrote is untouched
    final = repos.cases.get("acc-1#1")
    assert final is not None
    assert (final.stage, final.version, saved.version) == (Stage.REMINDER, 1, 1)
    assert final.task_token == "token-1"


def test_update_fields_can_refuse_a_closed_case(repos: Repositories) -> None:
    repos.cases.create(a_case(status=CaseStatus.PAID))
    with pytest.raises(ConcurrentUpdate):
        repos.cases.update_fields("acc-1#1", {"stage": Stage.REMINDER}, require_open=True)
    updated = repos.cases.update_fields("acc-1#1", {"outcome": "paid"})
    assert updated.outcome == "paid" and updated.version == 1


def test_a_token_is_cleared_only_if_it_is_still_the_stored_one(repos: Repositories) -> None:
    repos.cases.create(a_case())
    repos.cases.store_task_token("acc-1#1", "new-token", "agent_outcome")
    assert repos.cases.clear_task_token("acc-1#1", "old-token") is False
    assert repos.cases.clear_task_token("acc-1#1", "new-token") is True
    loaded = repos.cases.get("acc-1#1")
    assert loaded is not None and loaded.task_token is None and loaded.waiting_for is None


def test_the_work_queue_lists_waiting_cases_soonest_first(repos: Repositories) -> None:
    for n, hours in ((1, 30), (2, 5), (3, 50)):
        repos.cases.create(a_case(case_id=f"acc-{n}#1", account_id=f"acc-{n}"))
        repos.cases.set_queue(f"acc-{n}#1", "AGENT_CALL", T0 + timedelta(hours=hours))
    repos.cases.create(a_case(case_id="acc-9#1", account_id="acc-9"))  # not waiting
    due = repos.cases.work_queue("AGENT_CALL", due_before=T0 + timedelta(hours=40))
    assert [c.case_id for c in due] == ["acc-2#1", "acc-1#1"]
    repos.cases.clear_queue("acc-2#1")
    assert [c.case_id for c in repos.cases.work_queue("AGENT_CALL")] == ["acc-1#1", "acc-3#1"]


def test_latest_for_account_is_the_highest_cycle(repos: Repositories) -> None:
    repos.cases.create(a_case(status=CaseStatus.PAID))
    repos.cases.create(a_case(case_id="acc-1#2", cycle=2))
    latest = repos.cases.latest_for_account("acc-1")
    assert latest is not None and latest.case_id == "acc-1#2"
    assert [c.cycle for c in repos.cases.list_for_account("acc-1")] == [1, 2]


def test_the_ingest_write_is_all_or_nothing(repos: Repositories) -> None:
    # given a borrower at sequence 5
    borrower = BorrowerRecord("acc-1", phone="+8613800000000", last_sequence=5, country="CN")
    repos.ingest.commit(IngestWrite(borrower=borrower, expected_last_sequence=None))
    # when a write decided from an older sequence tries to open a case
    entry = TimelineEntry("acc-1#1", T0, "case_opened", "test", {"cycle": 1})
    with pytest.raises(ConcurrentUpdate):
        repos.ingest.commit(
            IngestWrite(
                borrower=replace(borrower, last_sequence=6),
                expected_last_sequence=4,
                create_case=a_case(),
                timeline=(entry,),
            )
        )
    # then neither the case nor the audit line was written
    assert repos.cases.get("acc-1#1") is None
    assert repos.timeline.list("acc-1#1") == []
    stored = repos.borrowers.get("acc-1")
    assert stored is not None and stored.last_sequence == 5


def test_an_ingest_never_overwrites_an_opt_out(repos: Repositories) -> None:
    # given a borrower who opted out of SMS after the ingest read the record
    borrower = BorrowerRecord("acc-1", phone="+8613800000000", last_sequence=1, country="CN")
    repos.ingest.commit(IngestWrite(borrower=borrower, expected_last_sequence=None))
    repos.borrowers.add_opt_out("acc-1", Channel.SMS)
    repos.borrowers.add_flag("acc-1", "bankruptcy")
    # when the ingest writes its (older) view of the borrower
    repos.ingest.commit(
        IngestWrite(borrower=replace(borrower, last_sequence=2), expected_last_sequence=1)
    )
    # then the opt-out and flag stay
    stored = repos.borrowers.get("acc-1")
    assert stored is not None and stored.last_sequence == 2
    assert stored.opted_out == frozenset({Channel.SMS}) and stored.flags == frozenset(
        {"bankruptcy"}
    )


def test_an_ingest_lifts_only_the_stopped_channels_it_names(repos: Repositories) -> None:
    # given a borrower whose email bounced and whose number failed
    borrower = BorrowerRecord("acc-1", phone="+8613800000000", last_sequence=1, country="CN")
    repos.ingest.commit(IngestWrite(borrower=borrower, expected_last_sequence=None))
    repos.borrowers.mark_unreachable("acc-1", Channel.EMAIL)
    repos.borrowers.mark_unreachable("acc-1", Channel.SMS)
    # when an ingest reopens SMS (a new number) and says nothing of email
    repos.ingest.commit(
        IngestWrite(
            borrower=replace(borrower, last_sequence=2),
            expected_last_sequence=1,
            reachable_again=frozenset({Channel.SMS}),
        )
    )
    # then SMS is open again and email stays stopped
    stored = repos.borrowers.get("acc-1")
    assert stored is not None
    assert (stored.sms_failed, stored.email_bounced) == (False, True)


def test_a_late_report_about_the_old_number_does_not_stop_the_new_one(
    repos: Repositories,
) -> None:
    # given a failed number, then a payment event bringing a new one at T0 + 1 h
    borrower = BorrowerRecord("acc-1", phone="+8613800000000", last_sequence=1, country="CN")
    repos.ingest.commit(IngestWrite(borrower=borrower, expected_last_sequence=None))
    assert repos.borrowers.record_reachability("acc-1", Channel.SMS, True, T0)
    changed = T0 + timedelta(hours=1)
    repos.ingest.commit(
        IngestWrite(
            borrower=replace(borrower, phone="+8613900000001", last_sequence=2, updated_at=changed),
            expected_last_sequence=1,
            reachable_again=frozenset({Channel.SMS}),
        )
    )
    # when a failure report arrives late for a text sent to the old number before the change
    applied = repos.borrowers.record_reachability(
        "acc-1", Channel.SMS, True, changed - timedelta(minutes=5)
    )
    # then it is stale, and the new number stays open; a failure of a later text still counts
    stored = repos.borrowers.get("acc-1")
    assert not applied and stored is not None and stored.sms_failed is False
    assert repos.borrowers.record_reachability(
        "acc-1", Channel.SMS, True, changed + timedelta(minutes=5)
    )


def test_an_ingest_update_leaves_ladder_fields_alone(repos: Repositories) -> None:
    # given a case the ingest read at version 0
    repos.cases.create(a_case())
    read = repos.cases.get("acc-1#1")
    assert read is not None
    # and the state machine then moved it (direct writes that do not bump version)
    repos.cases.set_queue("acc-1#1", "AGENT_CALL", T0 + timedelta(days=2))
    repos.cases.store_task_token("acc-1#1", "call-token", "agent_outcome")
    # when the ingest writes a payment decided from its read
    paid = replace(read, status=CaseStatus.PAYMENT_PENDING, stage=Stage.ASSESS, queue=None)
    repos.ingest.commit(IngestWrite(update_case=paid, expected_case_version=0))
    # then the payment status is applied and the ladder's fields survive
    stored = repos.cases.get("acc-1#1")
    assert stored is not None
    assert stored.status is CaseStatus.PAYMENT_PENDING and stored.version == 1
    assert (stored.queue, stored.task_token) == ("AGENT_CALL", "call-token")


def test_timeline_entries_get_unique_time_ordered_keys(repos: Repositories) -> None:
    written = [
        repos.timeline.append(TimelineEntry("acc-1#1", T0, "stage_entered", "test", {"n": n}))
        for n in range(5)
    ]
    later = repos.timeline.append(TimelineEntry("acc-1#1", T0 + timedelta(seconds=1), "x", "t"))
    keys = [e.entry_key for e in repos.timeline.list("acc-1#1")]
    assert keys == sorted(keys) and len(set(keys)) == 6
    assert keys[-1] == later.entry_key
    assert [e.detail["n"] for e in repos.timeline.list("acc-1#1")[:5]] == list(range(5))
    assert written[0].entry_key.startswith("2026-11-02T01:00:00.000000Z#")


def test_a_timeline_read_of_some_kinds_keeps_their_order_and_drops_the_rest(
    repos: Repositories,
) -> None:
    kinds = ["case_opened", "contact_sent", "payment", "contact_sent", "payment"]
    for n, kind in enumerate(kinds):
        repos.timeline.append(
            TimelineEntry("acc-1#1", T0 + timedelta(hours=n), kind, "t", {"n": n})
        )
    wanted = repos.timeline.list("acc-1#1", ("payment", "case_opened"))
    assert [(e.kind, e.detail["n"]) for e in wanted] == [
        ("case_opened", 0),
        ("payment", 2),
        ("payment", 4),
    ]
    assert len(repos.timeline.list("acc-1#1")) == 5
    assert repos.timeline.list("acc-1#1", ("reply_analysed",)) == []


def test_timeline_items_expire_years_later(monkeypatch: pytest.MonkeyPatch) -> None:
    with repositories("dynamo", monkeypatch) as repos:
        repos.timeline.append(TimelineEntry("acc-1#1", T0, "case_opened", "test"))
        client = boto3.client("dynamodb", region_name=REGION)
        [item] = client.scan(TableName="arrears-timeline")["Items"]
    expires = datetime.fromtimestamp(int(item["expires_at"]["N"]), UTC)
    assert expires - T0 >= timedelta(days=7 * 365)


def test_queue_due_at_is_stored_in_the_escalation_asls_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One format for the work_queue sort key: what the ASL copies from ``wait_until``."""
    from arrears.adapters.ops import count_waiting
    from arrears.domain.ladder import NextStep, Route

    with repositories("dynamo", monkeypatch) as dynamo:
        client = boto3.client("dynamodb", region_name=REGION)
        table = client.list_tables()["TableNames"]
        cases_table = next(name for name in table if "case" in name.lower())
        # given one case queued by the escalation ASL (it copies the step's wait_until
        # string into queue_due_at), and two queued through the repository
        asl_due = T0 + timedelta(hours=1)
        for n in (1, 2, 3):
            dynamo.cases.create(a_case(case_id=f"acc-{n}#1", account_id=f"acc-{n}"))
        asl_value = NextStep(Route.AGENT_CALL_OUTCOME, asl_due).as_output()["wait_until"]
        client.update_item(
            TableName=cases_table,
            Key={"case_id": {"S": "acc-2#1"}},
            UpdateExpression="SET #q = :q, queue_due_at = :due",
            ExpressionAttributeNames={"#q": "queue"},
            ExpressionAttributeValues={":q": {"S": "AGENT_CALL"}, ":due": {"S": asl_value}},
        )
        dynamo.cases.set_queue("acc-1#1", "AGENT_CALL", asl_due)  # the same instant
        dynamo.cases.set_queue("acc-3#1", "AGENT_CALL", asl_due + timedelta(minutes=30))

        # then the repository stored the same string the ASL did for the same instant
        def stored(case_id: str) -> str:
            item = client.get_item(TableName=cases_table, Key={"case_id": {"S": case_id}})
            return str(item["Item"]["queue_due_at"]["S"])

        assert stored("acc-1#1") == stored("acc-2#1") == asl_value
        assert stored("acc-3#1").endswith("+00:00")
        # and the range filters treat both writers alike: due by the ASL instant are the
        # two cases due then, not the later one; past it, the later one is not overdue
        due = dynamo.cases.work_queue("AGENT_CALL", due_before=asl_due)
        assert sorted(c.case_id for c in due) == ["acc-1#1", "acc-2#1"]
        assert count_waiting("AGENT_CALL", asl_due + timedelta(minutes=1), client) == (3, 2)


def test_the_ladders_conditional_case_writes_do_not_read_the_case_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a case item is the largest the ladder writes: marking an action done, parking and
    # clearing a token only need to know whether their condition held
    from botocore.client import BaseClient

    with repositories("dynamo", monkeypatch) as repos:
        repos.cases.create(a_case())
        sent: list[str] = []
        original = BaseClient._make_api_call

        def recording(self: object, operation: str, params: dict[str, object]) -> object:
            if operation == "UpdateItem":
                sent.append(str(params.get("ReturnValues", "NONE")))
            return original(self, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", recording)
        assert repos.cases.mark_action_done("acc-1#1", "reminder:sms") is True
        assert repos.cases.mark_action_done("acc-1#1", "reminder:sms") is False
        assert repos.cases.park_execution("acc-1#1", "parked-1") is True
        assert repos.cases.clear_parked("acc-1#1", "parked-2") is False
        assert repos.cases.clear_parked("acc-1#1", "parked-1") is True
        assert sent == ["NONE"] * 5
        stored = repos.cases.get("acc-1#1")
        assert stored is not None and stored.done_actions == {"reminder:sms"}
        assert stored.parked is None
