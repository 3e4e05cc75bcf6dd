"""The month-start burst: N OVERDUE events at one instant, under AWS's default quotas.

Run with `make bench`, or alone (the size from ARREARS_BURST_CASES, default 100,000):

    ARREARS_BURST_CASES=10000 .venv/bin/pytest benchmarks/test_burst_bench.py \
        --benchmark-only -p no:randomly -o addopts="" -s

The real escalation ASL and handlers run on the embedded default with its quota emulation
on (``LocalRuntime(quotas=True)``, arrears.local.quotas): StartExecution 1,300 tokens and
300 a second, SendTaskSuccess 3,000 and 500 a second, 1,000 Lambda invocations in flight,
the ingest event source at its maximum concurrency. Every event is published at the same
virtual instant; the run stops once every case has had its first contact (the reminder).

Reported (virtual time, from the instant of the burst): when the last case's execution
started, time to first contact per case (p50/p99), events lost (published events without a
case execution, plus the ingest DLQ), duplicate starts (more than one execution of one
name), the peak of open executions, the open executions left once the burst is contacted
(the cases parked until their next stage), and what the quotas throttled.
"""

from __future__ import annotations

import os
import time
import zlib
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from arrears.adapters.cases import Repositories
from arrears.local.runtime import LocalRuntime

CASES = int(os.environ.get("ARREARS_BURST_CASES", "100000"))
BURST = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # the day after the 1st's due date
DUE = date(2026, 12, 1)
RUN_FOR = timedelta(days=4)  # every segment's first contact is at most 3 days after due


def _detail(i: int) -> dict[str, Any]:
    account = f"burst-{i:07d}"
    n = zlib.crc32(account.encode())
    return {
        "event_id": f"evt-{account}-1",
        "account_id": account,
        "obligation_id": f"loan-{i}/inst-1",
        "status": "OVERDUE",
        "amount_due": f"{200 + n % 4000}.00",
        "amount_paid": "0.00",
        "currency": "CNY",
        "due_date": DUE.isoformat(),
        "occurred_at": BURST.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sequence": 1,
        "borrower": {
            "name": "Burst Borrower",
            "phone": f"+86139{n % 10**8:08d}",
            "email": f"{account}@example.com",
            "locale": "zh-CN",
            "timezone": "Asia/Shanghai",
            "country": "CN",
        },
    }


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _peak_open(intervals: list[tuple[datetime, datetime | None]], end: datetime) -> int:
    edges: list[tuple[datetime, int]] = []
    for started, stopped in intervals:
        edges.append((started, 1))
        edges.append((stopped or end, -1))
    edges.sort(key=lambda edge: (edge[0], edge[1]))  # an end before a start at one instant
    open_now = peak = 0
    for _, step in edges:
        open_now += step
        peak = max(peak, open_now)
    return peak


def run_burst(n: int) -> dict[str, Any]:
    began = time.perf_counter()
    with LocalRuntime(start=BURST, seed=11, quotas=True, history="states") as rt:
        rt.put_events(("wallet.payments", "PaymentStatusChanged", _detail(i)) for i in range(n))
        rt.run_until(BURST + RUN_FOR)
        end = rt.now
        firsts: dict[str, datetime] = {}
        intervals: list[tuple[datetime, datetime | None]] = []
        names: Counter[str] = Counter()
        for _, execution in rt.execution_records():
            names[execution.name] += 1
            started = _aware(execution.start_date)
            stopped = _aware(execution.stop_date) if execution.stop_date else None
            intervals.append((started, stopped))
            case_id = (execution.input_data or {}).get("case_id")
            if case_id and not (execution.input_data or {}).get("resume"):
                firsts[case_id] = min(started, firsts.get(case_id, started))
        contacted: dict[str, datetime] = {}
        for invocation in rt.invocations:
            if invocation.function == "arrears-contact" and invocation.error is None:
                at = datetime.fromisoformat(invocation.at.replace("Z", "+00:00"))
                if invocation.case_id and invocation.case_id not in contacted:
                    contacted[invocation.case_id] = at
        to_contact = [(at - BURST).total_seconds() for at in contacted.values()]
        result = {
            "cases": n,
            "all_started_after_s": (max(firsts.values()) - BURST).total_seconds(),
            "first_contact_p50_h": _percentile(to_contact, 0.5) / 3600,
            "first_contact_p99_h": _percentile(to_contact, 0.99) / 3600,
            "cases_contacted": len(contacted),
            "not_contacted": _where_they_are(sorted(set(firsts) - set(contacted))[:5]),
            "events_lost": n - len(firsts) + rt.dlq_count(),
            "duplicate_starts": sum(count - 1 for count in names.values()),
            "peak_open_executions": _peak_open(intervals, end),
            "open_executions_at_end": sum(1 for _, stopped in intervals if stopped is None),
            "schedules": vars(rt.schedules.stats),
            "quotas": rt.quotas.summary() if rt.quotas else {},
            "wall_s": round(time.perf_counter() - began, 1),
        }
    return result


def _where_they_are(case_ids: list[str]) -> dict[str, Any]:
    """A case not contacted in time: its status and work queue (STUCK when a step gave up)."""
    cases = Repositories.dynamo().cases
    found = {case_id: cases.get(case_id) for case_id in case_ids}
    return {case_id: (case.status, case.queue) if case else None for case_id, case in found.items()}


def _aware(when: Any) -> datetime:
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    if isinstance(when, datetime):
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return datetime.fromtimestamp(float(when), UTC)


@pytest.mark.bench
def test_month_start_burst_under_emulated_quotas(benchmark):
    result = benchmark.pedantic(run_burst, args=(CASES,), rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    print("\nburst:", result)
    assert result["events_lost"] == 0
    assert result["duplicate_starts"] == 0
    assert result["cases_contacted"] == CASES
