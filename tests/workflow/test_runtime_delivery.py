"""EventBridge rules -> SQS -> the ingest function, as the local runtime emulates it."""

from __future__ import annotations

from datetime import timedelta

from arrears.topology import INGEST_QUEUE
from runtime_fixture_topology import START


def _ingest_calls(calls: list[dict[str, object]]) -> list[dict[str, object]]:
    return [c for c in calls if c["function"] == "ingest"]


def test_rule_patterns_decide_what_reaches_the_ingest_function(runtime, calls):
    # given one event each rule matches, and two no rule matches
    runtime.put_event("wallet.payments", "PaymentStatusChanged", {"account_id": "a", "status": "X"})
    runtime.put_event("wallet.messaging", "BorrowerReplied", '{"account_id": "b", "status": "X"}')
    runtime.put_event("wallet.payments", "SomethingElse", {"account_id": "c", "status": "X"})
    runtime.put_event("someone.else", "PaymentStatusChanged", {"account_id": "d", "status": "X"})

    # then only the matched two were delivered, and the other two are counted as unmatched
    assert [c["account_id"] for c in _ingest_calls(calls)] == ["a", "b"]
    assert runtime.delivery.events_published == 4
    assert runtime.delivery.events_unmatched == 2


def test_events_arrive_in_batches_of_the_queue_spec_size(runtime, calls):
    # given 23 events published at the same instant (delivered after all are queued)
    for i in range(23):
        runtime.schedule_event(
            START,
            "wallet.payments",
            "PaymentStatusChanged",
            {"account_id": f"acc-{i}", "status": "NOOP"},
        )

    # when the scheduled instant is processed
    runtime.advance(timedelta(seconds=1))

    # then every event was delivered once, in batches of at most batch_size records
    assert sorted(c["account_id"] for c in _ingest_calls(calls)) == sorted(
        f"acc-{i}" for i in range(23)
    )
    assert runtime.delivery.messages_delivered == 23
    assert runtime.delivery.batches >= 23 / INGEST_QUEUE.batch_size


def test_a_failed_record_is_retried_after_the_visibility_timeout_then_dead_lettered(runtime, calls):
    # given a batch with one poison record next to a good one
    runtime.put_event(
        "wallet.payments", "PaymentStatusChanged", {"account_id": "bad", "poison": True}
    )
    runtime.put_event(
        "wallet.payments", "PaymentStatusChanged", {"account_id": "ok", "status": "X"}
    )

    # when a day passes
    runtime.advance(timedelta(days=1))

    # then only the failed record came back, every visibility timeout, up to maxReceiveCount
    bad = [c for c in _ingest_calls(calls) if c["account_id"] == "bad"]
    ok = [c for c in _ingest_calls(calls) if c["account_id"] == "ok"]
    assert len(ok) == 1
    assert [c["receive_count"] for c in bad] == [
        str(n) for n in range(1, INGEST_QUEUE.max_receive_count + 1)
    ]
    gaps = [_seconds(bad[i + 1]["at"]) - _seconds(bad[i]["at"]) for i in range(len(bad) - 1)]
    assert all(abs(gap - INGEST_QUEUE.visibility_timeout_seconds) < 1 for gap in gaps)
    # and it ended in the DLQ
    dlq = runtime.dlq_messages()
    assert len(dlq) == 1
    assert '"bad"' in dlq[0]["Body"]


def _seconds(iso: object) -> float:
    from datetime import datetime

    return datetime.fromisoformat(str(iso)).timestamp()
