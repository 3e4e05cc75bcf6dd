"""One simulation: the portfolio's openings, one run per policy and shard, the document.

``synthetic_portfolio`` and ``events_portfolio`` read the portfolio; ``run_shard`` is what
one worker process does (a fresh local runtime on one policy, the shard's OVERDUE events,
the simulated borrowers, day by day); ``run_shards`` runs every policy x shard in processes;
``build_document`` merges the per-case reports by account and builds ``simulation.json``
(docs/simulation.schema.json).
"""

from __future__ import annotations

import signal
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from arrears import constants as c
from arrears.local.simulation import shards
from arrears.local.simulation.behaviour import BehaviourModel
from arrears.local.simulation.bootstrap import RESAMPLES, Comparison, compare
from arrears.local.simulation.costs import CostConfig
from arrears.local.simulation.letters import swaps
from arrears.local.simulation.metrics import case_facts, policy_metrics

SCHEMA_VERSION = 1
SHIPPED_BEHAVIOUR = "arrears/local/simulation/behaviour.yaml"


class PortfolioError(ValueError):
    """The portfolio cannot be simulated (no such file, no OVERDUE event in it, ...)."""


@dataclass(frozen=True)
class Opening:
    """The OVERDUE event that opens an account's case."""

    account_id: str
    at: datetime
    detail: dict[str, Any]


@dataclass(frozen=True)
class Portfolio:
    source: str  # "synthetic:N" or the events file
    start: datetime
    openings: tuple[Opening, ...]
    seed: int


@dataclass(frozen=True)
class PolicyRun:
    label: str  # A, B, C... in command-line order
    file: str


@dataclass(frozen=True)
class ShardTask:
    policy: PolicyRun
    shard: int
    openings: tuple[Opening, ...]
    start: datetime
    days: int
    seed: int
    behaviour: BehaviourModel
    letters: str


@dataclass
class ShardResult:
    label: str
    shard: int
    cases: list[dict[str, Any]]
    days_completed: int
    policy_versions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def synthetic_portfolio(accounts: int, seed: int) -> Portfolio:
    """The demo portfolio's OVERDUE openings (its scripted behaviours are left out)."""
    from arrears.local.portfolio import build_portfolio

    built = build_portfolio(seed=seed, borrowers=accounts)
    return Portfolio(f"synthetic:{accounts}", built.start, _openings(built.entries), seed)


def events_portfolio(path: Path, seed: int) -> Portfolio:
    """An events file's OVERDUE openings; what followed them is the model's to play."""
    from arrears.local.events_file import EventsFileError, read_events_file

    try:
        entries = read_events_file(path)
    except FileNotFoundError:
        raise PortfolioError(f"no such events file: {path}") from None
    except EventsFileError as exc:
        raise PortfolioError(str(exc)) from None
    openings = _openings(entries)
    if not openings:
        raise PortfolioError(f"{path} has no OVERDUE PaymentStatusChanged event: nothing to run")
    return Portfolio(str(path), min(o.at for o in openings), openings, seed)


def _openings(entries: Sequence[Any]) -> tuple[Opening, ...]:
    first: dict[str, Opening] = {}
    for entry in entries:
        event = entry.event
        if event is None or event.detail_type != c.DETAIL_PAYMENT_STATUS:
            continue
        detail = event.detail
        if detail.get("status") == "OVERDUE" and detail.get("account_id") not in first:
            first[detail["account_id"]] = Opening(detail["account_id"], entry.at, dict(detail))
    return tuple(sorted(first.values(), key=lambda o: (o.at, o.account_id)))


# ---- one worker ---------------------------------------------------------------------------------


def run_shard(task: ShardTask) -> ShardResult:
    """Run one policy on one shard's accounts on a fresh runtime (this process's only one).

    Ctrl-C stops it at the end of the virtual day it is in; the cases are reported as they
    stand then."""
    from arrears.local.commands import policy_env
    from arrears.local.runtime import LocalRuntime
    from arrears.local.simulation.borrowers import SimBorrower, SimulatedBorrowers
    from arrears.local.simulation.letters import letters_env

    # Powertools warns on every flush without a metric; the runtime's stdout sink drops the
    # metric lines anyway
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    stop = _StopAtDayEnd()
    borrowers = [SimBorrower(o.account_id, o.detail, o.at) for o in task.openings]
    simulated = SimulatedBorrowers(borrowers, task.behaviour, task.seed)
    end = task.start + timedelta(days=task.days)
    completed = 0
    env = policy_env(task.policy.file) | letters_env(task.letters)
    # the report reads only which states were entered, not the data they carried
    runtime = LocalRuntime(start=task.start, seed=task.seed, extra_env=env, history="states")
    with stop, runtime as rt:
        for opening in task.openings:
            rt.schedule_event(
                opening.at, c.SOURCE_PAYMENTS, c.DETAIL_PAYMENT_STATUS, opening.detail
            )
        simulated.attach(rt, end)
        for day in range(1, task.days + 1):
            rt.run_until(task.start + timedelta(days=day))
            completed = day
            shards.report_progress((task.policy.label, task.shard, day, len(task.openings)))
            # checked after a day: a task that starts after Ctrl-C still reports its first day
            if stop.requested or shards.interrupted_early():
                break
        cases = rt.report()["cases"]
    versions = sorted({case["policy_version"] for case in cases if case.get("policy_version")})
    return ShardResult(task.policy.label, task.shard, cases, completed, versions)


class _StopAtDayEnd:
    """While entered, Ctrl-C asks to stop after the current virtual day instead of raising."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> _StopAtDayEnd:
        self._previous = signal.signal(signal.SIGINT, self._request)
        self.requested = self.requested or shards.interrupted_early()
        return self

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self._previous)

    def _request(self, signum: int, frame: Any) -> None:
        self.requested = True


# ---- the whole simulation -----------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    portfolio: Portfolio
    policies: tuple[PolicyRun, ...]
    days: int
    workers: int
    behaviour: BehaviourModel
    costs: CostConfig
    letters: str = "pdf"
    resamples: int = RESAMPLES


def run_shards(
    settings: Settings,
    on_progress: Callable[[Any], None] | None = None,
    only: tuple[int, int] | None = None,
) -> tuple[list[ShardResult], bool]:
    """Every policy x shard in its own process, ``settings.workers`` at a time; with
    ``only`` = (I, K), the accounts of shard I of K alone. Returns the shards' results and
    whether any is missing or short (an interrupted run)."""
    index, count = only or (None, settings.workers)
    pieces = shards.partition(settings.portfolio.openings, lambda o: o.account_id, count)
    tasks = [
        ShardTask(
            policy=policy,
            shard=shard,
            openings=tuple(piece),
            start=settings.portfolio.start,
            days=settings.days,
            seed=settings.portfolio.seed,
            behaviour=settings.behaviour,
            letters=settings.letters,
        )
        for policy in settings.policies
        for shard, piece in enumerate(pieces)
        if piece and index in (None, shard)
    ]
    results, interrupted = shards.run_in_processes(run_shard, tasks, settings.workers, on_progress)
    done = [r for r in results if r is not None]
    short = any(r.days_completed < settings.days for r in done)
    return done, interrupted or short or len(done) < len(tasks)


def build_document(
    settings: Settings, results: Sequence[ShardResult], *, partial: bool
) -> dict[str, Any]:
    days = {
        policy.label: min((r.days_completed for r in results if r.label == policy.label), default=0)
        for policy in settings.policies
    }
    completed = min(days.values())
    partial = partial or completed < settings.days
    facts = {
        policy.label: [
            case_facts(case, settings.costs)
            for case in shards.merge(
                (r.cases for r in results if r.label == policy.label),
                key=lambda case: f"{case['account_id']}\0{case['case_id']}",
            )
        ]
        for policy in settings.policies
    }
    # each policy's metrics cover the accounts it ran; comparisons pair the accounts every
    # policy ran (all of them unless a run was interrupted)
    common = set.intersection(*({f.account_id for f in fs} for fs in facts.values()))
    paired = {label: [f for f in fs if f.account_id in common] for label, fs in facts.items()}
    portfolio = settings.portfolio
    baseline = settings.policies[0]
    return {
        "schema_version": SCHEMA_VERSION,
        "partial": partial,
        "generated_by": "arrears simulate",
        "portfolio": {
            "source": portfolio.source,
            "accounts": len(portfolio.openings),
            "seed": portfolio.seed,
            "days": settings.days,
            "start": _iso(portfolio.start),
        },
        "virtual_days_completed": completed,
        "swaps": swaps(settings.letters),
        "behaviour_model": {
            "source": "defaults" if settings.behaviour.source == "defaults" else "file",
            "file": SHIPPED_BEHAVIOUR
            if settings.behaviour.source == "defaults"
            else settings.behaviour.source,
            "version": settings.behaviour.version,
        },
        "reporting_currency": settings.costs.reporting_currency,
        "cost_config": settings.costs.as_strings(),
        "policies": [
            {
                "label": policy.label,
                "file": policy.file,
                "policy_version": ", ".join(
                    sorted(
                        {v for r in results if r.label == policy.label for v in r.policy_versions}
                    )
                )
                or None,
                "virtual_days_completed": days[policy.label],
                "metrics": policy_metrics(facts[policy.label], portfolio.start, days[policy.label]),
            }
            for policy in settings.policies
        ],
        # an interrupted run compares nothing unless every policy got equally far
        "comparisons": [
            _comparison(baseline.label, policy.label, comparison)
            for policy in settings.policies[1:]
            if days[policy.label] == days[baseline.label]
            for comparison in compare(
                paired[baseline.label],
                paired[policy.label],
                seed=portfolio.seed,
                resamples=settings.resamples,
            )
        ],
    }


def _comparison(baseline: str, challenger: str, c: Comparison) -> dict[str, Any]:
    return {
        "baseline": baseline,
        "challenger": challenger,
        "metric": c.metric,
        "baseline_value": _rate(c.baseline),
        "challenger_value": _rate(c.challenger),
        "difference": _rate(c.difference),
        "ci95": [_rate(c.low), _rate(c.high)],
        "resamples": c.resamples,
    }


def _rate(value: Decimal | None) -> str | None:
    # + 0 turns a negative zero into zero
    return None if value is None else str(value.quantize(Decimal("0.0001")) + 0)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
