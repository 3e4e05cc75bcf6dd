"""Policy and compliance-pack data as frozen dataclasses, and their compiled (JSON) form.

The escalation policy and the compliance packs are YAML files people edit. Their classes
(``domain.policy``, ``domain.compliance.pack`` and the sections they hold) are standard
frozen dataclasses whose fields carry their constraints as ``Annotated`` metadata
(:class:`Constraint` and :class:`Check` below). Reading a file validates it with pydantic
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

__all__ = [
    "COMPILED_FILE",
    "Check",
    "Constraint",
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


class Constraint:
    """A bound on a field that pydantic-core enforces itself (with its own messages): the
    key and value pydantic's ``Field(ge=...)`` would put on the field's core schema. Made
    by :func:`Ge`, :func:`Gt`, :func:`Le`, :func:`Lt`, :func:`MinLen`, :func:`MaxLen` and
    :func:`Pattern`; a plain class, since a cold start creates a few hundred of them."""

    __slots__ = ("key", "value")

    def __init__(self, key: str, value: object) -> None:
        self.key = key
        self.value = value

    def __repr__(self) -> str:
        return f"Constraint({self.key}={self.value!r})"

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = handler(source)
        target = schema
        while target["type"] in _VALIDATOR_FUNCTIONS:  # a Check before or after the type
            target = target["schema"]
        if self.key not in _APPLIES_TO.get(target["type"], ()):
            raise TypeError(f"{self.key} cannot constrain a {target['type']} field")
        target[self.key] = self.value
        return schema


_VALIDATOR_FUNCTIONS = ("function-before", "function-after", "function-wrap")
_BOUNDS = ("ge", "gt", "le", "lt")
_LENGTHS = ("min_length", "max_length")
_APPLIES_TO: dict[str, tuple[str, ...]] = {
    "int": _BOUNDS,
    "float": _BOUNDS,
    "decimal": _BOUNDS,
    "str": (*_LENGTHS, "pattern"),
    "tuple": _LENGTHS,
    "list": _LENGTHS,
    "dict": _LENGTHS,
    "frozenset": _LENGTHS,
    "set": _LENGTHS,
}


# Named like pydantic's (and annotated_types') constraints: Annotated[int, Ge(0), Le(365)].
def Ge(value: object) -> Constraint:
    return Constraint("ge", value)


def Gt(value: object) -> Constraint:
    return Constraint("gt", value)


def Le(value: object) -> Constraint:
    return Constraint("le", value)


def Lt(value: object) -> Constraint:
    return Constraint("lt", value)


def MinLen(length: int) -> Constraint:
    return Constraint("min_length", length)


def MaxLen(length: int) -> Constraint:
    return Constraint("max_length", length)


def Pattern(regex: str) -> Constraint:
    """A string field must match ``regex``."""
    return Constraint("pattern", regex)


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
