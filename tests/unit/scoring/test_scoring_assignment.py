"""Champion/challenger assignment: deterministic, configurable split."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest
from arrears.domain.scoring import Arm, Experiment, assign_arm, bucket

ACCOUNTS = [f"acc-{i}" for i in range(20_000)]


def test_assignment_is_stable_across_processes() -> None:
    # given arms computed here and in a fresh interpreter (different PYTHONHASHSEED)
    here = [assign_arm(a, "0.3", "exp-1").value for a in ACCOUNTS[:50]]
    code = (
        "from arrears.domain.scoring import assign_arm;"
        "print(','.join(assign_arm(f'acc-{i}', '0.3', 'exp-1').value for i in range(50)))"
    )
    there = (
        subprocess.run(
            [sys.executable, "-c", code],
            check=True,
            capture_output=True,
            text=True,
            env={"PYTHONHASHSEED": "12345"},
        )
        .stdout.strip()
        .split(",")
    )

    # then they agree exactly
    assert here == there


def test_known_bucket_value_pins_the_hash() -> None:
    # sha256("default\x1facc-42")[:8] as big-endian int, mod 10000: changing the hash
    # scheme would silently move accounts between arms mid-experiment
    import hashlib

    expected = int.from_bytes(hashlib.sha256(b"default\x1facc-42").digest()[:8], "big") % 10_000
    assert bucket("acc-42") == expected


@pytest.mark.parametrize("share", ["0.1", "0.25", "0.5"])
def test_split_proportion_is_close_to_the_configured_share(share: str) -> None:
    # when 20 000 accounts are assigned
    challengers = sum(assign_arm(a, share, "exp-2") is Arm.CHALLENGER for a in ACCOUNTS)

    # then the share is within 1.5 percentage points of the target
    assert abs(challengers / len(ACCOUNTS) - float(share)) < 0.015


def test_zero_and_full_share_are_all_champion_and_all_challenger() -> None:
    assert {assign_arm(a, 0) for a in ACCOUNTS[:500]} == {Arm.CHAMPION}
    assert {assign_arm(a, 1) for a in ACCOUNTS[:500]} == {Arm.CHALLENGER}


def test_growing_the_share_only_moves_champions_to_challenger() -> None:
    # given a 10 % then a 20 % split of the same experiment
    small = {a for a in ACCOUNTS if assign_arm(a, "0.1", "exp-3") is Arm.CHALLENGER}
    large = {a for a in ACCOUNTS if assign_arm(a, "0.2", "exp-3") is Arm.CHALLENGER}

    # then nobody leaves the challenger arm
    assert small < large


def test_experiments_reshuffle_accounts() -> None:
    first = {a for a in ACCOUNTS if assign_arm(a, "0.5", "exp-a") is Arm.CHALLENGER}
    second = {a for a in ACCOUNTS if assign_arm(a, "0.5", "exp-b") is Arm.CHALLENGER}
    overlap = len(first & second) / len(first)
    assert 0.4 < overlap < 0.6  # independent halves overlap about half


def test_experiment_object_delegates() -> None:
    experiment = Experiment(name="exp-1", challenger_share=Decimal("0.3"))
    assert experiment.arm_for("acc-7") is assign_arm("acc-7", "0.3", "exp-1")


@pytest.mark.parametrize("share", ["-0.1", "1.5"])
def test_share_outside_zero_to_one_is_rejected(share: str) -> None:
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        assign_arm("acc-1", share)
