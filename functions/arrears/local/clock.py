"""Virtual time for the embedded default, and the cooperative scheduler that makes it safe.

Every Step Functions execution on the local runtime runs in its own thread (that is how
moto's interpreter is built), but only ONE thread runs at any moment: the driver (the
thread that owns the ``LocalRuntime``) hands a baton to an execution thread, and gets it
back when that execution blocks on the clock (a Wait state, a callback, a heartbeat) or
ends. When no execution can run, the driver moves the clock to the next deadline or
scheduled job. Handing over one thread at a time, in a fixed order, is what makes a run
deterministic: the same inputs give the same interleaving, the same timestamps, the same
report.

The clock itself is a time-machine traveller with ticking off, so ``datetime.now()`` and
``time.time()`` return the virtual now in every thread: the interpreter's history
timestamps, the ``$$`` context, moto's SQS visibility timeouts and the handler code all see
the same instant. Nothing here imports moto; ``moto_patches`` routes moto's waits here.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

import time_machine

# How long (real seconds) the driver waits for an execution thread to hand the baton back
# before declaring it stuck (e.g. a state type whose threads the runtime does not schedule).
STUCK_AFTER_SECONDS = 120.0


class SchedulerStuck(RuntimeError):
    """An execution thread kept the baton for too long: it blocked outside the clock."""


class BlockedOutsideExecution(RuntimeError):
    """A virtual-time wait was requested by a thread the scheduler does not run."""


class ShutDown(BaseException):
    """Raised inside a blocked execution thread when the runtime closes.

    A BaseException so the interpreter's ``except Exception`` clauses let it through and the
    thread unwinds without making further calls.
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
    """One cooperative thread (an execution)."""

    name: str
    go: threading.Event = field(default_factory=threading.Event)
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
    """Runs execution threads one at a time on the virtual clock (see module docstring)."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self._runnable: deque[Task] = deque()
        self._timers: list[tuple[datetime, int, int, Task]] = []
        self._jobs: list[_Job] = []
        self._seq = itertools.count()
        self._driver_go = threading.Event()
        self._local = threading.local()
        self._tasks: set[Task] = set()
        self._current: Task | None = None
        self._closing = False
        self.failures: list[tuple[str, BaseException]] = []

    # ---- execution threads -------------------------------------------------------------
    def spawn(self, name: str, body: Callable[[], None]) -> Task:
        """Start ``body`` in a new thread that runs only when the driver hands it the baton."""
        task = Task(name=name)
        self._tasks.add(task)

        def run() -> None:
            self._local.task = task
            task.go.wait()
            try:
                if not self._closing:
                    body()
            except ShutDown:
                pass
            except BaseException as exc:  # keep the driver alive; surfaced by the runtime
                self.failures.append((name, exc))
            finally:
                task.finished = True
                self._tasks.discard(task)
                self._driver_go.set()

        thread = threading.Thread(target=run, name=f"exec:{name}", daemon=True)
        thread.start()
        self._make_runnable(task)
        return task

    def current_task(self) -> Task | None:
        task: Task | None = getattr(self._local, "task", None)
        return task

    def block(self, deadline: datetime | None) -> Wake:
        """Give the baton back until ``deadline`` passes or ``wake`` is called for this task."""
        task = self.current_task()
        if task is None:
            raise BlockedOutsideExecution(
                "a virtual-time wait ran outside a scheduled execution thread"
            )
        if deadline is not None and deadline <= self.clock.now:
            return Wake.DEADLINE
        task.generation += 1
        task.blocked = True
        task.wake_reason = None
        if deadline is not None:
            heapq.heappush(self._timers, (deadline, next(self._seq), task.generation, task))
        task.go.clear()
        self._driver_go.set()
        task.go.wait()
        if self._closing:
            raise ShutDown
        reason = task.wake_reason or Wake.NOTIFIED
        return reason

    def wake(self, task: Task) -> None:
        """Make a blocked task runnable (its awaited event happened). Idempotent."""
        if task.blocked and not task.queued:
            task.wake_reason = Wake.NOTIFIED
            self._make_runnable(task)

    def _make_runnable(self, task: Task) -> None:
        task.blocked = False
        task.queued = True
        self._runnable.append(task)

    # ---- driver -------------------------------------------------------------------------
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
            raise RuntimeError("the driver loop cannot run inside an execution thread")
        while self._runnable:
            task = self._runnable.popleft()
            task.queued = False
            if task.finished:
                continue
            self._current = task
            self._driver_go.clear()
            task.go.set()
            if not self._driver_go.wait(STUCK_AFTER_SECONDS):
                raise SchedulerStuck(
                    f"execution {task.name!r} did not yield within {STUCK_AFTER_SECONDS}s "
                    "(a state the local runtime does not schedule, e.g. Parallel or Map?)"
                )
            self._current = None

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
        """Unwind every blocked thread (raises ``ShutDown`` inside it), one at a time."""
        self._closing = True
        self._jobs.clear()
        for task in sorted(self._tasks, key=lambda t: t.name):
            if task.finished:
                continue
            self._driver_go.clear()
            task.go.set()
            self._driver_go.wait(5.0)
        self._runnable.clear()
        self._timers.clear()


def deadline_after(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
