"""Contact compliance gate: every outbound contact asks ``decide`` first.

Pure domain logic (no AWS). Rules are data: per-jurisdiction packs under
``arrears/policies/compliance``. See docs/compliance.md for each rule and its source.

The names below load with their module when first asked for: a function that only needs
the model (``Purpose``, for the guards) does without the packs, the gate and the time zones
on its cold start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from arrears.domain.lazy_exports import lazy_exports

if TYPE_CHECKING:  # the same names, loaded on first use (``__getattr__`` below)
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

# each public name -> the module of this package that defines it
_MODULE_OF = {
    "ContentRequirement": "content",
    "missing_content": "content",
    "required_content": "content",
    "validation_notice_due": "content",
    "blocking_reason": "gate",
    "decide": "gate",
    "hours_problem": "hours",
    "next_allowed": "hours",
    "ALLOW": "model",
    "ContactIntent": "model",
    "Decision": "model",
    "Purpose": "model",
    "Reason": "model",
    "Verdict": "model",
    "BlockingFlag": "pack",
    "CompliancePack": "pack",
    "all_packs": "pack",
    "load_pack": "pack",
    "parse_pack": "pack",
    "candidate_zones": "zones",
}

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


__getattr__ = lazy_exports(__name__, _MODULE_OF, globals())
