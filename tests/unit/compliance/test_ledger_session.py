"""LedgerSession: one step invocation reads the ledger once, and caps still hold.

Every test runs against the in-memory fake and the pynamodb adapter on moto.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from arrears.domain.compliance import Verdict, candidate_zones
from arrears.domain.types import Channel
from compliance_builders import intent, pack, utc
from compliance_oracle import cap_violations, sent_entries
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_doubles import RacingDynamo, RacingMemory, fresh_profile

TEN_AM_NY = utc(2026, 11, 3, 15, 0)
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
SINCE = TEN_AM_NY - timedelta(days=60)


def test_two_channels_of_one_step_read_the_ledger_once(make_ledger):
    # given a borrower with no contact yet and one step invocation's session
    ledger, borrower = make_ledger(), fresh_profile()
    session = ledger.session(SINCE)
    # when the step claims an SMS and an email at the same instant and looks up its history
    sms = session.claim(intent(TEN_AM_NY), borrower, pack("us"), "reminder")
    email = session.claim(
        intent(TEN_AM_NY, channel=Channel.EMAIL), borrower, pack("us"), "reminder"
    )
    seen = session.entries(borrower.account_id, since=SINCE)
    # then both are sent, and the head and the entries were each read once, nothing else
    assert sms.allowed and email.allowed
    assert ledger.reads == Counter({"head": 1, "entries": 1})
    # and the session's view holds exactly what the table holds
    assert seen == ledger.entries(borrower.account_id, since=SINCE)
    assert [e.channel for e in seen] == [Channel.EMAIL, Channel.SMS]


def test_a_rival_commit_between_two_claims_of_a_session_is_seen(make_ledger):
    # given a session that has read the ledger and sent today's SMS for one debt
    ledger, borrower = make_ledger(), fresh_profile()
    session = ledger.session(SINCE)
    assert session.claim(intent(TEN_AM_NY), borrower, pack("us"), "reminder").allowed
    # when another execution takes a slot right before the session's next commit
    rival = []
    ledger.rivals.append(
        lambda: rival.append(
            ledger.claim(
                intent(TEN_AM_NY, channel=Channel.EMAIL, case_id="acc-1#2"),
                borrower,
                pack("us"),
                "reminder",
            )
        )
    )
    later = intent(TEN_AM_NY + timedelta(minutes=5), channel=Channel.EMAIL)
    mine = session.claim(later, borrower, pack("us"), "reminder")
    # then the session's commit failed on the moved head, it re-read and decided again:
    # the rival's email is in its history, and the caps hold
    assert rival[0].allowed
    entries = ledger.entries(borrower.account_id)
    assert cap_violations(entries, candidate_zones(borrower, pack("us")), pack("us")) == []
    assert sum(1 for e in entries if e.decision in ("reserved", "sent")) == 2 + int(mine.allowed)
    assert ledger.reads["head"] == 2 + 1  # the session twice, the rival once
    if not mine.allowed:
        assert mine.verdict is Verdict.DEFER


def test_a_replayed_claim_in_a_session_takes_no_second_slot(make_ledger):
    # given a contact already claimed by an earlier attempt of the same step
    ledger, borrower = make_ledger(), fresh_profile()
    assert ledger.claim(intent(TEN_AM_NY), borrower, pack("us"), "reminder").allowed
    # when the retried step claims it again through its session
    again = ledger.session(SINCE).claim(intent(TEN_AM_NY), borrower, pack("us"), "reminder")
    # then it is the replay of the same slot
    assert again.allowed and again.rule == "replay"
    assert len(ledger.history(borrower.account_id, LONG_AGO)) == 1


def test_a_lookup_older_than_the_view_reads_the_table_again(make_ledger):
    # given a contact sent long before the session's window
    ledger, borrower = make_ledger(), fresh_profile()
    old = TEN_AM_NY - timedelta(days=90)
    assert ledger.claim(intent(old), borrower, pack("us"), "reminder").allowed
    session = ledger.session(SINCE)
    assert session.entries(borrower.account_id, since=SINCE) == []
    # when the step asks for older entries
    found = session.entries(borrower.account_id, since=old)
    # then they are read, not missed
    assert [e.at for e in found] == [old]


# ----------------------------------------------------------------- races, at random

plans = st.lists(
    st.tuples(
        st.sampled_from([Channel.SMS, Channel.EMAIL, Channel.CALL]),
        st.integers(0, 9 * 60),  # minutes after 10:00 New York time
        st.integers(0, 2),  # how many rival claims commit right before this one's commit
    ),
    min_size=2,
    max_size=12,
)


def _run_session_with_rivals(ledger, borrower, rules, plan):
    session = ledger.session(SINCE)
    results = []
    for n, (channel, minutes, rivals) in enumerate(plan):
        at = TEN_AM_NY + timedelta(minutes=minutes)
        for r in range(rivals):
            rival = intent(at, channel=channel, case_id=f"acc-1#{n + 10}-{r}")
            ledger.rivals.append(
                lambda rival=rival: results.append(ledger.claim(rival, borrower, rules, "r"))
            )
        mine = intent(at, channel=channel, case_id="acc-1#1")
        results.append(session.claim(mine, borrower, rules, f"t{n}"))
        ledger.rivals.clear()  # a claim that did not commit let no rival in
    return results


def _assert_caps(ledger, borrower, rules, results):
    entries = ledger.entries(borrower.account_id)
    assert cap_violations(entries, candidate_zones(borrower, rules), rules) == []
    assert sum(1 for r in results if r.allowed) == len(sent_entries(entries))


@given(plan=plans)
@settings(max_examples=80, deadline=None)
def test_a_session_with_rivals_never_breaks_a_cap_in_memory(plan):
    ledger, borrower, rules = RacingMemory(), fresh_profile(), pack("us")
    _assert_caps(ledger, borrower, rules, _run_session_with_rivals(ledger, borrower, rules, plan))


@given(plan=plans.filter(lambda plan: len(plan) <= 6))
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_a_session_with_rivals_never_breaks_a_cap_on_dynamodb(ledger_table, plan):
    ledger, borrower, rules = RacingDynamo(), fresh_profile(), pack("us")
    _assert_caps(ledger, borrower, rules, _run_session_with_rivals(ledger, borrower, rules, plan))
