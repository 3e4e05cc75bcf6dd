"""The plain frozen class a pydantic-core validator builds (``core_schema``): the events
(``domain.event_types``) and the ops actions (``domain.ops``) are its subclasses."""

from __future__ import annotations

from typing import Any, TypeVar

R = TypeVar("R", bound="Record")


class Record:
    """A validated value: frozen, compared by value. Built only by its validator
    (pydantic-core sets the fields), never by hand."""

    # what pydantic-core sets beside the fields, kept out of the instance's __dict__
    __slots__ = (
        "__dict__",
        "__pydantic_extra__",
        "__pydantic_fields_set__",
        "__pydantic_private__",
    )

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __hash__(self) -> int:
        return hash((type(self), *self.__dict__.values()))

    def __reduce__(self) -> tuple[Any, ...]:
        # copied and pickled by its fields, as a model is (never through __setattr__)
        return _rebuilt, (type(self), dict(self.__dict__))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self.__dict__.items())
        return f"{type(self).__name__}({fields})"


def _rebuilt(kind: type[R], fields: dict[str, Any]) -> R:
    record = object.__new__(kind)
    object.__setattr__(record, "__dict__", fields)
    object.__setattr__(record, "__pydantic_extra__", None)
    object.__setattr__(record, "__pydantic_fields_set__", set(fields))
    object.__setattr__(record, "__pydantic_private__", None)
    return record


def replaced(record: R, **changes: Any) -> R:
    """``record`` with some fields changed, not validated again (as pydantic's
    ``model_copy(update=...)``): for values the caller sets itself."""
    unknown = set(changes) - set(record.__dict__)
    if unknown:
        raise TypeError(f"{type(record).__name__} has no field {', '.join(sorted(unknown))}")
    return _rebuilt(type(record), {**record.__dict__, **changes})
