"""Lambda for the escalation Task "Assess risk and plan" (arrears.steps.assess)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears.handlers import _shell
from arrears.handlers._shell import escalation_step
from arrears.steps.assess import assess


@escalation_step
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return assess(_shell.default_deps(), event["case_id"])
