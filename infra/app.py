"""CDK entry point (cdk.json: ``python3 infra/app.py``); works from any working directory."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
# Run as a script, Python puts infra/ first on sys.path, where infra/constructs would shadow
# the `constructs` library; the repo root goes there instead so `infra` is a package.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
sys.path.insert(0, str(REPO_ROOT))

import json  # noqa: E402
from typing import Any, NamedTuple  # noqa: E402

import aws_cdk as cdk  # noqa: E402
from cdk_nag import AwsSolutionsChecks  # noqa: E402

from infra.nag import add_aws_solutions_checks  # noqa: E402
from infra.stack import STACK_NAME, ArrearsStack  # noqa: E402


class BuiltApp(NamedTuple):
    app: cdk.App
    stack: ArrearsStack
    nag: AwsSolutionsChecks  # also registered as a validation plugin: synth fails on findings


def cdk_json_context() -> dict[str, Any]:
    """The feature flags in cdk.json, for apps built outside the CDK CLI (tests)."""
    context: dict[str, Any] = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    return context


def build_app(app: cdk.App | None = None) -> BuiltApp:
    app = app or cdk.App()
    stack = ArrearsStack(app, STACK_NAME, description="Arrears: serverless collections engine")
    return BuiltApp(app, stack, add_aws_solutions_checks(app))


def main() -> None:
    # The CLI passes cdk.json's context itself (and it wins); this makes a direct
    # `python infra/app.py` synthesize the same stack.
    build_app(cdk.App(context=cdk_json_context())).app.synth()


if __name__ == "__main__":
    main()
