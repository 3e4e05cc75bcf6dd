"""Lambda for the escalation Tasks "Handle wake-up", "Open legal review", "Refer to
litigation" and "Park until the next stage is due" (arrears.steps.wake,
arrears.steps.legal_review, arrears.steps.parking)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears.handlers import _shell
from arrears.handlers._shell import escalation_step
from arrears.steps.legal_review import open_legal_review, refer_to_litigation
from arrears.steps.parking import park
from arrears.steps.wake import handle_wake


@escalation_step
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = _shell.default_deps()
    op = event.get("op", "wake")
    if op == "open_legal_review":
        return open_legal_review(deps, event["case_id"])
    if op == "park":
        from arrears.adapters import schedules  # parking only: kept off the cold start

        plan, execution_input = event.get("plan") or {}, event.get("input") or {}
        resume = schedules.configured()
        return park(deps, resume, event["case_id"], plan, execution_input, event["execution"])
    if op == "refer_to_litigation":
        return refer_to_litigation(deps, event["case_id"], event.get("wake") or {})
    return handle_wake(deps, event["case_id"], event.get("wake") or {}, event.get("pending") or {})
