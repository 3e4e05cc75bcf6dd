"""The events file `arrears run` replays: JSON lines, one timestamped entry per line.

    {"at": "2026-11-02T01:00:00Z", "event": {"Source": "wallet.payments",
        "DetailType": "PaymentStatusChanged", "Detail": {...}}}
    {"at": "2026-11-20T09:00:00+08:00", "ops_action": {"action": "pause", ...}}

``event`` is an EventBridge PutEvents entry (``Detail`` an object or a JSON string, as
PutEvents takes it); ``ops_action`` is what an operator would start from the console.
The whole file is checked before anything runs: every bad line is reported with its line
number and reason, and a file with any bad line is refused as a whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# PutEvents entry members a line may carry (EventBusName, Time, Resources, TraceHeader are
# accepted and ignored: the local runtime publishes to its bus at the line's `at`).
_REQUIRED_EVENT_KEYS = ("Source", "DetailType", "Detail")
_OPTIONAL_EVENT_KEYS = ("EventBusName", "Resources", "Time", "TraceHeader")
_MAX_DETAIL_BYTES = 256 * 1024  # the PutEvents entry size limit
# Re-serialized, one character of a line becomes at most twelve bytes (a character outside
# the BMP becomes two \uXXXX escapes), so a line shorter than this cannot hold a detail over
# the limit, and its detail is not measured.
_SURELY_SMALL_LINE = _MAX_DETAIL_BYTES // 12


@dataclass(frozen=True)
class EventEntry:
    source: str
    detail_type: str
    detail: dict[str, Any]


@dataclass(frozen=True)
class ScheduledEntry:
    line: int
    at: datetime  # aware UTC
    event: EventEntry | None = None
    ops_action: dict[str, Any] | None = None


@dataclass(frozen=True)
class LineProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class EventsFileError(ValueError):
    """The events file has bad lines; ``problems`` lists each with its line number."""

    def __init__(self, source: str, problems: list[LineProblem]) -> None:
        self.problems = problems
        shown = "\n".join(f"  {p}" for p in problems[:50])
        more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
        super().__init__(f"{source}: {len(problems)} bad line(s), nothing was run:\n{shown}{more}")


def parse_time(value: object) -> datetime:
    """An ISO-8601 instant with an offset (``Z`` or ``+08:00``), as aware UTC."""
    if not isinstance(value, str) or not value:
        raise ValueError("`at` must be an ISO-8601 string with a UTC offset")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"`at` is not an ISO-8601 date-time: {value!r}") from None
    if when.tzinfo is None:
        raise ValueError(f"`at` has no UTC offset (write Z or +hh:mm): {value!r}")
    return when.astimezone(UTC)


def _parse_event(raw: object, line_length: int) -> EventEntry:
    if not isinstance(raw, Mapping):
        raise ValueError("`event` must be an object (a PutEvents entry)")
    missing = [key for key in _REQUIRED_EVENT_KEYS if key not in raw]
    if missing:
        raise ValueError(f"`event` is missing {', '.join(missing)}")
    unknown = sorted(set(raw) - set(_REQUIRED_EVENT_KEYS) - set(_OPTIONAL_EVENT_KEYS))
    if unknown:
        raise ValueError(f"`event` has unknown member(s) {', '.join(unknown)}")
    source, detail_type, detail = raw["Source"], raw["DetailType"], raw["Detail"]
    if not isinstance(source, str) or not source.strip():
        raise ValueError("`event.Source` must be a non-empty string")
    if not isinstance(detail_type, str) or not detail_type.strip():
        raise ValueError("`event.DetailType` must be a non-empty string")
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except json.JSONDecodeError as exc:
            raise ValueError(f"`event.Detail` is a string but not JSON ({exc.msg})") from None
    if not isinstance(detail, dict):
        raise ValueError("`event.Detail` must be a JSON object (or a string holding one)")
    too_big = (
        line_length >= _SURELY_SMALL_LINE and len(json.dumps(detail).encode()) > _MAX_DETAIL_BYTES
    )
    if too_big:
        raise ValueError("`event.Detail` is larger than the 256 KiB PutEvents limit")
    return EventEntry(source=source, detail_type=detail_type, detail=detail)


def parse_line(number: int, text: str) -> ScheduledEntry:
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(raw, dict):
        raise ValueError("each line must be a JSON object")
    if "at" not in raw:
        raise ValueError("missing `at`")
    kinds = [key for key in ("event", "ops_action") if key in raw]
    if len(kinds) != 1:
        raise ValueError("each line needs exactly one of `event` or `ops_action`")
    unknown = sorted(set(raw) - {"at", "event", "ops_action"})
    if unknown:
        raise ValueError(f"unknown member(s) {', '.join(unknown)}")
    at = parse_time(raw["at"])
    if kinds[0] == "event":
        return ScheduledEntry(line=number, at=at, event=_parse_event(raw["event"], len(text)))
    action = raw["ops_action"]
    if not isinstance(action, dict) or not action:
        raise ValueError("`ops_action` must be a non-empty object")
    return ScheduledEntry(line=number, at=at, ops_action=action)


def parse_lines(lines: Iterable[str], source: str = "events") -> list[ScheduledEntry]:
    """Every entry, in time order (file order within one instant); blank lines skipped."""
    entries: list[ScheduledEntry] = []
    problems: list[LineProblem] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            entries.append(parse_line(number, text))
        except ValueError as exc:
            problems.append(LineProblem(number, str(exc)))
    if problems:
        raise EventsFileError(source, problems)
    return sorted(entries, key=lambda e: (e.at, e.line))


def read_events_file(path: Path) -> list[ScheduledEntry]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise EventsFileError(
            str(path), [LineProblem(0, f"not UTF-8 text ({exc.reason})")]
        ) from None
    return parse_lines(text.splitlines(), source=str(path))


def to_line(entry: ScheduledEntry) -> str:
    """The JSON line for one entry (the demo writes its portfolio in this format)."""
    at = entry.at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if entry.event is not None:
        body: dict[str, Any] = {
            "at": at,
            "event": {
                "Source": entry.event.source,
                "DetailType": entry.event.detail_type,
                "Detail": entry.event.detail,
            },
        }
    else:
        body = {"at": at, "ops_action": entry.ops_action}
    return json.dumps(body, ensure_ascii=False, sort_keys=False)
