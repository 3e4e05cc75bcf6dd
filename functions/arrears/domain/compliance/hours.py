"""Contact hours in the borrower's local time, across every candidate zone.

``hours_problem`` answers "may we contact at t?"; ``next_allowed`` finds the earliest
instant >= t that is allowed in every zone. Both work on real instants converted with
zoneinfo, so daylight-saving changes and half-hour offsets need no special cases.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from arrears.domain.compliance.model import Reason
from arrears.domain.compliance.pack import ContactHours

Interval = tuple[datetime, datetime]  # [start, end) in UTC

_CHUNK_DAYS = 14
HORIZON_DAYS = 400  # past this, nothing will ever be allowed: BLOCK instead of DEFER


# The packs' countries' calendars, written by `python -m arrears.tools.holiday_calendars`:
# the holidays library's first answer imports every country it knows (about 1.6 s).
PRECOMPUTED_HOLIDAYS = Path(__file__).with_name("public_holidays.json")


@cache
def _precomputed() -> dict[str, dict[str, list[str]]]:
    calendars: dict[str, dict[str, list[str]]] = json.loads(
        PRECOMPUTED_HOLIDAYS.read_text(encoding="utf-8")
    )
    return calendars


@cache
def public_holidays(country: str, year: int) -> frozenset[date]:
    known = _precomputed().get(country.upper(), {}).get(str(year))
    if known is not None:
        return frozenset(date.fromisoformat(day) for day in known)
    import holidays  # only for a country or year outside the precomputed calendars

    try:
        return frozenset(holidays.country_holidays(country.upper(), years=year).keys())
    except NotImplementedError:  # a country the holidays library does not know
        return frozenset()


def date_problem(day: date, hours: ContactHours, country: str | None) -> Reason | None:
    """Why no contact may happen at all on this local date, if so."""
    if any(rest.number == day.weekday() for rest in hours.rest_days):
        return Reason.REST_DAY
    holiday_country = hours.holiday_country or country
    if (
        hours.skip_public_holidays
        and holiday_country
        and day in public_holidays(holiday_country, day.year)
    ):
        return Reason.PUBLIC_HOLIDAY
    return None


def hours_problem(
    at: datetime, zones: Sequence[ZoneInfo], hours: ContactHours, country: str | None
) -> Reason | None:
    """None when ``at`` is inside the allowed local hours in every zone, else the reason."""
    worst: Reason | None = None
    for zone in zones:
        local = at.astimezone(zone)
        if problem := date_problem(local.date(), hours, country):
            return problem
        if not hours.start <= local.time() < hours.end:
            worst = Reason.OUTSIDE_CONTACT_HOURS
    return worst


def _zone_intervals(
    zone: ZoneInfo, first: date, days: int, hours: ContactHours, country: str | None
) -> list[Interval]:
    intervals = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        if date_problem(day, hours, country):
            continue
        start = datetime.combine(day, hours.start, tzinfo=zone).astimezone(UTC)
        end = datetime.combine(day, hours.end, tzinfo=zone).astimezone(UTC)
        if start < end:
            intervals.append((start, end))
    return intervals


def _intersect(left: list[Interval], right: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i][0], right[j][0])
        end = min(left[i][1], right[j][1])
        if start < end:
            out.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return out


_EPOCH = date(2000, 1, 3)


@lru_cache(maxsize=16384)
def _chunk(
    zones: tuple[ZoneInfo, ...], hours: ContactHours, country: str | None, index: int
) -> tuple[Interval, ...]:
    """Allowed UTC intervals (in every zone) overlapping the index-th block of
    ``_CHUNK_DAYS`` UTC days; blocks sit on a fixed grid so repeated questions reuse them."""
    since = datetime.combine(_EPOCH + timedelta(days=index * _CHUNK_DAYS), time(0), tzinfo=UTC)
    common: list[Interval] | None = None
    for zone in zones:
        first = since.astimezone(zone).date() - timedelta(days=1)
        mine = _zone_intervals(zone, first, _CHUNK_DAYS + 3, hours, country)
        common = mine if common is None else _intersect(common, mine)
    return tuple(common or ())


def next_allowed(
    at: datetime,
    zones: Sequence[ZoneInfo],
    hours: ContactHours,
    country: str | None,
    horizon_days: int = HORIZON_DAYS,
) -> datetime | None:
    """The earliest instant >= ``at`` allowed in every zone, or None within the horizon."""
    at = at.astimezone(UTC)
    if hours_problem(at, zones, hours, country) is None:
        return at
    key = tuple(zones)
    first = (at.date() - _EPOCH).days // _CHUNK_DAYS
    for index in range(first, first + horizon_days // _CHUNK_DAYS + 1):
        for start, end in _chunk(key, hours, country, index):
            if end <= at:
                continue
            candidate = max(start, at)
            # the predicate is the truth; intervals are only the search
            if hours_problem(candidate, zones, hours, country) is None:
                return candidate
    return None
