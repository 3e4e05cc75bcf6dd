"""A claimed payment ("I have already paid" on the portal, or a reply saying so) puts the
case in the PAYMENT_RECONCILIATION work queue for ops, on the real ASL and handlers: ops
list it and resolve it (found: the hold waits for the wallet's settlement; not found: the
hold ends and the ladder resumes), and it leaves the queue by itself when the payment
settles or the hold ends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from arrears.adapters.cases import Repositories
from arrears.domain.case import TimelineEntry
from arrears.domain.queues import QUEUE_PAYMENT_RECONCILIATION
from arrears.domain.types import CaseStatus
from arrears.local.runtime import LocalRuntime

from tests.workflow.escalation_support import case, ops, post
from tests.workflow.portal_support import (  # noqa: F401 (fixtures)
    Browser,
    link_in,
    open_case,
    outbox,
    rt,
)
from tests.workflow.replies_support import reply

QUEUE = QUEUE_PAYMENT_RECONCILIATION


def _listed(case_id: str) -> bool:
    """In the queue as ops see it: the sparse work_queue index."""
    rows = Repositories.dynamo().cases.work_queue(QUEUE)
    return case_id in [row.case_id for row in rows]


def _item(rt: LocalRuntime, case_id: str) -> dict[str, Any]:  # noqa: F811
    from arrears.adapters.models import CaseModel

    found = rt.client("dynamodb").get_item(
        TableName=CaseModel.Meta.table_name, Key={"case_id": {"S": case_id}}
    )
    return dict(found["Item"])


def _lines(case_id: str, kind: str) -> list[TimelineEntry]:
    return [e for e in Repositories.dynamo().timeline.list(case_id) if e.kind == kind]


def _sent_since(outbox, account_id: str, since) -> list[dict[str, Any]]:  # noqa: F811
    return [m for m in outbox.to(account_id) if m["at"] > since and m["channel"] != "letter"]


def _claim_on_portal(rt: LocalRuntime, outbox, account_id: str) -> str:  # noqa: F811
    case_id = open_case(rt, account_id)
    rt.advance(timedelta(hours=3))
    Browser(rt, link_in(outbox, account_id)).sign_in().act("paid")
    return case_id


def test_a_portal_claim_is_listed_for_ops_until_its_hold_ends(rt, outbox) -> None:  # noqa: F811
    case_id = _claim_on_portal(rt, outbox, "recon-portal")
    claimed = rt.now
    record = case(case_id)
    assert record.status is CaseStatus.PAYMENT_PENDING
    assert _listed(case_id)
    item = _item(rt, case_id)
    assert item["queue"]["S"] == QUEUE
    # due when the hold ends: ops find the payment before contact resumes
    assert item["queue_due_at"]["S"] == item["reconcile_by"]["S"].replace("Z", "+00:00")
    # a wake that does not change the plan (an e-mail opt-out) keeps the entry
    Browser(rt, link_in(outbox, "recon-portal")).sign_in().act("opt_out", channel="email")
    assert _listed(case_id) and case(case_id).status is CaseStatus.PAYMENT_PENDING
    assert _sent_since(outbox, "recon-portal", claimed) == []
    # nobody reconciled it: the hold ends by itself, the case leaves the queue and the
    # ladder resumes
    rt.advance(timedelta(hours=80))
    assert not _listed(case_id)
    assert "queue" not in _item(rt, case_id) and "reconcile_by" not in _item(rt, case_id)
    assert case(case_id).status is CaseStatus.OPEN
    expired = _lines(case_id, "payment_reconciliation_expired")
    assert len(expired) == 1 and expired[0].actor == "system:escalation"
    rt.advance(timedelta(days=3))
    assert _sent_since(outbox, "recon-portal", claimed + timedelta(hours=72)) != []


def test_not_found_releases_the_hold_and_the_ladder_resumes(rt, outbox) -> None:  # noqa: F811
    case_id = _claim_on_portal(rt, outbox, "recon-missing")
    assert _listed(case_id)
    decided = rt.now
    outcome = ops(
        rt,
        {
            "action": "reconcile_payment",
            "case_id": case_id,
            "outcome": "not_found",
            "reason": "no transfer in the wallet for this account since 1 Nov",
        },
    )
    assert outcome.succeeded, outcome
    assert not _listed(case_id) and "queue" not in _item(rt, case_id)
    assert case(case_id).status is CaseStatus.OPEN
    line = _lines(case_id, "payment_not_found")
    assert len(line) == 1
    assert line[0].actor == "ops:agent.li"
    assert line[0].detail["reason"].startswith("no transfer in the wallet")
    assert line[0].detail["case_execution"] == "woken"
    # the ladder goes on at once: the case waits for its next stage, not for a payment
    # (or is parked until then: only a stage's wait is parked)
    after = case(case_id)
    assert (after.waiting_for or "").endswith("_due") or after.parked is not None
    rt.advance(timedelta(days=9))
    assert _sent_since(outbox, "recon-missing", decided) != []


def test_found_waits_for_the_settlement_which_closes_the_case(rt, outbox) -> None:  # noqa: F811
    case_id = _claim_on_portal(rt, outbox, "recon-found")
    found_at = rt.now
    outcome = ops(
        rt,
        {
            "action": "reconcile_payment",
            "case_id": case_id,
            "outcome": "found",
            "reason": "bank transfer seen in the wallet, settles tomorrow",
        },
    )
    assert outcome.succeeded, outcome
    assert not _listed(case_id)
    record = case(case_id)
    assert record.status is CaseStatus.PAYMENT_PENDING  # still held for the settlement
    assert record.pending_since == found_at  # a fresh grace window from the finding
    line = _lines(case_id, "payment_found")
    assert len(line) == 1 and line[0].actor == "ops:agent.li"
    # past the first hold's end, still no contact: the wallet's answer is awaited
    rt.advance(timedelta(hours=60))
    assert _sent_since(outbox, "recon-found", found_at) == []
    post(rt, "recon-found", "PAID", amount_paid="1250.00")
    rt.scheduler.run_ready()
    assert case(case_id).status is CaseStatus.PAID


def test_a_reconciliation_twice_or_without_a_claim_is_refused(rt, outbox) -> None:  # noqa: F811
    case_id = _claim_on_portal(rt, outbox, "recon-twice")
    action = {
        "action": "reconcile_payment",
        "case_id": case_id,
        "outcome": "not_found",
        "reason": "nothing in the wallet",
    }
    assert ops(rt, action).succeeded
    again = ops(rt, action)
    assert not again.succeeded and again.error == "NoClaimedPayment"
    assert len(_lines(case_id, "payment_not_found")) == 1


def test_a_reply_saying_paid_is_listed_and_a_settlement_takes_it_out(rt, outbox) -> None:  # noqa: F811
    case_id = open_case(rt, "recon-reply")
    rt.advance(timedelta(hours=3))
    reply(rt, "recon-reply", "I already paid yesterday")
    assert case(case_id).status is CaseStatus.PAYMENT_PENDING
    assert _listed(case_id)
    claim = _lines(case_id, "payment_claimed")
    assert claim and claim[-1].detail.get("via") == "reply"
    assert "reconcile_by" in _item(rt, case_id)
    post(rt, "recon-reply", "PAID", amount_paid="1250.00")
    rt.scheduler.run_ready()
    assert case(case_id).status is CaseStatus.PAID
    assert not _listed(case_id) and "queue" not in _item(rt, case_id)
    assert "reconcile_by" not in _item(rt, case_id)
    closed = _lines(case_id, "payment_reconciliation_closed")
    assert [line.detail["payment_status"] for line in closed] == ["PAID"]
