"""cdk-nag (v3) wiring: the AwsSolutions pack and reasoned acknowledgments.

cdk-nag 3 is a CDK policy-validation plugin: ``Validations.of(app).add_plugins(...)`` makes
every synth fail on an unacknowledged finding. An acknowledgment names one finding (rule id,
plus ``[Resource::...]`` / ``[Action::...]`` for IAM5) and always carries a reason.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_aws_solutions_checks(scope: IConstruct) -> AwsSolutionsChecks:
    """Attach the AwsSolutions pack to an App or Stage; returns it for direct validation."""
    pack = AwsSolutionsChecks(scope)
    Validations.of(scope).add_plugins(pack)
    return pack


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    if not reason.strip():
        raise ValueError(f"acknowledging {rule_id} needs a written reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def nag_spelling(scope: IConstruct, value: str) -> str:
    """How cdk-nag spells a (possibly tokenized) ARN inside a finding id.

    References render as ``<LogicalId>`` / ``<AWS::Region>``, attributes as
    ``<LogicalId.Arn>``, joins are concatenated: ``arn:<AWS::Partition>:ses:...``.
    """
    return _spell(Stack.of(scope).resolve(value))


def _spell(resolved: Any) -> str:
    if isinstance(resolved, str):
        return resolved
    if isinstance(resolved, dict) and "Ref" in resolved:
        return f"<{resolved['Ref']}>"
    if isinstance(resolved, dict) and "Fn::GetAtt" in resolved:
        logical_id, attribute = resolved["Fn::GetAtt"]
        return f"<{logical_id}.{attribute}>"
    if isinstance(resolved, dict) and "Fn::Join" in resolved:
        separator, parts = resolved["Fn::Join"]
        return str(separator).join(_spell(part) for part in parts)
    raise ValueError(f"cannot spell {resolved!r} the way cdk-nag does")


def acknowledge_wildcard_resource(role: IConstruct, resource: str, reason: str) -> None:
    """Acknowledge AwsSolutions-IAM5 for one wildcard resource granted to ``role``."""
    acknowledge(role, f"AwsSolutions-IAM5[Resource::{nag_spelling(role, resource)}]", reason)
