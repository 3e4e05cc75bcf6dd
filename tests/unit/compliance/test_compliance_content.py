"""Rule 4: content requirements (1006.6(e) opt-out, 1006.18(e) disclosures, 1006.34 notice)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from arrears.domain.compliance import (
    ContentRequirement,
    missing_content,
    required_content,
    validation_notice_due,
)
from arrears.domain.types import Channel
from compliance_builders import pack, utc

from tests.support.packs import as_debt_collector

OPT_OUT = ContentRequirement.OPT_OUT_INSTRUCTION
MINI_MIRANDA = ContentRequirement.DEBT_COLLECTION_DISCLOSURE
IDENTITY = ContentRequirement.DEBT_COLLECTOR_IDENTITY


@pytest.mark.parametrize(
    ("channel", "first", "expected"),
    [
        (Channel.SMS, True, {OPT_OUT, MINI_MIRANDA}),
        (Channel.EMAIL, False, {OPT_OUT, IDENTITY}),
        (Channel.LETTER, True, {MINI_MIRANDA}),
        (Channel.CALL, False, {IDENTITY}),
    ],
)
def test_us_requirements_of_a_debt_collector(channel, first, expected):
    assert required_content(as_debt_collector(pack("us")), channel, first) == expected


@pytest.mark.parametrize("channel", list(Channel))
def test_a_us_lender_collecting_its_own_debt_owes_no_debt_collector_disclosure(channel):
    # the shipped US pack is a first party's: only the opt-out line remains
    expected = {OPT_OUT} if channel in (Channel.SMS, Channel.EMAIL) else set()
    assert required_content(pack("us"), channel, True) == expected
    assert required_content(pack("us"), channel, False) == expected


@pytest.mark.parametrize("name", ["cn", "gb", "default"])
def test_other_packs_need_the_opt_out_line_on_electronic_channels_only(name):
    assert required_content(pack(name), Channel.SMS, True) == {OPT_OUT}
    assert required_content(pack(name), Channel.EMAIL, False) == {OPT_OUT}
    assert required_content(pack(name), Channel.LETTER, True) == set()


def test_validation_notice_is_due_five_days_after_first_communication():
    first = utc(2026, 11, 3, 15, 0)
    assert validation_notice_due(as_debt_collector(pack("us")), first) == first + timedelta(days=5)
    assert validation_notice_due(pack("us"), first) is None  # a creditor sends none
    assert validation_notice_due(pack("cn"), first) is None


def test_missing_content_reads_the_rendered_text():
    us = as_debt_collector(pack("us"))
    needs = required_content(us, Channel.SMS, True)
    good = "This is an attempt to collect a debt. Pay at example.com. Reply STOP to opt out."
    assert missing_content(us, needs, good, "en-US") == set()
    assert missing_content(us, needs, "Please pay today.", "en-US") == {OPT_OUT, MINI_MIRANDA}
    # a language the pack has no markers for cannot be vouched for
    assert missing_content(us, needs, good, "fr-FR") == {OPT_OUT, MINI_MIRANDA}


def test_chinese_opt_out_marker():
    cn = pack("cn")
    needs = required_content(cn, Channel.SMS, False)
    assert missing_content(cn, needs, "您的账单已逾期，请尽快还款。回复TD退订", "zh-CN") == set()
    assert missing_content(cn, needs, "您的账单已逾期，请尽快还款。", "zh-CN") == {OPT_OUT}
