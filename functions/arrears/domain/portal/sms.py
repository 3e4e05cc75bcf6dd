"""How many SMS parts a body takes: GSM 03.38 (7-bit) when every character is in the GSM
alphabet (the extension table's characters count twice), UCS-2 otherwise; and which form
of an SMS goes out within the policy's budget (``portal.sms_max_segments``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum

from arrears.domain.notices.context import NoticeContext
from arrears.domain.notices.templates import RenderError

GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


def encoding(body: str) -> str:
    return "GSM-7" if all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in body) else "UCS-2"


def units(body: str) -> int:
    """Septets (GSM-7) or UTF-16 code units (UCS-2) the body needs."""
    if encoding(body) == "GSM-7":
        return sum(2 if ch in GSM_EXTENSION else 1 for ch in body)
    return len(body.encode("utf-16-le")) // 2


def segments(body: str) -> int:
    single, multi = (160, 153) if encoding(body) == "GSM-7" else (70, 67)
    length = units(body)
    return 1 if length <= single else -(-length // multi)


# ------------------------------------------------------------------ the budget at send time


class SmsForm(StrEnum):
    """The forms of one SMS, in the order they are tried against the policy's budget."""

    FULL = "full"  # the template with its link and every optional part
    # the link kept; optional extras left out (the help line, the agent's name, the time
    # paid), never what the compliance pack requires (disclosure, opt-out line)
    SHORT = "short"
    # the short form without the link: how to pay in words (the policy's
    # payment_instructions); only where the policy has them
    NO_LINK = "no_link"


# what each form leaves out of the full message (for the ledger and the timeline)
LEFT_OUT = {
    SmsForm.FULL: "",
    SmsForm.SHORT: "optional_parts",
    SmsForm.NO_LINK: "optional_parts,link",
}


@dataclass(frozen=True)
class SmsCandidate:
    form: SmsForm
    body: str
    compliant: bool  # carries everything the pack requires of this message


@dataclass(frozen=True)
class SmsFit:
    """The form chosen, what it costs, and whether it is over the budget."""

    candidate: SmsCandidate
    parts: int
    encoding: str
    budget: int

    @property
    def over_budget(self) -> bool:
        return self.parts > self.budget

    @property
    def note(self) -> str | None:
        """What the contact ledger says of it: None for the full form within the budget."""
        if self.over_budget:
            return "sms_over_budget"
        return None if self.candidate.form is SmsForm.FULL else f"sms_{self.candidate.form}"


def fit(candidates: Iterable[SmsCandidate], budget: int) -> SmsFit | None:
    """The SMS to send: the first compliant form within ``budget`` parts, in the order
    given (full, short, no link); when none fits, the compliant form with the fewest parts
    (the earlier one on a tie), sent over the budget and said so, because a message the
    borrower is owed (a reminder, a receipt) matters more than its cost. None when no form
    is compliant (the message is refused as the contact step refuses any such message).

    ``candidates`` is consumed lazily: a full form within the budget renders nothing else.
    """
    best: SmsFit | None = None
    for candidate in candidates:
        if not candidate.compliant:
            continue
        chosen = SmsFit(candidate, segments(candidate.body), encoding(candidate.body), budget)
        if not chosen.over_budget:
            return chosen
        if best is None or chosen.parts < best.parts:
            best = chosen
    return best


def forms(
    context: NoticeContext,
    render: Callable[[NoticeContext], str],
    compliant: Callable[[str], bool],
) -> Iterator[SmsCandidate]:
    """The forms of one message, in the order ``fit`` tries them, rendered only when asked
    for. A form the template cannot be written in (it needs a part the form leaves out) is
    not offered."""
    body = render(context)
    yield SmsCandidate(SmsForm.FULL, body, compliant(body))
    # the optional extras left out: the help line, the agent's name, the time paid
    short = replace(context, contact_phone=None, contact_email=None, agent_name=None, paid_at=None)
    tries = [(SmsForm.SHORT, short)]
    if context.pay_link and context.payment_instructions:
        tries.append((SmsForm.NO_LINK, replace(short, pay_link=None)))
    for form, shorter in tries:
        try:
            body = render(shorter)
        except RenderError:
            continue
        yield SmsCandidate(form, body, compliant(body))
