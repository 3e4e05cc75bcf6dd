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
    simulate.add_argument(
        "merge",
        nargs="*",
        metavar="merge DIR",
        help="`arrears simulate merge DIR... --out RESULT`: one simulation from the --out "
        "folders of its --shard runs (docs/scale.md)",
    )
    source = simulate.add_mutually_exclusive_group()
    source.add_argument("--portfolio", help="synthetic:N (the demo's borrowers, N accounts)")
    source.add_argument("--events", type=Path, help="events file: its OVERDUE events open cases")
    simulate.add_argument(
        "--policy",
        action="append",
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
    simulate.add_argument(
        "--shard",
        help="I/K: run only shard I of K (I = 0 .. K-1) and write its result for a later "
        "`merge` (docs/scale.md)",
    )
    simulate.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    simulate.add_argument("--out", type=Path, required=True, help="output folder")
    simulate.set_defaults(func=simulate_command)


# the arguments that make a simulation what it is: every shard of it must share them
ARGUMENTS = ("portfolio", "events", "policy", "seed", "days", "letters", "behaviour", "costs",
             "resamples")  # fmt: skip


def simulate_command(args: argparse.Namespace) -> int:
    if args.merge:
        return _merge_command(args)
    try:
        settings = _settings(args)
        only = _shard(args.shard) if args.shard else None
    except ValueError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    from arrears.local.simulation.run import build_document, run_shards

    accounts = len(settings.portfolio.openings)
    progress = None if args.quiet else Progress(accounts * len(settings.policies), args.days)
    began = time.perf_counter()
    results, partial = run_shards(settings, progress.update if progress else None, only)
    if progress:
        progress.done(partial)
    if only is not None:
        from arrears.local.simulation.shard_files import write_shard

        arguments = {name: _plain(getattr(args, name)) for name in ARGUMENTS}
        index, count = only
        path = write_shard(
            args.out, index=index, count=count, arguments=arguments, results=results,
            partial=partial,
        )  # fmt: skip
        print(f"shard {index} of {count}: {path}")
    else:
        document = build_document(settings, results, partial=partial)
        _write(args.out, document, workers=args.workers, seconds=time.perf_counter() - began)
        if not args.quiet:
            print(summary(document))
    if partial:
        print(f"{PROG}: interrupted: partial report written to {args.out}", file=sys.stderr)
        return 130
    return 0


def _merge_command(args: argparse.Namespace) -> int:
    from arrears.local.simulation.run import build_document
    from arrears.local.simulation.shard_files import read_shards

    words = args.merge
    try:
        if words[0] != "merge" or len(words) < 2:
            raise ValueError("to merge shards: arrears simulate merge DIR... --out RESULT")
        arguments, results, partial = read_shards([Path(w) for w in words[1:]])
        given = {**arguments, "workers": 1}
        given |= {k: Path(v) for k, v in arguments.items() if k in PATHS and v is not None}
        settings = _settings(argparse.Namespace(**given))
    except ValueError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    document = build_document(settings, results, partial=partial)
    _write(args.out, document, workers=None, seconds=None, shards=len(words) - 1)
    if not args.quiet:
        print(summary(document))
    return 130 if document["partial"] else 0


PATHS = frozenset({"events", "behaviour", "costs"})


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Path) else value


def _shard(text: str) -> tuple[int, int]:
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit()) or not int(index) < int(count):
        raise ValueError(f"--shard must be I/K with 0 <= I < K, not {text!r}")
    return int(index), int(count)


def _settings(args: argparse.Namespace) -> Any:
    from arrears.local.commands import policy_env
    from arrears.local.simulation.behaviour import load_behaviour
    from arrears.local.simulation.costs import load_cost_config
    from arrears.local.simulation.run import PolicyRun, Settings, events_portfolio

    if not (args.portfolio or args.events):
        raise ValueError("give the portfolio: --portfolio synthetic:N or --events FILE")
    if not args.policy or len(args.policy) < 2:
        raise ValueError("give at least two --policy files to compare")
    if args.workers < 1:
        raise ValueError("--workers must be at least 1")
    if args.days < 1:
        raise ValueError("--days must be at least 1")
    if args.resamples < 1:
        raise ValueError("--resamples must be at least 1")
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


def _write(
    out: Path,
    document: dict[str, Any],
    *,
    workers: int | None,
    seconds: float | None,
    shards: int | None = None,
) -> None:
    from arrears.local.commands import write_json
    from arrears.local.simulation.html import render_report

    write_json(out / "simulation.json", document)
    (out / "report.html").write_text(render_report(document), encoding="utf-8")
    # how it ran, kept apart so simulation.json is the same whatever the worker count
    how: dict[str, float | None] = {"workers": workers, "shards": shards}
    if seconds is not None:
        how["wall_seconds"] = round(seconds, 1)
    write_json(out / "run.json", {k: v for k, v in how.items() if v is not None})


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
        from arrears.local.commands import StatusLine

        self._total = max(cases * days, 1)
        self._days = days
        self._shards: dict[tuple[str, int], tuple[int, int]] = {}  # -> (day, cases)
        self._line = StatusLine(stream or sys.stderr)

    def update(self, message: Any) -> None:
        label, shard, day, cases = message
        self._shards[(label, shard)] = (day, cases)
        if self._line.due():
            self._show(final=False)

    def done(self, partial: bool) -> None:
        self._show(final=True, partial=partial)

    def _show(self, final: bool, partial: bool = False) -> None:
        elapsed = self._line.elapsed
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
        self._line.show(line, final)
