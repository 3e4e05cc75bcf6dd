"""An S3 object spooled to a file reads, writes, seeks and truncates as an in-memory file."""

from __future__ import annotations

import io
import os

from arrears.local.object_spool import SpooledObject
from hypothesis import given, settings
from hypothesis import strategies as st

OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.binary(max_size=40)),
        st.tuples(st.just("read"), st.integers(min_value=-1, max_value=50)),
        st.tuples(
            st.just("seek"),
            st.tuples(st.integers(min_value=0, max_value=60), st.sampled_from([0, 1, 2])),
        ),
        st.tuples(st.just("truncate"), st.none() | st.integers(min_value=0, max_value=60)),
        st.tuples(st.just("tell"), st.none()),
    ),
    max_size=12,
)


def apply(target, operation, argument):
    if operation == "write":
        return target.write(argument)
    if operation == "read":
        return target.read(argument)
    if operation == "seek":
        offset, whence = argument
        return target.seek(offset, whence)
    if operation == "truncate":
        return target.truncate(argument)
    return target.tell()


@settings(max_examples=300, deadline=None)
@given(operations=OPERATIONS)
def test_any_sequence_of_calls_answers_as_an_in_memory_file(tmp_path_factory, operations):
    # given a spooled object and an in-memory file, both new
    spooled = SpooledObject(tmp_path_factory.mktemp("spool") / "object")
    memory = io.BytesIO()

    # when the same calls are made on both
    # then each answers the same, and both end holding the same bytes
    for operation, argument in operations:
        assert apply(spooled, operation, argument) == apply(memory, operation, argument)
    spooled.seek(0)
    assert spooled.read() == memory.getvalue()


def test_a_new_object_makes_no_file_until_its_bytes_are_written(tmp_path):
    # given a new object
    spooled = SpooledObject(tmp_path / "object")

    # then it is empty without a file, and its first write makes the file
    assert spooled.read() == b"" and os.listdir(tmp_path) == []
    spooled.write(b"%PDF-1.7")
    assert os.listdir(tmp_path) == ["object"]

    # and closing it removes the file
    spooled.close()
    assert os.listdir(tmp_path) == []
