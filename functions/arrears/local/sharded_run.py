"""`arrears run --workers K`: one events file run as K independent processes.

Accounts never share a case, so the file is split by a stable hash of each entry's account
(``simulation.shards``): every account's events and ops actions go to the same shard, each
shard runs on a runtime of its own in a fresh process from the same first instant to the
same end, and the reports are joined (``report.merge_reports``). What a case went through is
the same as in a one-process run; the random ids in timeline details (message and version
ids) are drawn per process, so they differ, as do the draws of an injected fault plan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from arrears.local.events_file import ScheduledEntry
from arrears.local.faults import FaultPlan


@dataclass(frozen=True)
class Shard:
    index: int
    entries: list[ScheduledEntry]
    start: datetime
    end: datetime
    seed: int
    env: dict[str, str]
    faults: FaultPlan | None


def account_of(entry: ScheduledEntry) -> str:
    """The account an entry belongs to ("" when it names none: all such go together)."""
    if entry.event is not None:
        return str(entry.event.detail.get("account_id") or "")
    case_id = str((entry.ops_action or {}).get("case_id") or "")
    return case_id.split("#", 1)[0]


def run_sharded(
    entries: Sequence[ScheduledEntry],
    *,
    workers: int,
    start: datetime,
    end: datetime,
    seed: int,
    env: dict[str, str],
    faults: FaultPlan | None,
    on_progress: Callable[[datetime], None] | None = None,
) -> dict[str, Any]:
    """Run ``entries`` split over ``workers`` processes; the joined report."""
    from arrears.local.report import merge_reports
    from arrears.local.simulation.shards import partition, run_in_processes

    pieces = partition(entries, account_of, workers)
    shards = [
        Shard(i, piece, start, end, seed, env, faults) for i, piece in enumerate(pieces) if piece
    ]
    reached = {shard.index: start for shard in shards}

    def progressed(message: tuple[int, datetime]) -> None:
        index, now = message
        reached[index] = now
        if on_progress is not None:
            on_progress(min(reached.values()))  # as far as the slowest shard

    reports, interrupted = run_in_processes(run_shard, shards, workers, progressed)
    if interrupted:
        raise KeyboardInterrupt
    return merge_reports([r for r in reports if r is not None])


def run_shard(shard: Shard) -> dict[str, Any]:
    """One shard in its own process (the target of ``run_in_processes``)."""
    from arrears.local.replay import run_entries
    from arrears.local.simulation.shards import report_progress

    class _Reporter:
        def update(self, now: datetime) -> None:
            report_progress((shard.index, now))

        def done(self) -> None:
            report_progress((shard.index, shard.end))

    return run_entries(
        shard.entries, start=shard.start, end=shard.end, seed=shard.seed,
        progress=_Reporter(),
        extra_env=shard.env, faults=shard.faults,
    )  # fmt: skip
