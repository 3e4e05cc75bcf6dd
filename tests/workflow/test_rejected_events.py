"""Every rejected event is kept and listed with its reason, not only counted."""

from __future__ import annotations

from arrears.local.runtime import LocalRuntime

from tests.workflow.escalation_support import START, payment_event


def test_more_than_ten_rejected_events_are_all_listed_with_their_reasons() -> None:
    with LocalRuntime(start=START, seed=7) as rt:
        for n in range(13):
            detail = payment_event(f"acc-bad-{n}", "OVERDUE", event_id=f"evt-bad-{n}")
            detail["amount_due"] = "not money"
            rt.put_event("wallet.payments", "PaymentStatusChanged", detail)
        messages = rt.dlq_messages()
        again = rt.dlq_messages()  # peeking leaves them in the queue
        report = rt.report()
    assert len(messages) == 13
    assert len(again) == 13
    rejected = report["rejected_events"]
    assert sorted(r["event_id"] for r in rejected) == sorted(f"evt-bad-{n}" for n in range(13))
    assert all(r["reason"] and r["reason"] != "unknown" for r in rejected)
    assert {r["detail_type"] for r in rejected} == {"PaymentStatusChanged"}
