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


# Service integrations whose IAM action is not simply "<service>:<Action>".
INTEGRATION_ACTIONS = {"lambda:invoke": "lambda:InvokeFunction"}
SDK_SERVICE_PREFIXES = {"sfn": "states"}


def required_actions(definition: dict) -> set[str]:
    """IAM actions the state machine's Task states call, from their Resource ARNs."""
    actions: set[str] = set()

    def visit(states: dict) -> None:
        for state in states.values():
            resource = state.get("Resource", "")
            if state.get("Type") == "Task" and resource.startswith("arn:aws:states:::"):
                integration = resource.removeprefix("arn:aws:states:::").split(".")[0]
                if integration.startswith("aws-sdk:"):
                    _, service, action = integration.split(":")
                    service = SDK_SERVICE_PREFIXES.get(service, service)
                else:
                    service, action = integration.split(":")
                default = f"{service}:{action[0].upper()}{action[1:]}"
                actions.add(INTEGRATION_ACTIONS.get(integration, default))
            for branch in state.get("Branches", []):
                visit(branch["States"])
            if "Iterator" in state or "ItemProcessor" in state:
                visit((state.get("ItemProcessor") or state["Iterator"])["States"])

    visit(definition["States"])
    return actions


def test_state_machine_role_allows_every_integration_its_definition_calls(synthesized):
    for spec in topology.STATE_MACHINES:
        # given the integrations the ASL file calls
        needed = required_actions(json.loads(spec.definition_path.read_text(encoding="utf-8")))
        # when we collect what the state machine's role allows
        state_machine = synthesized.stack.workflow.state_machines[spec.construct_id]
        role_ref = {"Ref": synthesized.logical_id(state_machine.role)}
        allowed: set[str] = set()
        for policy in synthesized.of_type("AWS::IAM::Policy").values():
            if role_ref in policy["Properties"]["Roles"]:
                for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
                    action = statement["Action"]
                    allowed |= set(action if isinstance(action, list) else [action])
        # then every one of them is granted
        assert needed, spec.definition_file
        assert needed - allowed == set(), spec.definition_file


def test_required_actions_reads_sdk_and_optimized_integrations():
    definition = {
        "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke"},
            "B": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:dynamodb:updateItem.waitForTaskToken",
            },
            "C": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess"},
            "D": {
                "Type": "Parallel",
                "Branches": [
                    {"States": {"E": {"Type": "Task", "Resource": "arn:aws:states:::sns:publish"}}}
                ],
            },
        }
    }
    assert required_actions(definition) == {
        "lambda:InvokeFunction",
        "dynamodb:UpdateItem",
        "states:SendTaskSuccess",
        "sns:Publish",
    }
