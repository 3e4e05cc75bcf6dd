"""Early warning through real events: DUE_SOON opens a pre-due cycle for high-risk accounts only.

Issue 6 item 4: ingest scores a DUE_SOON account (assess's features, the policy's bands) and
opens a ``pre_due`` case only for ``pre_due.segments``; the execution reminds before the due
date, a later OVERDUE wakes it into the ladder, PAID ends it.
"""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from arrears.adapters.cases import Repositories
from arrears.domain.types import CaseStatus, Stage
from escalation_support import (  # noqa: F401 - fixtures
    RISKY,
    SAFE,
    case,
    outbox,
    post_at,
    rt,
    states_entered,
    timeline_kinds,
)


def test_high_risk_due_soon_opens_a_pre_due_case_and_overdue_wakes_it_into_the_ladder(rt, outbox):
    # given a risky account whose installment falls due in 5 days
    start = rt.now
    due = (start + timedelta(days=5)).date()
    post_at(rt, start, "acc-pre-1", "DUE_SOON", due=due, account=RISKY)
    rt.advance(timedelta(minutes=5))

    # then ingest opened cycle 1 at the pre-due stage and started its execution
    case_id = "acc-pre-1#1"
    opened = case(case_id)
    assert opened.stage is Stage.PRE_DUE
    assert opened.last_payment_status == "DUE_SOON"
    assert opened.status is CaseStatus.OPEN
    assert "execution_started" in timeline_kinds(case_id)

    # when the installment is not paid and the wallet reports it OVERDUE the next morning
    overdue_at = datetime.combine(due + timedelta(days=1), time(2), UTC)  # 10:00 Shanghai
    post_at(rt, overdue_at, "acc-pre-1", "OVERDUE", due=due, account=RISKY)
    rt.run_until(overdue_at + timedelta(days=4))

    # then the pre-due reminder went out 3 days ahead, the OVERDUE woke the waiting execution
    # (no second cycle), and the ladder's first reminder followed
    sent = outbox.to("acc-pre-1")
    pre_due_at = datetime.combine(due - timedelta(days=3), time(2), UTC)
    assert (sent[0]["channel"], sent[0]["at"]) == ("sms", pre_due_at)
    woken = [
        e.detail
        for e in Repositories.dynamo().timeline.list(case_id)
        if e.kind == "execution_woken"
    ]
    assert [w["wake"] for w in woken] == ["OVERDUE"]
    assert woken[0]["waiting_for"] == "overdue"
    assert [c.case_id for c in Repositories.dynamo().cases.list_for_account("acc-pre-1")] == [
        case_id
    ]
    entered = states_entered(rt, case_id)
    assert "Send pre-due reminder" in entered
    assert "Send reminder" in entered
    assert any(s["at"] >= overdue_at for s in sent[1:])


def test_high_risk_due_soon_then_paid_is_thanked_and_closed(rt, outbox):
    # given a pre-due case opened by a real DUE_SOON event
    start = rt.now
    due = (start + timedelta(days=5)).date()
    post_at(rt, start, "acc-pre-2", "DUE_SOON", due=due, account=RISKY)
    # when the borrower pays on the due date
    post_at(rt, start + timedelta(days=5), "acc-pre-2", "PAID", due=due, amount_paid="1250.00")
    rt.advance(timedelta(days=10))

    # then the case is paid and closed, and no collection reminder was ever sent
    closed = case("acc-pre-2#1")
    assert closed.status is CaseStatus.PAID
    entered = states_entered(rt, "acc-pre-2#1")
    assert "Send pre-due reminder" in entered
    assert "Send reminder" not in entered


def test_low_risk_due_soon_is_recorded_only(rt, outbox):
    # given a safe account whose installment falls due in 5 days
    start = rt.now
    due = (start + timedelta(days=5)).date()
    post_at(rt, start, "acc-pre-3", "DUE_SOON", due=due, account=SAFE)
    rt.advance(timedelta(days=2))

    # then no case was opened, nothing was sent, and the DUE_SOON is on record
    repos = Repositories.dynamo()
    assert repos.cases.list_for_account("acc-pre-3") == []
    borrower = repos.borrowers.get("acc-pre-3")
    assert borrower is not None and borrower.open_case_id is None
    assert borrower.due_soon is not None and borrower.due_soon.due_date == due
    assert outbox.to("acc-pre-3") == []
