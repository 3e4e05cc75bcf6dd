"""The litigation file a lawyer opens (docs/integrations.md, "Litigation file").

Pure (fpdf2 lays out the index; only the letter function's asset ships it). One zip:

- ``index.pdf``: the case, the balance breakdown, every letter with its SHA-256, the
  contact history and the approval, for a person to read;
- ``index.json``: the same, for a machine;
- ``letters/<n>-<kind>.pdf``: each letter as it was stored, checked against the SHA-256
  recorded on the timeline when it was sent.

Nothing about how to reach the borrower: the lender's legal team holds that.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from arrears.domain.balance import Breakdown
from arrears.domain.case import CaseRecord, TimelineEntry, iso_utc

# what the contact history lists (the timeline never holds message text)
CONTACT_KINDS = frozenset(
    {
        "contact_sent",
        "contact_failed",
        "contact_blocked",
        "contact_deferred",
        "letter_stored",
        "call_outcome_recorded",
        "reply_analysed",
    }
)
# a fixed time for zip entries: the same file gives the same bytes
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


class LetterTampered(Exception):
    """A stored letter no longer matches the SHA-256 recorded when it was sent."""


@dataclass(frozen=True)
class Letter:
    kind: str
    key: str
    sha256: str
    at: str
    content: bytes | None  # None: no longer in storage (the index says so)


def file_key(case_id: str) -> str:
    return f"cases/{case_id}/litigation-file.zip"


def index(
    case: CaseRecord,
    timeline: Sequence[TimelineEntry],
    breakdown: Breakdown,
    letters: Sequence[Letter],
    approval: Mapping[str, Any],
    now: datetime,
) -> dict[str, Any]:
    entries = sorted(timeline, key=lambda e: (e.at, e.entry_key))
    return {
        "prepared_at": iso_utc(now),
        "case": {
            "case_id": case.case_id,
            "account_id": case.account_id,
            "opened_at": iso_utc(case.opened_at),
            "due_date": case.due_date.isoformat() if case.due_date else None,
            "currency": case.currency,
            "obligations": {k: format(v, "f") for k, v in sorted(case.obligations.items())},
            "policy_version": case.policy_version,
        },
        "balance": {
            "principal": format(breakdown.principal, "f"),
            "interest": format(breakdown.interest, "f"),
            "late_fees": format(breakdown.late_fees, "f"),
            "total": format(breakdown.total, "f"),
        },
        "letters": [
            {
                "file": letter_name(n, letter),
                "kind": letter.kind,
                "sent_at": letter.at,
                "key": letter.key,
                "sha256": letter.sha256,
                **({"missing_from_storage": True} if letter.content is None else {}),
            }
            for n, letter in enumerate(letters, 1)
        ],
        "contact_history": [
            {
                "at": iso_utc(e.at),
                "kind": e.kind,
                **{
                    k: e.detail[k]
                    for k in ("stage", "channel", "reason", "outcome")
                    if k in e.detail
                },
            }
            for e in entries
            if e.kind in CONTACT_KINDS
        ],
        "approval": {k: str(v) for k, v in approval.items() if v not in (None, "")},
    }


def letter_name(n: int, letter: Letter) -> str:
    return f"letters/{n:02d}-{letter.kind}.pdf"


def check(letter: Letter) -> None:
    if letter.content is None:
        return
    if hashlib.sha256(letter.content).hexdigest() != letter.sha256:
        raise LetterTampered(f"{letter.key} does not match its recorded SHA-256")


def index_pdf(data: Mapping[str, Any]) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    _line(pdf, f"Litigation file - case {data['case']['case_id']}", 9)
    pdf.set_font("Helvetica", size=9)
    _line(pdf, f"Prepared {data['prepared_at']}")
    for title, rows in (
        ("Case", [f"{k}: {v}" for k, v in data["case"].items() if not isinstance(v, dict)]),
        (
            "Balance breakdown (" + str(data["case"]["currency"]) + ")",
            [f"{k}: {v}" for k, v in data["balance"].items()],
        ),
        (
            "Letters",
            [
                f"{x['file']}  {x['kind']}  sent {x['sent_at']}  sha256 {x['sha256']}"
                for x in data["letters"]
            ]
            or ["none"],
        ),
        (
            "Contact history",
            ["  ".join(str(v) for v in entry.values()) for entry in data["contact_history"]]
            or ["none"],
        ),
        ("Approval", [f"{k}: {v}" for k, v in data["approval"].items()] or ["none"]),
    ):
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        _line(pdf, title, 7)
        pdf.set_font("Helvetica", size=8)
        for row in rows:
            _line(pdf, row)
    return bytes(pdf.output())


def _line(pdf: Any, text: str, height: float = 5) -> None:
    # the core font is Latin-1: anything else prints as "?" (ids and amounts are ASCII)
    safe = text.encode("latin-1", "replace").decode("latin-1")
    pdf.multi_cell(0, height, safe, new_x="LMARGIN", new_y="NEXT")


def bundle(data: Mapping[str, Any], letters: Sequence[Letter]) -> bytes:
    """The zip: index.pdf, index.json and every letter (each checked first)."""
    for letter in letters:
        check(letter)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:

        def add(name: str, content: bytes) -> None:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, content)

        add("index.pdf", index_pdf(data))
        add("index.json", json.dumps(data, indent=2, sort_keys=True).encode())
        for n, letter in enumerate(letters, 1):
            if letter.content is not None:
                add(letter_name(n, letter), letter.content)
    return out.getvalue()
