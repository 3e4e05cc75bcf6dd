"""Synthesize ArrearsStack once per test session, with Lambda bundling skipped."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

# jsii's node end-of-life banner is noise (see DESIGN.md); must be set before jsii starts.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION", "1")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

# The context key `cdk synth --exclusively` uses to name the stacks that need bundling.
SKIP_ALL_BUNDLING = {"aws:cdk:bundling-stacks": []}
# One per-deployment setting, given the way `cdk deploy -c emailFrom=...` gives it.
DEPLOYMENT_CONTEXT = {"emailFrom": "collections@pay.example.com"}


@dataclass
class Synthesized:
    app: Any  # aws_cdk.App
    stack: Any  # infra.stack.ArrearsStack
    template: Any  # aws_cdk.assertions.Template
    template_json: dict[str, Any]
    resources: dict[str, dict[str, Any]]  # logical id -> resource, from the template JSON
    nag_violations: list[Any]  # aws_cdk.PolicyViolation
    bundling_calls: list[Any]

    def logical_id(self, construct: Any) -> str:
        """Logical id of an L2 construct's CloudFormation resource."""
        element = construct.node.default_child
        return str(self.stack.resolve(self.stack.get_logical_id(element)))

    def resource(self, construct: Any) -> dict[str, Any]:
        return self.resources[self.logical_id(construct)]

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: r for k, r in self.resources.items() if r["Type"] == resource_type}

    def resolve(self, value: Any) -> Any:
        return self.stack.resolve(value)


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    import aws_cdk as cdk
    from aws_cdk.assertions import Template

    from infra.app import build_app, cdk_json_context

    bundling_calls: list[Any] = []
    outdir = tmp_path_factory.mktemp("cdk.out")
    # Any call would mean pip ran during a test synth; record instead of running it.
    with mock.patch(
        "infra.bundling.bundle_lambda_package",
        side_effect=lambda *args, **kwargs: bundling_calls.append(args),
    ):
        app = cdk.App(
            context={**cdk_json_context(), **SKIP_ALL_BUNDLING, **DEPLOYMENT_CONTEXT},
            outdir=str(outdir),
            # CDK's built-in template schema check costs ~15 s of CPU per synth; cfn-lint
            # (test_compliance) checks the same template more thoroughly. `cdk synth` keeps it.
            builtin_cloud_formation_validation=False,
        )
        built = build_app(app)
        app.synth()  # runs the cdk-nag plugin too: a finding fails the whole session here
        template = Template.from_stack(built.stack)  # reuses the synthesized assembly
    report = built.nag.validate_scope(built.stack)
    # Reading the template file is much faster than marshalling it back through jsii.
    template_json = json.loads((outdir / built.stack.template_file).read_text())
    return Synthesized(
        app=built.app,
        stack=built.stack,
        template=template,
        template_json=template_json,
        resources=template_json["Resources"],
        nag_violations=list(report.violations),
        bundling_calls=bundling_calls,
    )
