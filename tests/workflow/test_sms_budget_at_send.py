"""An SMS whose rendered body, with its portal link, is over the policy's parts budget
(``portal.sms_max_segments``) is neither sent over it silently nor dropped: the contact
step sends the first form that fits (without the optional extras, then without the
link) or the shortest over the budget, and the timeline and the contact ledger say which
(real ASL, real handlers; English GSM-7 and Chinese UCS-2 bodies)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from arrears import constants as c
from arrears.adapters.cases import Repositories
from arrears.adapters.ledger import ContactLedger
from arrears.domain.policy import load_policy
from arrears.domain.portal import sms
from arrears.local.runtime import LocalRuntime

from tests.workflow.escalation_support import START, Outbox, open_overdue, outbox  # noqa: F401

# the HTTP API's own address, no short custom domain (docs/portal.md, SMS length)
API_PORTAL = "https://a1b2c3d4e5.execute-api.ap-southeast-1.amazonaws.com/borrower-portal"
# an address far too long for text messages
LONG_PORTAL = "https://customer-service.example-lender-group.com/" + "p" * 240
BUDGET = load_policy().portal.sms_max_segments


@pytest.fixture
def rt(request: pytest.FixtureRequest, outbox: Outbox) -> Iterator[LocalRuntime]:  # noqa: F811
    env = {c.ENV_PORTAL_URL: request.param, c.ENV_PORTAL_SIGNING_SECRET: "local-test-secret"}
    with LocalRuntime(start=START, seed=7, extra_env=env) as runtime:
        yield runtime


def _link(portal: str) -> re.Pattern[str]:
    return re.compile(re.escape(portal) + r"/c/[A-Za-z0-9_-]{22}")


def _sms(box: Outbox, account_id: str) -> list[dict[str, Any]]:
    return [m for m in box.to(account_id) if m["channel"] == "sms"]


def _sent_lines(case_id: str) -> list[dict[str, Any]]:
    return [
        dict(e.detail)
        for e in Repositories.dynamo().timeline.list(case_id)
        if e.kind == "contact_sent" and e.detail.get("channel") == "sms"
    ]


def _ledger_reasons(account_id: str) -> dict[str, str]:
    """template -> the reason the contact ledger keeps for its sent SMS."""
    return {
        e.template: e.reason
        for e in ContactLedger().entries(account_id)
        if e.channel.value == "sms" and e.decision == "sent"
    }


def _ladder(rt: LocalRuntime, account_id: str, country: str = "CN") -> str:
    case_id = open_overdue(rt, account_id, country=country)
    rt.advance(timedelta(days=9))  # the reminder (day 1) and the follow-up (day 7) by SMS
    return case_id


def _check_recorded_as_sent(box: Outbox, account_id: str, case_id: str) -> dict[str, dict]:
    """Every SMS really sent matches what its timeline line says of it; by template."""
    sent, lines = _sms(box, account_id), _sent_lines(case_id)
    assert len(sent) == len(lines) >= 2
    for message, line in zip(sent, lines, strict=True):
        body = message["body"]
        assert line["sms_parts"] == sms.segments(body)
        assert line["sms_encoding"] == sms.encoding(body)
        assert line["sms_budget"] == BUDGET
        assert (line["sms_parts"] > BUDGET) is bool(line.get("sms_over_budget"))
    return {
        line["template"]: line | {"body": m["body"]} for m, line in zip(sent, lines, strict=True)
    }


@pytest.mark.parametrize("rt", [API_PORTAL], indirect=True)
def test_on_the_api_address_a_chinese_sms_goes_without_its_help_line(rt, outbox) -> None:  # noqa: F811
    zh, en = _ladder(rt, "api-zh"), _ladder(rt, "api-en", country="US")
    chinese = _check_recorded_as_sent(outbox, "api-zh", zh)
    follow_up = chinese["follow_up"]
    assert follow_up["sms_encoding"] == "UCS-2"
    assert follow_up["sms_form"] == "short" and follow_up["sms_parts"] <= BUDGET
    assert follow_up["sms_left_out"] == "optional_parts"
    assert _link(API_PORTAL).search(follow_up["body"])  # the link stays
    assert "咨询" not in follow_up["body"]  # the help line is what went
    assert chinese["reminder"]["sms_form"] == "full"  # nothing optional to leave out
    assert _ledger_reasons("api-zh") == {"reminder": "allowed", "follow_up": "sms_short"}
    # the same address in English (GSM-7, 153 characters a part) fits as it is
    english = _check_recorded_as_sent(outbox, "api-en", en)
    assert {t: line["sms_form"] for t, line in english.items()} == {
        "reminder": "full",
        "follow_up": "full",
    }
    assert english["follow_up"]["sms_encoding"] == "GSM-7"
    assert "Help:" in english["follow_up"]["body"]
    assert set(_ledger_reasons("api-en").values()) == {"allowed"}


@pytest.mark.parametrize("rt", [LONG_PORTAL], indirect=True)
def test_on_a_very_long_address_english_is_shortened_and_chinese_goes_over(rt, outbox) -> None:  # noqa: F811
    en, zh = _ladder(rt, "long-en", country="US"), _ladder(rt, "long-zh")
    english = _check_recorded_as_sent(outbox, "long-en", en)
    follow_up = english["follow_up"]
    assert follow_up["sms_encoding"] == "GSM-7"
    assert follow_up["sms_form"] == "short" and follow_up["sms_parts"] <= BUDGET
    assert _link(LONG_PORTAL).search(follow_up["body"]) and "Help:" not in follow_up["body"]
    assert _ledger_reasons("long-en")["follow_up"] == "sms_short"
    # in Chinese no form fits: the shortest one that still says everything required goes,
    # over the budget, and says so (it is never dropped)
    chinese = _check_recorded_as_sent(outbox, "long-zh", zh)
    follow_up = chinese["follow_up"]
    assert follow_up["sms_encoding"] == "UCS-2"
    assert follow_up["sms_over_budget"] is True and follow_up["sms_parts"] > BUDGET
    assert follow_up["sms_form"] == "short"
    assert _link(LONG_PORTAL).search(follow_up["body"]) and "退订" in follow_up["body"]
    assert _ledger_reasons("long-zh")["follow_up"] == "sms_over_budget"
