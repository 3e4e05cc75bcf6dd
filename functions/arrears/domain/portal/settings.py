"""The policy's ``portal:`` block: how long a link lives, the knowledge-check lockout, the
limits on what a borrower may choose, and the lender's payment page."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

# What a payment URL template may name: {reference}, {amount}, {currency}, {signature}
PAYMENT_URL_FIELDS = ("reference", "amount", "currency", "signature")


class PortalPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    # put a portal link in every SMS and email (needs a portal URL where it runs)
    enabled: bool = True
    link_valid_days: int = Field(default=30, ge=1, le=365)
    # wrong answers to the knowledge check before the link locks
    max_failed_checks: int = Field(default=5, ge=1, le=20)
    # how long a passed check lasts in the browser
    session_minutes: int = Field(default=20, ge=1, le=240)
    # a promise to pay: at most this many days ahead
    promise_max_days: int = Field(default=30, ge=1, le=90)
    # the plans a borrower may pick: numbers of installments (each checked against plans:)
    plan_choices: tuple[int, ...] = Field(default=(3, 6), min_length=1)
    # an SMS with its link must fit in this many parts
    sms_max_segments: int = Field(default=3, ge=1, le=10)
    # requests per link and per client (browser address) within ten minutes
    requests_per_link: int = Field(default=120, ge=10, le=10_000)
    requests_per_client: int = Field(default=300, ge=10, le=100_000)
    # the lender's payment page; {reference} and {signature} are filled in per case
    payment_url: str | None = (
        "https://pay.example.com/checkout?reference={reference}&amount={amount}"
        "&currency={currency}&signature={signature}"
    )

    @model_validator(mode="after")
    def _payment_url(self) -> PortalPolicy:
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
        return self
