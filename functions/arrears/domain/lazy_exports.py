"""A package's public names, each loaded with its module when first asked for: a Lambda
that needs one name of a package does without the package's other modules on its cold
start."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, module_of: Mapping[str, str], namespace: dict[str, Any]
) -> Callable[[str], Any]:
    """The package's module ``__getattr__``: ``module_of`` maps each public name to the
    submodule defining it; a loaded name is kept in ``namespace`` (the package's globals),
    so it is looked up once."""

    def __getattr__(name: str) -> Any:
        module = module_of.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    return __getattr__
