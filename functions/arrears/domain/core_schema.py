"""pydantic-core schemas as JSON, and back: how the event schemas travel in the compiled data.

A core schema is plain data (dicts, lists, strings, numbers) except where it names Python
objects: the classes a model schema builds, the enums it checks against and their members,
and the rule functions it calls. :func:`encode` writes each of those as a reference to where
it is defined (``{"$py": "module:qualname"}``, ``{"$member": ..., "name": ...}``), a dict
keyed by such members as its pairs (``{"$items": [[key, value], ...]}``), and drops
``metadata`` (pydantic's own notes for JSON Schema, which validation never reads);
:func:`decode` imports them back. Only module-level names of arrears and the standard
library are written, so what an asset ships can name nothing else.

The schemas are written once, as pydantic models (``domain.event_models``,
``domain.ops_models``), and :func:`aimed` points them at plain classes (``domain.record``),
so the validators build those; :func:`schemas` gives a module its schemas from the asset's
compiled data, or derives them from the models in a checkout.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

REF = "$py"
MEMBER = "$member"
ITEMS = "$items"  # a dict whose keys are not all strings (a tagged union's enum tags)
DROPPED_KEYS = frozenset({"metadata"})
ALLOWED_ROOTS = ("arrears.", "datetime", "decimal", "enum")


def _where(target: Any) -> str:
    function = getattr(target, "__func__", target)  # a classmethod, bound to its class
    owner = getattr(target, "__self__", None)
    if isinstance(owner, type):
        module, qualname = owner.__module__, f"{owner.__qualname__}.{function.__name__}"
    else:
        module, qualname = function.__module__, function.__qualname__
    if "<" in qualname or not module.startswith(ALLOWED_ROOTS):
        raise TypeError(f"cannot refer to {target!r} by name ({module}:{qualname})")
    return f"{module}:{qualname}"


def encode(schema: Any) -> Any:
    """``schema`` as JSON-compatible data (raises TypeError on anything it cannot name)."""
    if isinstance(schema, dict):
        if not all(type(key) is str for key in schema):  # a StrEnum member is a str too
            return {ITEMS: [[encode(key), encode(value)] for key, value in schema.items()]}
        return {key: encode(value) for key, value in schema.items() if key not in DROPPED_KEYS}
    if isinstance(schema, list | tuple):
        return [encode(value) for value in schema]
    if isinstance(schema, Enum):
        return {MEMBER: _where(type(schema)), "name": schema.name}
    if isinstance(schema, bool | int | float | str) or schema is None:
        return schema
    if isinstance(schema, type) or callable(schema):
        return {REF: _where(schema)}
    raise TypeError(f"a core schema value that has no JSON form: {type(schema).__name__}")


def resolve(reference: str) -> Any:
    module, _, qualname = reference.partition(":")
    if not module.startswith(ALLOWED_ROOTS):
        raise ValueError(f"a schema may refer only to arrears and the standard library: {module}")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part)
    return found


def decode(data: Any) -> Any:
    """The core schema :func:`encode` wrote, with its classes and functions imported."""
    if isinstance(data, dict):
        if REF in data:
            return resolve(data[REF])
        if MEMBER in data:
            return resolve(data[MEMBER])[data["name"]]
        if ITEMS in data:
            return {decode(key): decode(value) for key, value in data[ITEMS]}
        return {key: decode(value) for key, value in data.items()}
    if isinstance(data, list):
        return [decode(value) for value in data]
    return data


def aimed(schema: Any, classes: Mapping[type, type]) -> Any:
    """``schema`` with each model class of ``classes`` replaced by its plain class, and each
    model-level rule (a method of one of those models) by the plain class's own rule of the
    same name (same code, called with the same attributes)."""
    if isinstance(schema, dict):
        return {key: aimed(value, classes) for key, value in schema.items()}
    if isinstance(schema, list):
        return [aimed(value, classes) for value in schema]
    if isinstance(schema, type) and schema in classes:
        return classes[schema]
    if callable(schema):
        function = getattr(schema, "__func__", schema)
        owner, _, rule = getattr(function, "__qualname__", "").rpartition(".")
        for model, plain in classes.items():
            if owner == model.__qualname__ and function.__module__ == model.__module__:
                return getattr(plain, rule)
    return schema


def schemas(key: str, derive: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The core schemas under ``key`` in the asset's compiled data (``domain.datafile``),
    else ``derive()``: from the pydantic models, in a checkout, the local runtime, the tests."""
    from arrears.domain import datafile

    shipped = datafile.compiled()
    if shipped is not None and key in shipped:
        return {name: decode(schema) for name, schema in shipped[key].items()}
    return derive()
