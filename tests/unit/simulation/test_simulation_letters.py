"""The letters swap: the letter's texts instead of its PDF, stored as a digest or not at all."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from arrears import constants as c
from arrears.adapters.letters import DigestLetterStore
from arrears.domain.notices import render_letter, render_letter_text
from arrears.domain.notices.context import LetterKind
from arrears.local.simulation.letters import letters_env, swaps

from tests.unit.notices.notices_builders import full_letter


class FakeS3:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, **_: Any) -> dict[str, str]:
        self.objects[Key] = Body
        return {"VersionId": "v1"}


class FakeStore:
    """The real store's surface that the digest store uses."""

    bucket = "letters"

    def __init__(self) -> None:
        self.s3 = FakeS3()
        self.announced: list[dict[str, Any]] = []

    def announce_letter_ready(self, **detail: Any) -> str:
        self.announced.append(detail)
        return "event-1"


def test_the_text_says_what_the_pdf_says_without_being_a_pdf():
    context = full_letter(borrower_name="Jane Doe")
    text = render_letter_text(LetterKind.DEMAND_LETTER, "en-US", context).decode("utf-8")
    assert not text.startswith("%PDF")
    assert "1,276.35" in text  # the total, formatted as in the letter
    assert render_letter(LetterKind.DEMAND_LETTER, "en-US", context).startswith(b"%PDF-")
    # the same context gives the same text, so the same digest
    again = render_letter_text(LetterKind.DEMAND_LETTER, "en-US", context).decode("utf-8")
    assert again == text


@pytest.mark.parametrize(("keep", "stored"), [(True, 1), (False, 0)])
def test_the_digest_store_keeps_the_sha256_or_nothing(keep, stored):
    inner = FakeStore()
    store = DigestLetterStore(inner, keep_digest=keep)  # type: ignore[arg-type]
    content = b"Dear Jane"
    letter = store.store_letter("acc-1#1", "demand_letter", content)
    digest = hashlib.sha256(content).hexdigest()
    assert letter.sha256 == digest
    assert letter.key.startswith("cases/acc-1#1/demand_letter-")
    assert letter.key.endswith(".sha256")
    assert len(inner.s3.objects) == stored
    if keep:
        assert inner.s3.objects[letter.key] == digest.encode()
    store.announce_letter_ready(case_id="acc-1#1", kind="demand_letter", key=letter.key)
    assert inner.announced[0]["key"] == letter.key


def test_the_mode_reaches_the_handlers_through_their_environment_and_is_stated():
    assert letters_env("pdf") == {}
    assert letters_env("hash") == {c.ENV_LETTERS_MODE: "hash"}
    assert swaps("pdf") == []
    assert swaps("none")[0]["mode"] == "none"
    with pytest.raises(ValueError, match="letters must be one of"):
        letters_env("png")
