"""The pay-now redirect: the policy's payment URL with a signed reference.

The signature is an HMAC-SHA256 (a KMS HMAC key where deployed) over
``reference|amount|currency``, so the lender's payment page can check that the amount and
the case came from Arrears and were not edited in the address bar.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from urllib.parse import quote


def signed_message(reference: str, amount: Decimal, currency: str) -> bytes:
    return f"{reference}|{format(amount, 'f')}|{currency}".encode()


def payment_url(
    template: str,
    reference: str,
    amount: Decimal,
    currency: str,
    sign: Callable[[bytes], str],
) -> str:
    signature = sign(signed_message(reference, amount, currency))
    return template.format(
        reference=quote(reference, safe=""),
        amount=quote(format(amount, "f"), safe=""),
        currency=quote(currency, safe=""),
        signature=quote(signature, safe=""),
    )
