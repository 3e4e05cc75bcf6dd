"""The lender's knowledge check: something only the borrower knows, never stored in clear.

The payment event may carry ``borrower.knowledge_check``: the kind of question (year of
birth, or the last four digits of the account number), a salt, and
``sha256(salt + ":" + answer)`` in hex. The portal asks the question, hashes the answer the
same way and compares in constant time. After ``max_failed_checks`` wrong answers the link
is locked for good (the borrower gets a new link with the next message).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class KnowledgeKind(StrEnum):
    BIRTH_YEAR = "birth_year"
    ACCOUNT_LAST4 = "account_last4"


@dataclass(frozen=True)
class KnowledgeCheck:
    kind: KnowledgeKind
    salt: str
    digest: str  # sha256(salt + ":" + answer), lower-case hex

    def encode(self) -> str:
        return json.dumps({"kind": self.kind.value, "salt": self.salt, "hash": self.digest})

    @classmethod
    def decode(cls, text: str | None) -> KnowledgeCheck | None:
        if not text:
            return None
        raw = json.loads(text)
        return cls(KnowledgeKind(raw["kind"]), raw["salt"], raw["hash"])


def normalise(kind: KnowledgeKind, answer: str) -> str | None:
    """The answer as hashed: digits only (full-width digits accepted), or None if it cannot
    be one (a wrong shape is not counted as a failed attempt)."""
    text = unicodedata.normalize("NFKC", answer or "").strip()
    text = re.sub(r"[\s-]", "", text)
    if not text.isascii() or not text.isdigit():
        return None
    if kind is KnowledgeKind.BIRTH_YEAR:
        return text if len(text) == 4 and 1900 <= int(text) <= 2100 else None
    return text if len(text) == 4 else None


def digest(salt: str, answer: str) -> str:
    return hashlib.sha256(f"{salt}:{answer}".encode()).hexdigest()


def make_check(kind: KnowledgeKind, salt: str, answer: str) -> KnowledgeCheck:
    """What a lender puts in the event (and the tests and demo do)."""
    clean = normalise(kind, answer)
    if clean is None:
        raise ValueError(f"not a valid {kind.value} answer")
    return KnowledgeCheck(kind, salt, digest(salt, clean))


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"  # counted towards the lockout
    MALFORMED = "malformed"  # not an answer of the right shape: asked again, not counted
    LOCKED = "locked"


def verify(
    check: KnowledgeCheck | None, answer: str, failed_so_far: int, max_failed: int
) -> Verdict:
    if failed_so_far >= max_failed:
        return Verdict.LOCKED
    if check is None:
        # the lender sent no check: nothing can be shown beyond the creditor's name
        return Verdict.LOCKED
    clean = normalise(check.kind, answer)
    if clean is None:
        return Verdict.MALFORMED
    if hmac.compare_digest(digest(check.salt, clean), check.digest):
        return Verdict.PASSED
    return Verdict.FAILED
