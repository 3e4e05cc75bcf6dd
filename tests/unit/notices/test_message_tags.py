"""SES message tags: account and case ids go out escaped and come back exact."""

from __future__ import annotations

import re

import pytest
from arrears.domain.message_tags import (
    TagTooLong,
    decode_tag_value,
    encode_tag_value,
    tag_name,
)
from hypothesis import given
from hypothesis import strategies as st

SES_TAG_VALUE = re.compile(r"^[A-Za-z0-9_-]*$")  # what SES accepts in a tag value


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("acc-42", "acc-42"),
        ("acc-42#1", "acc-42_231"),
        ("loan_7/inst.3", "loan_5f7_2finst_2e3"),
        ("账户-9", "_e8_b4_a6_e6_88_b7-9"),
    ],
)
def test_known_values_escape_as_documented(value: str, encoded: str) -> None:
    assert encode_tag_value(value) == encoded
    assert decode_tag_value(encoded) == value


@given(st.text(max_size=40))
def test_any_id_round_trips_and_is_acceptable_to_ses(value: str) -> None:
    encoded = encode_tag_value(value)
    assert SES_TAG_VALUE.match(encoded)
    assert decode_tag_value(encoded) == value


def test_a_value_too_long_for_ses_is_refused_without_echoing_it() -> None:
    with pytest.raises(TagTooLong) as error:
        encode_tag_value("#" * 100)  # 300 characters escaped
    assert "#" not in str(error.value)


def test_tag_names_keep_underscores() -> None:
    assert tag_name("account_id") == "account_id"
    assert tag_name("case id#") == "case_id_"
