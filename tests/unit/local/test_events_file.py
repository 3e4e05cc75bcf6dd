"""Events files for `arrears run`: good lines parse, every bad line is named, nothing half-runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from arrears.local.events_file import EventsFileError, parse_lines, to_line

EVENT = {"Source": "wallet.payments", "DetailType": "PaymentStatusChanged", "Detail": {"a": 1}}


def _line(**body: object) -> str:
    return json.dumps(body)


def _detail_of(note: str) -> dict[str, object]:
    return {**EVENT, "Detail": {"note": note}}


def _utf8_line(event: dict[str, object]) -> str:
    return json.dumps({"at": "2026-11-02T01:00:00Z", "event": event}, ensure_ascii=False)


def test_lines_parse_into_entries_in_time_order_with_detail_object_or_string():
    # given three lines out of order, one Detail as a JSON string, one ops action, a blank
    lines = [
        _line(at="2026-11-03T00:00:00Z", event=EVENT),
        "",
        _line(at="2026-11-02T09:00:00+08:00", event={**EVENT, "Detail": '{"b": 2}'}),
        _line(at="2026-11-02T01:00:00Z", ops_action={"action": "pause", "case_id": "x#1"}),
    ]

    # when parsed
    entries = parse_lines(lines)

    # then they come back in time order (+08:00 converted to UTC) with line numbers kept
    assert [(e.line, e.at) for e in entries] == [
        (3, datetime(2026, 11, 2, 1, 0, tzinfo=UTC)),
        (4, datetime(2026, 11, 2, 1, 0, tzinfo=UTC)),
        (1, datetime(2026, 11, 3, 0, 0, tzinfo=UTC)),
    ]
    assert entries[0].event is not None and entries[0].event.detail == {"b": 2}
    assert entries[1].ops_action == {"action": "pause", "case_id": "x#1"}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        (_line(event=EVENT), "missing `at`"),
        (_line(at="2026-11-02T01:00:00", event=EVENT), "no UTC offset"),
        (_line(at="yesterday", event=EVENT), "not an ISO-8601"),
        (_line(at="2026-11-02T01:00:00Z"), "exactly one of `event` or `ops_action`"),
        (_line(at="2026-11-02T01:00:00Z", event=EVENT, ops_action={"a": 1}), "exactly one"),
        (_line(at="2026-11-02T01:00:00Z", event=EVENT, extra=1), "unknown member(s) extra"),
        (_line(at="2026-11-02T01:00:00Z", event={"Source": "s"}), "missing DetailType, Detail"),
        (_line(at="2026-11-02T01:00:00Z", event={**EVENT, "Source": ""}), "Source"),
        (_line(at="2026-11-02T01:00:00Z", event={**EVENT, "Detail": "{oops"}), "not JSON"),
        (_line(at="2026-11-02T01:00:00Z", event={**EVENT, "Detail": "[1]"}), "JSON object"),
        (_line(at="2026-11-02T01:00:00Z", event={**EVENT, "Detials": {}}), "Detials"),
        (_line(at="2026-11-02T01:00:00Z", ops_action={}), "non-empty object"),
        (_line(at="2026-11-02T01:00:00Z", event=_detail_of("x" * 270_000)), "256 KiB"),
        # 22,000 characters outside the BMP: a short line, but 264,000 bytes sent
        (_utf8_line(_detail_of("\U0001f4b8" * 22_000)), "256 KiB"),
    ],
)
def test_a_bad_line_is_reported_with_its_number_and_reason(line, reason):
    # given a good line followed by a bad one
    lines = [_line(at="2026-11-02T01:00:00Z", event=EVENT), line]

    # when parsed, then the whole file is refused, naming line 2 and why
    with pytest.raises(EventsFileError) as caught:
        parse_lines(lines, source="events.jsonl")
    assert [(p.line, reason in p.reason) for p in caught.value.problems] == [(2, True)]
    assert "line 2:" in str(caught.value)
    assert "nothing was run" in str(caught.value)


def test_every_bad_line_is_reported_not_just_the_first():
    lines = ["{", _line(at="2026-11-02T01:00:00Z", event=EVENT), "[]", "nope"]
    with pytest.raises(EventsFileError) as caught:
        parse_lines(lines)
    assert [p.line for p in caught.value.problems] == [1, 3, 4]


def test_a_detail_just_under_the_limit_is_accepted():
    # 21,000 characters outside the BMP: 252,000 bytes once sent, under 256 KiB
    (entry,) = parse_lines([_utf8_line(_detail_of("\U0001f4b8" * 21_000))])
    assert entry.event is not None and len(entry.event.detail["note"]) == 21_000


def test_an_entry_round_trips_through_its_line():
    (entry,) = parse_lines([_line(at="2026-11-02T09:00:00+08:00", event=EVENT)])
    assert parse_lines([to_line(entry)]) == [entry]
