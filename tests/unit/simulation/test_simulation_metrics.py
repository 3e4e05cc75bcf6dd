"""Every metric of a policy run against a three-case portfolio worked out by hand.

The portfolio (run start 2026-11-02 00:00 UTC, 40 days, so the end is 2026-12-12):
- acc-a  USD 100 owed, due 11-01, opened 11-02; pays 40 on 11-05 09:00 and the rest on
         11-10 12:00 (PAID). SMS 10 h after opening, email the next day.
- acc-b  GBP 50 owed (= USD 100 at 2), due 11-01, opened 11-02; never pays. SMS 20 h after
         opening, a call, a letter; two deferrals, one block; opts out of SMS (by reply and
         again by an agent), one dispute, one email complaint.
- acc-c  USD 200 owed, due 10-01 (32 days past due when it opens), pays 50 on 11-20, is
         referred to litigation; never contacted.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from arrears.local.simulation.metrics import (
    bucket_fate,
    case_facts,
    percentile,
    policy_metrics,
)
from sim_cases import CONFIG, case, contact, entry

START = datetime(2026, 11, 2, tzinfo=UTC)
DAYS = 40

CASES = [
    case(
        "acc-a",
        owed="100.00",
        due="2026-11-01",
        opened="2026-11-02T00:00:00Z",
        balance="0.00",
        status="PAID",
        closed="2026-11-10T12:00:00Z",
        outcome="paid",
        contacts=[contact("sms", "2026-11-02T10:00:00Z"), contact("email", "2026-11-03T10:00:00Z")],
        timeline=[
            entry("2026-11-05T09:00:00Z", "payment", balance="60.00"),
            entry("2026-11-10T12:00:00Z", "payment", balance="0.00"),
        ],
    ),
    case(
        "acc-b",
        owed="50.00",
        currency="GBP",
        due="2026-11-01",
        opened="2026-11-02T00:00:00Z",
        contacts=[
            contact("sms", "2026-11-02T20:00:00Z"),
            contact("call", "2026-11-16T10:00:00Z"),
            contact("letter", "2026-12-01T10:00:00Z"),
        ],
        blocked=[
            {
                "channel": "sms",
                "decision": "deferred",
                "reason": "outside_contact_hours",
                "at": "x",
            },
            {
                "channel": "sms",
                "decision": "deferred",
                "reason": "outside_contact_hours",
                "at": "x",
            },
            {"channel": "sms", "decision": "blocked", "reason": "opted_out", "at": "x"},
        ],
        letters=1,
        timeline=[
            entry("2026-11-03T00:00:00Z", "opted_out", channel="sms", via="reply"),
            entry("2026-11-04T00:00:00Z", "opted_out", channel="sms", action="opt_out"),
            entry("2026-11-05T00:00:00Z", "dispute_opened", via="reply"),
            entry("2026-11-06T00:00:00Z", "delivery_outcome", outcome="complaint"),
        ],
    ),
    case(
        "acc-c",
        owed="200.00",
        due="2026-10-01",
        opened="2026-11-02T00:00:00Z",
        balance="150.00",
        status="LITIGATION",
        closed="2026-12-05T00:00:00Z",
        outcome="litigation_referred",
        timeline=[entry("2026-11-20T00:00:00Z", "payment", balance="150.00")],
    ),
]


@pytest.fixture(scope="module")
def metrics() -> dict:
    return policy_metrics([case_facts(c, CONFIG) for c in CASES], START, DAYS)


def test_amounts_are_converted_and_added(metrics):
    # 100 USD + 50 GBP x 2 + 200 USD owed; 100 + 0 + 50 recovered
    assert metrics["accounts"] == 3
    assert metrics["owed"] == "400.00"
    assert metrics["recovered"] == "150.00"
    assert metrics["recovered_pct"] == "0.3750"  # 150 / 400


def test_collection_curve_counts_payments_by_the_end_of_each_day(metrics):
    curve = {p["day"]: p["recovered_pct"] for p in metrics["collection_curve"]}
    assert len(curve) == DAYS + 1
    assert curve[0] == "0.0000"
    assert curve[3] == "0.0000"  # 11-05 00:00: the 09:00 payment has not come yet
    assert curve[4] == "0.1000"  # 40 / 400
    assert curve[8] == "0.1000"  # 11-10 00:00: the rest comes at 12:00
    assert curve[9] == "0.2500"  # 100 / 400
    assert curve[17] == "0.2500"
    assert curve[18] == "0.3750"  # day 18 ends at 11-20 00:00, when acc-c pays 50


def test_cure_rate_is_the_share_paid_or_resolved(metrics):
    assert metrics["cure_rate"] == "0.3333"  # acc-a only


def test_roll_rates_follow_each_case_through_its_buckets(metrics):
    rolls = metrics["roll_rates"]
    # 1-30: acc-a (cured on day 9 past due) and acc-b (41 days past due at the end: rolled)
    assert rolls["1-30"] == {"entered": 2, "31-60": "0.5000", "cured": "0.5000", "stay": "0.0000"}
    # 31-60: acc-b stays (41 at the end), acc-c opens at 32 and is 72 days past due at the end
    assert rolls["31-60"] == {"entered": 2, "61-90": "0.5000", "cured": "0.0000", "stay": "0.5000"}
    assert rolls["61-90"] == {"entered": 1, "90+": "0.0000", "cured": "0.0000", "stay": "1.0000"}
    assert rolls["90+"] == {"entered": 0, "cured": "0.0000", "stay": "0.0000"}


def test_bucket_fate_of_a_case_cured_before_it_was_ever_past_due():
    early = datetime(2026, 11, 1, 12, tzinfo=UTC)  # cured on the due date itself
    facts = replace(case_facts(CASES[0], CONFIG), cured_at=early)
    assert bucket_fate(facts, early, 1, 30) is None
    assert bucket_fate(facts, early, 31, 60) is None


def test_contacts_per_case_by_channel(metrics):
    assert metrics["contacts_per_case"] == {
        "call": "0.3333",
        "email": "0.3333",
        "letter": "0.3333",
        "sms": "0.6667",
    }


def test_cost_per_case_and_recovered_per_cost(metrics):
    # acc-a one SMS (1), acc-b one SMS and one letter (1 + 10), acc-c nothing: 12 / 3 cases
    assert metrics["cost_per_case"]["total"] == "4.000000"
    assert metrics["cost_per_case"]["sms"] == "0.666667"
    assert metrics["cost_per_case"]["letters"] == "3.333333"
    assert metrics["recovered_per_cost"] == "12.50"  # 150 / 12


def test_opt_outs_disputes_complaints_and_litigation(metrics):
    assert metrics["opt_outs"] == 1  # SMS twice (reply, then the agent) is one opt-out
    assert metrics["disputes"] == 1
    assert metrics["complaints"] == 1
    assert metrics["litigation_referrals"] == 1


def test_compliance_counts_by_decision_and_reason(metrics):
    assert metrics["compliance"] == {
        "deferred": {"outside_contact_hours": 2},
        "blocked": {"opted_out": 1},
        "failed": {},
    }


def test_time_to_first_contact_leaves_out_cases_never_contacted(metrics):
    # 10 h and 20 h; nearest rank: p50 is the 1st of 2, p90 the 2nd
    assert metrics["time_to_first_contact_hours"] == {
        "p50": "10.00",
        "p90": "20.00",
        "mean": "15.00",
        "cases": 2,
    }


def test_percentile_is_nearest_rank():
    values = [Decimal(v) for v in (5, 1, 4, 2, 3)]
    assert percentile(values, 50) == 3
    assert percentile(values, 90) == 5
    assert percentile(values, 10) == 1
    assert percentile([], 50) is None
