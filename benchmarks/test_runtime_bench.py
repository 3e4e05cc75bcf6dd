"""Local runtime throughput: full-ladder cases per second, virtual time vs unmodified moto.

Run with `make bench` (pytest benchmarks --benchmark-only). Figures go in docs/benchmarks.md.

* ``test_full_ladder_virtual_vs_unmodified_moto``: the 33-state benchmark ladder
  (benchmarks/ladder/, 6 stages of Wait + Lambda contact + callback-with-deadline caught
  as States.Timeout + Choice) for CASES cases that never pay, so every case walks the full
  ladder. Measured twice in the same run:
    - virtual time: the LocalRuntime as shipped (waits of days on the virtual clock);
    - unmodified moto: moto's own interpreter (real threads, real time, no caches), only
      Lambda invoked in-process so it runs without Docker, with every Wait shortened to zero
      and every callback deadline to 1 s (the smallest TimeoutSeconds).
  The ratio of the two is recorded in the benchmark's extra_info (targets: >= 5x, >= 20/s).
* ``test_real_ladder_cases_per_second``: the real escalation ASL and handlers, never-paying
  demo borrowers, on virtual time (the real handlers make ~100 emulated AWS calls a case).
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from arrears import topology as t
from arrears.local.runtime import LocalRuntime, LocalTopology

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "ladder"))

CASES = 40
START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def _function(name: str) -> t.FunctionSpec:
    return t.FunctionSpec(
        construct_id=f"Bench{name.title()}", handler=f"bench_ladder_handlers.{name}",
        local_name=f"bench-{name}",
    )  # fmt: skip


ASSESS, CONTACT, RECORD = _function("assess"), _function("contact"), _function("record")
LADDER = t.StateMachineSpec(
    construct_id="BenchLadder",
    local_name="bench-ladder",
    definition_file=str(HERE / "ladder" / "bench_ladder.asl.json"),
    substitutions={
        "CasesTable": ("table", t.CASES),
        "AssessFunctionArn": ("function", ASSESS),
        "ContactFunctionArn": ("function", CONTACT),
        "RecordFunctionArn": ("function", RECORD),
    },
)
TOPOLOGY = replace(
    LocalTopology.default(), functions=(ASSESS, CONTACT, RECORD), state_machines=(LADDER,)
)


def _start_cases(rt: LocalRuntime, n: int) -> None:
    for i in range(n):
        rt.start_execution("BenchLadder", {"case_id": f"bench-{i:04d}#1"}, f"bench-{i:04d}-c1")


def _check_full_ladder(rt: LocalRuntime, n: int) -> None:
    executions = rt.executions("BenchLadder")
    assert len(executions) == n
    assert {e["status"] for e in executions} == {"SUCCEEDED"}
    contacts = [i for i in rt.invocations if i.function == CONTACT.local_name]
    assert len(contacts) == 6 * n  # every case reached every stage


def run_virtual(n: int = CASES) -> float:
    """Seconds (wall) to run n full-ladder cases on virtual time."""
    with LocalRuntime(start=START, seed=1, topology=TOPOLOGY) as rt:
        began = time.perf_counter()
        _start_cases(rt, n)
        rt.advance(timedelta(days=120))
        elapsed = time.perf_counter() - began
        _check_full_ladder(rt, n)
    return elapsed


def run_unmodified(n: int = CASES) -> float:
    """Seconds (wall) to run n full-ladder cases on moto's own interpreter, waits zeroed."""
    os.environ["BENCH_ZERO_WAITS"] = "1"
    try:
        with LocalRuntime(
            start=START, seed=1, topology=TOPOLOGY, virtual_time=False, speedups=False
        ) as rt:
            began = time.perf_counter()
            _start_cases(rt, n)
            rt.wait_for_executions()
            elapsed = time.perf_counter() - began
            _check_full_ladder(rt, n)
    finally:
        os.environ.pop("BENCH_ZERO_WAITS", None)
    return elapsed


def _timed(fn: Any, cpu_seconds: list[float]) -> Any:
    """``fn`` wrapped to also record its process CPU time (the runtime is single-threaded)."""

    def run() -> float:
        began = time.process_time()
        result = fn()
        cpu_seconds.append(time.process_time() - began)
        return float(result)

    return run


def test_full_ladder_virtual_vs_unmodified_moto(benchmark: Any) -> None:
    run_virtual(4)  # warm imports and botocore models for both modes
    baseline_cpu: list[float] = []
    baseline_seconds = _timed(run_unmodified, baseline_cpu)()
    virtual_cpu: list[float] = []
    benchmark.pedantic(_timed(run_virtual, virtual_cpu), rounds=3, iterations=1)
    virtual_seconds = benchmark.stats.stats.median
    virtual_rate = CASES / virtual_seconds
    baseline_rate = CASES / baseline_seconds
    virtual_cpu_rate = CASES / sorted(virtual_cpu)[len(virtual_cpu) // 2]
    baseline_cpu_rate = CASES / baseline_cpu[0]
    benchmark.extra_info.update(
        {
            "cases": CASES,
            "states_per_case": 33,
            "virtual_cases_per_second": round(virtual_rate, 2),
            "unmodified_moto_cases_per_second": round(baseline_rate, 2),
            "speedup": round(virtual_rate / baseline_rate, 2),
            "virtual_cases_per_cpu_second": round(virtual_cpu_rate, 2),
            "unmodified_moto_cases_per_cpu_second": round(baseline_cpu_rate, 2),
            "cpu_speedup": round(virtual_cpu_rate / baseline_cpu_rate, 2),
            "load_average_1min": round(os.getloadavg()[0], 2),
            "targets": ">= 5x and >= 20 cases/s",
        }
    )
    print(
        f"\nbenchmark ladder, {CASES} full-ladder cases: virtual {virtual_rate:.1f}/s "
        f"({virtual_cpu_rate:.1f}/CPU-s), unmodified moto {baseline_rate:.1f}/s "
        f"({baseline_cpu_rate:.1f}/CPU-s), ratio {virtual_rate / baseline_rate:.1f}x wall, "
        f"{virtual_cpu_rate / baseline_cpu_rate:.1f}x CPU; load average {os.getloadavg()[0]:.1f}"
    )


REAL_CASES = 12


def run_real_ladder(n: int = REAL_CASES) -> float:
    from arrears.local.portfolio import build_portfolio
    from arrears.local.replay import schedule_entries

    portfolio = build_portfolio(seed=3, borrowers=n * 12)
    never = {b.account_id for b in portfolio.borrowers if b.behaviour == "never_pays"}
    entries = [
        e for e in portfolio.entries if e.event and e.event.detail.get("account_id") in never
    ]
    with LocalRuntime(start=portfolio.start, seed=1) as rt:
        began = time.perf_counter()
        schedule_entries(rt, entries)
        rt.advance(timedelta(days=120))
        elapsed = time.perf_counter() - began
        assert len(rt.executions("EscalationStateMachine")) == n
    return elapsed


def test_real_ladder_cases_per_second(benchmark: Any) -> None:
    try:
        run_real_ladder(1)  # imports of the real handlers
    except ModuleNotFoundError as exc:  # pragma: no cover - while handlers are missing
        pytest.skip(f"real handlers not importable: {exc}")
    cpu: list[float] = []
    benchmark.pedantic(_timed(run_real_ladder, cpu), rounds=2, iterations=1)
    rate = REAL_CASES / benchmark.stats.stats.median
    cpu_rate = REAL_CASES / min(cpu)
    benchmark.extra_info.update(
        {
            "cases": REAL_CASES,
            "cases_per_second": round(rate, 2),
            "cases_per_cpu_second": round(cpu_rate, 2),
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
    )
    print(
        f"\nreal escalation ladder, {REAL_CASES} never-paying cases: {rate:.2f}/s "
        f"({cpu_rate:.2f}/CPU-s); load average {os.getloadavg()[0]:.1f}"
    )
