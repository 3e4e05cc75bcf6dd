"""`arrears ops ... --local EVENTS_FILE --at TIME`: the work queue and an action, end to end.

The events file holds one OVERDUE event; replayed to 31 Dec the standard ladder waits in
legal review (policies/default.yaml: day 60). The queue lists it; the approval given from
the command line wakes it and the case goes to litigation.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from arrears import cli
from escalation_support import payment_event

AT = "2026-12-31T12:00:00Z"


@pytest.fixture(scope="module")
def events_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    detail = payment_event(
        "acc-cli",
        "OVERDUE",
        sequence=1,
        event_id="evt-cli-1",
        occurred_at=datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
        due=date(2026, 11, 1),
    )
    line = {
        "at": "2026-11-02T01:00:00Z",
        "event": {
            "Source": "wallet.payments",
            "DetailType": "PaymentStatusChanged",
            "Detail": detail,
        },
    }
    path: Path = tmp_path_factory.mktemp("ops-cli") / "events.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    return path


def test_queue_lists_the_legal_review_with_its_due_time(
    events_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # when the queue is listed as it stands on 31 Dec
    code = cli.main(["ops", "queue", "--local", str(events_file), "--at", AT, "--json"])
    # then the case waits in LEGAL_REVIEW, due at the end of the seven-day decision window
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert [(r["queue"], r["case_id"], r["waiting_for"]) for r in rows] == [
        ("LEGAL_REVIEW", "acc-cli#1", "legal_decision")
    ]
    assert rows[0]["due_at"].startswith("2027-01-07T02:00:00")


def test_an_approval_from_the_command_line_wakes_the_case(
    events_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # when the approval is given from the command line at that time
    code = cli.main(
        [
            "ops",
            "approve_litigation",
            "--local",
            str(events_file),
            "--at",
            AT,
            "--case-id",
            "acc-cli#1",
            "--operator",
            "li.wei",
            "--approver",
            "zhang.min",
            "--reason",
            "no reply to the lawyer letter",
        ]
    )
    # then it succeeded, woke the waiting escalation and the case went to litigation
    assert code == 0
    out = capsys.readouterr().out
    assert '"case_execution": "woken"' in out
    assert '"status": "LITIGATION"' in out


def test_a_refused_action_exits_2(events_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the case is not in legal review on 10 Nov: refused by the state machine, exit 2
    code = cli.main(
        [
            "ops",
            "reject_litigation",
            "--local",
            str(events_file),
            "--at",
            "2026-11-10T00:00:00Z",
            "--case-id",
            "acc-cli#1",
            "--operator",
            "li.wei",
            "--approver",
            "zhang.min",
            "--reason",
            "r",
        ]
    )
    assert code == 2
    assert "CaseNotInLegalReview" in capsys.readouterr().err
