"""The preferred channel a borrower sets on the portal steers the ladder where the policy
offers a choice (real ASL, real handlers): the stage goes on the preferred channel when
the gate allows it, and on the policy's channels when it does not; a channel the policy
does not give the stage is never used."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from arrears.adapters.cases import Repositories
from arrears.adapters.links import BorrowerPreferences
from arrears.domain.portal.actions import Preferences
from arrears.domain.types import Channel

from tests.workflow.escalation_support import Outbox
from tests.workflow.portal_support import (  # noqa: F401 (fixtures)
    Browser,
    link_in,
    open_case,
    outbox,
    rt,
)


def _sent_since(box: Outbox, account_id: str, since) -> list[dict[str, Any]]:
    return [m for m in box.to(account_id) if m["at"] > since and m["channel"] != "letter"]


def _skipped(case_id: str) -> list[dict[str, str]]:
    return [
        dict(e.detail)
        for e in Repositories.dynamo().timeline.list(case_id)
        if e.kind == "contact_skipped" and e.detail.get("reason") == "preferred_channel"
    ]


def test_a_follow_up_that_may_go_either_way_goes_by_the_preferred_email(rt, outbox) -> None:  # noqa: F811
    case_id = open_case(rt, "pref-email")
    rt.advance(timedelta(hours=3))
    browser = Browser(rt, link_in(outbox, "pref-email")).sign_in()
    browser.act("preferences", channel="email")
    assert browser.status == 200
    chosen = rt.now
    rt.advance(timedelta(days=8))  # the follow-up (day 7): SMS in the policy, or e-mail
    later = _sent_since(outbox, "pref-email", chosen)
    assert [m["channel"] for m in later] == ["email"]
    assert _skipped(case_id) == [
        {
            "stage": "follow_up",
            "channel": "sms",
            "reason": "preferred_channel",
            "preferred": "email",
        }
    ]


def test_a_preferred_channel_the_borrower_stopped_falls_back_to_the_policys(rt, outbox) -> None:  # noqa: F811
    case_id = open_case(rt, "pref-stopped")
    rt.advance(timedelta(hours=3))
    browser = Browser(rt, link_in(outbox, "pref-stopped")).sign_in()
    browser.act("preferences", channel="email")
    browser.act("opt_out", channel="email")  # never contacted on a channel opted out of
    chosen = rt.now
    rt.advance(timedelta(days=8))
    later = _sent_since(outbox, "pref-stopped", chosen)
    assert [m["channel"] for m in later] == ["sms"]
    kinds = [e.kind for e in Repositories.dynamo().timeline.list(case_id)]
    assert "contact_blocked" in kinds and _skipped(case_id) == []


def test_a_channel_the_stage_does_not_offer_is_never_added(rt, outbox) -> None:  # noqa: F811
    case_id = open_case(rt, "pref-call")
    rt.advance(timedelta(hours=3))
    browser = Browser(rt, link_in(outbox, "pref-call")).sign_in()
    browser.act("preferences", channel="call")
    chosen = rt.now
    rt.advance(timedelta(days=8))  # the follow-up is a message: no call for it
    later = _sent_since(outbox, "pref-call", chosen)
    assert [m["channel"] for m in later] == ["sms"]
    assert _skipped(case_id) == []


def test_a_stage_on_two_channels_goes_only_on_the_preferred_one(rt, outbox) -> None:  # noqa: F811
    # the preference the borrower chose on the portal in an earlier cycle is on the item
    BorrowerPreferences().set_preferences("pref-both", Preferences(channel=Channel.EMAIL))
    before = rt.now
    case_id = open_case(rt, "pref-both")  # the reminder goes by SMS and e-mail by policy
    rt.advance(timedelta(hours=3))
    first = _sent_since(outbox, "pref-both", before)
    assert [m["channel"] for m in first] == ["email"]
    assert _skipped(case_id) == [
        {"stage": "reminder", "channel": "sms", "reason": "preferred_channel", "preferred": "email"}
    ]
