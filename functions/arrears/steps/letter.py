"""Escalation step: a formal letter (demand letter, lawyer's letter).

Same guards and compliance gate as every contact (``contact.act_on_stage``); the delivery
renders the PDF in the borrower's language, stores it in the letters bucket (KMS, versioned)
and announces it for postal dispatch. The audit line carries the letter's S3 key, version
id and SHA-256, never its content.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from arrears.domain.case import BorrowerRecord, CaseRecord
from arrears.domain.policy import Policy, StageStep
from arrears.domain.types import Channel
from arrears.steps.notices import render_and_store_letter
from arrears.steps.unit_of_work import UnitOfWork


def deliver_letter(
    deps: UnitOfWork,
    case: CaseRecord,
    borrower: BorrowerRecord,
    policy: Policy,
    step: StageStep,
    channel: Channel,
    now: datetime,
) -> tuple[str, dict[str, Any]]:
    kind = step.letter or step.stage.value
    return "letter_stored", render_and_store_letter(deps, case, borrower, policy, kind, now)
