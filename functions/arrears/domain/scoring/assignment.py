"""Champion/challenger: which policy arm an account runs under.

The arm is a pure function of the account id (SHA-256, never Python's salted `hash()`),
so every Lambda, every retry and every re-opened case agrees, and the split holds across
deployments. The experiment name salts the hash: a new experiment reshuffles accounts
instead of always putting the same people in the challenger arm.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

BUCKETS = 10_000  # resolution of the split: 0.01 %


class Arm(StrEnum):
    CHAMPION = "champion"
    CHALLENGER = "challenger"


@dataclass(frozen=True)
class Experiment:
    """A champion/challenger split, e.g. from the policy file."""

    name: str = "default"
    challenger_share: Decimal = Decimal("0")  # 0..1, share of accounts in the challenger arm
    champion_policy: str | None = None  # policy versions each arm runs (informational here)
    challenger_policy: str | None = None

    def arm_for(self, account_id: str) -> Arm:
        return assign_arm(account_id, self.challenger_share, experiment=self.name)


def bucket(account_id: str, experiment: str = "default") -> int:
    """Stable bucket 0..BUCKETS-1 of an account within an experiment."""
    digest = hashlib.sha256(f"{experiment}\x1f{account_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def assign_arm(
    account_id: str, challenger_share: Decimal | float | str, experiment: str = "default"
) -> Arm:
    """CHALLENGER for about `challenger_share` of accounts, CHAMPION for the rest."""
    share = Decimal(str(challenger_share))
    if not Decimal(0) <= share <= Decimal(1):
        raise ValueError(f"challenger_share must be within 0..1, got {challenger_share}")
    threshold = int(share * BUCKETS)
    return Arm.CHALLENGER if bucket(account_id, experiment) < threshold else Arm.CHAMPION
