"""Where is the borrower? The candidate IANA zones for their local time.

Order of evidence: the profile's zone, else the zones of the phone number's area
(phonenumbers), else every zone of the country (CLDR territory zones via babel), else the
pack's fallback. When several zones remain, contact is allowed only when it is allowed
in every one of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from arrears.domain.compliance.pack import CompliancePack
from arrears.domain.types import BorrowerProfile

_UNKNOWN = "Etc/Unknown"


@cache
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _valid(names: tuple[str, ...] | list[str]) -> tuple[ZoneInfo, ...]:
    zones = {name: _zone(name) for name in sorted(set(names)) if name != _UNKNOWN}
    return tuple(zone for zone in zones.values() if zone is not None)


@cache
def zones_for_phone(phone: str, country: str | None) -> tuple[ZoneInfo, ...]:
    # imported here: phonenumbers' metadata and time-zone tables load only when a contact
    # decision needs a phone's zones, not in every handler that imports the compliance gate
    import phonenumbers
    from phonenumbers import timezone as phone_timezone

    try:
        number = phonenumbers.parse(phone, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        return ()
    return _valid(list(phone_timezone.time_zones_for_number(number)))


@cache
def zones_for_country(country: str | None) -> tuple[ZoneInfo, ...]:
    # "ZZ" (unknown region) lists every Etc/GMT offset: that is no evidence at all
    if not country or country.upper() == "ZZ":
        return ()
    from babel.core import get_global  # CLDR's zones: loaded when a borrower is placed

    territory_zones: Mapping[str, list[str]] = get_global("territory_zones")
    names = territory_zones.get(country.upper(), [])
    return _valid([name for name in names if not name.startswith("Etc/")])


def candidate_zones(profile: BorrowerProfile, pack: CompliancePack) -> tuple[ZoneInfo, ...]:
    """Every zone the borrower may be in; never empty."""
    if profile.timezone and (zone := _zone(profile.timezone)):
        return (zone,)
    if profile.phone and (zones := zones_for_phone(profile.phone, profile.country)):
        return zones
    if zones := zones_for_country(profile.country):
        return zones
    return (ZoneInfo(pack.fallback_timezone),)
