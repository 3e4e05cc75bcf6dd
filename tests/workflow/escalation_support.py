"""Helpers for the escalation workflow tests: the real ASL and handlers on the local runtime.

A case is opened the way ingest opens one (case + borrower items, then StartExecution with
the derived name), and woken the way ingest and ops wake one (write the case change, read
``task_token`` from the case, SendTaskSuccess with ``{"wake": REASON, ...}``), so these tests
exercise the escalation contract without depending on the ingest handler.

Outbound messages and letters go through recording fakes (``Outbox``): the tests assert on
exactly what was sent, and a retried step that sent twice would show here.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from arrears.adapters.cases import Repositories
from arrears.domain.case import CaseRecord, execution_name
from arrears.domain.parking import resume_seq_of
from arrears.handlers import _shell
from arrears.local.runtime import LocalRuntime
from arrears.steps.unit_of_work import UnitOfWork

# Monday 2 Nov 2026, 01:00 UTC = 09:00 in Shanghai: inside contact hours
START = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
DUE = date(2026, 11, 1)
# how a paid or resolved case's execution ends
THANKED = ["Thank borrower for payment", "Go to next step", "Case closed"]

# the `arrears run` report's JSON Schema (docs/report.schema.json)
REPORT_SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "report.schema.json").read_text()
)


@dataclass
class StoredLetter:
    key: str
    version_id: str
    sha256: str


@dataclass
class Outbox:
    """Recording messenger and letter store (no PII leaves the test)."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    clock: Any = None

    def send_sms(self, phone: str, body: str, tags: dict[str, str] | None = None) -> str:
        self.sent.append({"channel": "sms", "to": phone, "body": body, "at": self.clock()})
        return f"sms-{len(self.sent)}"

    def send_email(
        self, to: str, subject: str, body: str, tags: dict[str, str] | None = None
    ) -> str:
        self.sent.append(
            {"channel": "email", "to": to, "subject": subject, "body": body, "at": self.clock()}
        )
        return f"email-{len(self.sent)}"

    def store_letter(self, case_id: str, kind: str, pdf: bytes) -> StoredLetter:
        import hashlib

        account_id = case_id.split("#")[0]
        self.sent.append(
            {
                "channel": "letter",
                "to": account_id,
                "kind": kind,
                "bytes": len(pdf),
                "pdf": pdf,
                "at": self.clock(),
            }
        )
        n = len(self.sent)
        return StoredLetter(
            f"letters/{case_id}/{kind}-{n}.pdf", f"v{n}", hashlib.sha256(pdf).hexdigest()
        )

    def announce_letter_ready(self, **detail: Any) -> None:
        return None

    def to(self, account_id: str) -> list[dict[str, Any]]:
        """What went to one borrower (by their phone, email or account)."""
        mine = {phone_of(account_id), phone_of(account_id, "US"), email_of(account_id), account_id}
        return [item for item in self.sent if item["to"] in mine]

    def channels(self, account_id: str) -> Counter[str]:
        return Counter(item["channel"] for item in self.to(account_id))


# Account facts (the optional `account` block) that score high-risk and self-cure.
RISKY = {
    "credit_limit": "1300.00",
    "opened_at": "2026-09-01",
    "prior_delinquencies": 4,
    "prior_cures": 0,
    "on_time_payment_ratio": "0.40",
}
SAFE = {
    "credit_limit": "20000.00",
    "opened_at": "2021-01-01",
    "prior_delinquencies": 0,
    "prior_cures": 2,
    "on_time_payment_ratio": "0.99",
}


def phone_of(account_id: str, country: str = "CN") -> str:
    """A distinct valid mobile number per test account (so sends can be told apart)."""
    import zlib

    n = zlib.crc32(account_id.encode())
    return f"+86139{n % 10**8:08d}" if country == "CN" else f"+1202555{n % 10**4:04d}"


def email_of(account_id: str) -> str:
    return f"{account_id}@example.com"


@pytest.fixture(scope="module")
def outbox() -> Iterator[Outbox]:
    """One recording outbox per test module (patched into every escalation step)."""
    box = Outbox()

    def deps() -> UnitOfWork:
        real = _shell.aws_deps()
        box.clock = real.clock
        return replace(real, messenger=box, letters=box)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_shell, "default_deps", deps)
        yield box


@pytest.fixture(scope="module")
def rt(outbox: Outbox) -> Iterator[LocalRuntime]:
    """One runtime per module: each test uses its own accounts and starts at ``rt.now``."""
    with LocalRuntime(start=START, seed=7) as runtime:
        yield runtime


# ------------------------------------------------------------------------------ cases

_sequences: dict[str, int] = {}


def payment_event(
    account_id: str,
    status: str,
    *,
    amount_due: str = "1250.00",
    amount_paid: str = "0.00",
    due: date | None = None,
    sequence: int | None = None,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
    country: str = "CN",
    account: dict[str, Any] | None = None,
    borrower: dict[str, Any] | None = None,
    currency: str | None = None,
    **breakdown: str,
) -> dict[str, Any]:
    """A PaymentStatusChanged detail as the wallet sends it (DESIGN.md contract);
    ``breakdown``: the optional principal, interest and fees of the amount due."""
    if sequence is None:
        sequence = _sequences.get(account_id, 0) + 1
    _sequences[account_id] = max(sequence, _sequences.get(account_id, 0))
    occurred = occurred_at or datetime.now(UTC)
    due = due or (occurred - timedelta(days=1)).date()
    contact = {
        "name": "Test Borrower",
        "phone": phone_of(account_id, country),
        "email": email_of(account_id),
        "locale": "zh-CN" if country == "CN" else "en-US",
        "timezone": "Asia/Shanghai" if country == "CN" else "America/New_York",
        "country": country,
        **(borrower or {}),
    }
    detail: dict[str, Any] = {
        "event_id": event_id or f"evt-{account_id}-{sequence}",
        "account_id": account_id,
        "obligation_id": "loan-7/inst-3",
        "status": status,
        "amount_due": amount_due,
        "amount_paid": amount_paid,
        "currency": currency or ("CNY" if country == "CN" else "USD"),
        "due_date": due.isoformat(),
        "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sequence": sequence,
        "borrower": contact,
    }
    if account:
        detail["account"] = account
    detail.update(breakdown)
    return detail


def post(rt: LocalRuntime, account_id: str, status: str, **kwargs: Any) -> dict[str, Any]:
    """Publish one payment event now (through EventBridge, SQS and the ingest Lambda)."""
    detail = payment_event(account_id, status, occurred_at=rt.now, **kwargs)
    rt.put_event("wallet.payments", "PaymentStatusChanged", detail)
    return detail


def post_at(rt: LocalRuntime, when: datetime, account_id: str, status: str, **kwargs: Any) -> None:
    rt.scheduler.schedule(when, lambda: post(rt, account_id, status, **kwargs), status)


def open_overdue(rt: LocalRuntime, account_id: str = "acc-1", **kwargs: Any) -> str:
    """An OVERDUE event: ingest opens cycle 1 and starts its escalation."""
    _sequences.pop(account_id, None)
    post(rt, account_id, "OVERDUE", **kwargs)
    return f"{account_id}#1"


def ops(rt: LocalRuntime, action: dict[str, Any]) -> Any:
    """One ops action, as an operator starts it from the console (ops-action state machine)."""
    from arrears.tools.ops_local import run_ops_action

    outcome = run_ops_action(rt, {"operator": "agent.li", **action})
    rt.scheduler.run_ready()
    return outcome


def ops_at(rt: LocalRuntime, when: datetime, action: dict[str, Any]) -> None:
    rt.scheduler.schedule(when, lambda: ops(rt, action), "ops action")


def flag_borrower(account_id: str, flag: str) -> None:
    Repositories.dynamo().borrowers.add_flag(account_id, flag)


def case(case_id: str) -> CaseRecord:
    found = Repositories.dynamo().cases.get(case_id)
    assert found is not None
    return found


def wake(rt: LocalRuntime, case_id: str, reason: str, **extra: Any) -> bool:
    """Wake the waiting execution directly with the stored token (a raw SendTaskSuccess).

    Returns False when no execution was waiting on that token (stale), as ingest sees it.
    """
    token = case(case_id).task_token
    assert token, "the execution stores its task token on the case while it waits"
    sfn = rt.client("stepfunctions")
    try:
        sfn.send_task_success(taskToken=token, output=json.dumps({"wake": reason, **extra}))
    except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken):
        return False
    rt.scheduler.run_ready()
    return True


def at(rt: LocalRuntime, when: datetime, action: Any) -> None:
    rt.scheduler.schedule(when, action, "test action")


# ------------------------------------------------------------------------------ history


def executions_of(rt: LocalRuntime, case_id: str, cycle: int = 1) -> list[dict[str, Any]]:
    """The case cycle's executions in order: the first, then each resumed one (a parked
    case resumes in a new execution, ``<name>-r<seq>``, domain/parking.py)."""
    name = execution_name(case_id, cycle)
    runs = [
        e
        for e in rt.executions("EscalationStateMachine")
        if e["name"] == name or e["name"].startswith(f"{name}-r")
    ]
    names = [e["name"] for e in runs]
    assert len(names) == len(set(names)), f"duplicate executions: {names}"
    return sorted(runs, key=lambda e: resume_seq_of(e["name"]) if e["name"] != name else 0)


def execution(rt: LocalRuntime, case_id: str) -> dict[str, Any]:
    """The case's current execution: the latest of its cycle's chain."""
    runs = executions_of(rt, case_id)
    assert runs
    return rt.client("stepfunctions").describe_execution(executionArn=runs[-1]["executionArn"])


def states_entered(rt: LocalRuntime, case_id: str) -> list[str]:
    """State names in the order the case's executions entered them (their histories)."""
    entered: list[str] = []
    for run in executions_of(rt, case_id):
        entered += [
            event["stateEnteredEventDetails"]["name"]
            for event in rt.history(run["executionArn"])
            if event["type"].endswith("StateEntered")
        ]
    return entered


def transitions(rt: LocalRuntime, case_id: str) -> int:
    """Billable state transitions: every state entered (what Standard workflows charge)."""
    return len(states_entered(rt, case_id))


def timeline_kinds(case_id: str) -> list[str]:
    return [entry.kind for entry in Repositories.dynamo().timeline.list(case_id)]
