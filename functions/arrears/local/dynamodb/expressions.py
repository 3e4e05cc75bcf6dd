"""DynamoDB expressions: parsed once, evaluated on items in the wire format.

Items are the AttributeValue maps the API speaks (``{"S": "x"}``, ``{"N": "1.5"}``, ``{"M":
{...}}``). Condition, filter and key-condition expressions share one grammar; update and
projection expressions have their own. Semantics follow moto's DynamoDB (the reference the
local runtime is checked against): a missing attribute makes every comparison false except
``<>``, values of different types are never equal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

Value = dict[str, Any]  # one AttributeValue
Item = dict[str, Value]


class ExpressionError(ValueError):
    """A ValidationException: the message is what the caller sees."""


# ---- paths --------------------------------------------------------------------------------

# a path is a tuple of steps: str (a map key) or int (a list index)
Path = tuple[str | int, ...]


def resolve(item: Mapping[str, Value] | None, path: Path) -> Value | None:
    """The value at ``path`` in ``item``, or None when any step is missing."""
    if item is None:
        return None
    first = path[0]
    value = item.get(first) if isinstance(first, str) else None
    for step in path[1:]:
        if value is None:
            return None
        if isinstance(step, int):
            items = value.get("L")
            value = items[step] if items is not None and step < len(items) else None
        else:
            members = value.get("M")
            value = members.get(step) if members is not None else None
    return value


# ---- values -------------------------------------------------------------------------------


def _number(text: str) -> Decimal:
    return Decimal(text)


def equal(a: Value | None, b: Value | None) -> bool:
    if a is None or b is None:
        return False
    (ta, va), (tb, vb) = next(iter(a.items())), next(iter(b.items()))
    if ta != tb:
        return False
    if ta == "N":
        return _number(va) == _number(vb)
    if ta == "NS":
        return {_number(v) for v in va} == {_number(v) for v in vb}
    if ta in ("SS", "BS"):
        return set(va) == set(vb)
    if ta == "M":
        return va.keys() == vb.keys() and all(equal(va[k], vb[k]) for k in va)
    if ta == "L":
        return len(va) == len(vb) and all(equal(x, y) for x, y in zip(va, vb, strict=True))
    return bool(va == vb)


def ordered(value: Value) -> Any:
    """A Python value that sorts as DynamoDB orders a key or compares scalars."""
    kind, raw = next(iter(value.items()))
    if kind == "N":
        return _number(raw)
    if kind in ("S", "B"):
        return raw
    raise ExpressionError(f"values of type {kind} cannot be ordered")


def _compare(a: Value | None, b: Value | None, test: Callable[[Any, Any], bool]) -> bool:
    if a is None or b is None:
        return False
    (ta, _), (tb, _) = next(iter(a.items())), next(iter(b.items()))
    if ta != tb or ta not in ("N", "S", "B"):
        return False
    return test(ordered(a), ordered(b))


def size_of(value: Value | None) -> Value | None:
    if value is None:
        return None
    kind, raw = next(iter(value.items()))
    if kind in ("S", "B", "SS", "NS", "BS", "L", "M"):
        length = len(raw.encode("utf-8")) if kind == "S" else len(raw)
        return {"N": str(length)}
    raise ExpressionError(
        f"Invalid FilterExpression: Incorrect operand type for operator or function; "
        f"operator or function: size, operand type: {kind}"
    )


def number_text(value: Decimal) -> str:
    """A number as DynamoDB returns it: no exponent, no trailing zeros."""
    text = format(value.normalize(), "f")
    return text if text != "-0" else "0"


# ---- tokens -------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\[\d+\])|(?P<name>#[A-Za-z0-9_]+)|(?P<value>:[A-Za-z0-9_]+)"
    r"|(?P<op><>|<=|>=|[=<>(),.+\-])|(?P<word>[A-Za-z_][A-Za-z0-9_]*))"
)


def _tokens(text: str) -> list[str]:
    found: list[str] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ExpressionError(f"Invalid expression: syntax error near {text[position:]!r}")
        found.append(match.group(match.lastgroup or 0))
        position = match.end()
    return found


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self, ahead: int = 0) -> str | None:
        index = self.at + ahead
        return self.tokens[index] if index < len(self.tokens) else None

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.upper() == word:
            self.at += 1
            return True
        return False

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token.upper() != expected):
            raise ExpressionError(
                f"Invalid expression: expected {expected or 'more'} in {self.text!r}"
            )
        self.at += 1
        return token

    def done(self) -> None:
        if self.peek() is not None:
            raise ExpressionError(f"Invalid expression: unexpected {self.peek()!r}")


# ---- operands (shared by every grammar) -----------------------------------------------------

# an operand is ("path", parts) | ("value", ":name") | ("size", path-operand)
Operand = tuple[Any, ...]


def _path(reader: _Reader) -> Operand:
    parts: list[str | int] = [_path_name(reader.take())]
    while True:
        token = reader.peek()
        if token == ".":
            reader.take()
            parts.append(_path_name(reader.take()))
        elif token is not None and token.startswith("["):
            reader.take()
            parts.append(int(token[1:-1]))
        else:
            return ("path", tuple(parts))


def _path_name(token: str) -> str:
    if token[0] in ":(),.=<>+-[":
        raise ExpressionError(f"Invalid expression: a path cannot start with {token!r}")
    return token  # "#name" is resolved against ExpressionAttributeNames when bound


def _operand(reader: _Reader) -> Operand:
    token = reader.peek()
    if token is None:
        raise ExpressionError("Invalid expression: an operand is missing")
    if token.startswith(":"):
        reader.take()
        return ("value", token)
    if token.lower() == "size" and reader.peek(1) == "(":
        reader.take()
        reader.take("(")
        inner = _path(reader)
        reader.take(")")
        return ("size", inner)
    return _path(reader)


# ---- conditions ----------------------------------------------------------------------------

_COMPARATORS = {
    "=": lambda a, b: equal(a, b),
    "<>": lambda a, b: not equal(a, b),
    "<": lambda a, b: _compare(a, b, lambda x, y: x < y),
    "<=": lambda a, b: _compare(a, b, lambda x, y: x <= y),
    ">": lambda a, b: _compare(a, b, lambda x, y: x > y),
    ">=": lambda a, b: _compare(a, b, lambda x, y: x >= y),
}
_FUNCTIONS = {
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "begins_with",
    "contains",
}

# a condition node is a tuple whose first element names it
Condition = tuple[Any, ...]


def _or(reader: _Reader) -> Condition:
    node = _and(reader)
    while reader.keyword("OR"):
        node = ("or", node, _and(reader))
    return node


def _and(reader: _Reader) -> Condition:
    node = _not(reader)
    while reader.keyword("AND"):
        node = ("and", node, _not(reader))
    return node


def _not(reader: _Reader) -> Condition:
    if reader.keyword("NOT"):
        return ("not", _not(reader))
    return _predicate(reader)


def _operand_list(reader: _Reader) -> tuple[Operand, ...]:
    """``( operand [, operand]... )``: a function's arguments or IN's choices."""
    reader.take("(")
    operands = [_operand(reader)]
    while reader.peek() == ",":
        reader.take()
        operands.append(_operand(reader))
    reader.take(")")
    return tuple(operands)


def _predicate(reader: _Reader) -> Condition:
    token = reader.peek()
    if token == "(":
        reader.take()
        node = _or(reader)
        reader.take(")")
        return node
    if token is not None and token.lower() in _FUNCTIONS and reader.peek(1) == "(":
        name = reader.take().lower()
        args = _operand_list(reader)
        expected = 1 if name.startswith("attribute_") and name != "attribute_type" else 2
        if len(args) != expected:
            raise ExpressionError(f"Invalid function {name}: wrong number of operands")
        return ("function", name, args)
    left = _operand(reader)
    if reader.keyword("BETWEEN"):
        low = _operand(reader)
        reader.take("AND")
        return ("between", left, low, _operand(reader))
    if reader.keyword("IN"):
        return ("in", left, _operand_list(reader))
    operator = reader.take()
    if operator not in _COMPARATORS:
        raise ExpressionError(f"Invalid expression: {operator!r} is not a comparator")
    return ("compare", operator, left, _operand(reader))


@lru_cache(maxsize=4096)
def parse_condition(text: str) -> Condition:
    reader = _Reader(text)
    node = _or(reader)
    reader.done()
    return node


@dataclass(frozen=True)
class Bindings:
    """ExpressionAttributeNames and ExpressionAttributeValues of one request."""

    names: Mapping[str, str]
    values: Mapping[str, Value]

    def path(self, parts: Path) -> Path:
        return tuple(self.name(p) if isinstance(p, str) else p for p in parts)

    def name(self, part: str) -> str:
        if part.startswith("#"):
            try:
                return self.names[part]
            except KeyError:
                raise ExpressionError(
                    "An expression attribute name used in the document path is not defined; "
                    f"attribute name: {part}"
                ) from None
        return part

    def value(self, token: str) -> Value:
        try:
            return self.values[token]
        except KeyError:
            raise ExpressionError(
                f"An expression attribute value used in expression is not defined; "
                f"attribute value: {token}"
            ) from None

    def operand(self, operand: Operand, item: Mapping[str, Value] | None) -> Value | None:
        kind = operand[0]
        if kind == "value":
            return self.value(operand[1])
        if kind == "size":
            return size_of(self.operand(operand[1], item))
        return resolve(item, self.path(operand[1]))


_TYPE_NAMES = {"S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"}


def evaluate(node: Condition, item: Mapping[str, Value] | None, bind: Bindings) -> bool:
    kind = node[0]
    if kind == "and":
        return evaluate(node[1], item, bind) and evaluate(node[2], item, bind)
    if kind == "or":
        return evaluate(node[1], item, bind) or evaluate(node[2], item, bind)
    if kind == "not":
        return not evaluate(node[1], item, bind)
    if kind == "compare":
        test = _COMPARATORS[node[1]]
        return bool(test(bind.operand(node[2], item), bind.operand(node[3], item)))
    if kind == "between":
        value = bind.operand(node[1], item)
        low, high = bind.operand(node[2], item), bind.operand(node[3], item)
        return _compare(value, low, lambda x, y: x >= y) and _compare(
            value, high, lambda x, y: x <= y
        )
    if kind == "in":
        value = bind.operand(node[1], item)
        return any(equal(value, bind.operand(choice, item)) for choice in node[2])
    return _function(node[1], node[2], item, bind)


def _function(
    name: str, args: tuple[Operand, ...], item: Mapping[str, Value] | None, bind: Bindings
) -> bool:
    first = bind.operand(args[0], item)
    if name == "attribute_exists":
        return first is not None
    if name == "attribute_not_exists":
        return first is None
    second = bind.operand(args[1], item)
    if second is None:
        return False
    if name == "attribute_type":
        wanted = second.get("S")
        if wanted not in _TYPE_NAMES:
            raise ExpressionError(
                f"Invalid FilterExpression: Invalid attribute type name found; type: {wanted}, "
                "valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
            )
        return first is not None and wanted in first
    if first is None:
        return False
    if name == "begins_with":
        return _begins_with(first, second)
    # contains
    (kind, raw), (other_kind, other) = next(iter(first.items())), next(iter(second.items()))
    if kind in ("S", "B"):
        return other_kind == kind and other in raw
    if kind in ("SS", "NS", "BS"):
        if other_kind != kind[0]:
            return False
        if kind == "NS":
            return _number(other) in {_number(v) for v in raw}
        return other in raw
    if kind == "L":
        return any(equal(member, second) for member in raw)
    return False


def _begins_with(value: Value, prefix: Value) -> bool:
    (kind, raw), (prefix_kind, start) = next(iter(value.items())), next(iter(prefix.items()))
    return kind == prefix_kind and kind in ("S", "B") and bool(raw.startswith(start))


# ---- key conditions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyCondition:
    """``pk = :v [AND sk <op> :w | sk BETWEEN :a AND :b | begins_with(sk, :p)]``."""

    partition_name: str
    partition_value: Value
    sort_name: str | None = None
    sort_test: str | None = None  # a comparator, "between" or "begins_with"
    sort_values: tuple[Value, ...] = ()

    def sort_matches(self, value: Value | None) -> bool:
        if self.sort_test is None:
            return True
        if value is None:
            return False
        if self.sort_test == "between":
            low, high = self.sort_values
            return _compare(value, low, lambda x, y: x >= y) and _compare(
                value, high, lambda x, y: x <= y
            )
        if self.sort_test == "begins_with":
            return _begins_with(value, self.sort_values[0])
        return bool(_COMPARATORS[self.sort_test](value, self.sort_values[0]))


def key_condition(text: str, bind: Bindings, partition: str, sort: str | None) -> KeyCondition:
    node = parse_condition(text)
    parts = _conjuncts(node)
    found: dict[str, Condition] = {}
    for part in parts:
        name = _key_name(part, bind)
        if name in found:
            raise ExpressionError(
                "Invalid KeyConditionExpression: The key condition has more than one "
                f"condition on {name}"
            )
        found[name] = part
    if partition not in found:
        raise ExpressionError("Query condition missed key schema element: " + partition)
    pk = found.pop(partition)
    if pk[0] != "compare" or pk[1] != "=":
        raise ExpressionError("Query key condition not supported")
    result = KeyCondition(partition, _bound_value(pk[3], bind))
    if not found:
        return result
    name, node = found.popitem()
    if name != sort or found:
        raise ExpressionError("Query condition missed key schema element: " + (sort or name))
    if node[0] == "compare" and node[1] != "<>":
        return _with_sort(result, name, node[1], _bound_value(node[3], bind))
    if node[0] == "between":
        low, high = _bound_value(node[2], bind), _bound_value(node[3], bind)
        return _with_sort(result, name, "between", low, high)
    if node[0] == "function" and node[1] == "begins_with":
        return _with_sort(result, name, "begins_with", _bound_value(node[2][1], bind))
    raise ExpressionError("Query key condition not supported")


def _with_sort(base: KeyCondition, name: str, test: str, *values: Value) -> KeyCondition:
    return KeyCondition(base.partition_name, base.partition_value, name, test, values)


def _conjuncts(node: Condition) -> list[Condition]:
    if node[0] == "and":
        return _conjuncts(node[1]) + _conjuncts(node[2])
    if node[0] in ("or", "not", "in"):
        raise ExpressionError(f"Invalid operator used in KeyConditionExpression: {node[0].upper()}")
    return [node]


def _key_name(node: Condition, bind: Bindings) -> str:
    operand = node[2][0] if node[0] == "function" else node[1] if node[0] == "between" else node[2]
    if operand[0] != "path" or len(operand[1]) != 1:
        raise ExpressionError("Invalid KeyConditionExpression: a key must be a top-level name")
    return bind.name(operand[1][0])


def _bound_value(operand: Operand, bind: Bindings) -> Value:
    if operand[0] != "value":
        raise ExpressionError("Invalid KeyConditionExpression: compare a key with a value")
    return bind.value(operand[1])


# ---- projections --------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def parse_projection(text: str) -> tuple[Path, ...]:
    reader = _Reader(text)
    paths = [_path(reader)[1]]
    while reader.peek() == ",":
        reader.take()
        paths.append(_path(reader)[1])
    reader.done()
    return tuple(paths)


def project(item: Item, paths: tuple[Path, ...], bind: Bindings) -> Item:
    """The parts of ``item`` the projection names (nested paths keep their parents)."""
    result: Item = {}
    for path in paths:
        concrete = bind.path(path)
        value = resolve(item, concrete)
        if value is None:
            continue
        _place(result, concrete, value)
    return result


def _place(target: Item, path: Path, value: Value) -> None:
    head = path[0]
    assert isinstance(head, str)
    if len(path) == 1:
        target[head] = value
        return
    # nested projections keep the containing maps; list indexes collapse into lists
    container = target.setdefault(head, {"M": {}} if isinstance(path[1], str) else {"L": []})
    step = path[1]
    if isinstance(step, str):
        _place(container["M"], path[1:], value)
    else:
        container["L"].append(value if len(path) == 2 else {"M": {}})
        if len(path) > 2:
            _place(container["L"][-1]["M"], path[2:], value)


# ---- updates ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Update:
    sets: tuple[tuple[Path, Any], ...] = ()  # (path, value expression)
    removes: tuple[Path, ...] = ()
    adds: tuple[tuple[Path, Operand], ...] = ()
    deletes: tuple[tuple[Path, Operand], ...] = ()

    def paths(self) -> list[Path]:
        return (
            [p for p, _ in self.sets]
            + list(self.removes)
            + [p for p, _ in self.adds]
            + [p for p, _ in self.deletes]
        )


@lru_cache(maxsize=4096)
def parse_update(text: str) -> Update:
    reader = _Reader(text)
    sets: list[tuple[Path, Any]] = []
    removes: list[Path] = []
    adds: list[tuple[Path, Operand]] = []
    deletes: list[tuple[Path, Operand]] = []
    seen: set[str] = set()
    while reader.peek() is not None:
        clause = reader.take().upper()
        if clause in seen or clause not in ("SET", "REMOVE", "ADD", "DELETE"):
            raise ExpressionError(
                f'Invalid UpdateExpression: The "{clause}" section can only be used once in an '
                "update expression;"
                if clause in seen
                else f"Invalid UpdateExpression: Syntax error; token: {clause!r}"
            )
        seen.add(clause)
        while True:
            path = _path(reader)[1]
            if clause == "SET":
                reader.take("=")
                sets.append((path, _set_value(reader)))
            elif clause == "REMOVE":
                removes.append(path)
            elif clause == "ADD":
                adds.append((path, _operand(reader)))
            else:
                deletes.append((path, _operand(reader)))
            if reader.peek() != ",":
                break
            reader.take()
    return Update(tuple(sets), tuple(removes), tuple(adds), tuple(deletes))


def _set_value(reader: _Reader) -> Any:
    left = _set_operand(reader)
    token = reader.peek()
    if token in ("+", "-"):
        reader.take()
        return (token, left, _set_operand(reader))
    return left


def _set_operand(reader: _Reader) -> Any:
    token = reader.peek()
    if (
        token is not None
        and token.lower() in ("if_not_exists", "list_append")
        and reader.peek(1) == "("
    ):
        name = reader.take().lower()
        reader.take("(")
        first = _set_operand(reader)
        reader.take(",")
        second = _set_operand(reader)
        reader.take(")")
        return (name, first, second)
    return _operand(reader)


def set_value(expression: Any, item: Item, bind: Bindings) -> Value:
    kind = expression[0]
    if kind in ("+", "-"):
        left, right = set_value(expression[1], item, bind), set_value(expression[2], item, bind)
        if "N" not in left or "N" not in right:
            raise ExpressionError("An operand in the update expression has an incorrect data type")
        a, b = _number(left["N"]), _number(right["N"])
        return {"N": number_text(a + b if kind == "+" else a - b)}
    if kind == "if_not_exists":
        if expression[1][0] != "path":
            raise ExpressionError("Invalid UpdateExpression: if_not_exists needs a path")
        existing = resolve(item, bind.path(expression[1][1]))
        return existing if existing is not None else set_value(expression[2], item, bind)
    if kind == "list_append":
        left, right = set_value(expression[1], item, bind), set_value(expression[2], item, bind)
        if "L" not in left or "L" not in right:
            raise ExpressionError("An operand in the update expression has an incorrect data type")
        return {"L": list(left["L"]) + list(right["L"])}
    value = bind.operand(expression, item)
    if value is None:
        raise ExpressionError(
            "The provided expression refers to an attribute that does not exist in the item"
        )
    return value
