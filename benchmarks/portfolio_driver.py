"""Run one events file on the local runtime of whichever ``arrears`` is first on the path,
and print what it cost as one JSON line: CPU, the first event's wall time, the memory held
once the run is over (before the report is built) and the peak. ``test_portfolio_bench.py``
runs it on today's code and on an older commit's, in separate processes, on the same file.

    python benchmarks/portfolio_driver.py EVENTS_FILE DAYS
"""

from __future__ import annotations

import gc
import json
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_mb() -> float:
    """Resident memory now (not the peak): what the process holds at this point."""
    resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    return resident_pages * resource.getpagesize() / 2**20


def main() -> None:
    events, days = Path(sys.argv[1]), int(sys.argv[2])
    # As a user's install (the `local` extra, no test tools) runs it: time-machine imports
    # pytest when it can, which only the development environment has (0.07 s at start-up).
    sys.modules["pytest"] = None
    began_wall = time.perf_counter()
    from arrears.local.events_file import read_events_file

    try:
        from arrears.local.replay import schedule_entries
    except ImportError:  # an older tree: it was in the commands module
        from arrears.local.commands import schedule_entries  # type: ignore[no-redef]
    from arrears.local.runtime import LocalRuntime

    entries = read_events_file(events)
    try:  # as `arrears run` runs it
        rt = LocalRuntime(start=entries[0].at, seed=1, history="states")
    except TypeError:  # an older tree, whose histories always keep everything
        rt = LocalRuntime(start=entries[0].at, seed=1)
    with rt:
        schedule_entries(rt, entries)
        started_cpu = _cpu()
        rt.advance(timedelta(seconds=1))  # the first event is processed
        first_event_wall = time.perf_counter() - began_wall
        rt.advance(timedelta(days=days))
        ran_cpu = _cpu()
        gc.collect()
        retained_mb = _rss_mb()  # everything the run keeps, before the report is built
        report = rt.report()
        reported_cpu = _cpu()
    cases = len(report["cases"])
    print(
        json.dumps(
            {
                "cases": cases,
                "start_cpu_seconds": round(started_cpu, 3),
                "first_event_wall_seconds": round(first_event_wall, 3),
                "run_cpu_seconds": round(ran_cpu - started_cpu, 3),
                "report_cpu_seconds": round(reported_cpu - ran_cpu, 3),
                "retained_rss_mb": round(retained_mb),
                "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                "arrears": __import__("arrears").__file__,
            }
        )
    )


if __name__ == "__main__":
    main()
