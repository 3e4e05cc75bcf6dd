"""The storage round-trip budget of the escalation steps, counted for one never-paying case.

Every emulated AWS call the step handlers (assess, contact, letter, record) make while one
never-paying demo borrower walks the whole ladder to legal review is counted at botocore.
The count is deterministic (same events, same seed): a change that makes a step read or
write more often than it must fails here, before it shows up as latency and cost.
docs/benchmarks.md ("Storage round trips per case") has the per-operation table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import botocore.client
import pytest
from arrears.domain.types import CaseStatus
from arrears.local.portfolio import build_portfolio
from arrears.local.replay import schedule_entries
from arrears.local.runtime import LocalRuntime

STEP_MODULES = ("assess", "contact", "letter", "record")
# measured 76: the ladder (64 when an unanswered legal review closed after three alerts; 99
# before the ledger session and the one-write steps: docs/benchmarks.md), the review's alerts
# every 7 days until day 120 (2 calls each), and, since Portuguese templates exist, the texts
# and emails this Brazilian borrower gets (before, each was blocked unsent: 70)
# a step that needs a new call raises this on purpose, with the reason
BUDGET = 76


class CallMeter:
    """Counts AWS API calls made while a step handler runs, by step and operation."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self.invocations: Counter[str] = Counter()
        self.step: str | None = None

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def by_step(self) -> dict[str, int]:
        steps: Counter[str] = Counter()
        for (step, _), n in self.calls.items():
            steps[step] += n
        return dict(steps)


@pytest.fixture
def meter() -> Iterator[CallMeter]:
    import importlib

    meter = CallMeter()
    original_call = botocore.client.BaseClient._make_api_call

    def counting_call(client: Any, operation: str, params: Any) -> Any:
        if meter.step is not None:
            service = client.meta.service_model.service_name
            meter.calls[(meter.step, f"{service}.{operation}")] += 1
        return original_call(client, operation, params)

    def metered(name: str, handler: Any) -> Any:
        def step_handler(event: Any, context: Any) -> Any:
            meter.step, meter.invocations[name] = name, meter.invocations[name] + 1
            try:
                return handler(event, context)
            finally:
                meter.step = None

        return step_handler

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", counting_call)
        for name in STEP_MODULES:
            module = importlib.import_module(f"arrears.handlers.{name}")
            patch.setattr(module, "handler", metered(name, module.handler))
        yield meter


def test_a_never_paying_case_stays_within_its_storage_round_trip_budget(meter):
    # given the first never-paying borrower of the demo portfolio
    portfolio = build_portfolio(seed=3, borrowers=12)
    never = next(b.account_id for b in portfolio.borrowers if b.behaviour == "never_pays")
    entries = [
        e for e in portfolio.entries if e.event and e.event.detail.get("account_id") == never
    ]
    # when its case walks the whole ladder (the runtime resolves the metered handlers)
    with LocalRuntime(start=portfolio.start, seed=1) as rt:
        schedule_entries(rt, entries)
        rt.advance(timedelta(days=120))
        (case,) = [c for c in rt.report()["cases"] if c["account_id"] == never]
    print("\nstep calls:", meter.total, meter.by_step(), dict(meter.invocations))
    operations: Counter[str] = Counter()
    for (_, operation), n in meter.calls.items():
        operations[operation] += n
    print("by operation:", dict(operations))
    # then it reached the end of the ladder through every step, and waits for a person
    # (legal review opened, then one alert per deadline: never closed without a decision)
    assert case["status"] == CaseStatus.OPEN.value
    # the five waits longer than the park threshold (follow-up, agent call, both letters,
    # legal review) each park the case (record) and resume it when due (assess)
    assert meter.invocations == Counter({"assess": 6, "contact": 3, "letter": 2, "record": 14})
    # and the steps stayed within their budget of AWS calls
    assert meter.total <= BUDGET
