"""The policy's ``portal:`` block: how long a link lives, the knowledge-check lockout, the
limits on what a borrower may choose, and the lender's payment page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from arrears.domain.datafile import Ge, Le, MinLen, Strict

# What a payment URL template may name: {reference}, {amount}, {currency}, {signature}
PAYMENT_URL_FIELDS = ("reference", "amount", "currency", "signature")


@dataclass(frozen=True, kw_only=True)
class PortalPolicy(Strict):
    # put a portal link in every SMS and email (needs a portal URL where it runs)
    enabled: bool = True
    link_valid_days: Annotated[int, Ge(1), Le(365)] = 30
    # wrong answers to the knowledge check before the link locks
    max_failed_checks: Annotated[int, Ge(1), Le(20)] = 5
    # how long a passed check lasts in the browser
    session_minutes: Annotated[int, Ge(1), Le(240)] = 20
    # a promise to pay: at most this many days ahead
    promise_max_days: Annotated[int, Ge(1), Le(90)] = 30
    # the plans a borrower may pick: numbers of installments (each checked against plans:)
    plan_choices: Annotated[tuple[int, ...], MinLen(1)] = (3, 6)
    # an SMS with its link must fit in this many parts
    sms_max_segments: Annotated[int, Ge(1), Le(10)] = 3
    # requests per link and per client (browser address) within ten minutes
    requests_per_link: Annotated[int, Ge(10), Le(10_000)] = 120
    requests_per_client: Annotated[int, Ge(10), Le(100_000)] = 300
    # the lender's payment page; {reference} and {signature} are filled in per case
    payment_url: str | None = (
        "https://pay.example.com/checkout?reference={reference}&amount={amount}"
        "&currency={currency}&signature={signature}"
    )

    def __post_init__(self) -> None:
        url = self.payment_url
        if url is not None:
            if not url.startswith("https://"):
                raise ValueError("portal.payment_url must be an https:// URL")
            if "{reference}" not in url or "{signature}" not in url:
                raise ValueError("portal.payment_url must carry {reference} and {signature}")
            try:
                url.format(**dict.fromkeys(PAYMENT_URL_FIELDS, "x"))
            except (KeyError, IndexError, ValueError) as error:
                raise ValueError(f"portal.payment_url: unknown placeholder {error}") from None
        if any(count < 1 or count > 36 for count in self.plan_choices):
            raise ValueError("portal.plan_choices are installment counts between 1 and 36")
