"""`arrears` command line. Stays out of the Lambda asset (see infra/bundling.py).

Each command group lives in its own module and registers itself here, so the groups
(local runtime, ops, model fitting) can grow without touching one another.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# module path -> registers its sub-commands with `register(subparsers)`
COMMAND_MODULES = (
    "arrears.local.commands",  # demo, run
    "arrears.local.simulation.command",  # simulate
    "arrears.tools.model_commands",  # model fit
    "arrears.tools.ops_commands",  # ops ACTION, ops queue
    "arrears.local.portal_command",  # portal (the borrower portal on 127.0.0.1)
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arrears", description=__doc__.splitlines()[0])
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:  # a real missing dependency, not an absent group
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
