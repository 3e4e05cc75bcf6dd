"""What a message must say, as pure checks the notices and contact code call.

The gate decides *whether* a contact may happen; these functions say *what it must
contain*. The contact handler asks ``required_content`` before rendering, passes the set
to the renderer, and calls ``missing_content`` on the rendered text: a message missing a
requirement is not sent (the handler treats it as a defect, not a compliance decision).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from arrears.domain.compliance.pack import CompliancePack
from arrears.domain.types import Channel


class ContentRequirement(StrEnum):
    # how to stop these messages, e.g. "Reply STOP to opt out" (12 CFR 1006.6(e))
    OPT_OUT_INSTRUCTION = "opt_out_instruction"
    # first communication: an attempt to collect a debt, information used for that purpose
    # (1006.18(e)(1), the "mini-Miranda")
    DEBT_COLLECTION_DISCLOSURE = "debt_collection_disclosure"
    # later communications: the message is from a debt collector (1006.18(e)(2))
    DEBT_COLLECTOR_IDENTITY = "debt_collector_identity"


def required_content(pack: CompliancePack, channel: Channel, is_first_contact: bool) -> set[str]:
    """Requirement ids (ContentRequirement values) a message on ``channel`` must meet."""
    rules = pack.content
    required: set[str] = set()
    if channel in rules.opt_out_channels:
        required.add(ContentRequirement.OPT_OUT_INSTRUCTION)
    # the FDCPA disclosures are a debt collector's duty, not a creditor's own
    if pack.letters.is_debt_collector and channel in rules.disclosure_channels:
        if is_first_contact and rules.first_contact_disclosure:
            required.add(ContentRequirement.DEBT_COLLECTION_DISCLOSURE)
        elif not is_first_contact and rules.subsequent_disclosure:
            required.add(ContentRequirement.DEBT_COLLECTOR_IDENTITY)
    return required


def missing_content(
    pack: CompliancePack,
    requirements: Iterable[str],
    text: str,
    locale: str,
) -> set[str]:
    """Requirements that ``text`` does not visibly meet, judged by the pack's marker phrases.

    A requirement without markers for the locale's language cannot be checked here and
    counts as missing, so a new language cannot slip through unchecked.
    """
    language = locale.split("-")[0].lower()
    folded = text.casefold()
    missing = set()
    for requirement in requirements:
        phrases = pack.content.markers.get(str(requirement), {}).get(language, ())
        if not any(phrase.casefold() in folded for phrase in phrases):
            missing.add(str(requirement))
    return missing


def validation_notice_due(pack: CompliancePack, first_contact_at: datetime) -> datetime | None:
    """Latest instant the validation notice may go out, or None if the pack needs none.

    12 CFR 1006.34(a)(1)(i)(B): within five days (excluding nothing: calendar days) after
    the initial communication, unless that communication carried the validation
    information itself.
    """
    days = pack.content.validation_notice_days
    if days is None or not pack.sends_validation_notice:  # a creditor sends none
        return None
    return first_contact_at + timedelta(days=days)
