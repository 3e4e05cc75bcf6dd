"""The litigation file (domain/litigation_file.py): an index PDF and JSON, and every letter
checked against the SHA-256 recorded when it was sent."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from arrears.domain import litigation_file
from arrears.domain.balance import Breakdown
from arrears.domain.case import CaseRecord, TimelineEntry
from arrears.domain.types import CaseStatus, Stage

NOW = datetime(2027, 1, 2, tzinfo=UTC)
CASE = CaseRecord(
    case_id="acc-42#1",
    account_id="acc-42",
    cycle=1,
    status=CaseStatus.OPEN,
    stage=Stage.LEGAL_REVIEW,
    balance=Decimal("1250.00"),
    currency="CNY",
    opened_at=datetime(2026, 11, 2, tzinfo=UTC),
    due_date=date(2026, 11, 1),
    obligations={"loan-7/inst-3": Decimal("1250.00")},
)


def letter(kind: str, content: bytes, sha: str | None = None) -> litigation_file.Letter:
    return litigation_file.Letter(
        kind=kind,
        key=f"cases/acc-42#1/{kind}.pdf",
        sha256=sha or hashlib.sha256(content).hexdigest(),
        at="2026-12-01T02:00:00+00:00",
        content=content,
    )


def build(letters: list[litigation_file.Letter]) -> tuple[dict[str, object], bytes]:
    timeline = [
        TimelineEntry(
            "acc-42#1", NOW, "contact_sent", "x", {"channel": "sms", "stage": "reminder"}
        ),
        TimelineEntry("acc-42#1", NOW, "note", "ops:li", {"note": "not in the history"}),
    ]
    breakdown = Breakdown.of(Decimal("1200.00"), Decimal("30.00"), Decimal("20.00"))
    data = litigation_file.index(CASE, timeline, breakdown, letters, {"approver": "zhang"}, NOW)
    return data, litigation_file.bundle(data, letters)


def test_the_zip_holds_the_index_and_every_letter_as_sent() -> None:
    letters = [letter("demand_letter", b"%PDF-1 demand"), letter("lawyer_letter", b"%PDF-1 law")]
    _data, body = build(letters)
    archive = zipfile.ZipFile(io.BytesIO(body))
    assert sorted(archive.namelist()) == [
        "index.json",
        "index.pdf",
        "letters/01-demand_letter.pdf",
        "letters/02-lawyer_letter.pdf",
    ]
    assert archive.read("index.pdf").startswith(b"%PDF")
    index = json.loads(archive.read("index.json"))
    assert index["balance"] == {
        "principal": "1200.00",
        "interest": "30.00",
        "late_fees": "20.00",
        "total": "1250.00",
    }
    for entry in index["letters"]:
        content = archive.read(entry["file"])
        assert hashlib.sha256(content).hexdigest() == entry["sha256"]
    assert [c["kind"] for c in index["contact_history"]] == ["contact_sent"]
    assert index["approval"] == {"approver": "zhang"}
    # the same file gives the same bytes (fixed zip times)
    assert build(letters)[1] == body


def test_a_letter_that_changed_since_it_was_sent_stops_the_file() -> None:
    tampered = letter("demand_letter", b"%PDF-1 edited", sha="0" * 64)
    with pytest.raises(litigation_file.LetterTampered):
        build([tampered])


def test_a_letter_missing_from_storage_is_listed_as_missing() -> None:
    gone = litigation_file.Letter("demand_letter", "cases/x.pdf", "a" * 64, "2026-12-01", None)
    data, body = build([gone])
    assert data["letters"][0]["missing_from_storage"] is True  # type: ignore[index]
    assert "letters/01-demand_letter.pdf" not in zipfile.ZipFile(io.BytesIO(body)).namelist()
