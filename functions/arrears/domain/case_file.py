"""The case file an agency receives when a case is placed with it (docs/integrations.md).

Pure. What the agency needs to collect and nothing about how to reach the borrower (the
lender hands contact data over its own channel): the case's ids, balance and obligations,
the balance's history, every letter with its SHA-256, and the timeline's facts (the
timeline never holds message text).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from arrears.domain.case import CaseRecord, TimelineEntry, iso_utc

SCHEMA_VERSION = "1"


def case_file_key(case_id: str, placed_at: datetime) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "-" for ch in case_id)
    return f"agency/{safe}/{placed_at.strftime('%Y%m%dT%H%M%S')}.json"


def build(
    case: CaseRecord, timeline: Sequence[TimelineEntry], agency: str, at: datetime
) -> dict[str, Any]:
    entries = sorted(timeline, key=lambda e: (e.at, e.entry_key))
    balances = [
        {"at": iso_utc(e.at), "balance": str(e.detail["balance"]), "kind": e.kind}
        for e in entries
        if e.detail.get("balance") not in (None, "")
    ]
    letters = [
        {
            "at": iso_utc(e.at),
            "kind": e.detail.get("kind") or e.detail.get("letter"),
            "key": e.detail.get("key"),
            "sha256": e.detail.get("sha256"),
        }
        for e in entries
        if e.kind == "letter_stored"
    ]
    return {
        "schema_version": SCHEMA_VERSION,
        "prepared_at": iso_utc(at),
        "agency": agency,
        "case": {
            "case_id": case.case_id,
            "account_id": case.account_id,
            "cycle": case.cycle,
            "status": case.status.value,
            "stage": case.stage.value,
            "balance": _money(case.balance),
            "currency": case.currency,
            "obligations": {k: _money(v) for k, v in sorted(case.obligations.items())},
            "due_date": case.due_date.isoformat() if case.due_date else None,
            "opened_at": iso_utc(case.opened_at),
            "delinquency_bucket": case.dpd_bucket,
            "policy_version": case.policy_version,
        },
        "balance_history": balances,
        "letters": letters,
        "timeline": [
            {"at": iso_utc(e.at), "kind": e.kind, "actor": e.actor, "detail": e.detail}
            for e in entries
        ],
    }


def _money(value: Decimal) -> str:
    return format(value, "f")
