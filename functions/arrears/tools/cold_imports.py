"""Cold import CPU time of each Lambda handler, in a fresh interpreter per import.

    python -m arrears.tools.cold_imports [--before DIR] [--runs N]

Prints the median CPU seconds per handler module over N fresh interpreters (no bytecode
written, tracing off), next to the same for the package under ``--before`` (e.g. a
``git worktree`` of an older commit's ``functions/``) when given, interleaved run by run
so a busy machine slows both alike. The figure to read is the ratio, not the seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

from arrears import topology

_TIMED = (
    "import importlib, os, time; os.environ.setdefault('AWS_DEFAULT_REGION', 'us-east-1');"
    "os.environ['POWERTOOLS_TRACE_DISABLED'] = '1'; t = time.process_time();"
    "importlib.import_module({module!r}); print(time.process_time() - t)"
)


def cold_import_seconds(tree: Path, module: str) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-c", _TIMED.format(module=module)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return float(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="an older package tree (its functions/)")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    trees = {"now": Path(__file__).resolve().parents[2]}
    if args.before:
        trees["before"] = args.before.resolve()
    modules = [spec.handler.rsplit(".", 1)[0] for spec in topology.FUNCTIONS]
    times: dict[tuple[str, str], list[float]] = {(t, m): [] for t in trees for m in modules}
    for _ in range(args.runs):
        for name, tree in trees.items():
            for module in modules:
                times[name, module].append(cold_import_seconds(tree, module))
    for module in modules:
        now = statistics.median(times["now", module])
        line = f"{module.rsplit('.', 1)[1]:14} now {now:6.3f} s"
        if "before" in trees:
            before = statistics.median(times["before", module])
            line += f"   before {before:6.3f} s   now/before {now / before:4.2f}"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
