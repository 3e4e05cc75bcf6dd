"""Fixtures: a contact-ledger table on moto, created from the topology spec."""

from __future__ import annotations

import os
from collections.abc import Iterator

import boto3
import pytest
from arrears import topology
from arrears.adapters.ledger import bind_ledger_table
from ledger_doubles import make_ledger  # noqa: F401 - the fixture, for every ledger test
from moto import mock_aws

from tests.support.aws import REGION, create_tables

_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


@pytest.fixture(scope="module")
def ledger_table() -> Iterator[str]:
    """The contact-ledger table on moto (one per test module; tests use distinct accounts)."""
    saved = {key: os.environ.get(key) for key in _FAKE_CREDENTIALS}
    os.environ.update(_FAKE_CREDENTIALS)
    with mock_aws():
        (name,) = create_tables(
            boto3.client("dynamodb", region_name=REGION), [topology.CONTACT_LEDGER]
        )
        bind_ledger_table({"AWS_DEFAULT_REGION": REGION})
        yield name
    bind_ledger_table()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
