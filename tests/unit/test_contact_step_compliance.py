"""The contact step and the compliance gate together: reachability, reason metrics, content."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from arrears.adapters.cases import Repositories
from arrears.adapters.ledger import InMemoryContactLedger
from arrears.domain.case import BorrowerRecord, CaseRecord
from arrears.domain.types import CaseStatus, Channel, Stage
from arrears.handlers._escalation import StepDeps
from arrears.handlers.contact import act_on_stage, deliver_message
from arrears.handlers.letter import deliver_letter

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
CASE_ID = "acc-9#1"


@dataclass
class FakeMessenger:
    sent: list[tuple[str, str, str]] = field(default_factory=list)  # channel, to, body

    def send_sms(self, phone: str, body: str) -> str:
        self.sent.append(("sms", phone, body))
        return "m-sms"

    def send_email(self, to: str, subject: str, body: str, tags: Any = None) -> str:
        self.sent.append(("email", to, body))
        return "m-email"


def make_deps(
    now: datetime = NOW,
    borrower: dict[str, Any] | None = None,
    unreachable: tuple[Channel, ...] = (),
    flags: tuple[str, ...] = (),
    **case: Any,
) -> StepDeps:
    repos = Repositories.in_memory()
    profile: dict[str, Any] = {
        "account_id": "acc-9",
        "name": "Test",
        "phone": "+8613912345678",
        "email": "acc-9@example.com",
        "locale": "zh-CN",
        "timezone": "Asia/Shanghai",
        "country": "CN",
        "verified_channels": frozenset(Channel),
    }
    profile.update(borrower or {})
    repos.borrowers.save_profile(BorrowerRecord(**profile))
    for channel in unreachable:  # what the delivery handler does on a hard bounce / failure
        repos.borrowers.mark_unreachable("acc-9", channel)
    for flag in flags:
        repos.borrowers.add_flag("acc-9", flag)
    fields: dict[str, Any] = {
        "case_id": CASE_ID,
        "account_id": "acc-9",
        "cycle": 1,
        "status": CaseStatus.OPEN,
        "stage": Stage.REMINDER,
        "balance": Decimal("800.00"),
        "currency": "CNY",
        "opened_at": datetime(2026, 11, 2, 1, tzinfo=UTC),
        "obligations": {"loan-1": Decimal("800.00")},
        "due_date": date(2026, 11, 1),
        "segment": "standard",
    }
    fields.update(case)
    repos.cases.create(CaseRecord(**fields))
    return StepDeps(
        repos=repos,
        ledger=InMemoryContactLedger(),
        messenger=FakeMessenger(),
        letters=None,  # type: ignore[arg-type]
        clock=lambda: now,
    )


def timeline(deps: StepDeps, kind: str) -> list[dict[str, Any]]:
    return [e.detail for e in deps.repos.timeline.list(CASE_ID) if e.kind == kind]


def sent_channels(deps: StepDeps) -> list[str]:
    return [s[0] for s in deps.messenger.sent]  # type: ignore[attr-defined]


# ------------------------------------------------------------------ 1. reachability


def test_a_bounced_email_is_not_sent_and_the_sms_still_is():
    # given a borrower whose email hard-bounced
    deps = make_deps(unreachable=(Channel.EMAIL,))
    # when the reminder (sms + email) runs
    out = act_on_stage(deps, CASE_ID, Stage.REMINDER, deliver_message)
    # then only the SMS goes out; the email is blocked as unreachable, and the ladder moves on
    assert sent_channels(deps) == ["sms"]
    blocked = timeline(deps, "contact_blocked")
    assert [(b["channel"], b["reason"]) for b in blocked] == [("email", "channel_unreachable")]
    assert "reminder#email" in deps.repos.cases.get(CASE_ID).done_actions  # type: ignore[union-attr]
    assert out["outcome"] == "sent"


def test_a_permanently_failed_sms_number_gets_no_sms():
    # given a borrower whose number permanently failed
    deps = make_deps(unreachable=(Channel.SMS,))
    # when the follow-up (sms only) runs
    out = act_on_stage(deps, CASE_ID, Stage.FOLLOW_UP, deliver_message)
    # then nothing is sent and the step says why
    assert sent_channels(deps) == []
    assert (out["outcome"], out["reason"]) == ("blocked", "sms:channel_unreachable")


# ------------------------------------------------------------------ 2. one metric per reason


def emf_metrics(output: str) -> list[dict[str, Any]]:
    """The EMF lines printed on stdout: metric name with its dimensions."""
    found = []
    for line in output.splitlines():
        if not line.startswith("{") or "_aws" not in line:
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            dims = {d for group in directive["Dimensions"] for d in group}
            for metric in directive["Metrics"]:
                found.append({"name": metric["Name"]} | {d: blob[d] for d in dims})
    return found


def test_a_blocked_contact_emits_one_metric_with_its_reason_and_channel(capsys):
    # given a borrower whose email bounced
    deps = make_deps(unreachable=(Channel.EMAIL,))
    # when the reminder runs
    act_on_stage(deps, CASE_ID, Stage.REMINDER, deliver_message)
    # then ContactBlocked carries its reason and channel as dimensions, in a metric of its own
    metrics = emf_metrics(capsys.readouterr().out)
    blocked = [m for m in metrics if m["name"] == "ContactBlocked"]
    assert blocked == [
        {
            "name": "ContactBlocked",
            "service": blocked[0]["service"],
            "channel": "email",
            "reason": "channel_unreachable",
        }
    ]
    # and the sent SMS's metric does not inherit the block's reason
    sent = [m for m in metrics if m["name"] == "ContactSent"]
    assert [(m["channel"], m["reason"]) for m in sent] == [("sms", "reminder")]


def test_a_deferred_contact_emits_its_reason(capsys):
    # given the middle of the night in Shanghai
    night = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    deps = make_deps(now=night)
    # when the follow-up runs
    act_on_stage(deps, CASE_ID, Stage.FOLLOW_UP, deliver_message)
    # then ContactDeferred says why
    deferred = [m for m in emf_metrics(capsys.readouterr().out) if m["name"] == "ContactDeferred"]
    assert [(m["channel"], m["reason"]) for m in deferred] == [("sms", "outside_contact_hours")]


def test_a_blocked_letter_emits_the_same_metric(capsys):
    # given a borrower under a bankruptcy stay
    deps = make_deps(flags=("bankruptcy",))
    # when the demand-letter step runs through the letter handler's delivery
    out = act_on_stage(deps, CASE_ID, Stage.DEMAND_LETTER, deliver_letter)
    # then no letter is made, and the block is counted by reason like any contact
    assert out["outcome"] == "blocked"
    blocked = [m for m in emf_metrics(capsys.readouterr().out) if m["name"] == "ContactBlocked"]
    assert [(m["channel"], m["reason"]) for m in blocked] == [("letter", "borrower_bankrupt")]
