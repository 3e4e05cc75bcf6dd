"""Compliance packs as a debt collector (a third party) would configure them.

The shipped packs describe a lender collecting its own debts (``collector_role:
first_party``). These helpers give the same pack with a debt collector as the sender, and
put it in place for the code under test, so the duties only a debt collector has (US:
the FDCPA disclosures and the validation notice) can be tested end to end.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest
from arrears.domain.compliance import pack as pack_module
from arrears.domain.compliance.pack import CollectorRole, CompliancePack, Party

COLLECTOR = Party(
    name="Example Collections LLC",
    address=("300 Example Street", "Wilmington, DE 19801"),
)


def as_debt_collector(pack: CompliancePack) -> CompliancePack:
    letters = replace(
        pack.letters,
        collector_role=CollectorRole.THIRD_PARTY,
        collector=COLLECTOR,
        dispute_address=COLLECTOR.address,
    )
    return replace(pack, letters=letters)


@contextmanager
def debt_collector_packs(*names: str) -> Iterator[None]:
    """While open, ``load_pack`` serves the named packs with a debt collector as sender."""
    shipped = pack_module.all_packs()
    swapped = {
        name: as_debt_collector(pack) if name in names else pack for name, pack in shipped.items()
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pack_module, "all_packs", lambda directory=None: swapped)
        yield


@pytest.fixture
def us_debt_collector() -> Iterator[None]:
    """The US pack as a debt collector sends (import the fixture into the test module)."""
    with debt_collector_packs("us"):
        yield
