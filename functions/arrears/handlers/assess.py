"""Lambda for the escalation Task "Assess risk and plan" (arrears.steps.assess), which is
also where a parked case's resumed execution starts (arrears.steps.parking.resume)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears.handlers import _shell
from arrears.handlers._shell import escalation_step
from arrears.steps.assess import assess


@escalation_step
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    resumed = (event.get("input") or {}).get("resume")
    if resumed:  # resumes only: the wake's steps and the scheduler are kept off the cold start
        from arrears.adapters import schedules
        from arrears.steps.parking import resume

        return resume(_shell.default_deps(), schedules.configured(), event["case_id"], resumed)
    return assess(_shell.default_deps(), event["case_id"])
