"""`arrears run` and `arrears demo`: the embedded default from the command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import IO, Any

from arrears.local.events_file import EventsFileError, read_events_file
from arrears.local.faults import FaultPlan
from arrears.local.replay import run_entries

DEFAULT_DAYS = 120
# the demo runs a champion/challenger experiment so its report compares the two arms
DEMO_POLICY_FILE = "demo.yaml"
POLICY_HELP = (
    "escalation policy file the Lambdas run on (ARREARS_POLICY_FILE): a file name under "
    "arrears/policies/ or an absolute path; default: the deployment default"
)


def register(subparsers: Any) -> None:
    run = subparsers.add_parser(
        "run",
        help="replay a JSON-lines events file on the local runtime and write a report",
        description=(
            "Replay timestamped EventBridge entries (and ops actions) on the local runtime, "
            "on a virtual clock that starts at the first entry, and write a JSON report "
            "(docs/report.schema.json)."
        ),
    )
    run.add_argument("--events", type=Path, required=True, help="JSON-lines events file")
    horizon = run.add_mutually_exclusive_group()
    horizon.add_argument(
        "--days",
        type=_positive_int,
        help=f"virtual days to run from the first entry (default {DEFAULT_DAYS})",
    )
    horizon.add_argument(
        "--until",
        type=_until,
        help="run until this instant (ISO date = 00:00 UTC that day, or date-time with offset)",
    )
    run.add_argument("--report", type=Path, help="write the JSON report here")
    run.add_argument("--seed", type=int, default=0, help="seed (same events + seed = same report)")
    run.add_argument("--quiet", action="store_true", help="no progress line, no summary")
    run.add_argument("--policy", help=POLICY_HELP)
    run.add_argument(
        "--faults",
        type=Path,
        help="inject AWS faults from this YAML/JSON plan (docs/local-runtime.md, Faults)",
    )
    run.add_argument(
        "--workers",
        type=_positive_int,
        default=1,
        help="processes; the accounts are split between them (default 1)",
    )
    run.set_defaults(func=run_command)

    demo = subparsers.add_parser(
        "demo",
        help="run a realistic demo portfolio for 120 virtual days on the local runtime",
        description=(
            "Build a seeded portfolio of borrowers across countries and behaviours, run it "
            "on the local runtime, print each case's timeline and a summary, and write the "
            "report, the events file and the letter PDFs to --out."
        ),
    )
    demo.add_argument("--out", type=Path, default=Path("out/demo"), help="output folder")
    demo.add_argument("--days", type=_positive_int, default=DEFAULT_DAYS, help="virtual days")
    demo.add_argument("--seed", type=int, default=7, help="portfolio and runtime seed")
    demo.add_argument("--borrowers", type=_positive_int, default=24, help="portfolio size")
    demo.add_argument("--quiet", action="store_true", help="no progress line, no timelines")
    demo.add_argument("--policy", default=DEMO_POLICY_FILE, help=POLICY_HELP)
    demo.set_defaults(func=demo_command)


# ---- run ------------------------------------------------------------------------------------


def run_command(args: argparse.Namespace) -> int:
    try:
        entries = read_events_file(args.events)
    except FileNotFoundError:
        print(f"arrears run: no such events file: {args.events}", file=sys.stderr)
        return 2
    except EventsFileError as exc:
        print(f"arrears run: {exc}", file=sys.stderr)
        return 2
    if not entries:
        print(f"arrears run: {args.events} has no entries; nothing to run", file=sys.stderr)
        return 2
    start = entries[0].at
    end = args.until or start + timedelta(days=args.days or DEFAULT_DAYS)
    if end < entries[-1].at:
        print(
            f"arrears run: note: entries after {_iso(end)} will not run "
            f"(the last one is at {_iso(entries[-1].at)})",
            file=sys.stderr,
        )
    try:
        env = policy_env(args.policy)
    except ValueError as exc:
        print(f"arrears run: {exc}", file=sys.stderr)
        return 2
    try:
        faults = FaultPlan.load(args.faults) if args.faults else None
    except (OSError, ValueError) as exc:
        print(f"arrears run: fault plan {args.faults}: {exc}", file=sys.stderr)
        return 2
    progress = None if args.quiet else Progress(start, end, sys.stderr)
    if args.workers > 1:
        from arrears.local.sharded_run import run_sharded

        report = run_sharded(
            entries, workers=args.workers, start=start, end=end, seed=args.seed, env=env,
            faults=faults, on_progress=progress.update if progress else None,
        )  # fmt: skip
        if progress:
            progress.done()
    else:
        report = run_entries(
            entries, start=start, end=end, seed=args.seed, progress=progress, extra_env=env,
            faults=faults,
        )  # fmt: skip
    if args.report:
        write_json(args.report, report)
    if not args.quiet:
        from arrears.local.report import render_summary

        print(render_summary(report))
        if args.report:
            print(f"report: {args.report}")
    for rejected in report["rejected_events"]:
        print(
            f"arrears run: event {rejected['event_id'] or '(no event id)'} rejected: "
            f"{rejected['reason']}: {rejected['detail']}",
            file=sys.stderr,
        )
    for unsupported in report["unsupported_ops_actions"]:
        print(
            f"arrears run: ops action at {unsupported['at']} not run: {unsupported['reason']}",
            file=sys.stderr,
        )
    return 0


def policy_env(policy_file: str | None) -> dict[str, str]:
    """Lambda environment selecting ``policy_file``; ValueError if it does not validate."""
    if not policy_file:
        return {}
    from arrears import constants as c
    from arrears.domain.policy import PolicyError, load_policy

    try:
        load_policy(policy_file)  # fail before the run, naming the file and the field
    except PolicyError as exc:
        raise ValueError(str(exc)) from exc
    return {c.ENV_POLICY_FILE: policy_file}


# ---- demo ------------------------------------------------------------------------------------


def demo_command(args: argparse.Namespace) -> int:
    from arrears.local.events_file import to_line
    from arrears.local.portfolio import build_portfolio
    from arrears.local.report import render_summary, render_timelines

    try:
        env = policy_env(args.policy)
    except ValueError as exc:
        print(f"arrears demo: {exc}", file=sys.stderr)
        return 2
    portfolio = build_portfolio(seed=args.seed, borrowers=args.borrowers)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "events.jsonl").write_text(
        "".join(to_line(e) + "\n" for e in portfolio.entries), encoding="utf-8"
    )
    start = portfolio.start
    end = start + timedelta(days=args.days)
    if not args.quiet:
        print(
            f"Arrears demo: {len(portfolio.borrowers)} borrowers, "
            f"{len(portfolio.entries)} scheduled events, {args.days} virtual days "
            f"from {start:%Y-%m-%d} (seed {args.seed})",
            file=sys.stderr,
        )
    progress = None if args.quiet else Progress(start, end, sys.stderr)
    letters_dir = out / "letters"

    def download_letters(rt: Any) -> None:
        save_letters(rt, letters_dir)

    report = run_entries(
        portfolio.entries,
        start=start,
        end=end,
        seed=args.seed,
        progress=progress,
        before=lambda rt: portfolio.desk.attach(rt, end),
        after=download_letters,
        extra_env=env,
    )
    report_path = out / "report.json"
    write_json(report_path, report)
    # the portfolio plus what the agent desk did: `arrears run --events` replays the demo
    replay = sorted([*portfolio.entries, *portfolio.desk.log], key=lambda e: e.at)
    (out / "replay.jsonl").write_text("".join(to_line(e) + "\n" for e in replay), encoding="utf-8")
    if not args.quiet:
        print(render_timelines(report, portfolio.behaviour_by_account))
    print(render_summary(report))
    print(
        f"\nwritten: {report_path}, {out / 'events.jsonl'} (portfolio), "
        f"{out / 'replay.jsonl'} (portfolio + agent desk), {letters_dir}/"
    )
    return 0


def save_letters(rt: Any, folder: Path) -> list[Path]:
    """Download every letter PDF from the local letters bucket into ``folder``."""
    s3 = rt.client("s3")
    bucket = rt.topology.letters_bucket_name
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            target = folder / key.replace("/", "__").replace("#", "-")
            target.write_bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
            written.append(target)
    return written


# ---- helpers ----------------------------------------------------------------------------------


class StatusLine:
    """One progress line on a stream: rewritten in place on a terminal (at most five times a
    second), a new line every five seconds in a log."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._began = time.perf_counter()
        self._last_shown = -1.0

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self._began

    def due(self) -> bool:
        """Whether a new line may be shown now (and, if so, it counts as shown)."""
        elapsed = self.elapsed
        if elapsed - self._last_shown < (0.2 if self._tty else 5.0):
            return False
        self._last_shown = elapsed
        return True

    def show(self, line: str, final: bool = False) -> None:
        if self._tty:
            self._stream.write("\r" + line + ("\n" if final else ""))
        else:
            self._stream.write(line + "\n")
        self._stream.flush()


class Progress:
    """One line on stderr: virtual date, percent, real seconds."""

    def __init__(self, start: datetime, end: datetime, stream: IO[str]) -> None:
        self._start, self._end = start, end
        self._line = StatusLine(stream)

    def update(self, now: datetime) -> None:
        if self._line.due():
            self._show(now, final=False)

    def done(self) -> None:
        self._show(self._end, final=True)

    def _show(self, now: datetime, final: bool) -> None:
        span = (self._end - self._start).total_seconds() or 1.0
        share = min(max((now - self._start).total_seconds() / span, 0.0), 1.0)
        day = (now - self._start).days
        self._line.show(
            f"virtual {now:%Y-%m-%d %H:%M} UTC  day {day:>3}  {share:6.1%}  "
            f"({self._line.elapsed:5.1f}s real)",
            final,
        )


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return value


def _until(text: str) -> datetime:
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), dtime(0), tzinfo=UTC)
        from arrears.local.events_file import parse_time

        return parse_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
