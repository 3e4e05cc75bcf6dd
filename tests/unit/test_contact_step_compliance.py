"""The contact step and the compliance gate together: reachability, reason metrics, content."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from arrears.domain.case import TimelineEntry
from arrears.domain.policy import policy_by_version
from arrears.domain.types import CaseStatus, Channel, Stage
from arrears.steps.contact import act_on_stage, deliver_message, send_receipt
from arrears.steps.letter import deliver_letter
from arrears.steps.notices import letter_context
from arrears.steps.unit_of_work import UnitOfWork
from step_support import CASE_ID, NOW, make_deps, sent_channels


def timeline(deps: UnitOfWork, kind: str) -> list[dict[str, Any]]:
    return [e.detail for e in deps.repos.timeline.list(CASE_ID) if e.kind == kind]


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


# ------------------------------------------------------------------ 3. content enforced

US_BORROWER = {
    "phone": "+12025550101",
    "locale": "en-US",
    "timezone": "America/New_York",
    "country": "US",
}
US_MORNING = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 10:00 in New York
CN_MORNING = NOW  # 10:00 in Shanghai
MESSAGES = frozenset({Channel.SMS, Channel.EMAIL})


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _message_stages(segment: str) -> list[tuple[Stage, int]]:
    ladder = policy_by_version(None).segment(segment).ladder
    return [(s.stage, s.day) for s in ladder if set(s.channels) & MESSAGES]


@pytest.mark.parametrize("segment", ["standard", "self_cure", "high_risk", "hardship"])
@pytest.mark.parametrize(
    ("borrower", "morning"), [(US_BORROWER, US_MORNING), ({}, CN_MORNING)], ids=["US", "CN"]
)
def test_every_shipped_message_passes_the_content_check_and_is_sent(
    us_debt_collector, segment, borrower, morning
):
    # given a case on this segment's ladder, for a US borrower (a debt collector writing)
    # or a Chinese borrower
    clock = Clock(morning)
    deps = make_deps(borrower=borrower, segment=segment, stage=Stage.PRE_DUE)
    deps.clock = clock
    letters = FakeLetters()
    deps.letters = letters  # type: ignore[assignment]
    stages = [(Stage.PRE_DUE, 0), *_message_stages(segment)]
    # when every messaging stage runs on its day (the first is the first communication),
    # and then the receipt after a payment
    for stage, day in stages:
        clock.now = morning + timedelta(days=day)
        out = act_on_stage(deps, CASE_ID, stage, deliver_message)
        # then every message goes out: the safety net never fires on the shipped templates
        assert out["outcome"] == "sent", (stage, out)
    clock.now = morning + timedelta(days=90)
    deps.repos.cases.update_fields(CASE_ID, {"status": CaseStatus.PAID}, require_open=True)
    assert send_receipt(deps, CASE_ID)["outcome"] == "sent"
    assert timeline(deps, "contact_blocked") == []
    bodies = [body for _, _, body in deps.messenger.sent]  # type: ignore[attr-defined]
    if borrower:  # US: the first collection message carries the mini-Miranda, later the short form
        first_reminder = [b for b in bodies if "attempt to collect a debt" in b]
        assert first_reminder, "no message carried the full disclosure"
        # every collection message says who it is from; only the pre-due note and the two
        # receipts do not
        assert sum("debt collector" not in b for b in bodies) == 3
    assert all(("STOP" in b) or ("退订" in b) for b in bodies)


def test_a_template_without_the_opt_out_line_is_blocked_not_sent(monkeypatch, capsys):
    # given a message template edited so that it lost its opt-out line
    from arrears.domain import notices

    real = notices.render_message

    def without_opt_out(*args: Any, **kwargs: Any) -> Any:
        message = real(*args, **kwargs)
        return replace(message, body=message.body.replace("回复TD退订。", ""))

    monkeypatch.setattr(notices, "render_message", without_opt_out)
    deps = make_deps()
    # when the follow-up (SMS) runs
    out = act_on_stage(deps, CASE_ID, Stage.FOLLOW_UP, deliver_message)
    # then nothing is sent; the step reports a block with its reason, audited and counted
    assert deps.messenger.sent == []  # type: ignore[attr-defined]
    assert (out["outcome"], out["reason"]) == ("blocked", "sms:content_missing")
    (blocked,) = timeline(deps, "contact_blocked")
    assert (blocked["reason"], blocked["missing"]) == ("content_missing", ["opt_out_instruction"])
    metrics = emf_metrics(capsys.readouterr().out)
    assert [(m["channel"], m["reason"]) for m in metrics if m["name"] == "ContactBlocked"] == [
        ("sms", "content_missing")
    ]
    assert "follow_up#sms" in deps.repos.cases.get(CASE_ID).done_actions  # type: ignore[union-attr]


def test_a_us_first_message_without_the_full_disclosure_is_blocked(monkeypatch, us_debt_collector):
    # given a US reminder whose text lost the "attempt to collect a debt" sentence
    from arrears.domain import notices

    real = notices.render_message

    def short_disclosure(*args: Any, **kwargs: Any) -> Any:
        message = real(*args, **kwargs)
        return replace(message, body=message.body.replace("This is an attempt to collect", "We"))

    monkeypatch.setattr(notices, "render_message", short_disclosure)
    clock = Clock(US_MORNING)
    deps = make_deps(borrower=US_BORROWER)
    deps.clock = clock
    deps.letters = FakeLetters()  # type: ignore[assignment]
    # when the first reminder runs, then neither channel sends it
    out = act_on_stage(deps, CASE_ID, Stage.REMINDER, deliver_message)
    assert deps.messenger.sent == []  # type: ignore[attr-defined]
    assert out["outcome"] == "blocked"
    reasons = {(b["channel"], b["reason"]) for b in timeline(deps, "contact_blocked")}
    assert reasons == {("sms", "content_missing"), ("email", "content_missing")}


# ------------------------------------------------------------------ 3b. US validation notice


@dataclass
class FakeLetters:
    stored: list[tuple[str, str, bytes]] = field(default_factory=list)

    def store_letter(self, case_id: str, kind: str, pdf: bytes) -> Any:
        self.stored.append((case_id, kind, pdf))
        return SimpleNamespace(key=f"{case_id}/{kind}.pdf", version_id="v1", sha256="0" * 64)

    def announce_letter_ready(self, **detail: Any) -> None:
        pass


def test_a_us_first_contact_sends_the_validation_notice_letter_once(us_debt_collector):
    # given a US borrower's case, opened at 800.00, never contacted, and a debt collector
    clock = Clock(US_MORNING)
    deps = make_deps(borrower=US_BORROWER, currency="USD")
    deps.clock = clock
    letters = FakeLetters()
    deps.letters = letters  # type: ignore[assignment]
    # when the first reminder goes out, and the follow-up a week later
    act_on_stage(deps, CASE_ID, Stage.REMINDER, deliver_message)
    clock.now = US_MORNING + timedelta(days=6)
    act_on_stage(deps, CASE_ID, Stage.FOLLOW_UP, deliver_message)
    # then exactly one validation notice letter was made, on the day of the first contact
    assert [kind for _, kind, _ in letters.stored] == ["validation_notice"]
    (stored,) = [e for e in deps.repos.timeline.list(CASE_ID) if e.kind == "letter_stored"]
    assert stored.at == US_MORNING
    assert stored.detail["purpose"] == "required_notice"
    assert letters.stored[0][2].startswith(b"%PDF")


def test_a_us_lender_collecting_its_own_debt_sends_no_validation_notice_nor_disclosure():
    # given a US borrower's case and the shipped US pack (the lender is the first party)
    clock = Clock(US_MORNING)
    deps = make_deps(borrower=US_BORROWER, currency="USD")
    deps.clock = clock
    deps.letters = FakeLetters()  # type: ignore[assignment]
    # when the first reminder goes out
    out = act_on_stage(deps, CASE_ID, Stage.REMINDER, deliver_message)
    # then it is sent without a debt collector's disclosure, and no validation notice is made
    assert out["outcome"] == "sent"
    bodies = [body for _, _, body in deps.messenger.sent]  # type: ignore[attr-defined]
    assert bodies and not any("debt collector" in b for b in bodies)
    assert deps.letters.stored == []  # type: ignore[attr-defined]


def test_a_chinese_borrower_gets_no_validation_notice():
    deps = make_deps()
    deps.letters = FakeLetters()  # type: ignore[assignment]
    act_on_stage(deps, CASE_ID, Stage.REMINDER, deliver_message)
    assert deps.letters.stored == []  # type: ignore[attr-defined]


def test_the_letter_context_itemizes_from_the_opening_balance():
    # given a case opened at 800.00 that has since had 300.00 paid
    deps = make_deps(balance=Decimal("500.00"))
    opened = datetime(2026, 11, 2, 1, tzinfo=UTC)
    deps.repos.timeline.append(
        TimelineEntry(CASE_ID, opened, "case_opened", "system:ingest", {"balance": "800.00"})
    )
    deps.repos.timeline.append(
        TimelineEntry(CASE_ID, NOW, "payment", "system:ingest", {"amount_paid": "300.00"})
    )
    case = deps.repos.cases.get(CASE_ID)
    assert case is not None
    borrower = deps.repos.borrowers.get("acc-9")
    assert borrower is not None
    # when the letter context is built
    context = letter_context(
        case, borrower, policy_by_version(None), NOW, deps.repos.timeline.list(CASE_ID)
    )
    # then the itemization starts on the opening day at the opening balance
    assert context.itemization_date == date(2026, 11, 2)
    assert context.amount_on_itemization_date == Decimal("800.00")
    assert context.payments_since == Decimal("300.00")
