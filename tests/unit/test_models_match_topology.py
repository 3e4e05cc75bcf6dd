"""Every pynamodb model agrees with its TableSpec in arrears.topology (keys, GSIs, TTL).

infra/ builds the tables from the specs and the functions read them through the models:
if either side changes alone, this fails before a deploy does.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import arrears.adapters
import pytest
from arrears import topology
from arrears.adapters.models import MODELS, bind_tables
from arrears.topology import Key, TableSpec
from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model


def _models_in_adapters() -> list[type[Model]]:
    """Every Model subclass declaring the TableSpec it mirrors (SPEC), in any adapter."""
    found: dict[str, type[Model]] = {}
    for module_info in pkgutil.iter_modules(arrears.adapters.__path__):
        module = importlib.import_module(f"arrears.adapters.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Model) and hasattr(value, "SPEC"):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return list(found.values())


ALL_MODELS = _models_in_adapters()


def _spec(model: type[Model]) -> TableSpec:
    spec: TableSpec = model.SPEC  # type: ignore[attr-defined]
    return spec


def _attribute_type(attribute: Any) -> str:
    if isinstance(attribute, NumberAttribute):
        return "N"
    if isinstance(attribute, UnicodeAttribute):
        return "S"
    raise AssertionError(f"key attribute of unexpected type {type(attribute).__name__}")


def _key(attribute: Any) -> Key:
    return Key(attribute.attr_name, _attribute_type(attribute))  # type: ignore[arg-type]


def test_every_table_but_idempotency_has_a_model() -> None:
    modelled = {_spec(m).construct_id for m in ALL_MODELS}
    expected = {s.construct_id for s in topology.TABLES} - {topology.IDEMPOTENCY.construct_id}
    assert expected <= modelled
    assert set(MODELS) <= set(ALL_MODELS)


def test_every_modelled_table_rebinds_from_the_environment() -> None:
    # bind_tables() walks MODELS: a model missing there keeps its import-time table name
    rebound = {_spec(m).construct_id for m in MODELS}
    expected = {s.construct_id for s in topology.TABLES} - {topology.IDEMPOTENCY.construct_id}
    assert rebound == expected


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_table_keys_match(model: type[Model]) -> None:
    spec = _spec(model)
    attributes = model.get_attributes()
    hash_keys = [a for a in attributes.values() if a.is_hash_key]
    range_keys = [a for a in attributes.values() if a.is_range_key]
    assert [_key(a) for a in hash_keys] == [spec.partition_key]
    assert [_key(a) for a in range_keys] == ([spec.sort_key] if spec.sort_key else [])


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_indexes_match(model: type[Model]) -> None:
    spec = _spec(model)
    declared = {}
    for index in model._indexes.values():
        attrs = index.Meta.attributes.values()
        hash_key = next(a for a in attrs if a.is_hash_key)
        range_key = next((a for a in attrs if a.is_range_key), None)
        declared[index.Meta.index_name] = (
            _key(hash_key),
            _key(range_key) if range_key is not None else None,
            index.Meta.projection.projection_type,
        )
    expected = {i.name: (i.partition_key, i.sort_key, i.projection) for i in spec.indexes}
    assert declared == expected
    # an index key is also a model attribute of the same type (writes fill the index)
    attributes = model.get_attributes()
    for partition, sort, _ in expected.values():
        for key in (partition, sort):
            if key is not None:
                assert _key(attributes[key.name]) == key


@pytest.mark.parametrize("model", ALL_MODELS, ids=lambda m: m.__name__)
def test_ttl_matches(model: type[Model]) -> None:
    spec = _spec(model)
    ttl = [a.attr_name for a in model.get_attributes().values() if isinstance(a, TTLAttribute)]
    assert ttl == ([spec.ttl_attribute] if spec.ttl_attribute else [])


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_table_name_comes_from_the_env_var_the_spec_names(
    model: type[Model], monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _spec(model)
    original = model.Meta.table_name
    try:
        monkeypatch.setenv(spec.env_var, "deployed-name")
        bind_tables()
        assert model.Meta.table_name == "deployed-name"
        monkeypatch.delenv(spec.env_var)
        bind_tables()
        assert model.Meta.table_name == spec.local_name
    finally:
        model.Meta.table_name = original
        model._connection = None
