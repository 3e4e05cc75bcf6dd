"""Shard results on disk: written once, read back only as one complete set."""

from __future__ import annotations

import pytest
from arrears.local.simulation.run import ShardResult
from arrears.local.simulation.shard_files import ShardFileError, read_shards, write_shard

ARGUMENTS = {"portfolio": "synthetic:4", "policy": ["default.yaml", "other.yaml"], "seed": 7}


def _write(folder, index, count=2, arguments=ARGUMENTS, partial=False):
    result = ShardResult("A", index, [{"account_id": f"acc-{index}"}], 10, ["v1"])
    write_shard(
        folder, index=index, count=count, arguments=arguments, results=[result], partial=partial
    )
    return folder


def test_a_complete_set_reads_back_in_any_order(tmp_path):
    one, zero = _write(tmp_path / "b", 1), _write(tmp_path / "a", 0, partial=True)
    arguments, results, partial = read_shards([one, zero])
    assert arguments == ARGUMENTS
    assert sorted(r.shard for r in results) == [0, 1]
    assert results[0].cases == [{"account_id": "acc-1"}]
    assert partial is True  # one of them was interrupted


def test_the_same_shard_writes_the_same_bytes(tmp_path):
    first = (_write(tmp_path / "a", 0) / "shard.json.gz").read_bytes()
    assert (_write(tmp_path / "b", 0) / "shard.json.gz").read_bytes() == first


@pytest.mark.parametrize(
    ("folders", "message"),
    [
        (lambda t: [_write(t / "a", 0)], "shard 1 of 2 is missing"),
        (lambda t: [_write(t / "a", 0), _write(t / "b", 0)], "shard 0 of 2 is given twice"),
        (
            lambda t: [_write(t / "a", 0), _write(t / "b", 1, arguments={**ARGUMENTS, "seed": 8})],
            "a shard of another simulation",
        ),
        (lambda t: [_write(t / "a", 0), _write(t / "b", 1, count=3)], "another simulation"),
        (lambda t: [t], "not a shard's --out folder"),
    ],
)
def test_shards_that_do_not_belong_together_are_refused(tmp_path, folders, message):
    with pytest.raises(ShardFileError, match=message):
        read_shards(folders(tmp_path))
