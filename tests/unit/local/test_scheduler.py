"""The cooperative scheduler behind the virtual clock (no moto involved)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from arrears.local.clock import BlockedOutsideExecution, Scheduler, VirtualClock, Wake

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _scheduler() -> Scheduler:
    return Scheduler(VirtualClock(T0))  # not started: time-machine not needed here


def test_tasks_run_one_at_a_time_in_deadline_order():
    # given three tasks sleeping different virtual durations
    s = _scheduler()
    order: list[tuple[str, datetime]] = []

    def sleeper(name: str, hours: int) -> None:
        s.block(s.clock.now + timedelta(hours=hours))
        order.append((name, s.clock.now))

    for name, hours in (("c", 3), ("a", 1), ("b", 2)):
        s.spawn(name, lambda n=name, h=hours: sleeper(n, h))

    # when the driver runs a day
    s.run_until(T0 + timedelta(days=1))

    # then each woke at its own deadline, earliest first, and the clock reached the target
    assert order == [
        ("a", T0 + timedelta(hours=1)),
        ("b", T0 + timedelta(hours=2)),
        ("c", T0 + timedelta(hours=3)),
    ]
    assert s.clock.now == T0 + timedelta(days=1)
    assert s.live_tasks == 0


def test_a_woken_task_runs_before_its_deadline():
    s = _scheduler()
    reasons: list[tuple[Wake, datetime]] = []
    task = s.spawn("waiter", lambda: reasons.append((s.block(T0 + timedelta(days=7)), s.clock.now)))
    s.schedule(T0 + timedelta(days=2), lambda: s.wake(task))

    s.run_until(T0 + timedelta(days=10))

    assert reasons == [(Wake.NOTIFIED, T0 + timedelta(days=2))]


def test_jobs_and_timers_at_the_same_instant_run_timers_first():
    s = _scheduler()
    seen: list[str] = []
    s.spawn("t", lambda: (s.block(T0 + timedelta(hours=1)), seen.append("timer")))
    s.schedule(T0 + timedelta(hours=1), lambda: seen.append("job"))

    s.run_until(T0 + timedelta(hours=2))

    assert seen == ["timer", "job"]


def test_blocking_outside_a_scheduled_thread_is_refused():
    with pytest.raises(BlockedOutsideExecution):
        _scheduler().block(T0 + timedelta(hours=1))


def test_closing_unwinds_blocked_threads():
    s = _scheduler()
    after: list[str] = []
    s.spawn("forever", lambda: (s.block(None), after.append("ran on")))
    s.run_ready()
    assert s.live_tasks == 1

    s.close()

    assert s.live_tasks == 0
    assert after == []
