"""Policy packs: validated on load, chosen by country with a configurable default."""

from __future__ import annotations

import pytest
from arrears import constants as c
from arrears.domain.compliance import all_packs, load_pack, parse_pack
from arrears.domain.compliance.pack import PACKS_DIR
from pydantic import ValidationError


def test_every_shipped_pack_loads_and_is_named_after_its_file():
    packs = all_packs()
    assert {"default", "us", "cn", "gb"} <= set(packs)
    assert {path.stem for path in PACKS_DIR.glob("*.yaml")} == set(packs)


@pytest.mark.parametrize(
    ("country", "name"),
    [("US", "us"), ("us", "us"), ("PR", "us"), ("CN", "cn"), ("GB", "gb"), ("FR", "default")],
)
def test_pack_is_chosen_by_country(country, name):
    assert load_pack(country).name == name


def test_default_pack_is_configurable(monkeypatch):
    monkeypatch.setenv(c.ENV_COMPLIANCE_DEFAULT_PACK, "gb")
    assert load_pack("FR").name == "gb"
    assert load_pack(None).name == "gb"
    assert load_pack("FR", default="cn").name == "cn"


def test_unknown_default_pack_is_an_error():
    with pytest.raises(ValueError, match="unknown compliance pack"):
        load_pack(None, default="atlantis")


def test_us_pack_carries_regulation_f_numbers():
    us = load_pack("US")
    calls = next(cap for cap in us.caps if cap.id == "call_7_in_7")
    assert (calls.max, calls.window_days, calls.counting, calls.scope) == (
        7,
        7,
        "local_days",
        "debt",
    )
    assert us.conversation_quiet_period is not None
    assert us.conversation_quiet_period.days == 7
    assert (us.contact_hours.start.hour, us.contact_hours.end.hour) == (8, 21)
    assert us.content.validation_notice_days == 5


def _minimal(**extra):
    return {"name": "test", "version": "1", **extra}


@pytest.mark.parametrize(
    "document",
    [
        _minimal(contact_hours={"start": "21:00", "end": "08:00"}),
        _minimal(fallback_timezone="Mars/Base"),
        _minimal(caps=[{"id": "a", "channels": ["sms"], "max": 1, "window_days": 1}] * 2),
        _minimal(caps=[{"id": "a", "channels": ["sms"], "max": 0, "window_days": 1}]),
        _minimal(caps=[{"id": "a", "channels": ["fax"], "max": 1, "window_days": 1}]),
        _minimal(blocking_flags=["grumpy"]),
        _minimal(countries=["USA"]),
        _minimal(unexpected_key=True),
        {"version": "1"},
    ],
    ids=[
        "hours reversed",
        "unknown zone",
        "duplicate cap id",
        "zero cap",
        "unknown channel",
        "unknown flag",
        "alpha-3 country",
        "unknown key",
        "no name",
    ],
)
def test_invalid_packs_are_rejected(document):
    with pytest.raises(ValidationError):
        parse_pack(document)


def test_minimal_pack_gets_safe_defaults():
    pack = parse_pack(_minimal())
    assert (pack.contact_hours.start.hour, pack.contact_hours.end.hour) == (8, 21)
    assert {flag.value for flag in pack.blocking_flags} == {
        "bankruptcy",
        "deceased",
        "legal_representative",
    }
    assert pack.dispute_pauses_collection
