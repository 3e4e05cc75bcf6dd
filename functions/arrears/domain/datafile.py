"""Policy and compliance-pack data as frozen dataclasses, and their compiled (JSON) form.

The escalation policy and the compliance packs are YAML files people edit. Their classes
(``domain.policy``, ``domain.compliance.pack`` and the sections they hold) are standard
frozen dataclasses whose fields carry their constraints as ``Annotated`` metadata
(``annotated_types`` and the two markers below). Reading a file validates it with pydantic
against those same classes (``domain.validation``); this module never imports pydantic.

The Lambda assets ship each policy and pack already validated, as JSON written by
:func:`to_data` when the asset is built (``infra/assets.py``); :func:`from_data` turns it back
into the same objects, so a function's cold start never imports pydantic or PyYAML for its
configuration. ``tests/unit/test_datafile.py`` proves the round trip gives equal objects for
every shipped file.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable
from datetime import time
from decimal import Decimal
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen

__all__ = [
    "COMPILED_FILE",
    "Check",
    "Ge",
    "Gt",
    "Le",
    "Lt",
    "MaxLen",
    "MinLen",
    "Pattern",
    "Strict",
    "compiled",
    "from_data",
    "to_data",
]

T = TypeVar("T")

# Where an asset carries its validated policies and packs (never in the source tree).
COMPILED_FILE = Path(__file__).resolve().parent.parent / "policies" / "compiled.json"


@dataclasses.dataclass(frozen=True)
class Pattern:
    """A string field must match ``regex`` (pydantic's ``pattern`` check)."""

    regex: str

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = handler(source)
        schema["pattern"] = self.regex
        return schema


@dataclasses.dataclass(frozen=True)
class Check:
    """A field-level check run by pydantic: before (on the raw value) or after its type
    is validated; ``function`` returns the value or raises ``ValueError``."""

    function: Callable[[Any], Any]
    before: bool = False

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        if self.before:
            return core_schema.no_info_before_validator_function(self.function, handler(source))
        return core_schema.no_info_after_validator_function(self.function, handler(source))


# ---- the compiled form -------------------------------------------------------------------


def to_data(value: Any) -> Any:
    """A dataclass tree as JSON values: sets sorted, so the same data writes the same file."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal | time):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted((to_data(item) for item in value), key=json.dumps)
    if isinstance(value, tuple | list):
        return [to_data(item) for item in value]
    if isinstance(value, dict):
        return {str(to_data(key)): to_data(item) for key, item in value.items()}
    return value


def from_data(kind: type[T], data: Any) -> T:
    """The object :func:`to_data` wrote, rebuilt by the classes' own constructors."""
    return typing.cast(T, _build(kind, data))


@cache
def _hints(kind: Any) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _build(kind: Any, data: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin is typing.Annotated:
        return _build(typing.get_args(kind)[0], data)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        if data is None:
            return None
        if len(options) != 1:
            raise TypeError(f"cannot rebuild a value of {kind}")
        return _build(options[0], data)
    if origin is typing.Literal or kind is Any:
        return data
    if origin is tuple:
        item = typing.get_args(kind)[0]
        return tuple(_build(item, value) for value in data)
    if origin is frozenset:
        item = typing.get_args(kind)[0]
        return frozenset(_build(item, value) for value in data)
    if origin is dict:
        key, item = typing.get_args(kind)
        return {_build(key, name): _build(item, value) for name, value in data.items()}
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = _hints(kind)
        return kind(**{name: _build(hints[name], value) for name, value in data.items()})
    if kind is Decimal:
        return Decimal(data)
    if kind is time:
        return time.fromisoformat(data)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(data)
    if kind in (str, int, bool):
        return data
    raise TypeError(f"cannot rebuild a value of {kind}")


@cache
def compiled() -> dict[str, Any] | None:
    """The asset's compiled policies and packs, or None where there is none (a checkout)."""
    try:
        text = COMPILED_FILE.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return typing.cast(dict[str, Any], json.loads(text))


class Strict:
    """Base of a section of a policy or pack file: pydantic refuses keys it does not define
    (the sections themselves are ``@dataclass(frozen=True, kw_only=True)``)."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid"}
