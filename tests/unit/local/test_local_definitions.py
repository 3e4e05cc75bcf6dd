"""ASL files become local definitions: every ${Placeholder} substituted from the topology."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from arrears import topology as t
from arrears.local.runtime import (
    LocalTopology,
    UnresolvedPlaceholder,
    function_arn,
    local_definition,
    local_environment,
)

PLACEHOLDER = re.compile(r"\$\{[A-Za-z0-9_]+\}")


@pytest.mark.parametrize("spec", t.STATE_MACHINES, ids=lambda s: s.construct_id)
def test_every_placeholder_of_every_state_machine_is_substituted(spec):
    # given a state machine of the deployed topology and its ASL file
    raw = spec.definition_path.read_text()
    # when it is made local
    text = local_definition(spec, LocalTopology.default())
    # then no placeholder is left, it is valid JSON, and each mapped value is in it
    assert PLACEHOLDER.findall(text) == []
    json.loads(text)
    for name, (kind, target) in spec.substitutions.items():
        if f"${{{name}}}" in raw and kind == "function":
            assert function_arn(target) in text  # type: ignore[arg-type]
        if f"${{{name}}}" in raw and kind == "table":
            assert f'"{target.local_name}"' in text  # type: ignore[attr-defined]


def test_a_placeholder_without_substitution_is_reported_by_name(tmp_path):
    # given an ASL file using a placeholder its spec does not map
    asl = tmp_path / "broken.asl.json"
    asl.write_text(
        json.dumps(
            {
                "StartAt": "A",
                "States": {"A": {"Type": "Pass", "Parameters": {"t": "${NotMapped}"}, "End": True}},
            }
        )
    )
    spec = replace(t.ESCALATION, definition_file=str(asl))
    # when / then
    with pytest.raises(UnresolvedPlaceholder, match="NotMapped"):
        local_definition(spec, LocalTopology.default())


def test_the_lambda_environment_carries_every_local_resource_name():
    env = local_environment(LocalTopology.default())
    for table in t.TABLES:
        assert env[table.env_var] == table.local_name
    assert env["ARREARS_EVENT_BUS_NAME"] == t.EVENT_BUS_LOCAL_NAME
    assert env["ARREARS_LETTERS_BUCKET"] == t.LETTERS_BUCKET_LOCAL_NAME
    assert env["ARREARS_ESCALATION_STATE_MACHINE_ARN"].endswith(
        f":stateMachine:{t.ESCALATION.local_name}"
    )
