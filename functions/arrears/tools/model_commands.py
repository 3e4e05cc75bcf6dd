"""`arrears model ...`: generate a synthetic portfolio, fit a scorecard from case outcomes.

    arrears model generate --rows 30000 --seed 7 --out history.csv
    arrears model fit --data history.csv --seed 7 --version 1.1.0 \\
        --out functions/arrears/models/scorecard-1.1.0.json

Fitting needs the optional `fit` extra (`pip install -e '.[fit]'`); the Lambda package never
contains it. See docs/scoring.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

DEFAULT_OUT = "scorecard-dev.json"


def register(subparsers: Any) -> None:
    model = subparsers.add_parser("model", help="risk scorecards: synthetic data, fitting")
    commands = model.add_subparsers(dest="model_command", required=True)

    generate = commands.add_parser(
        "generate", help="write a synthetic historical portfolio (CSV) with known relationships"
    )
    generate.add_argument("--rows", type=int, default=30_000, help="cases to generate")
    generate.add_argument("--out", type=Path, required=True, help="CSV file to write")
    generate.add_argument("--seed", type=int, default=7, help="random seed (same seed, same file)")
    generate.set_defaults(func=_generate)

    fit = commands.add_parser(
        "fit", help="fit a scorecard from historical outcomes; prints holdout AUC and KS"
    )
    fit.add_argument("--data", type=Path, required=True, help="CSV of past cases and outcomes")
    fit.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"model JSON to write (default: scorecard-<version>.json, or {DEFAULT_OUT})",
    )
    fit.add_argument("--seed", type=int, default=7, help="seed of the holdout split")
    fit.add_argument(
        "--version", default=None, help="model version (default: from --out's name, else 'dev')"
    )
    fit.add_argument("--holdout", type=float, default=0.3, help="share of rows held out")
    fit.add_argument("--target", default="paid_without_pressure", help="outcome column (1/0)")
    fit.add_argument("--base-score", type=int, default=600, help="score at the base odds")
    fit.add_argument("--base-odds", type=float, default=1.0, help="odds good:bad at base score")
    fit.add_argument("--pdo", type=float, default=40.0, help="points to double the odds")
    fit.set_defaults(func=_fit)

    response = commands.add_parser(
        "fit-response",
        help="fit the simulated borrowers' response rates to an events file and its report",
    )
    response.add_argument("--events", type=Path, required=True, help="events file (history)")
    response.add_argument("--report", type=Path, required=True, help="report of that run")
    response.add_argument("--out", type=Path, required=True, help="behaviour file to write")
    response.set_defaults(func=_fit_response)


def _generate(args: argparse.Namespace) -> int:
    from arrears.tools.modelling.synthetic import write_csv

    if args.rows < 1:
        print("--rows must be at least 1", file=sys.stderr)
        return 2
    count = write_csv(args.out, args.rows, args.seed)
    print(f"wrote {count} synthetic cases to {args.out} (seed {args.seed})")
    return 0


def _fit(args: argparse.Namespace) -> int:
    try:
        from arrears.tools.modelling.fit import file_sha256, fit_scorecard, read_csv
    except ImportError as exc:
        print(
            f"fitting needs the 'fit' extra ({exc.name} is missing): pip install -e '.[fit]'",
            file=sys.stderr,
        )
        return 2
    from arrears.domain.scoring import Scaling

    version, out = _version_and_out(args.version, args.out)
    if not args.data.is_file():
        print(f"no such file: {args.data}", file=sys.stderr)
        return 2
    try:
        report = fit_scorecard(
            read_csv(args.data),
            version=version,
            seed=args.seed,
            holdout=args.holdout,
            scaling=Scaling(base_score=args.base_score, base_odds=args.base_odds, pdo=args.pdo),
            target=args.target,
            data_sha256=file_sha256(args.data),
        )
    except ValueError as exc:
        print(f"cannot fit: {exc}", file=sys.stderr)
        return 1
    report.write(out)
    print(report.summary())
    print(f"wrote {out}")
    return 0


def _fit_response(args: argparse.Namespace) -> int:
    import json

    from arrears.local.events_file import EventsFileError, read_events_file
    from arrears.local.simulation.behaviour import load_behaviour
    from arrears.local.simulation.fit import behaviour_yaml, fit_response

    try:
        entries = read_events_file(args.events)
        report = json.loads(args.report.read_text(encoding="utf-8"))
    except (OSError, ValueError, EventsFileError) as exc:
        print(f"arrears model fit-response: {exc}", file=sys.stderr)
        return 2
    fitted = fit_response(entries, report, load_behaviour().desk_hour_utc)
    args.out.write_text(behaviour_yaml(fitted, args.events.name), encoding="utf-8")
    load_behaviour(args.out)  # what was written loads as a behaviour file
    print(f"wrote {args.out}: contact {fitted['contact']}, quiet day {fitted['quiet_day']}")
    return 0


def _version_and_out(version: str | None, out: Path | None) -> tuple[str, Path]:
    if version is None and out is not None:
        match = re.fullmatch(r"scorecard-(?P<version>[A-Za-z0-9._-]+)\.json", out.name)
        version = match.group("version") if match else None
    version = version or "dev"
    return version, out or Path(f"scorecard-{version}.json")
