"""Create Arrears resources on moto from ``arrears.topology`` (for tests that use mock_aws).

Usage::

    with mock_aws():
        create_tables(boto3.client("dynamodb", region_name=REGION))

Tables get their topology local names (the pynamodb models fall back to those names when
the environment carries none), keys, GSIs and TTL exactly as the TableSpecs say.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from arrears import topology
from arrears.topology import TableSpec

REGION = "us-east-1"
# What moto needs to answer boto3: a region and any credentials (never a real account's).
FAKE_CREDENTIALS = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
}


def use_fake_credentials(monkeypatch: Any) -> None:
    """Set FAKE_CREDENTIALS for one test (a ``pytest.MonkeyPatch``)."""
    for key, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(key, value)


@contextmanager
def repositories(kind: str, monkeypatch: Any) -> Iterator[Any]:
    """``Repositories`` on ``"memory"`` or on ``"dynamo"`` (every table on moto).

    For the tests that hold both implementations to one behaviour:
    ``@pytest.fixture(params=["dynamo", "memory"])``.
    """
    from arrears.adapters.cases import Repositories
    from arrears.adapters.models import bind_tables

    if kind == "memory":
        yield Repositories.in_memory()
        return
    import boto3
    from moto import mock_aws

    use_fake_credentials(monkeypatch)
    with mock_aws():
        create_tables(boto3.client("dynamodb", region_name=REGION))
        bind_tables()
        yield Repositories.dynamo()


def table_definition(spec: TableSpec, name: str | None = None) -> dict[str, Any]:
    """CreateTable arguments for one TableSpec."""
    attributes: dict[str, str] = {spec.partition_key.name: spec.partition_key.type}
    key_schema = [{"AttributeName": spec.partition_key.name, "KeyType": "HASH"}]
    if spec.sort_key is not None:
        attributes[spec.sort_key.name] = spec.sort_key.type
        key_schema.append({"AttributeName": spec.sort_key.name, "KeyType": "RANGE"})
    indexes = []
    for index in spec.indexes:
        attributes[index.partition_key.name] = index.partition_key.type
        index_keys = [{"AttributeName": index.partition_key.name, "KeyType": "HASH"}]
        if index.sort_key is not None:
            attributes[index.sort_key.name] = index.sort_key.type
            index_keys.append({"AttributeName": index.sort_key.name, "KeyType": "RANGE"})
        indexes.append(
            {
                "IndexName": index.name,
                "KeySchema": index_keys,
                "Projection": {"ProjectionType": index.projection},
            }
        )
    definition: dict[str, Any] = {
        "TableName": name or spec.local_name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": key_schema,
        "AttributeDefinitions": [
            {"AttributeName": attr, "AttributeType": kind} for attr, kind in attributes.items()
        ],
    }
    if indexes:
        definition["GlobalSecondaryIndexes"] = indexes
    return definition


def create_tables(dynamodb: Any, specs: Iterable[TableSpec] = topology.TABLES) -> list[str]:
    """Create each table (and its TTL setting) with the spec's local name; returns the names."""
    names = []
    for spec in specs:
        definition = table_definition(spec)
        dynamodb.create_table(**definition)
        if spec.ttl_attribute:
            dynamodb.update_time_to_live(
                TableName=definition["TableName"],
                TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute},
            )
        names.append(definition["TableName"])
    return names


def table_env() -> dict[str, str]:
    """Environment variables pointing every table env var at its local name."""
    return {spec.env_var: spec.local_name for spec in topology.TABLES}
