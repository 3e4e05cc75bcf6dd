"""Lambda for the escalation Tasks "Send demand letter" and "Send lawyer's letter"
(arrears.steps.letter)."""

from __future__ import annotations

import warnings
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from arrears.domain.types import Stage
from arrears.handlers import _shell
from arrears.handlers._shell import escalation_step
from arrears.steps.contact import act_on_stage
from arrears.steps.letter import deliver_letter

# Letters embed no images, so the asset leaves out Pillow, which fpdf2 would warn about on
# every cold start (infra/assets.py)
warnings.filterwarnings("ignore", message="Pillow could not be imported", module="fpdf")


@escalation_step
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    deps = _shell.default_deps()
    if event.get("op") == "refer_to_litigation":  # the lawyer's file is a PDF too
        from arrears.adapters.litigation_files import write_litigation_file
        from arrears.steps.legal_review import refer_to_litigation

        wake = event.get("wake") or {}
        return refer_to_litigation(deps, event["case_id"], wake, write_litigation_file)
    return act_on_stage(deps, event["case_id"], Stage(event["stage"]), deliver_letter)
