"""cfn-lint and cdk-nag (AwsSolutions) gates on the synthesized template."""

from __future__ import annotations

import json

import pytest


def test_cfn_lint_reports_no_errors(synthesized):
    from cfnlint.api import lint

    matches = lint(json.dumps(synthesized.template_json), regions=["us-east-1"])
    # W-level findings (e.g. W3005, which CDK's explicit DependsOn causes) are not gated
    errors = [f"{m.rule.id} {m.message} ({m.path})" for m in matches if m.rule.id.startswith("E")]
    assert errors == []


def test_aws_solutions_checks_report_zero_unacknowledged_findings(synthesized):
    findings = [
        f"{v.rule_name}: {[r.construct_path for r in v.violating_resources]}"
        for v in synthesized.nag_violations
    ]
    assert findings == []


def test_every_acknowledgment_carries_a_written_reason(synthesized):
    from aws_cdk import Validations

    acknowledged = {}
    for construct in synthesized.stack.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule, reason in entry.data.items():
                    acknowledged[f"{construct.node.path} {rule}"] = reason
    assert acknowledged, "expected the stack to acknowledge some findings"
    too_short = {where: reason for where, reason in acknowledged.items() if len(reason.split()) < 5}
    assert too_short == {}


def test_nag_pack_does_find_a_non_compliant_resource():
    # given a stack with a queue that has no DLQ and accepts plain HTTP
    import aws_cdk as cdk
    from aws_cdk import aws_sqs as sqs

    from infra.nag import add_aws_solutions_checks

    app = cdk.App(builtin_cloud_formation_validation=False)  # only the nag plugin, as in conftest
    stack = cdk.Stack(app, "NonCompliant")
    sqs.Queue(stack, "Queue")
    pack = add_aws_solutions_checks(app)

    # when the pack validates it, then the findings name the queue
    report = pack.validate_scope(stack)
    rules = {v.rule_name for v in report.violations}
    assert {"AwsSolutions-SQS3", "AwsSolutions-SQS4"} <= rules
    # and, registered as a validation plugin, the pack stops synthesis
    with pytest.raises(RuntimeError, match="AwsSolutions-SQS4"):
        app.synth()


def test_acknowledging_without_a_reason_is_refused():
    import aws_cdk as cdk

    from infra.nag import acknowledge

    stack = cdk.Stack(cdk.App(), "Any")
    with pytest.raises(ValueError, match="reason"):
        acknowledge(stack, "AwsSolutions-SQS3", "  ")
