"""pydantic validation of the policy and pack dataclasses (``domain.datafile``).

Imported only where a file is read: by a test, the local runtime, the asset build, or a
function that runs without compiled data. The Lambda functions read the compiled form.
"""

from __future__ import annotations

import typing
from functools import cache
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

__all__ = ["ValidationError", "validate"]

T = TypeVar("T")


@cache
def _adapter(kind: Any) -> TypeAdapter[Any]:
    return TypeAdapter(kind)


def validate(kind: type[T], data: Any) -> T:
    """``data`` (parsed YAML, or a dict) as a valid ``kind``; pydantic's ValidationError if
    it is not one."""
    result: T = _adapter(typing.cast(Any, kind)).validate_python(data)
    return result
