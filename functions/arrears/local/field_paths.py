"""JSONPaths that only name fields (``$.case_id``, ``$.wake.due``), read by walking dicts.

moto's interpreter evaluates every JSONPath of a state (Parameters, Choice variables,
InputPath, context paths such as ``$$.Execution.Name``) through jsonpath_ng, which wraps
each step of the walk in match objects: about 3 % of a never-paying case's CPU. Almost
every path in the escalation machine names fields only, so ``fast_extract`` reads those
directly and hands every other path, and every path that does not resolve to a dict
walk, to moto's own ``extract_json`` (which then answers, or raises, as it always did).

Which paths qualify is read from jsonpath_ng's own parse of the path, not from its
spelling: a chain of single, non-wildcard ``Fields`` under ``Root``. jsonpath_ng reads a
field with ``value.get(field)`` and finds nothing in a list or a string, so a walk over
dicts that finds every key gives the value jsonpath_ng gives, and anything else falls
back. ``problems()`` names what moved in jsonpath_ng, for the moto-internals test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

ExtractJson = Callable[[str, Any], Any]


def field_chain(parsed: Any) -> tuple[str, ...] | None:
    """The field names a parsed path walks through, or None if it does anything else."""
    from jsonpath_ng import jsonpath

    names: list[str] = []
    node = parsed
    while type(node) is jsonpath.Child:
        step = node.right
        if type(step) is not jsonpath.Fields or len(step.fields) != 1:
            return None
        (name,) = step.fields
        if name == "*" or name == jsonpath.auto_id_field:
            return None
        names.append(name)
        node = node.left
    if type(node) is not jsonpath.Root:
        return None
    return tuple(reversed(names))


def fast_extract(original: ExtractJson, parse: Callable[[str], Any]) -> ExtractJson:
    """moto's ``extract_json``, reading field-only paths over dicts directly."""
    chains: dict[str, tuple[str, ...] | None] = {}

    def extract_json(path: str, data: Any) -> Any:
        try:
            chain = chains[path]
        except KeyError:
            chain = chains[path] = field_chain(parse(path))
        if chain is not None:
            value = data
            for name in chain:
                if type(value) is not dict or name not in value:
                    break
                value = value[name]
            else:
                return value
        return original(path, data)

    return extract_json


def problems() -> list[str]:
    """What ``field_chain`` relies on in jsonpath_ng, one sentence each."""
    from jsonpath_ng import jsonpath
    from jsonpath_ng.ext import parse

    found: list[str] = []
    for name in ("Child", "Fields", "Root", "auto_id_field"):
        if not hasattr(jsonpath, name):
            found.append(f"jsonpath_ng.jsonpath.{name} is gone")
    if found:
        return found
    if field_chain(parse("$.a.b")) != ("a", "b"):
        found.append("jsonpath_ng no longer parses $.a.b as Fields under Child and Root")
    if field_chain(parse("$.a[0]")) is not None or field_chain(parse("$.a.*")) is not None:
        found.append("jsonpath_ng parses an index or a wildcard as a plain field")
    return found
