"""The deployed payment-reference signer: a KMS HMAC key (GenerateMac), under moto.

The lender's payment page checks a reference with ``aws kms verify-mac`` (docs/portal.md,
"The payment signature"); these tests make that round trip with moto's KMS, and check that
a deployed configuration (a MAC key id in the environment) signs with KMS, not a local
secret.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from decimal import Decimal
from urllib.parse import parse_qs, unquote, urlsplit

import boto3
import pytest
from arrears import constants as c
from arrears.adapters.links import HmacSigner, KmsSigner, signer
from arrears.domain.portal.payments import payment_url, signed_message
from arrears.settings import settings
from moto import mock_aws

TEMPLATE = "https://pay.example.com/checkout?reference={reference}&amount={amount}&currency={currency}&signature={signature}"


@pytest.fixture
def kms() -> Iterator[tuple[object, str]]:
    with mock_aws():
        client = boto3.client("kms", region_name="us-east-1")
        key_id = client.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")[
            "KeyMetadata"
        ]["KeyId"]
        yield client, key_id


def _mac(signature: str) -> bytes:
    """The signature as the payment page receives it: URL-safe base64 without padding."""
    return base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))


def _verify(client: object, key_id: str, message: bytes, signature: str) -> bool:
    try:
        answer = client.verify_mac(  # type: ignore[attr-defined]
            KeyId=key_id, MacAlgorithm="HMAC_SHA_256", Message=message, Mac=_mac(signature)
        )
    except client.exceptions.KMSInvalidMacException:  # type: ignore[attr-defined]
        return False
    return bool(answer["MacValid"])


def test_a_signed_payment_reference_verifies_with_verify_mac(kms) -> None:
    client, key_id = kms
    url = payment_url(
        TEMPLATE, "acc-42-1", Decimal("1250.00"), "CNY", KmsSigner(key_id, client).sign
    )
    query = parse_qs(urlsplit(url).query)
    reference, amount, currency = query["reference"][0], query["amount"][0], query["currency"][0]
    signature = unquote(query["signature"][0])
    assert "=" not in signature and len(_mac(signature)) == 32  # HMAC-SHA256, unpadded
    message = signed_message(reference, Decimal(amount), currency)
    assert message == b"acc-42-1|1250.00|CNY"
    assert _verify(client, key_id, message, signature)


def test_an_edited_amount_or_reference_does_not_verify(kms) -> None:
    client, key_id = kms
    signature = KmsSigner(key_id, client).sign(
        signed_message("acc-42-1", Decimal("1250.00"), "CNY")
    )
    assert not _verify(
        client, key_id, signed_message("acc-42-1", Decimal("12.50"), "CNY"), signature
    )
    assert not _verify(
        client, key_id, signed_message("acc-43-1", Decimal("1250.00"), "CNY"), signature
    )
    # another key of the same kind does not vouch for it either
    other = client.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")  # type: ignore[attr-defined]
    other_id = other["KeyMetadata"]["KeyId"]
    assert not _verify(
        client, other_id, signed_message("acc-42-1", Decimal("1250.00"), "CNY"), signature
    )


def test_a_deployed_configuration_signs_with_the_kms_key(kms, monkeypatch) -> None:
    client, key_id = kms
    monkeypatch.setenv(c.ENV_PORTAL_MAC_KEY_ID, key_id)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv(c.ENV_PORTAL_SIGNING_SECRET, raising=False)
    settings.cache_clear()
    try:
        chosen = signer()
        assert isinstance(chosen, KmsSigner)
        message = signed_message("acc-42-1", Decimal("99.90"), "USD")
        assert _verify(client, key_id, message, chosen.sign(message))
    finally:
        settings.cache_clear()


def test_without_a_key_id_the_run_signs_with_its_own_secret(monkeypatch) -> None:
    monkeypatch.delenv(c.ENV_PORTAL_MAC_KEY_ID, raising=False)
    monkeypatch.setenv(c.ENV_PORTAL_SIGNING_SECRET, "a-secret-for-this-run")
    settings.cache_clear()
    try:
        chosen = signer()
        assert isinstance(chosen, HmacSigner)
        assert chosen.sign(b"x") == HmacSigner(b"a-secret-for-this-run").sign(b"x")
    finally:
        settings.cache_clear()
