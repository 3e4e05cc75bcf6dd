"""Write the public holidays the compliance packs need into the Lambda package.

    python -m arrears.tools.holiday_calendars

A pack that skips public holidays asks the ``holidays`` library for its countries' calendar,
and that library's first answer imports every country it knows (about 1.6 s of a Lambda's
first invocation). The calendars of the packs' countries, for the years around today, are
therefore written once into ``domain/compliance/public_holidays.json``;
``hours.public_holidays`` reads them and asks the library only for anything else.
``tests/unit/compliance/test_public_holidays.py`` fails when the file differs from what this
command writes (a new pack country, another ``holidays`` release).
"""

from __future__ import annotations

import json
from pathlib import Path

import holidays

from arrears.domain.compliance import hours
from arrears.domain.compliance.pack import CompliancePack, all_packs

# Contact decisions look up to HORIZON_DAYS ahead of cases opened in these years.
FIRST_YEAR = 2024
LAST_YEAR = 2036


def holiday_countries(packs: dict[str, CompliancePack]) -> list[str]:
    """Countries whose public holidays some pack skips (its own, or the one it names)."""
    countries: set[str] = set()
    for pack in packs.values():
        if pack.contact_hours.skip_public_holidays:
            named = pack.contact_hours.holiday_country
            countries |= {named.upper()} if named else set(pack.countries)
    return sorted(countries)


def calendars(countries: list[str]) -> dict[str, dict[str, list[str]]]:
    """Country -> year -> the ISO dates ``holidays`` lists as public holidays."""
    return {
        country: {
            str(year): sorted(
                day.isoformat() for day in holidays.country_holidays(country, years=year)
            )
            for year in range(FIRST_YEAR, LAST_YEAR + 1)
        }
        for country in countries
    }


def render(data: dict[str, dict[str, list[str]]]) -> str:
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def main() -> None:
    path: Path = hours.PRECOMPUTED_HOLIDAYS
    path.write_text(render(calendars(holiday_countries(all_packs()))), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
