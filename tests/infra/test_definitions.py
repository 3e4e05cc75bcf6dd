"""Every ${Placeholder} in every ASL file is substituted, and every substitution is used."""

from __future__ import annotations

import json
import re

from arrears import topology

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
ASL_FILES = sorted(topology.STATEMACHINES_DIR.glob("*.asl.json"))


def placeholders(path) -> set[str]:
    return set(PLACEHOLDER.findall(path.read_text(encoding="utf-8")))


def test_there_are_definitions_to_check():
    assert ASL_FILES, f"no *.asl.json under {topology.STATEMACHINES_DIR}"


def test_every_asl_file_is_deployed_by_a_spec():
    deployed = {spec.definition_file for spec in topology.STATE_MACHINES}
    assert {path.name for path in ASL_FILES} <= deployed


def test_every_placeholder_has_a_substitution_and_every_substitution_is_used(synthesized):
    for spec in topology.STATE_MACHINES:
        # given the ASL file and the spec's substitutions map
        used = placeholders(spec.definition_path)
        declared = set(spec.substitutions)
        # then they name the same placeholders
        assert used - declared == set(), f"{spec.definition_file}: not substituted"
        assert declared - used == set(), f"{spec.definition_file}: substitution never used"
        # and the synthesized state machine carries a value for each of them
        state_machine = synthesized.stack.workflow.state_machines[spec.construct_id]
        properties = synthesized.resource(state_machine)["Properties"]
        assert set(properties["DefinitionSubstitutions"]) == used


def test_definitions_hard_code_no_arn_or_account():
    for path in ASL_FILES:
        text = path.read_text(encoding="utf-8")
        json.loads(text)  # valid JSON
        # service integration ARNs (arn:aws:states:::...) are generic; anything else is not
        specific = re.findall(r"arn:aws:(?!states:::)[^\"]*", text)
        assert specific == [], f"{path.name} hard-codes {specific}"
        assert re.search(r"\b\d{12}\b", text) is None, f"{path.name} names an account id"
