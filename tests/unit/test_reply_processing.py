"""Reply processing (handlers/reply_processing.py) on in-memory repositories and fakes:
what each intent changes on the borrower and the case, what wakes the execution, and that
neither the audit nor the logs ever hold the reply's text."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from arrears.domain.events import parse_borrower_replied
from arrears.domain.plans import PlanStatus
from arrears.domain.types import CaseStatus, Channel
from arrears.steps.reply import ReplyProcessor
from arrears.steps.rescoring import latest_sentiment
from reply_world import CASE_ID, NOW, World, new_world


@pytest.fixture
def world() -> World:
    return new_world()


def test_stop_opts_out_of_the_replying_channel_only(world: World) -> None:
    outcome = world.reply("STOP", channel="email")
    borrower = world.repos.borrowers.get("acc-1")
    assert borrower is not None and borrower.opted_out == frozenset({Channel.EMAIL})
    assert world.workflow.woken == [
        {
            "case_id": CASE_ID,
            "via": "reply",
            "intent": "opt_out",
            "wake": "OPT_OUT",
            "channel": "email",
        }
    ]
    assert outcome.actions == ("opted_out",)
    assert world.case().task_token is None  # the used token is cleared, as ingest does


def test_a_dispute_holds_the_case(world: World) -> None:
    world.reply("金额不对，不是我借的")
    assert world.case().status is CaseStatus.DISPUTED
    assert world.workflow.woken[-1]["wake"] == "DISPUTE"


def test_a_payment_claim_starts_the_payment_grace_window(world: World) -> None:
    world.reply("I already paid this")
    case = world.case()
    assert case.status is CaseStatus.PAYMENT_PENDING
    assert case.pending_since == NOW and case.resume_status is CaseStatus.OPEN
    assert world.workflow.woken[-1]["wake"] == "PAYMENT_PENDING"


def test_hardship_flags_the_borrower_offers_a_plan_and_wakes_for_the_hardship_path(
    world: World,
) -> None:
    world.reply("I lost my job")
    borrower = world.repos.borrowers.get("acc-1")
    assert borrower is not None and "hardship" in borrower.flags
    offer = world.plans.get(CASE_ID)
    assert offer is not None and offer.status is PlanStatus.OFFERED
    assert sum((i.amount for i in offer.installments), Decimal(0)) == Decimal("1250.00")
    assert world.workflow.woken[-1] | {} == {
        "case_id": CASE_ID,
        "via": "reply",
        "intent": "hardship",
        "wake": "REPLY",
        "route": "hardship",
        "reason": "hardship",
    }


def test_yes_accepts_an_open_offer_and_puts_the_case_on_plan(world: World) -> None:
    world.reply("I lost my job")
    world.repos.cases.store_task_token(CASE_ID, "token-2", "plan_offer_due")  # waits again
    world.reply("好的，同意")
    plan = world.plans.get(CASE_ID)
    assert plan is not None and plan.status is PlanStatus.ACTIVE
    assert plan.resume_stage == "follow_up"
    assert world.case().status is CaseStatus.ON_PLAN
    assert world.workflow.woken[-1]["wake"] == "PLAN_ACCEPTED"
    assert "plan_accepted" in world.kinds()


def test_yes_without_an_offer_accepts_nothing_and_a_person_reads_it(world: World) -> None:
    outcome = world.reply("yes")
    assert outcome.primary == "none" and outcome.actions == ("review_requested",)
    assert world.case().status is CaseStatus.OPEN
    woken = world.workflow.woken[-1]
    assert (woken["wake"], woken["route"], woken["reason"]) == ("REPLY", "review", "unclear_reply")


def test_distress_routes_to_an_agent_and_flags_the_borrower(world: World) -> None:
    world.analyzer.negative = "0.97"
    world.reply("This is a nightmare, why do you keep doing this")
    borrower = world.repos.borrowers.get("acc-1")
    assert borrower is not None and "distressed" in borrower.flags
    woken = world.workflow.woken[-1]
    assert (woken["wake"], woken["route"], woken["reason"]) == ("REPLY", "agent", "distress")
    [analysed] = [e for e in world.repos.timeline.list(CASE_ID) if e.kind == "reply_analysed"]
    assert analysed.detail["sentiment"]["negative"] == "0.97"
    assert analysed.detail["emotion"]["reasons"] == ["strongly_negative"]
    assert latest_sentiment(world.repos.timeline.list(CASE_ID)) == "negative"


def test_a_distressed_dispute_still_holds_no_agent_call(world: World) -> None:
    world.reply("not my debt, I can't cope with this harassment")
    assert world.case().status is CaseStatus.DISPUTED
    assert world.workflow.woken[-1]["wake"] == "DISPUTE"


def test_a_reply_without_a_case_is_analysed_and_opt_out_still_applies(world: World) -> None:
    processor_case = "acc-1#0"
    processor = ReplyProcessor(
        repos=world.repos,
        workflow=lambda: world.workflow,  # type: ignore[arg-type,return-value]
        clock=lambda: NOW,
        analyzer=world.analyzer,
        plans=world.plans,
    )
    event = parse_borrower_replied(
        {
            "account_id": "acc-1",
            "channel": "sms",
            "text": "退订",
            "received_at": "2026-11-05T02:00:00Z",
        }
    )
    outcome = processor.process(event, processor_case)
    assert outcome.wake is None and world.workflow.woken == []
    borrower = world.repos.borrowers.get("acc-1")
    assert borrower is not None and Channel.SMS in borrower.opted_out
    assert [e.kind for e in world.repos.timeline.list(processor_case)] == [
        "reply_received",
        "reply_analysed",
        "opted_out",
    ]


def test_text_is_never_in_the_audit_or_the_logs(world: World, capsys) -> None:
    secret = "I lost my job at Acme, call me on +8613800000000 zzqx"
    world.reply(secret)
    stored = json.dumps([e.detail for e in world.repos.timeline.list(CASE_ID)], default=str)
    logged = capsys.readouterr().out
    for fragment in ("Acme", "+8613800000000", "zzqx"):
        assert fragment not in stored and fragment not in logged
    [analysed] = [e for e in world.repos.timeline.list(CASE_ID) if e.kind == "reply_analysed"]
    assert analysed.detail["intents"] == ["hardship", "agent_request"]
    assert len(analysed.detail["text_sha256"]) == 64


def test_long_replies_are_cut_by_the_event_model_and_flagged(world: World) -> None:
    world.reply("please call me " + "x" * 5000)
    [analysed] = [e for e in world.repos.timeline.list(CASE_ID) if e.kind == "reply_analysed"]
    assert analysed.detail["truncated"] is True and analysed.detail["chars"] == 2000


def test_a_reply_while_no_execution_waits_is_parked_not_lost(world: World) -> None:
    # given a case whose execution is in a step (no token stored)
    world.repos.cases.clear_task_token(CASE_ID)
    # when the borrower says it is paid
    world.reply("I already paid")
    # then nothing is sent, the status is set, and the wake waits on the case for the
    # execution's next wait (handlers/_waking.py)
    assert world.workflow.woken == []
    assert world.case().status is CaseStatus.PAYMENT_PENDING  # the guards read the status
    assert world.kinds()[-1] == "wake_parked"
    parked = json.loads(world.case().pending_wake or "{}")
    assert parked["wake"] == "PAYMENT_PENDING" and parked["via"] == "reply"


def test_a_reply_applied_again_under_its_key_writes_no_audit_line_twice(world: World) -> None:
    processor = ReplyProcessor(
        repos=world.repos,
        workflow=lambda: world.workflow,  # type: ignore[arg-type,return-value]
        clock=lambda: NOW,
        analyzer=world.analyzer,
        plans=world.plans,
        reply_key="event:r-1",
    )
    event = parse_borrower_replied(
        {
            "account_id": "acc-1",
            "channel": "sms",
            "text": "wrong amount, STOP",
            "received_at": "2026-11-05T02:00:00Z",
        }
    )
    # an attempt that failed after its writes, then the redelivery's attempt
    first = processor.apply(event, CASE_ID)
    again = processor.apply(event, CASE_ID)
    assert again == first
    kinds = world.kinds()
    for kind in ("reply_received", "reply_analysed", "opted_out", "dispute_opened"):
        assert kinds.count(kind) == 1, (kind, kinds)
    keys = {e.detail.get("reply_key") for e in world.repos.timeline.list(CASE_ID)}
    assert keys == {"event:r-1"}
