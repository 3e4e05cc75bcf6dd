"""Lambda for the escalation Tasks that contact the borrower ("Send reminder", "Send
follow-up reminder", "Request agent call", "Offer payment plan", "Send pre-due reminder")
and "Thank borrower for payment" (arrears.steps.contact, arrears.steps.receipt)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears.domain.types import Stage
from arrears.handlers import _shell
from arrears.handlers._shell import escalation_step
from arrears.steps.contact import act_on_stage, deliver_message, send_receipt


@escalation_step
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = _shell.default_deps()
    if event.get("op") == "receipt":
        return send_receipt(deps, event["case_id"])
    return act_on_stage(deps, event["case_id"], Stage(event["stage"]), deliver_message)
