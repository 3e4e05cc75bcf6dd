"""Replaying scheduled entries (an events file's events and ops actions) on a fresh local
runtime: what ``arrears run``, ``arrears demo`` and each ``--workers`` process do."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from arrears.local.events_file import ScheduledEntry
from arrears.local.faults import FaultPlan


class StepReporter(Protocol):
    """Told how far the virtual clock got (a progress line, or a worker's parent)."""

    def update(self, now: datetime) -> None: ...

    def done(self) -> None: ...


def run_entries(
    entries: Sequence[ScheduledEntry],
    *,
    start: datetime,
    end: datetime,
    seed: int,
    progress: StepReporter | None = None,
    topology: Any = None,
    before: Callable[[Any], None] | None = None,
    after: Callable[[Any], None] | None = None,
    extra_env: dict[str, str] | None = None,
    faults: FaultPlan | None = None,
) -> dict[str, Any]:
    """Schedule every entry on a fresh local runtime, run to ``end``, return the report."""
    from arrears.local.runtime import LocalRuntime

    with LocalRuntime(
        start=start,
        seed=seed,
        topology=topology,
        extra_env=extra_env,
        faults=faults,
        history="states",  # the report reads only the states entered
    ) as rt:
        schedule_entries(rt, entries)
        if before is not None:
            before(rt)
        rt.run_until(end, on_step=progress.update if progress else None)
        if progress:
            progress.done()
        report = rt.report()
        if rt.faults is not None:
            report["faults_injected"] = rt.faults.summary()
        if after is not None:
            after(rt)
    return report


def schedule_entries(rt: Any, entries: Sequence[ScheduledEntry]) -> None:
    for entry in entries:
        if entry.event is not None:
            rt.schedule_event(
                entry.at, entry.event.source, entry.event.detail_type, entry.event.detail
            )
        elif entry.ops_action is not None:
            rt.schedule_ops_action(entry.at, entry.ops_action)
