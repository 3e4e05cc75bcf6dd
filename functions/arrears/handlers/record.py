"""Lambda for the escalation Tasks "Handle wake-up", "Open legal review" and "Refer to
litigation" (arrears.steps.wake, arrears.steps.legal_review)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears.handlers import _shell
from arrears.handlers._shell import escalation_step
from arrears.steps.legal_review import open_legal_review, refer_to_litigation
from arrears.steps.wake import handle_wake


@escalation_step
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = _shell.default_deps()
    op = event.get("op", "wake")
    if op == "open_legal_review":
        return open_legal_review(deps, event["case_id"])
    if op == "refer_to_litigation":
        return refer_to_litigation(deps, event["case_id"], event.get("wake") or {})
    return handle_wake(deps, event["case_id"], event.get("wake") or {}, event.get("pending") or {})
