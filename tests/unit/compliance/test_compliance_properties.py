"""Property tests: random schedules, zones and interleavings never break a rule.

A small discrete-event simulation drives the in-memory ledger the way executions do:
contacts at random times (a deferred one retries at its not_before), mixed with
borrower events (opt-out, cease, payment, conversation). Afterwards independent oracles
audit the ledger: zero contacts outside allowed hours, zero cap or quiet-period
violations, zero contacts after opt-out, cease or payment.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta

from arrears.adapters.ledger import InMemoryContactLedger
from arrears.domain.compliance import Purpose, Verdict, candidate_zones, decide
from arrears.domain.types import BorrowerProfile, CaseStatus, Channel
from compliance_builders import intent, pack, profile, sent, utc
from compliance_oracle import (
    cap_violations,
    hours_violations,
    quiet_period_violations,
    sent_entries,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import event as hypothesis_event
from hypothesis import strategies as st

# Zones with DST both ways, half- and quarter-hour offsets, and multi-zone countries.
PROFILES = [
    {"timezone": "America/New_York", "country": "US"},
    {"timezone": "America/St_Johns", "country": "CA"},
    {"timezone": "Asia/Kolkata", "country": "IN"},
    {"timezone": "Australia/Adelaide", "country": "AU"},
    {"timezone": "Australia/Lord_Howe", "country": "AU"},
    {"timezone": "Asia/Kathmandu", "country": "NP"},
    {"timezone": "Europe/London", "country": "GB"},
    {"timezone": "Asia/Shanghai", "country": "CN"},
    {"timezone": None, "country": "US"},  # 29 zones
    {"timezone": None, "country": "AU"},  # +08:00 .. +11:00 incl. +10:30 and +08:45
    {"timezone": None, "country": "CA", "phone": "+17095550123"},  # Newfoundland by phone
]
# 2026 DST changes: US 8 Mar / 1 Nov, EU 29 Mar / 25 Oct, AU 5 Apr / 4 Oct
ANCHORS = [
    utc(2026, 3, 8, 7),
    utc(2026, 11, 1, 6),
    utc(2026, 3, 29, 1),
    utc(2026, 10, 25, 1),
    utc(2026, 4, 4, 16),
    utc(2026, 10, 3, 16),
    utc(2026, 12, 24, 12),
]
PACKS = ["us", "cn", "gb", "default"]
CASES = ["acc-1#1", "acc-1#2"]

instants = st.builds(
    lambda anchor, minutes: anchor + timedelta(minutes=minutes),
    st.sampled_from(ANCHORS),
    st.integers(-3 * 24 * 60, 3 * 24 * 60),
)


def make_profile(index: int, **changes) -> BorrowerProfile:
    spec = dict(PROFILES[index])
    return replace(profile(**spec), **changes)


@given(
    profile_index=st.integers(0, len(PROFILES) - 1),
    pack_name=st.sampled_from(PACKS),
    at=instants,
    channel=st.sampled_from([Channel.SMS, Channel.EMAIL, Channel.CALL]),
)
@settings(max_examples=200, deadline=None)
def test_deferral_is_the_earliest_allowed_instant(profile_index, pack_name, at, channel):
    # given any borrower, pack, channel and instant, with an empty ledger
    borrower, rules = make_profile(profile_index), pack(pack_name)
    wanted = intent(at, channel=channel)
    # when the gate is asked
    decision = decide(wanted, borrower, [], rules)
    # then an ALLOW is inside the hours in every zone, and a DEFER names an instant that
    # is allowed while the minute before it is not
    if decision.verdict is Verdict.ALLOW:
        return
    assert decision.verdict is Verdict.DEFER, decision
    assert decision.not_before > at
    assert decide(replace(wanted, at=decision.not_before), borrower, [], rules).allowed
    before = decision.not_before - timedelta(minutes=1)
    if before >= at:
        assert not decide(replace(wanted, at=before), borrower, [], rules).allowed
    for moment in possible_starts(at, decision.not_before, candidate_zones(borrower, rules), rules):
        assert not decide(replace(wanted, at=moment), borrower, [], rules).allowed, moment


@given(
    profile_index=st.integers(0, len(PROFILES) - 1),
    pack_name=st.sampled_from(PACKS),
    at=instants,
    channel=st.sampled_from([Channel.SMS, Channel.CALL]),
    past=st.lists(
        st.tuples(
            st.integers(0, 9 * 24 * 60),  # minutes before `at`
            st.sampled_from(CASES),
            st.booleans(),  # a conversation
        ),
        max_size=12,
    ),
)
@settings(max_examples=200, deadline=None)
def test_deferral_past_caps_is_the_earliest_allowed_instant(
    profile_index, pack_name, at, channel, past
):
    # given a ledger of earlier contacts on the same channel (some calls reached the borrower)
    borrower, rules = make_profile(profile_index), pack(pack_name)
    history = [
        sent(
            at - timedelta(minutes=minutes),
            channel=channel,
            case_id=case,
            conversation=talk and channel is Channel.CALL,
        )
        for minutes, case, talk in past
    ]
    wanted = intent(at, channel=channel)
    # when the gate is asked
    decision = decide(wanted, borrower, history, rules)
    # then a deferral names an allowed instant, and the minute before it is not allowed
    if decision.verdict is not Verdict.DEFER:
        return
    assert decide(replace(wanted, at=decision.not_before), borrower, history, rules).allowed
    # and nothing earlier is: allowed time can only begin at `at`, at a local start of
    # contact hours or at a local midnight, so trying each of those is exhaustive
    for moment in possible_starts(at, decision.not_before, candidate_zones(borrower, rules), rules):
        assert not decide(replace(wanted, at=moment), borrower, history, rules).allowed, moment


def possible_starts(since, until, zones, rules):
    moments = {since}
    for zone in zones:
        day = since.astimezone(zone).date()
        while True:
            starts = [
                datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)
                for clock in (rules.contact_hours.start, time(0))
            ]
            moments.update(m for m in starts if since <= m < until)
            if min(starts) >= until:
                break
            day += timedelta(days=1)
    return sorted(moments)


# ----------------------------------------------------------------- schedules


@dataclass(order=True)
class Event:
    at: datetime
    seq: int
    kind: str = field(compare=False)
    channel: Channel = field(compare=False, default=Channel.SMS)
    purpose: Purpose = field(compare=False, default=Purpose.COLLECTION)
    case: str = field(compare=False, default=CASES[0])
    tries: int = field(compare=False, default=0)


# mostly contacts (so caps fill up), now and then a borrower event
operations = st.tuples(
    st.sampled_from(
        ["contact"] * 12
        + ["opt_out", "cease", "pay", "pending", "conversation", "dispute"]
        + ["conversation"] * 2
    ),
    st.sampled_from([Channel.SMS, Channel.EMAIL, Channel.CALL, Channel.CALL, Channel.LETTER]),
    st.sampled_from([Purpose.COLLECTION] * 4 + [Purpose.RECEIPT, Purpose.REQUIRED_NOTICE]),
    st.sampled_from(CASES),
)
schedules = st.lists(
    st.tuples(
        operations,
        # minutes after the previous event: bursts and spread-out days
        st.one_of(st.integers(0, 90), st.integers(0, 36 * 60)),
    ),
    min_size=1,
    max_size=60,
)


def simulate(borrower: BorrowerProfile, rules, start: datetime, schedule):
    ledger = InMemoryContactLedger()
    queue: list[Event] = []
    now = start
    for seq, ((kind, channel, purpose, case), gap) in enumerate(schedule):
        now += timedelta(minutes=gap)
        heapq.heappush(queue, Event(now, seq, kind, channel, purpose, case))
    status = dict.fromkeys(CASES, CaseStatus.OPEN)
    # "opt_out:sms", "cease", "pay:<case>" -> when it first happened, as a processing step
    # (events at the same instant happen in schedule order, so time alone cannot tell)
    events_at: dict[str, int] = {}
    sends: list[tuple[str, Channel, str, Purpose, int]] = []  # key, channel, case, purpose, step
    seq = len(schedule)
    step = 0
    while queue:
        event = heapq.heappop(queue)
        step += 1
        if event.kind == "contact":
            wanted = intent(
                event.at,
                channel=event.channel,
                purpose=event.purpose,
                case_id=event.case,
                status=status[event.case],
            )
            decision = ledger.claim(wanted, borrower, rules, template=event.purpose.value)
            hypothesis_event(f"{decision.verdict}:{decision.reason}")
            if decision.allowed:  # a new send, or a replay of one (the caller sends again)
                (allowed,) = [
                    e
                    for e in ledger.entries(borrower.account_id)
                    if e.at == event.at
                    and e.channel == event.channel
                    and e.case_id == event.case
                    and e.template == event.purpose.value
                ]
                sends.append((allowed.entry_key, event.channel, event.case, event.purpose, step))
            if decision.verdict is Verdict.DEFER and event.tries < 4:
                assert decision.not_before is not None and decision.not_before > event.at
                seq += 1
                heapq.heappush(
                    queue, replace(event, at=decision.not_before, seq=seq, tries=event.tries + 1)
                )
        elif event.kind == "opt_out":
            borrower = replace(borrower, opted_out=borrower.opted_out | {event.channel})
            events_at.setdefault(f"opt_out:{event.channel}", step)
        elif event.kind == "cease":
            borrower = replace(borrower, cease_communication=True)
            events_at.setdefault("cease", step)
        elif event.kind in ("pay", "pending"):
            if not status[event.case].is_terminal:
                paid = event.kind == "pay"
                status[event.case] = CaseStatus.PAID if paid else CaseStatus.PAYMENT_PENDING
                events_at.setdefault(f"pay:{event.case}", step)
        elif event.kind == "dispute":
            if status[event.case] is CaseStatus.OPEN:
                status[event.case] = CaseStatus.DISPUTED
        elif event.kind == "conversation":
            calls = [
                e
                for e in sent_entries(ledger.entries(borrower.account_id))
                if e.channel is Channel.CALL and e.case_id == event.case and e.at <= event.at
            ]
            if calls:  # the latest call reached the borrower
                ledger.record_conversation(
                    borrower.account_id,
                    event.case,
                    calls[-1].at,
                    call_entry_key=calls[-1].entry_key,
                )
    return ledger, events_at, sends


def purpose_of(entry) -> Purpose:
    # the simulation writes the purpose as the template id; conversations are collection
    return Purpose(entry.template) if entry.template in set(Purpose) else Purpose.COLLECTION


def wish_violations(entries, events_at, sends) -> list[str]:
    """Sends at or after an opt-out, cease or payment (in processing order)."""
    out = []
    sent_keys = {key for key, *_ in sends}
    for entry in sent_entries(entries):
        if entry.template != "conversation" and entry.entry_key not in sent_keys:
            out.append(f"{entry.entry_key} in the ledger but never allowed")
    for key, channel, case, purpose, step in sends:
        opted = events_at.get(f"opt_out:{channel}")
        if opted is not None and step > opted:
            out.append(f"{key} after opt-out")
        ceased = events_at.get("cease")
        if ceased is not None and step > ceased and purpose is not Purpose.REQUIRED_NOTICE:
            out.append(f"{key} after cease")
        paid = events_at.get(f"pay:{case}")
        if paid is not None and step > paid and purpose is not Purpose.RECEIPT:
            out.append(f"{key} after payment")
    return out


@given(
    profile_index=st.integers(0, len(PROFILES) - 1),
    pack_name=st.sampled_from(PACKS),
    start=instants,
    schedule=schedules,
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_schedules_never_break_a_rule(profile_index, pack_name, start, schedule):
    # given a borrower, a pack and a random mix of contacts and borrower events
    borrower, rules = make_profile(profile_index), pack(pack_name)
    # when executions claim contacts in time order, retrying deferred ones when told
    ledger, events_at, sends = simulate(borrower, rules, start, schedule)
    entries = ledger.entries(borrower.account_id)
    zones = candidate_zones(borrower, rules)
    # then the ledger holds no contact the rules forbid
    assert hours_violations(entries, zones, rules, borrower.country) == []
    assert cap_violations(entries, zones, rules, purpose_of) == []
    assert quiet_period_violations(entries, zones, rules, purpose_of) == []
    assert wish_violations(entries, events_at, sends) == []


call_barrages = st.lists(
    st.tuples(
        st.tuples(
            st.sampled_from(["contact"] * 10 + ["conversation"]),
            st.just(Channel.CALL),
            st.just(Purpose.COLLECTION),
            st.sampled_from(CASES),
        ),
        st.integers(0, 8 * 60),
    ),
    min_size=8,
    max_size=60,
)


@given(
    profile_index=st.integers(0, len(PROFILES) - 1),
    start=instants,
    schedule=call_barrages,
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_call_barrages_never_exceed_regulation_f(profile_index, start, schedule):
    # given an agent queue that keeps asking to call about two debts, with conversations
    borrower, rules = make_profile(profile_index), pack("us")
    # when every call is claimed (and deferred ones retried when told)
    ledger, _, _ = simulate(borrower, rules, start, schedule)
    entries = ledger.entries(borrower.account_id)
    zones = candidate_zones(borrower, rules)
    # then no debt ever saw more than 7 calls in 7 local days, or a call in the 7 days
    # after a conversation, or a call outside 08:00-21:00 local
    assert cap_violations(entries, zones, rules, purpose_of) == []
    assert quiet_period_violations(entries, zones, rules, purpose_of) == []
    assert hours_violations(entries, zones, rules, borrower.country) == []
