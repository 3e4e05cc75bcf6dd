"""`arrears simulate`: run the same portfolio under two or more policies and compare them."""

from __future__ import annotations

import argparse
import string
import sys
import time
from pathlib import Path
from typing import IO, Any

from arrears.local.simulation.letters import MODES

PROG = "arrears simulate"


def register(subparsers: Any) -> None:
    simulate = subparsers.add_parser(
        "simulate",
        help="what would policy B have done to this portfolio? (simulated borrowers)",
        description=(
            "Run the same portfolio under each --policy on the local runtime, borrowers "
            "answering what they receive as the behaviour model says, and compare the "
            "policies with paired bootstrap intervals (docs/simulation.md)."
        ),
    )
    source = simulate.add_mutually_exclusive_group(required=True)
    source.add_argument("--portfolio", help="synthetic:N (the demo's borrowers, N accounts)")
    source.add_argument("--events", type=Path, help="events file: its OVERDUE events open cases")
    simulate.add_argument(
        "--policy",
        action="append",
        required=True,
        help="policy file (name under arrears/policies/ or a path); give it twice or more, "
        "the first is the baseline",
    )
    simulate.add_argument(
        "--seed",
        type=int,
        default=7,
        help="seed of the portfolio, the borrowers and the bootstrap (default 7)",
    )
    simulate.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes; accounts are split into this many shards (default 1)",
    )
    simulate.add_argument("--days", type=int, default=120, help="virtual days to run (default 120)")
    simulate.add_argument(
        "--letters",
        choices=MODES,
        default="pdf",
        help="pdf (default); hash or none: no PDF layout, see docs/simulation.md",
    )
    simulate.add_argument("--behaviour", type=Path, help="behaviour model (default: shipped)")
    simulate.add_argument("--costs", type=Path, help="unit prices and rates (default: shipped)")
    simulate.add_argument(
        "--resamples", type=int, default=2000, help="bootstrap resamples (default 2000)"
    )
    simulate.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    simulate.add_argument("--out", type=Path, required=True, help="output folder")
    simulate.set_defaults(func=simulate_command)


def simulate_command(args: argparse.Namespace) -> int:
    try:
        settings = _settings(args)
    except ValueError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    from arrears.local.simulation.run import simulate

    accounts = len(settings.portfolio.openings)
    progress = None if args.quiet else Progress(accounts * len(settings.policies), args.days)
    began = time.perf_counter()
    document = simulate(settings, progress.update if progress else None)
    if progress:
        progress.done(document["partial"])
    _write(args.out, document, workers=args.workers, seconds=time.perf_counter() - began)
    if not args.quiet:
        print(summary(document))
    if document["partial"]:
        print(f"{PROG}: interrupted: partial report written to {args.out}", file=sys.stderr)
        return 130
    return 0


def _settings(args: argparse.Namespace) -> Any:
    from arrears.local.commands import policy_env
    from arrears.local.simulation.behaviour import load_behaviour
    from arrears.local.simulation.costs import load_cost_config
    from arrears.local.simulation.run import PolicyRun, Settings, events_portfolio

    if args.workers < 1:
        raise ValueError("--workers must be at least 1")
    if args.days < 1:
        raise ValueError("--days must be at least 1")
    if args.resamples < 1:
        raise ValueError("--resamples must be at least 1")
    if len(args.policy) < 2:
        raise ValueError("give at least two --policy files to compare")
    if len(args.policy) > len(string.ascii_uppercase):
        raise ValueError(f"at most {len(string.ascii_uppercase)} policies")
    policies = []
    for label, name in zip(string.ascii_uppercase, args.policy, strict=False):
        path = Path(name)
        file = str(path.resolve()) if path.is_file() else name
        policy_env(file)  # ValueError naming the file if it is missing or invalid
        policies.append(PolicyRun(label, file))
    portfolio = (
        _synthetic(args.portfolio, args.seed)
        if args.portfolio
        else events_portfolio(args.events, args.seed)
    )
    return Settings(
        portfolio=portfolio,
        policies=tuple(policies),
        days=args.days,
        workers=args.workers,
        behaviour=load_behaviour(args.behaviour),
        costs=load_cost_config(args.costs),
        letters=args.letters,
        resamples=args.resamples,
    )


def _synthetic(text: str, seed: int) -> Any:
    from arrears.local.simulation.run import synthetic_portfolio

    kind, _, size = text.partition(":")
    if kind != "synthetic" or not size.isdigit():
        raise ValueError(f"--portfolio must be synthetic:N (N accounts), not {text!r}")
    if int(size) < 1:
        raise ValueError("the portfolio is empty: synthetic:N needs N >= 1")
    return synthetic_portfolio(int(size), seed)


def _write(out: Path, document: dict[str, Any], *, workers: int, seconds: float) -> None:
    from arrears.local.commands import write_json
    from arrears.local.simulation.html import render_report

    write_json(out / "simulation.json", document)
    (out / "report.html").write_text(render_report(document), encoding="utf-8")
    # how it ran, kept apart so simulation.json is the same whatever the worker count
    write_json(out / "run.json", {"workers": workers, "wall_seconds": round(seconds, 1)})


def summary(document: dict[str, Any]) -> str:
    policies = document["policies"]
    rows = [("", *(f"{p['label']} {Path(p['file']).name}" for p in policies))]
    for name in ("recovered_pct", "cure_rate", "recovered_per_cost", "litigation_referrals"):
        rows.append((name, *(str(p["metrics"][name]) for p in policies)))
    for channel in ("sms", "email", "call", "letter"):
        rows.append(
            (f"{channel} per case", *(p["metrics"]["contacts_per_case"][channel] for p in policies))
        )
    width = max(len(r[0]) for r in rows) + 2
    column = max(len(v) for r in rows for v in r[1:]) + 2
    lines = ["".join([r[0].ljust(width), *(v.rjust(column) for v in r[1:])]) for r in rows]
    lines.append("")
    for c in document["comparisons"]:
        low, high = c["ci95"]
        lines.append(
            f"{c['challenger']}-{c['baseline']} {c['metric']:<36} {c['difference']!s:>10}"
            f"  95% [{low}, {high}]"
        )
    return "\n".join(lines)


class Progress:
    """One line on stderr: case-days simulated, each policy's virtual day, time left."""

    def __init__(self, cases: int, days: int, stream: IO[str] | None = None) -> None:
        self._total = max(cases * days, 1)
        self._days = days
        self._stream = stream or sys.stderr
        self._shards: dict[tuple[str, int], tuple[int, int]] = {}  # -> (day, cases)
        self._began = time.perf_counter()
        self._shown = 0.0
        self._tty = self._stream.isatty()

    def update(self, message: Any) -> None:
        label, shard, day, cases = message
        self._shards[(label, shard)] = (day, cases)
        elapsed = time.perf_counter() - self._began
        if elapsed - self._shown >= (0.2 if self._tty else 5.0):
            self._shown = elapsed
            self._show(elapsed, final=False)

    def done(self, partial: bool) -> None:
        self._show(time.perf_counter() - self._began, final=True, partial=partial)

    def _show(self, elapsed: float, final: bool, partial: bool = False) -> None:
        done = sum(day * cases for day, cases in self._shards.values())
        share = min(done / self._total, 1.0)
        left = elapsed * (1 - share) / share if share else 0.0
        days: dict[str, int] = {}
        for (label, _), (day, _) in sorted(self._shards.items()):
            days[label] = min(days.get(label, day), day)
        where = " ".join(f"{label} day {day}/{self._days}" for label, day in days.items())
        line = (
            f"[{('#' * int(share * 30)).ljust(30)}] {share:6.1%}  "
            f"{done}/{self._total} case-days  {where}  "
            f"{elapsed:4.0f}s elapsed, about {left:4.0f}s left"
            + ("  (interrupted)" if partial else "")
        )
        ending = "\n" if final or not self._tty else ""
        self._stream.write(("\r" if self._tty else "") + line + ending)
        self._stream.flush()
