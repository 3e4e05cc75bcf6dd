"""Shards: a stable partition by key, and a merge that does not depend on it."""

from __future__ import annotations

from arrears.local.simulation.shards import merge, partition, run_in_processes, shard_of

ACCOUNTS = [f"acc-{i:03d}" for i in range(40)]


def test_every_item_lands_in_exactly_one_shard_the_same_every_time():
    pieces = partition(ACCOUNTS, str, 3)
    assert sorted(a for piece in pieces for a in piece) == ACCOUNTS
    assert all(pieces)  # 40 accounts spread over 3 shards
    assert partition(ACCOUNTS, str, 3) == pieces
    for index, piece in enumerate(pieces):
        assert all(shard_of(a, 3) == index for a in piece)


def test_merge_gives_key_order_whatever_the_sharding():
    for shards in (1, 2, 5):
        assert merge(partition(reversed(ACCOUNTS), str, shards), str) == ACCOUNTS


def test_tasks_run_in_their_own_processes_and_come_back_in_order():
    results, interrupted = run_in_processes(abs, [-3, 2, -1], workers=2)
    assert results == [3, 2, 1]
    assert interrupted is False
