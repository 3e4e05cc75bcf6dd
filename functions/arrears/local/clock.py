"""Virtual time for the embedded default, and the cooperative scheduler that makes it safe.

moto's interpreter runs each Step Functions execution as a blocking call that waits in
place (a Wait state, a callback, a heartbeat). On the local runtime each execution runs in
its own greenlet, and only ONE runs at any moment: the driver (the code that owns the
``LocalRuntime``) switches to an execution and gets control back when that execution
blocks on the clock or ends. When no execution can run, the driver moves the clock to the
next deadline or scheduled job. Running one execution at a time, in a fixed order, is what
makes a run deterministic: the same inputs give the same interleaving, the same
timestamps, the same report. (Greenlets rather than threads: a switch costs microseconds,
where waking an OS thread costs milliseconds on a loaded machine.)

The clock itself is a time-machine traveller with ticking off, so ``datetime.now()`` and
``time.time()`` return the virtual now everywhere: the interpreter's history timestamps,
the ``$$`` context, moto's SQS visibility timeouts and the handler code all see the same
instant. Nothing here imports moto; ``moto_patches`` routes moto's waits here.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import greenlet
import time_machine


class BlockedOutsideExecution(RuntimeError):
    """A virtual-time wait was requested outside an execution the scheduler runs."""


class ShutDown(BaseException):
    """Raised inside a blocked execution when the runtime closes.

    A BaseException so the interpreter's ``except Exception`` clauses let it through and the
    execution unwinds without making further calls.
    """


class Wake(Enum):
    NOTIFIED = "notified"  # something it waits for happened (callback, heartbeat, stop)
    DEADLINE = "deadline"  # the virtual deadline passed


class VirtualClock:
    """The virtual now, aware UTC, seen by ``datetime.now()`` / ``time.time()`` everywhere."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        self._now = start.astimezone(UTC)
        self._traveller: Any = None
        self._coordinates: Any = None

    @property
    def now(self) -> datetime:
        return self._now

    def start(self) -> None:
        self._traveller = time_machine.travel(self._now, tick=False)
        self._coordinates = self._traveller.start()

    def stop(self) -> None:
        if self._traveller is not None:
            self._traveller.stop()
            self._traveller = None
            self._coordinates = None

    def set(self, when: datetime) -> None:
        """Move forward to ``when`` (never backwards: time only moves on)."""
        when = when.astimezone(UTC)
        if when <= self._now:
            return
        self._now = when
        if self._coordinates is not None:
            self._coordinates.move_to(when)


@dataclass(eq=False)
class Task:
    """One cooperative execution (a greenlet)."""

    name: str
    glet: Any = None
    started: bool = False
    generation: int = 0  # bumps on every block, so stale timers are ignored
    blocked: bool = False
    queued: bool = False
    wake_reason: Wake | None = None
    finished: bool = False
    # deadlines of the task states being evaluated (innermost last)
    deadlines: list[datetime] = field(default_factory=list)


@dataclass(order=True)
class _Job:
    at: datetime
    seq: int
    run: Callable[[], None] = field(compare=False)
    label: str = field(compare=False, default="")


class Scheduler:
    """Runs executions one at a time on the virtual clock (see module docstring).

    Each execution is a greenlet in the driver's OS thread: handing over is a switch, not
    an OS thread wake-up, so it costs microseconds even on a loaded machine, and nothing runs
    concurrently by construction.
    """

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self._runnable: deque[Task] = deque()
        self._timers: list[tuple[datetime, int, int, Task]] = []
        self._jobs: list[_Job] = []
        self._seq = itertools.count()
        self._tasks: dict[int, Task] = {}  # id(greenlet) -> task
        self._driver: Any = None  # the greenlet that runs run_ready
        self._closing = False
        self.failures: list[tuple[str, BaseException]] = []

    # ---- executions ----------------------------------------------------------------------
    def spawn(self, name: str, body: Callable[[], None]) -> Task:
        """Queue ``body`` to run as an execution when the driver next runs ready tasks."""
        task = Task(name=name)

        def run() -> None:
            try:
                if not self._closing:
                    body()
            except ShutDown:
                pass
            except BaseException as exc:  # keep the driver alive; surfaced by the runtime
                self.failures.append((name, exc))
            finally:
                task.finished = True
                self._tasks.pop(id(task.glet), None)

        task.glet = greenlet.greenlet(run)
        self._tasks[id(task.glet)] = task
        self._make_runnable(task)
        return task

    def current_task(self) -> Task | None:
        return self._tasks.get(id(greenlet.getcurrent()))

    def block(self, deadline: datetime | None) -> Wake:
        """Give control back until ``deadline`` passes or ``wake`` is called for this task."""
        task = self.current_task()
        if task is None or self._driver is None:
            raise BlockedOutsideExecution("a virtual-time wait ran outside a scheduled execution")
        if deadline is not None and deadline <= self.clock.now:
            return Wake.DEADLINE
        task.generation += 1
        task.blocked = True
        task.wake_reason = None
        if deadline is not None:
            heapq.heappush(self._timers, (deadline, next(self._seq), task.generation, task))
        self._driver.switch()
        if self._closing:
            raise ShutDown
        return task.wake_reason or Wake.NOTIFIED

    def wake(self, task: Task) -> None:
        """Make a blocked task runnable (its awaited event happened). Idempotent."""
        if task.blocked and not task.queued:
            task.wake_reason = Wake.NOTIFIED
            self._make_runnable(task)

    def _make_runnable(self, task: Task) -> None:
        task.blocked = False
        task.queued = True
        self._runnable.append(task)

    # ---- driver -----------------------------------------------------------------------------
    def schedule(self, at: datetime, run: Callable[[], None], label: str = "") -> None:
        """Run ``run`` in the driver when the clock reaches ``at``."""
        heapq.heappush(self._jobs, _Job(at.astimezone(UTC), next(self._seq), run, label))

    @property
    def live_tasks(self) -> int:
        return len(self._tasks)

    def next_wakeup(self) -> datetime | None:
        self._discard_stale_timers()
        candidates = []
        if self._timers:
            candidates.append(self._timers[0][0])
        if self._jobs:
            candidates.append(self._jobs[0].at)
        return min(candidates) if candidates else None

    def run_ready(self) -> None:
        """Run every runnable task until all are blocked or finished (virtual time stands)."""
        if self.current_task() is not None:
            raise RuntimeError("the driver loop cannot run inside an execution")
        driver = greenlet.getcurrent()
        while self._runnable:
            task = self._runnable.popleft()
            task.queued = False
            if task.finished:
                continue
            previous, self._driver = self._driver, driver
            task.glet.parent = driver  # a finished task returns here
            task.started = True
            try:
                task.glet.switch()
            finally:
                self._driver = previous

    def run_until(self, until: datetime, on_step: Callable[[datetime], None] | None = None) -> None:
        """Advance virtual time to ``until``, running due timers and jobs in time order.

        At one instant, expired timers run before driver jobs due at the same time.
        """
        until = until.astimezone(UTC)
        self.run_ready()
        while True:
            self._discard_stale_timers()
            timer_at = self._timers[0][0] if self._timers else None
            job_at = self._jobs[0].at if self._jobs else None
            nxt = min((t for t in (timer_at, job_at) if t is not None), default=None)
            if nxt is None or nxt > until:
                break
            self.clock.set(nxt)
            if timer_at is not None and timer_at <= nxt:
                self._release_timers(nxt)
            else:
                job = heapq.heappop(self._jobs)
                job.run()
            self.run_ready()
            if on_step is not None:
                on_step(self.clock.now)
        self.clock.set(until)

    def _release_timers(self, at: datetime) -> None:
        while self._timers and self._timers[0][0] <= at:
            _, _, generation, task = heapq.heappop(self._timers)
            if task.blocked and not task.queued and generation == task.generation:
                task.wake_reason = Wake.DEADLINE
                self._make_runnable(task)

    def _discard_stale_timers(self) -> None:
        while self._timers:
            _, _, generation, task = self._timers[0]
            if task.blocked and not task.queued and generation == task.generation:
                return
            heapq.heappop(self._timers)

    def close(self) -> None:
        """Unwind every blocked execution (raises ``ShutDown`` inside it), one at a time."""
        self._closing = True
        self._jobs.clear()
        driver = greenlet.getcurrent()
        for task in sorted(self._tasks.values(), key=lambda t: t.name):
            if task.finished or not task.started:
                continue
            previous, self._driver = self._driver, driver
            task.glet.parent = driver
            try:
                task.glet.switch()  # block() sees _closing and raises ShutDown
            finally:
                self._driver = previous
        self._tasks.clear()
        self._runnable.clear()
        self._timers.clear()


def deadline_after(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
