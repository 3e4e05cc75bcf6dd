"""The contact ledger: claim() writes every decision and keeps caps true under races.

Every test runs against the in-memory fake and the pynamodb adapter on moto.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import boto3
from arrears import topology
from arrears.adapters.ledger import (
    HEAD_KEY,
    ContactLedger,
    InMemoryContactLedger,
    entry_key,
)
from arrears.domain.compliance import Purpose, Reason, Verdict, candidate_zones
from arrears.domain.types import CaseStatus, Channel
from compliance_builders import intent, pack, utc
from compliance_oracle import cap_violations, sent_entries
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_doubles import RacingDynamo, RacingMemory, fresh_profile

from tests.support.aws import REGION

TEN_AM_NY = utc(2026, 11, 3, 15, 0)
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def test_allowed_claim_writes_a_reserved_entry_in_the_contract_shape(make_ledger):
    # given an empty ledger
    ledger, borrower = make_ledger(), fresh_profile()
    # when an SMS in contact hours is claimed
    decision = ledger.claim(intent(TEN_AM_NY), borrower, pack("us"), "reminder")
    # then it is allowed and reserved (sent once the provider takes it), with local time
    # and retention, and it holds its slot
    assert decision.verdict is Verdict.ALLOW
    (entry,) = ledger.entries(borrower.account_id)
    assert entry.entry_key == "2026-11-03T15:00:00.000000Z#sms#acc-1#1"
    assert (entry.decision, entry.reason, entry.template) == ("reserved", "allowed", "reminder")
    assert entry.local_time == "2026-11-03T10:00:00-05:00"
    assert entry.expires_at is not None and entry.expires_at - entry.at == timedelta(days=1096)
    assert [r.at for r in ledger.history(borrower.account_id, LONG_AGO)] == [TEN_AM_NY]


def test_deferred_and_blocked_claims_are_recorded_but_take_no_slot(make_ledger):
    ledger, borrower = make_ledger(), fresh_profile()
    night = utc(2026, 11, 3, 7, 0)
    deferred = ledger.claim(intent(night), borrower, pack("us"), "reminder")
    blocked = ledger.claim(
        intent(TEN_AM_NY, status=CaseStatus.PAID), borrower, pack("us"), "reminder"
    )
    assert (deferred.verdict, blocked.verdict) == (Verdict.DEFER, Verdict.BLOCK)
    decisions = [(e.decision, e.reason) for e in ledger.entries(borrower.account_id)]
    assert decisions == [("deferred", "outside_contact_hours"), ("blocked", "case_paid")]
    stored = ledger.entries(borrower.account_id)[0]
    assert stored.not_before == deferred.not_before
    assert ledger.history(borrower.account_id, LONG_AGO) == []
    # the slot is still free: a claim in hours goes through
    assert ledger.claim(intent(TEN_AM_NY), borrower, pack("us"), "reminder").allowed


def test_replayed_claim_takes_no_second_slot_but_honours_a_new_opt_out(make_ledger):
    ledger, borrower = make_ledger(), fresh_profile()
    first = ledger.claim(intent(TEN_AM_NY), borrower, pack("us"), "reminder")
    again = ledger.claim(intent(TEN_AM_NY), borrower, pack("us"), "reminder")
    assert first.allowed and again.allowed and again.rule == "replay"
    assert len(ledger.history(borrower.account_id, LONG_AGO)) == 1
    opted_out = borrower.__class__(**{**borrower.__dict__, "opted_out": frozenset({Channel.SMS})})
    late = ledger.claim(intent(TEN_AM_NY), opted_out, pack("us"), "reminder")
    assert (late.verdict, late.reason) == (Verdict.BLOCK, Reason.CHANNEL_OPTED_OUT)


def test_a_different_message_at_the_same_instant_is_a_separate_claim(make_ledger):
    ledger, borrower = make_ledger(), fresh_profile()
    receipt = intent(TEN_AM_NY, purpose=Purpose.RECEIPT)
    assert ledger.claim(receipt, borrower, pack("us"), "receipt").allowed
    reminder = ledger.claim(intent(TEN_AM_NY), borrower, pack("us"), "reminder")
    # the receipt counts toward the daily SMS cap, so the reminder waits for tomorrow
    assert (reminder.verdict, reminder.rule) == (Verdict.DEFER, "sms_daily")
    keys = [e.entry_key for e in ledger.entries(borrower.account_id)]
    assert keys == [
        "2026-11-03T15:00:00.000000Z#sms#acc-1#1",
        "2026-11-03T15:00:00.000000Z#sms#acc-1#1#reminder",
    ]


def test_two_executions_cannot_both_take_the_last_slot(make_ledger):
    # given two executions (two debts) each about to send the day's only SMS
    ledger, borrower = make_ledger(), fresh_profile()
    rival_result = []
    ledger.rivals.append(
        lambda: rival_result.append(
            ledger.claim(intent(TEN_AM_NY, case_id="acc-1#2"), borrower, pack("us"), "reminder")
        )
    )
    # when the rival commits between the first one's read and its commit
    mine = ledger.claim(intent(TEN_AM_NY), borrower, pack("us"), "reminder")
    # then exactly one is sent; the loser re-read, re-decided and deferred to tomorrow
    assert rival_result[0].allowed
    assert (mine.verdict, mine.rule) == (Verdict.DEFER, "sms_daily")
    assert len(ledger.history(borrower.account_id, LONG_AGO)) == 1


def test_conversation_marks_the_call_and_starts_the_quiet_period(make_ledger):
    ledger, borrower = make_ledger(), fresh_profile()
    call = intent(TEN_AM_NY, channel=Channel.CALL)
    assert ledger.claim(call, borrower, pack("us"), "agent_call").allowed
    key = entry_key(TEN_AM_NY, Channel.CALL, call.case_id)
    ledger.record_conversation(borrower.account_id, call.case_id, TEN_AM_NY, call_entry_key=key)
    (entry,) = ledger.entries(borrower.account_id)
    assert entry.conversation and entry.attempt
    later = ledger.claim(
        intent(TEN_AM_NY + timedelta(days=2), channel=Channel.CALL), borrower, pack("us"), "c"
    )
    assert later.reason == Reason.CONVERSATION_QUIET_PERIOD


def test_inbound_conversation_is_recorded_as_no_attempt(make_ledger):
    ledger, borrower = make_ledger(), fresh_profile()
    ledger.record_conversation(borrower.account_id, "acc-1#1", TEN_AM_NY, inbound=True)
    (record,) = ledger.history(borrower.account_id, LONG_AGO)
    assert (record.conversation, record.attempt, record.channel) == (True, False, Channel.CALL)
    # not a contact of ours: reports that count "sent" entries do not see it
    assert [e.decision for e in ledger.entries(borrower.account_id)] == ["conversation"]
    later = intent(TEN_AM_NY + timedelta(days=1), channel=Channel.CALL)
    assert ledger.claim(later, borrower, pack("us"), "c").reason == (
        Reason.CONVERSATION_QUIET_PERIOD
    )


def test_history_window_and_head_item_stay_out_of_history(ledger_table):
    # given entries on two days (on DynamoDB, where the HEAD item shares the partition)
    ledger, borrower = ContactLedger(), fresh_profile()
    for day in (3, 5):
        ledger.claim(intent(utc(2026, 11, day, 15)), borrower, pack("us"), "reminder")
    # then history since the 4th holds only the 5th, and never the HEAD item
    since = ledger.history(borrower.account_id, utc(2026, 11, 4))
    assert [r.at.day for r in since] == [5]
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=topology.CONTACT_LEDGER.local_name,
        Key={"account_id": {"S": borrower.account_id}, "entry_key": {"S": HEAD_KEY}},
        ConsistentRead=True,
    )["Item"]
    assert item["version"] == {"N": "2"}


def test_stored_item_attributes_match_the_contract(ledger_table):
    ledger, borrower = ContactLedger(), fresh_profile()
    ledger.claim(intent(TEN_AM_NY), borrower, pack("us"), "reminder")
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=topology.CONTACT_LEDGER.local_name,
        Key={
            "account_id": {"S": borrower.account_id},
            "entry_key": {"S": "2026-11-03T15:00:00.000000Z#sms#acc-1#1"},
        },
    )["Item"]
    assert {
        "case_id",
        "channel",
        "template",
        "decision",
        "reason",
        "at",
        "local_time",
        "conversation",
        "expires_at",
    } <= set(item)
    assert item["decision"] == {"S": "reserved"}
    assert item["at"] == {"S": "2026-11-03T15:00:00+00:00"}
    assert int(item["expires_at"]["N"]) == int((TEN_AM_NY + timedelta(days=1096)).timestamp())


# ----------------------------------------------------------------- races, at random

claims = st.lists(
    st.tuples(
        st.sampled_from([Channel.SMS, Channel.EMAIL, Channel.CALL]),
        st.sampled_from(["acc-1#1", "acc-1#2", "acc-1#3"]),
        st.integers(0, 9 * 60),  # minutes after 10:00 New York time
        st.integers(0, 3),  # how many rivals slip in before this claim commits
    ),
    min_size=2,
    max_size=25,
)


def run_interleaved(ledger, borrower, rules, plan):
    """Run claims; each lets the next few planned claims commit between its read and write."""
    pending = list(plan)
    results = []

    def claim_next():
        if not pending:  # a rival queued by a claim that ended without committing
            return
        channel, case, minutes, rivals = pending.pop(0)
        for _ in range(min(rivals, len(pending))):
            ledger.rivals.append(claim_next)
        wanted = intent(TEN_AM_NY + timedelta(minutes=minutes), channel=channel, case_id=case)
        results.append(ledger.claim(wanted, borrower, rules, f"t{len(results)}-{uuid.uuid4()}"))

    while pending:
        claim_next()
    return results


def assert_no_cap_broken(ledger, borrower, rules, results):
    entries = ledger.entries(borrower.account_id)
    zones = candidate_zones(borrower, rules)
    assert cap_violations(entries, zones, rules) == []
    # every ALLOW holds exactly one sent entry, and nothing else is sent
    assert sum(1 for r in results if r.allowed) == len(sent_entries(entries))


@given(plan=claims, zone=st.sampled_from(["America/New_York", None]))
@settings(max_examples=120, deadline=None)
def test_interleaved_claims_never_break_a_cap_in_memory(plan, zone):
    ledger, borrower, rules = RacingMemory(), fresh_profile(timezone=zone), pack("us")
    results = run_interleaved(ledger, borrower, rules, plan)
    assert_no_cap_broken(ledger, borrower, rules, results)


# fewer and shorter plans on moto: each claim is four or five DynamoDB calls
@given(plan=claims.filter(lambda plan: len(plan) <= 10))
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_interleaved_claims_never_break_a_cap_on_dynamodb(ledger_table, plan):
    ledger, borrower, rules = RacingDynamo(), fresh_profile(), pack("us")
    results = run_interleaved(ledger, borrower, rules, plan)
    assert_no_cap_broken(ledger, borrower, rules, results)


def test_threads_racing_for_one_daily_slot_in_memory():
    # given 16 threads (16 debts of one borrower) wanting today's SMS at the same moment
    ledger, borrower, rules = InMemoryContactLedger(), fresh_profile(), pack("us")

    def claim(n: int):
        return ledger.claim(intent(TEN_AM_NY, case_id=f"acc-1#{n}"), borrower, rules, "r")

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(claim, range(16)))
    # then exactly one is sent and the rest wait for tomorrow morning
    assert sum(r.allowed for r in results) == 1
    assert {r.not_before for r in results if not r.allowed} == {utc(2026, 11, 4, 13, 0)}
    assert len(ledger.history(borrower.account_id, LONG_AGO)) == 1


def test_first_sent_finds_the_first_contact_about_the_debt(make_ledger):
    ledger, borrower = make_ledger(), fresh_profile()
    assert ledger.first_sent(borrower.account_id, "acc-1#1") is None
    ledger.claim(intent(utc(2026, 11, 3, 7)), borrower, pack("us"), "reminder")  # deferred
    for claimed in (
        intent(TEN_AM_NY, case_id="acc-1#2"),
        intent(TEN_AM_NY, channel=Channel.EMAIL),
    ):
        _, key = ledger.reserve(claimed, borrower, pack("us"), "reminder")
        # only a reservation the provider took is a contact that went out
        assert ledger.first_sent(borrower.account_id, claimed.case_id) is None
        assert ledger.settle(borrower.account_id, key, "sent", message_id="m-1")
    assert ledger.first_sent(borrower.account_id, "acc-1#1") == TEN_AM_NY
    assert ledger.first_sent(borrower.account_id, "acc-1#3") is None


def test_ledger_model_matches_the_topology_spec():
    from arrears.adapters.ledger import ContactLedgerModel

    spec = topology.CONTACT_LEDGER
    attributes = ContactLedgerModel.get_attributes()
    hash_key = next(name for name, a in attributes.items() if a.is_hash_key)
    range_key = next(name for name, a in attributes.items() if a.is_range_key)
    assert (hash_key, range_key) == (spec.partition_key.name, spec.sort_key.name)
    assert type(attributes[spec.ttl_attribute]).__name__ == "TTLAttribute"


def test_conversation_at_the_same_instant_as_a_claimed_call_keeps_both(make_ledger):
    # given a claimed call, and an inbound conversation logged at the very same instant
    ledger, borrower = make_ledger(), fresh_profile()
    assert ledger.claim(intent(TEN_AM_NY, channel=Channel.CALL), borrower, pack("us"), "c").allowed
    ledger.record_conversation(borrower.account_id, "acc-1#1", TEN_AM_NY, inbound=True)
    # then the call still counts as an attempt, and the conversation is there too
    records = ledger.history(borrower.account_id, LONG_AGO)
    assert sorted((r.attempt, r.conversation) for r in records) == [(False, True), (True, False)]


def test_a_failed_send_frees_its_slot_and_a_sent_one_keeps_it(make_ledger):
    # given a US pack's SMS cap, and a reserved SMS
    ledger, borrower = make_ledger(), fresh_profile()
    decision, key = ledger.reserve(intent(TEN_AM_NY), borrower, pack("us"), "reminder")
    assert decision.verdict is Verdict.ALLOW
    # the reservation holds its slot while the provider call is under way
    assert len(ledger.history(borrower.account_id, LONG_AGO)) == 1
    # when the provider throttles it, it is recorded failed with the reason and frees the slot
    assert ledger.settle(borrower.account_id, key, "failed", "Throttling")
    (entry,) = ledger.entries(borrower.account_id)
    assert (entry.decision, entry.reason) == ("failed", "Throttling")
    assert ledger.history(borrower.account_id, LONG_AGO) == []
    # a failed entry cannot be settled again (it is not reserved any more)
    assert not ledger.settle(borrower.account_id, key, "sent", message_id="m-1")
    # and the retry a minute later is reserved afresh and becomes sent with the message id
    retry = intent(TEN_AM_NY + timedelta(minutes=1))
    decision, again = ledger.reserve(retry, borrower, pack("us"), "reminder")
    assert decision.verdict is Verdict.ALLOW and again != key
    assert ledger.settle(borrower.account_id, again, "sent", message_id="m-1")
    sent = [e for e in ledger.entries(borrower.account_id) if e.decision == "sent"]
    assert [(e.entry_key, e.message_id) for e in sent] == [(again, "m-1")]
    assert len(ledger.history(borrower.account_id, LONG_AGO)) == 1
