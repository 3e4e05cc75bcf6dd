"""Opt-out by reply: STOP on SMS ends SMS for good, email carries on; the audit keeps no text."""

# ruff: noqa: F811 - the rt/outbox fixtures are imported from escalation_support

from __future__ import annotations

import json
from datetime import timedelta

from arrears.adapters.cases import Repositories
from arrears.domain.types import Channel
from escalation_support import (  # noqa: F401 - fixtures
    open_overdue,
    outbox,
    rt,
    timeline_kinds,
)
from replies_support import reply


def test_stop_by_sms_opts_out_of_sms_and_email_continues(rt, outbox):
    # given a standard case whose day-1 reminder went out by SMS and email
    case_id = open_overdue(rt, "acc-stop")
    rt.advance(timedelta(days=2))
    assert outbox.channels("acc-stop") == {"sms": 1, "email": 1}

    # when the borrower answers the SMS with "Stop texting me!!"
    replied_at = rt.now
    reply(rt, "acc-stop", "Stop texting me!!", channel="sms")

    # then SMS is opted out on the borrower profile, email is not
    borrower = Repositories.dynamo().borrowers.get("acc-stop")
    assert borrower is not None and borrower.opted_out == frozenset({Channel.SMS})
    # and the day-7 follow-up (an SMS stage) is blocked by the compliance gate, never sent
    rt.advance(timedelta(days=8))
    later = [m for m in outbox.to("acc-stop") if m["at"] > replied_at]
    assert [m["channel"] for m in later if m["channel"] == "sms"] == []
    kinds = timeline_kinds(case_id)
    assert {"reply_analysed", "opted_out", "contact_blocked"} <= set(kinds)
    # and the audit holds the intent and a hash of the reply, never its text
    entries = Repositories.dynamo().timeline.list(case_id)
    analysed = next(e for e in entries if e.kind == "reply_analysed")
    assert analysed.detail["intent"] == "stop_sms"
    assert len(analysed.detail["text_sha256"]) == 64
    assert "Stop texting me" not in json.dumps([e.detail for e in entries], default=str)
