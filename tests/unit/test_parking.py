"""Parking decisions (arrears.domain.parking): names, the resume instant, the stored input."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from arrears.domain.parking import (
    MIN_PARK_SECONDS,
    Parked,
    park_after_seconds,
    plan_park,
    resume_seq_of,
    resumed_execution_name,
    schedule_name,
)

NOW = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)
PLAN = {
    "route": "follow_up",
    "wait_seconds": 518400,
    "wait_until": "2026-11-08T02:00:00+00:00",
    "waiting_for": "follow_up_due",
    "outcome": "sent",
}


def _park(**overrides):
    args = dict(
        case_id="acc-1#1",
        account_id="acc-1",
        cycle=1,
        previous=None,
        resumes_so_far=0,
        plan=PLAN,
        park_after=172800,
        now=NOW,
    )
    return plan_park(**(args | overrides))


def test_the_case_resumes_when_its_stage_is_due_in_the_next_resume_of_its_cycle():
    parked = _park()
    assert parked.seq == 1
    assert parked.resume_at == datetime(2026, 11, 8, 2, 0, tzinfo=UTC)
    assert parked.execution == "acc-1-1-c1-r1"
    again = _park(resumes_so_far=resume_seq_of(parked.execution))
    assert again.seq == 2 and again.execution.endswith("-r2")


def test_a_stage_already_due_resumes_at_once():
    late = _park(now=datetime(2026, 11, 9, tzinfo=UTC))
    assert late.resume_at == datetime(2026, 11, 9, tzinfo=UTC)


def test_the_stored_input_is_the_same_bytes_for_the_same_park():
    # the schedule and a waker must send the same input, or StartExecution is not idempotent
    assert _park().input == _park().input
    body = json.loads(_park().input)
    assert body["resume"] == {
        "seq": 1,
        "plan": {
            "route": "follow_up",
            "wait_until": PLAN["wait_until"],
            "waiting_for": "follow_up_due",
        },
    }
    assert body["park_after_seconds"] == 172800
    assert (body["case_id"], body["account_id"], body["cycle"]) == ("acc-1#1", "acc-1", 1)


def test_what_the_case_stores_reads_back_the_same():
    parked = _park()
    assert Parked.decode(parked.encode()) == parked
    assert Parked.decode(None) is None


@pytest.mark.parametrize("case_id", ["acc-1#1", "a" * 120 + "#3", "ü/ñ ö#2"])
def test_names_fit_the_services_limits_and_characters(case_id):
    name = resumed_execution_name(case_id, 3, 12)
    assert len(name) <= 80 and re.fullmatch(r"[0-9A-Za-z_-]+", name)
    schedule = schedule_name(case_id, 3, 12)
    assert len(schedule) <= 64 and re.fullmatch(r"[0-9A-Za-z_.-]+", schedule)


def test_long_case_ids_that_share_a_prefix_get_different_schedules():
    first, second = "x" * 100 + "-a#1", "x" * 100 + "-b#1"
    assert schedule_name(first, 1, 1) != schedule_name(second, 1, 1)


def test_the_threshold_is_off_at_zero_and_never_under_two_days():
    assert park_after_seconds(0) == 0
    assert park_after_seconds(1) == MIN_PARK_SECONDS
    assert park_after_seconds(7) == int(timedelta(days=7).total_seconds())


def test_the_first_execution_of_a_cycle_has_resume_number_zero():
    assert resume_seq_of("acc-r9-1-c1") == 0
    assert resume_seq_of("acc-1-1-c1-r7") == 7
