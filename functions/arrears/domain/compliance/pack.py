"""Compliance packs: the rules of one jurisdiction, as validated data.

Packs live in ``arrears/policies/compliance/<name>.yaml``. A borrower's pack is chosen by
country (each pack lists the countries it covers); anyone else gets the default pack,
named by ``ARREARS_COMPLIANCE_DEFAULT_PACK`` (``default`` unless configured).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from arrears import constants as c
from arrears.domain import datafile
from arrears.domain.bureau import BureauMapping
from arrears.domain.compliance.model import Purpose, Reason
from arrears.domain.datafile import Check, Ge, Le, MinLen, Pattern, Strict
from arrears.domain.types import LETTER_KINDS, Channel

PACKS_DIR = Path(__file__).resolve().parent.parent.parent / "policies" / "compliance"
DEFAULT_PACK_NAME = "default"


class Weekday(StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"

    @property
    def number(self) -> int:  # date.weekday() numbering
        return list(Weekday).index(self)


class BlockingFlag(StrEnum):
    """Profile flags that stop all contact, and the reason each reports."""

    BANKRUPTCY = "bankruptcy"
    DECEASED = "deceased"
    LEGAL_REPRESENTATIVE = "legal_representative"

    @property
    def reason(self) -> Reason:
        return _FLAG_REASONS[self]


def _upper_countries(value: frozenset[str]) -> frozenset[str]:
    # the countries a pack covers: ISO 3166-1 alpha-2 codes
    if any(len(code) != 2 or not code.isalpha() for code in value):
        raise ValueError("countries must be ISO 3166-1 alpha-2 codes")
    return frozenset(code.upper() for code in value)


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


_FLAG_REASONS = {
    BlockingFlag.BANKRUPTCY: Reason.BORROWER_BANKRUPT,
    BlockingFlag.DECEASED: Reason.BORROWER_DECEASED,
    BlockingFlag.LEGAL_REPRESENTATIVE: Reason.LEGAL_REPRESENTATIVE,
}


@dataclass(frozen=True, kw_only=True)
class ContactHours(Strict):
    """Local-time window in which contact is allowed: [start, end)."""

    start: time = time(8, 0)
    end: time = time(21, 0)
    channels: frozenset[Channel] = frozenset(Channel)  # channels the window applies to
    rest_days: frozenset[Weekday] = frozenset()  # no contact at all on these local days
    skip_public_holidays: bool = False
    # whose public holidays: None = the borrower's country
    holiday_country: str | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if not self.start < self.end:
            raise ValueError("contact_hours.start must be before contact_hours.end")


@dataclass(frozen=True, kw_only=True)
class FrequencyCap(Strict):
    """At most ``max`` sent contacts on ``channels`` within ``window_days``.

    ``local_days``: any ``window_days`` consecutive calendar days in the borrower's local
    time (the way 12 CFR 1006.14(b)(2) counts); ``rolling``: any span of
    ``window_days`` x 24 hours.
    """

    id: Annotated[str, Pattern(r"^[a-z0-9_]+$")]
    channels: frozenset[Channel]
    max: Annotated[int, Ge(1)]
    window_days: Annotated[int, Ge(1), Le(366)]
    counting: Literal["local_days", "rolling"] = "local_days"
    scope: Literal["debt", "borrower"] = "borrower"  # debt = the same case only
    purposes: frozenset[Purpose] = frozenset({Purpose.COLLECTION})
    reason: Literal[Reason.FREQUENCY_CAP, Reason.CALL_FREQUENCY] = Reason.FREQUENCY_CAP
    source: str = ""


@dataclass(frozen=True, kw_only=True)
class ConversationQuietPeriod(Strict):
    """No call about a debt within ``days`` local days counted from a conversation about it
    (the conversation's date is day 1)."""

    days: Annotated[int, Ge(1), Le(60)]
    channels: frozenset[Channel] = frozenset({Channel.CALL})
    purposes: frozenset[Purpose] = frozenset({Purpose.COLLECTION})
    source: str = ""


@dataclass(frozen=True, kw_only=True)
class ContentRules(Strict):
    # channels whose every message must say how to opt out (12 CFR 1006.6(e))
    opt_out_channels: frozenset[Channel] = frozenset({Channel.SMS, Channel.EMAIL})
    # first contact says it is an attempt to collect a debt (1006.18(e)(1)) ...
    first_contact_disclosure: bool = False
    # ... and later ones say they come from a debt collector (1006.18(e)(2))
    subsequent_disclosure: bool = False
    disclosure_channels: frozenset[Channel] = frozenset(Channel)
    # validation notice within N days of the first communication (1006.34(a)(1)(i)(B))
    validation_notice_days: Annotated[int, Ge(1)] | None = None
    # phrases proving a requirement is met, per requirement id and language ("en", "zh")
    markers: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    source: str = ""


class CollectorRole(StrEnum):
    """Who sends the pack's letters: the lender collecting its own debt, or a debt
    collector collecting for it (US: only a debt collector owes the FDCPA disclosures and
    the validation notice)."""

    FIRST_PARTY = "first_party"
    THIRD_PARTY = "third_party"


@dataclass(frozen=True, kw_only=True)
class Party(Strict):
    """A name and postal address printed on a letter."""

    name: Annotated[str, MinLen(1)]
    address: tuple[str, ...] = ()
    # e.g. "Authorised and regulated by the Financial Conduct Authority (FRN 000000)"
    registration: str | None = None


@dataclass(frozen=True, kw_only=True)
class LetterRules(Strict):
    """Who a letter in this jurisdiction comes from, where a dispute goes, and the legal
    text the law wants on it. Values here win over the policy's ``notices`` defaults."""

    collector_role: CollectorRole = CollectorRole.FIRST_PARTY
    creditor: Party | None = None  # the lender's legal identity in this market
    collector: Party | None = None  # the debt collector (third_party only)
    law_firm: Party | None = None  # signs the lawyer's letter
    dispute_address: tuple[str, ...] = ()  # where a written dispute or reply form goes
    contact_phone: str | None = None
    contact_email: str | None = None
    # the template variant a letter kind uses here, e.g. lawyer_letter: pre_action_debt
    variants: dict[str, str] = field(default_factory=dict)
    # the fewest days a letter with a deadline may give the borrower (GB Pre-Action
    # Protocol for Debt Claims: 30 days to reply to a letter of claim)
    min_response_days: dict[str, int] = field(default_factory=dict)
    # paragraphs the law wants on a letter kind, per language: {kind: {language: [...]}}
    legal_text: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self) -> None:
        if self.collector_role is CollectorRole.THIRD_PARTY and self.collector is None:
            raise ValueError("letters.collector_role third_party needs letters.collector")
        kinds = {*self.variants, *self.min_response_days, *self.legal_text}
        unknown = kinds - LETTER_KINDS
        if unknown:
            raise ValueError(f"letters: unknown letter kind(s) {sorted(unknown)}")

    @property
    def is_debt_collector(self) -> bool:
        return self.collector_role is CollectorRole.THIRD_PARTY

    @property
    def dispute_to(self) -> tuple[str, ...]:
        """Where a written dispute goes: the pack's dispute address, else the sender's."""
        sender = self.collector or self.creditor
        return self.dispute_address or (sender.address if sender else ())

    def response_days(self, kind: str, policy_days: int) -> int:
        """Days a letter of ``kind`` gives the borrower: the policy's, or more where the law
        asks for more."""
        return max(policy_days, self.min_response_days.get(kind, 0))


@dataclass(frozen=True, kw_only=True)
class CompliancePack(Strict):
    name: Annotated[str, Pattern(r"^[a-z0-9_]+$")]
    version: str
    description: str = ""
    countries: Annotated[frozenset[str], Check(_upper_countries)] = frozenset()  # ISO alpha-2
    channels: frozenset[Channel] = frozenset(Channel)  # channels the pack permits at all
    # when neither the profile, the phone nor the country gives a zone
    fallback_timezone: Annotated[str, Check(_known_zone)] = "UTC"
    contact_hours: ContactHours = ContactHours()
    caps: tuple[FrequencyCap, ...] = ()
    conversation_quiet_period: ConversationQuietPeriod | None = None
    blocking_flags: frozenset[BlockingFlag] = frozenset(BlockingFlag)
    # collection contact while the debt is disputed waits until the dispute is resolved
    dispute_pauses_collection: bool = True
    content: ContentRules = ContentRules()
    letters: LetterRules = LetterRules()
    ledger_retention_days: Annotated[int, Ge(1)] = 1096  # 1006.100: three years
    # how the country's credit bureau file codes an account (domain/bureau.py); None: generic
    bureau: BureauMapping | None = None

    def __post_init__(self) -> None:
        ids = [cap.id for cap in self.caps]
        if len(ids) != len(set(ids)):
            raise ValueError("cap ids must be unique within a pack")

    @property
    def sends_validation_notice(self) -> bool:
        """US: a debt collector sends one within ``validation_notice_days`` of first contact."""
        return self.content.validation_notice_days is not None and self.letters.is_debt_collector

    @property
    def max_lookback_days(self) -> int:
        """How far back the ledger must be read to decide (plus a day for time zones)."""
        windows = [cap.window_days for cap in self.caps]
        if self.conversation_quiet_period:
            windows.append(self.conversation_quiet_period.days)
        return max(windows, default=1) + 2


def parse_pack(document: dict[str, object]) -> CompliancePack:
    """A pack read from a file, validated (pydantic's ValidationError if it is not one)."""
    from arrears.domain import validation  # the Lambda functions load the compiled form

    return validation.validate(CompliancePack, document)


def load_pack_file(path: Path) -> CompliancePack:
    from arrears.domain import yaml_text

    with path.open(encoding="utf-8") as handle:
        return parse_pack(yaml_text.safe_load(handle))


@cache
def all_packs(directory: Path = PACKS_DIR) -> dict[str, CompliancePack]:
    """Every pack, by name: from the asset's compiled data when it has them, else read and
    validated from ``directory``."""
    compiled = datafile.compiled() if directory == PACKS_DIR else None
    if compiled is not None:
        return {
            name: datafile.from_data(CompliancePack, data)
            for name, data in compiled["packs"].items()
        }
    return read_packs(directory)


def read_packs(directory: Path = PACKS_DIR) -> dict[str, CompliancePack]:
    """Every pack file under ``directory``, read and validated."""
    packs = {}
    for path in sorted(directory.glob("*.yaml")):
        pack = load_pack_file(path)
        if pack.name != path.stem:
            raise ValueError(f"{path.name}: pack name {pack.name!r} must match the file name")
        packs[pack.name] = pack
    return packs


def load_pack(jurisdiction: str | None, default: str | None = None) -> CompliancePack:
    """The pack for a borrower's country (ISO alpha-2), else the configured default pack."""
    packs = all_packs()
    if jurisdiction:
        code = jurisdiction.strip().upper()
        for pack in packs.values():
            if code in pack.countries:
                return pack
    name = default or os.environ.get(c.ENV_COMPLIANCE_DEFAULT_PACK) or DEFAULT_PACK_NAME
    try:
        return packs[name]
    except KeyError:
        raise ValueError(f"unknown compliance pack {name!r}") from None
