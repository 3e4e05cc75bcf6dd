"""Attributes kept compressed behind the same names, for moto's records a portfolio run
keeps to its end (an ended execution's input and output, a sent email's body).

``pack_attributes(obj, names)`` turns ``obj`` into an instance of a subclass of its class
whose ``names`` are properties over compressed marshal bytes: every reader gets the same
value back, and what the object holds meanwhile is a fraction of it.
"""

from __future__ import annotations

import marshal
import zlib
from typing import Any

_PACKED_CLASSES: dict[tuple[type, tuple[str, ...]], type] = {}


class Packed:
    """A JSON value kept as compressed marshal bytes (or as itself, when marshal cannot
    take it: a str subclass such as an enum member)."""

    __slots__ = ("_blob", "_raw")

    def __init__(self, value: Any) -> None:
        try:
            self._blob: bytes | None = zlib.compress(marshal.dumps(value))
            self._raw = None
        except ValueError:
            self._blob, self._raw = None, value

    def value(self) -> Any:
        return self._raw if self._blob is None else marshal.loads(zlib.decompress(self._blob))


def _packed_attribute(name: str) -> property:
    slot = f"_packed_{name}"

    def read(obj: Any) -> Any:
        return obj.__dict__[slot].value()

    def write(obj: Any, value: Any) -> None:
        obj.__dict__[slot] = Packed(value)

    return property(read, write)


def pack_attributes(obj: Any, names: tuple[str, ...], prefix: str) -> None:
    """Keep ``obj``'s plain attributes ``names`` packed from now on (its class becomes
    ``<prefix><class name>``, a subclass made once per class and names)."""
    kind = type(obj)
    packed = _PACKED_CLASSES.get((kind, names))
    if packed is None:
        attributes = {name: _packed_attribute(name) for name in names}
        packed = type(f"{prefix}{kind.__name__}", (kind,), {"__module__": __name__, **attributes})
        _PACKED_CLASSES[(kind, names)] = packed
    values = {name: obj.__dict__.pop(name) for name in names}
    obj.__class__ = packed
    for name, value in values.items():
        setattr(obj, name, value)
