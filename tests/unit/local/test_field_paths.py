"""Field-only JSONPaths read by walking dicts give what moto's jsonpath_ng reading gives."""

from __future__ import annotations

from typing import Any

import pytest
from arrears.local import field_paths, moto_patches
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonpath_ng.ext import parse
from moto.stepfunctions.parser.asl.utils import json_path
from moto.stepfunctions.parser.asl.utils.json_path import NoSuchJsonPathError

ORIGINAL = json_path.extract_json
FAST = field_paths.fast_extract(ORIGINAL, parse)

# few names, so that paths often hit and often miss
NAMES = st.sampled_from(["a", "b", "case_id", "Execution", "len", "id"])
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(NAMES, inner, max_size=4),
    max_leaves=12,
)
FIELD_PATHS = st.lists(NAMES, min_size=1, max_size=4).map(lambda names: "$." + ".".join(names))
OTHER_PATHS = st.sampled_from(
    ["$", "$.a[0]", "$.a[*]", "$.a.*", "$..a", "$.a[0].b", "$['a']", "$['a','b']", "$.a[1:]"]
)


def outcome(extract: Any, path: str, data: Any) -> tuple[str, Any]:
    try:
        return "value", extract(path, data)
    except NoSuchJsonPathError as error:
        return "error", error.message


@settings(max_examples=400, deadline=None)
@given(path=FIELD_PATHS | OTHER_PATHS, data=JSON)
def test_every_path_reads_what_moto_reads_or_fails_as_moto_fails(path, data):
    # given any JSON input and a path, field-only or not
    # when both read it
    # then the value, or the error and its message, is the same
    assert outcome(FAST, path, data) == outcome(ORIGINAL, path, data)


def test_a_field_path_found_in_dicts_is_the_value_itself_not_a_copy():
    # given nested input (moto copies what a path returns where it needs to)
    data = {"wake": {"due": {"at": "2026-12-01"}}}

    # when the path is read
    found = FAST("$.wake.due", data)

    # then it is the very object moto's reading returns
    assert found is data["wake"]["due"] is ORIGINAL("$.wake.due", data)


@pytest.mark.parametrize(
    ("path", "chain"),
    [
        ("$", ()),
        ("$.case_id", ("case_id",)),
        ("$.Execution.Name", ("Execution", "Name")),
        ("$['a']", ("a",)),
        ("$.a[0]", None),
        ("$.a.*", None),
        ("$..a", None),
        ("$['a','b']", None),
        ("$.a[?(@.b > 1)]", None),
    ],
)
def test_only_chains_of_single_named_fields_take_the_direct_walk(path, chain):
    assert field_paths.field_chain(parse(path)) == chain


def test_a_path_that_is_not_field_only_goes_to_moto():
    # given moto's reading, counted
    calls = []

    def counted(path, data):
        calls.append(path)
        return ORIGINAL(path, data)

    fast = field_paths.fast_extract(counted, parse)

    # when a field path that resolves, one that misses and an index path are read
    fast("$.a.b", {"a": {"b": 1}})
    with pytest.raises(NoSuchJsonPathError):
        fast("$.a.c", {"a": {"b": 1}})
    assert fast("$.a[0]", {"a": [5]}) == 5

    # then only the two that the walk could not answer reached moto
    assert calls == ["$.a.c", "$.a[0]"]


def test_the_runtime_reads_with_the_walk_and_puts_moto_back_after():
    from datetime import datetime

    from arrears.local.clock import Scheduler, VirtualClock
    from moto.stepfunctions.parser.asl.eval import states

    hooks = moto_patches.Hooks(
        scheduler=Scheduler(VirtualClock(datetime.now().astimezone())),
        invoke_lambda=lambda name, event: ("{}", False),
    )
    with moto_patches.patched(hooks):
        assert states.extract_json is not ORIGINAL
        assert states.extract_json("$.a", {"a": 1}) == 1
    assert states.extract_json is ORIGINAL


def test_the_guard_names_a_module_that_stopped_binding_extract_json(monkeypatch):
    # given an interpreter module that reads extract_json some other way
    from moto.stepfunctions.parser.asl.eval import states

    monkeypatch.delattr(states, "extract_json")

    # when the internals are checked, the module is named
    assert any(
        "asl.eval.states no longer binds extract_json" in p for p in moto_patches.check_internals()
    )
