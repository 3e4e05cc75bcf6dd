"""Contact compliance gate: every outbound contact asks ``decide`` first.

Pure domain logic (no AWS). Rules are data: per-jurisdiction packs under
``arrears/policies/compliance``. See docs/compliance.md for each rule and its source.
"""

from arrears.domain.compliance.content import (
    ContentRequirement,
    missing_content,
    required_content,
    validation_notice_due,
)
from arrears.domain.compliance.gate import blocking_reason, decide
from arrears.domain.compliance.hours import hours_problem, next_allowed
from arrears.domain.compliance.model import (
    ALLOW,
    ContactIntent,
    Decision,
    Purpose,
    Reason,
    Verdict,
)
from arrears.domain.compliance.pack import (
    BlockingFlag,
    CompliancePack,
    all_packs,
    load_pack,
    parse_pack,
)
from arrears.domain.compliance.zones import candidate_zones

__all__ = [
    "ALLOW",
    "BlockingFlag",
    "CompliancePack",
    "ContactIntent",
    "ContentRequirement",
    "Decision",
    "Purpose",
    "Reason",
    "Verdict",
    "all_packs",
    "blocking_reason",
    "candidate_zones",
    "decide",
    "hours_problem",
    "load_pack",
    "missing_content",
    "next_allowed",
    "parse_pack",
    "required_content",
    "validation_notice_due",
]
