"""US borrowers: a debt collector's validation notice follows the first collection contact
within 5 days; a lender collecting its own debt sends none."""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from datetime import timedelta

from arrears.adapters.cases import Repositories
from escalation_support import (  # noqa: F401 - fixtures
    open_overdue,
    outbox,
    rt,
)


def test_a_us_borrower_gets_the_validation_notice_within_5_days_of_the_first_contact(
    rt, outbox, us_debt_collector
):
    # given an overdue US account nobody pays, collected by a debt collector
    case_id = open_overdue(rt, "acc-us-valid", country="US")
    # when the first two weeks of its ladder run
    rt.advance(timedelta(days=14))
    sent = outbox.to("acc-us-valid")
    messages = [s for s in sent if s["channel"] in ("sms", "email")]
    letters = [s for s in sent if s["channel"] == "letter"]
    # then the first message carried the full disclosure ...
    assert messages, "the ladder sent no message"
    first = messages[0]
    assert "attempt to collect a debt" in first["body"]
    # ... and exactly one validation notice letter went out within 5 days of it
    notices = [s for s in letters if s["kind"] == "validation_notice"]
    assert len(notices) == 1
    assert first["at"] <= notices[0]["at"] <= first["at"] + timedelta(days=5)
    # and the audit trail holds it with its key and hash (never the content)
    stored = [
        e.detail
        for e in Repositories.dynamo().timeline.list(case_id)
        if e.kind == "letter_stored" and e.detail.get("kind") == "validation_notice"
    ]
    assert len(stored) == 1
    assert stored[0]["purpose"] == "required_notice" and len(stored[0]["sha256"]) == 64


def test_a_us_lender_collecting_its_own_debt_sends_no_validation_notice(rt, outbox):
    # given an overdue US account, collected by the lender itself (the shipped US pack)
    open_overdue(rt, "acc-us-first", country="US")
    # when the first two weeks run
    rt.advance(timedelta(days=14))
    sent = outbox.to("acc-us-first")
    # then messages go out without a debt collector's disclosure, and no validation notice
    messages = [s for s in sent if s["channel"] in ("sms", "email")]
    assert messages and not any("debt collector" in m["body"] for m in messages)
    assert "validation_notice" not in [s.get("kind") for s in sent if s["channel"] == "letter"]


def test_a_chinese_borrower_gets_no_validation_notice(rt, outbox):
    # given an overdue account in China
    open_overdue(rt, "acc-cn-valid")
    # when the first two weeks run, then no validation notice is made
    rt.advance(timedelta(days=14))
    kinds = [s.get("kind") for s in outbox.to("acc-cn-valid") if s["channel"] == "letter"]
    assert "validation_notice" not in kinds
