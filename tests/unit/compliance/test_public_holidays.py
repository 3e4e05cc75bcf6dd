"""The precomputed public holidays are the holidays library's answer, for every pack country."""

from __future__ import annotations

import json
from datetime import date

import holidays
import pytest
from arrears.domain.compliance import hours
from arrears.domain.compliance.pack import all_packs
from arrears.tools import holiday_calendars


def test_the_shipped_calendars_are_what_the_library_says_today():
    # regenerate with `python -m arrears.tools.holiday_calendars` when this fails
    expected = holiday_calendars.calendars(holiday_calendars.holiday_countries(all_packs()))
    shipped = json.loads(hours.PRECOMPUTED_HOLIDAYS.read_text(encoding="utf-8"))
    assert shipped == expected


def test_every_pack_that_skips_holidays_has_its_countries_precomputed():
    shipped = json.loads(hours.PRECOMPUTED_HOLIDAYS.read_text(encoding="utf-8"))
    countries = holiday_calendars.holiday_countries(all_packs())
    assert {"GB", "CN"} <= set(countries)
    for country in countries:
        years = set(shipped[country])
        assert {str(y) for y in range(2025, 2031)} <= years, country


@pytest.mark.parametrize(("country", "year"), [("GB", 2026), ("cn", 2027), ("GB", 2036)])
def test_a_precomputed_year_equals_the_library(country, year):
    library = frozenset(holidays.country_holidays(country.upper(), years=year).keys())
    assert hours.public_holidays(country, year) == library
    assert library  # a year with holidays: equality proves something


@pytest.mark.parametrize(("country", "year"), [("FR", 2026), ("GB", 2050)])
def test_other_countries_and_years_still_ask_the_library(country, year):
    assert country not in hours._precomputed() or str(year) not in hours._precomputed()[country]
    library = frozenset(holidays.country_holidays(country, years=year).keys())
    assert hours.public_holidays(country, year) == library
    assert date(year, 12, 25) in library


def test_a_country_the_library_does_not_know_has_no_holidays():
    assert hours.public_holidays("XX", 2026) == frozenset()
