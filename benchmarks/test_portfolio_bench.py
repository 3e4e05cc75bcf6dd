"""Portfolio scale on the real ladder: today's tree side by side with an older commit's.

Both trees run the same events file through ``portfolio_driver.py``, each in its own fresh
process, one after the other in the same ``make bench`` run, so the ratio is taken under the
same load. The events are the demo portfolio's (real ASL, real handlers, real letters):

* never-paying cases: the whole ladder to legal review and its alerts (120 days);
* paid-after-reminder cases: opened, reminded, paid two days later, thanked.

CPU per case counts the run and the report (the report is part of answering the question);
the start (imports, provisioning) is shown apart. ``BENCH_BASELINE`` names the older commit
(default below); ``BENCH_CASES`` the sizes of the files (default ``100,500`` cases: the older
tree's cost per case grows with the portfolio, so the ratio does too); ``BENCH_SCALE`` the
portfolio sizes for the linearity run (default ``100,1000,5000`` accounts of the mixed
demo portfolio, 120 days, today's tree only).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from arrears.local.events_file import to_line
from arrears.local.portfolio import build_portfolio
from older_tree import older_tree

ROOT = Path(__file__).resolve().parents[1]
DRIVER = ROOT / "benchmarks" / "portfolio_driver.py"
BASELINE = os.environ.get("BENCH_BASELINE", "04b8cf1")
CASES = [int(n) for n in os.environ.get("BENCH_CASES", "100,500").split(",")]
SCALE = [int(n) for n in os.environ.get("BENCH_SCALE", "100,1000,5000").split(",")]
DAYS = 120

pytestmark = pytest.mark.bench


@pytest.fixture(scope="module")
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="arrears-bench-") as folder:
        yield Path(folder)


def events_file(behaviour: str | None, cases: int, into: Path) -> Path:
    """The demo portfolio's events for ``cases`` borrowers of one behaviour (None: all)."""
    borrowers = cases * 12 if behaviour else cases  # one borrower in 12 has each behaviour
    portfolio = build_portfolio(seed=3, borrowers=borrowers)
    chosen = {b.account_id for b in portfolio.borrowers if behaviour in (None, b.behaviour)}
    lines = [
        to_line(e)
        for e in portfolio.entries
        if e.event and e.event.detail.get("account_id") in chosen
    ]
    path = into / f"{behaviour or 'mixed'}-{cases}.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def drive(tree: Path, events: Path, days: int = DAYS) -> dict[str, Any]:
    """One fresh process runs ``events`` on ``tree``'s package and says what it cost."""
    env = {**os.environ, "PYTHONPATH": str(tree / "functions")}
    done = subprocess.run(
        [sys.executable, str(DRIVER), str(events), str(days)],
        env=env, cwd=events.parent, capture_output=True, text=True,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"{events.name} on {tree}: {done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert Path(result["arrears"]).is_relative_to(tree), "ran another arrears package"
    return result


def cpu_per_case(result: dict[str, Any]) -> float:
    return (result["run_cpu_seconds"] + result["report_cpu_seconds"]) / result["cases"]


@pytest.mark.parametrize("cases", CASES)
@pytest.mark.parametrize("behaviour", ["never_pays", "pays_after_first_reminder"])
def test_cases_per_cpu_second_against_the_baseline(
    behaviour: str, cases: int, workdir: Path, benchmark: Any
) -> None:
    events = events_file(behaviour, cases, workdir)
    older = drive(older_tree(BASELINE, workdir), events)
    today = benchmark.pedantic(lambda: drive(ROOT, events), rounds=1, iterations=1)
    assert today["cases"] == older["cases"] == cases
    ratio = cpu_per_case(older) / cpu_per_case(today)
    benchmark.extra_info.update(
        {"baseline": BASELINE, "behaviour": behaviour, "today": today, "older": older,
         "ratio": round(ratio, 2), "load_average_1min": round(os.getloadavg()[0], 2)}
    )  # fmt: skip
    print(
        f"\n{behaviour}, {cases} cases, {DAYS} days | CPU-s per case (run + report): "
        f"{BASELINE} {cpu_per_case(older):.4f}, today {cpu_per_case(today):.4f} | "
        f"cases per CPU-s {1 / cpu_per_case(older):.1f} -> {1 / cpu_per_case(today):.1f} "
        f"= {ratio:.1f}x | start CPU-s {older['start_cpu_seconds']} -> "
        f"{today['start_cpu_seconds']} | first event after {today['first_event_wall_seconds']} s"
        f" wall | load {os.getloadavg()[0]:.1f}"
    )


def test_cpu_and_memory_per_case_stay_flat_as_the_portfolio_grows(
    workdir: Path, benchmark: Any
) -> None:
    results = {n: drive(ROOT, events_file(None, n, workdir)) for n in SCALE}
    benchmark.pedantic(lambda: None, rounds=1, iterations=1)
    smallest, largest = results[SCALE[0]], results[SCALE[-1]]
    growth = cpu_per_case(largest) / cpu_per_case(smallest)
    added = SCALE[-1] - SCALE[0]
    # retained: what the runtime holds per case once the run is over; peak: with the report
    retained_kb = (largest["retained_rss_mb"] - smallest["retained_rss_mb"]) * 1024 / added
    peak_kb = (largest["max_rss_mb"] - smallest["max_rss_mb"]) * 1024 / added
    benchmark.extra_info.update(
        {"results": results, "cpu_per_case_growth": round(growth, 2),
         "retained_kb_per_case": round(retained_kb, 1), "peak_kb_per_case": round(peak_kb, 1)}
    )  # fmt: skip
    print("\nmixed demo portfolio, 120 days, today's tree:")
    for n, r in results.items():
        print(
            f"  {n:>6} accounts: {cpu_per_case(r) * 1000:7.1f} ms CPU per case, "
            f"RSS after the run {r['retained_rss_mb']} MB, peak {r['max_rss_mb']} MB, "
            f"first event after {r['first_event_wall_seconds']} s"
        )
    print(
        f"  CPU per case at {SCALE[-1]} / at {SCALE[0]}: {growth:.2f}x; per added case: "
        f"{retained_kb:.0f} KB retained after the run, {peak_kb:.0f} KB at the peak (report)"
    )


LARGE = int(os.environ.get("BENCH_LARGE", "10000"))


def test_a_large_mixed_portfolio_on_two_workers(workdir: Path, benchmark: Any) -> None:
    """``arrears run --workers 2`` over LARGE accounts of the mixed demo portfolio, 120 days:
    wall time (the target is 10 minutes for 10,000 accounts) and the workers' CPU."""
    events = events_file(None, LARGE, workdir)
    report = workdir / "large-report.json"
    command = [
        sys.executable, "-m", "arrears.cli", "run", "--events", str(events), "--days", str(DAYS),
        "--workers", "2", "--quiet", "--report", str(report),
    ]  # fmt: skip
    before = os.times()
    done = benchmark.pedantic(
        lambda: subprocess.run(command, capture_output=True, text=True, cwd=workdir),
        rounds=1, iterations=1,
    )  # fmt: skip
    after = os.times()
    assert done.returncode == 0, done.stderr[-3000:]
    cases = json.loads(report.read_text())["totals"]["cases"]
    assert cases == LARGE
    wall = benchmark.stats.stats.max
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    benchmark.extra_info.update(
        {"accounts": LARGE, "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
         "load_average_1min": round(os.getloadavg()[0], 2)}
    )  # fmt: skip
    print(
        f"\n{LARGE} mixed accounts, {DAYS} days, --workers 2: {wall / 60:.1f} min wall, "
        f"{cpu:.0f} CPU-s in the workers ({cpu / LARGE * 1000:.0f} ms per account); "
        f"load {os.getloadavg()[0]:.1f}"
    )
