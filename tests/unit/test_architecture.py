"""The layers hold (docs/architecture.md): entry points -> use cases -> domain, adapters
implement the domain's ports, and no module of the package takes part in an import circle."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"
HANDLERS = FUNCTIONS / "arrears" / "handlers"
MAX_HANDLER_LINES = 60
# ingest wires two sets of adapters: the Ingestor's (with the outbox, for the wallet's
# credit line acknowledgements) and Powertools Idempotency's store and settings, both
# imported with the first record (they bring boto3)
LONGER_SHELLS = {"ingest.py": 81}


def import_circles(package: str) -> list[tuple[str, str]]:
    """Pairs (a, b) where a imports b and b, directly or not, imports a (runtime imports:
    those under ``if TYPE_CHECKING`` never run)."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=True, cache_dir=None)
    return sorted(
        (module, imported)
        for module in graph.modules
        for imported in graph.find_modules_directly_imported_by(module)
        if graph.chain_exists(importer=imported, imported=module)
    )


def test_no_module_takes_part_in_an_import_circle() -> None:
    assert import_circles("arrears") == []


def test_a_circle_is_found_when_there_is_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a package whose two modules import each other, one of them inside a function
    package = tmp_path / "circular"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from circular import b\n")
    (package / "b.py").write_text("def late():\n    from circular import a\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    # then the check names both directions
    assert import_circles("circular") == [
        ("circular.a", "circular.b"),
        ("circular.b", "circular.a"),
    ]


def test_the_layer_contracts_hold() -> None:
    # the contracts are in pyproject.toml ([tool.importlinter])
    lint = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(FUNCTIONS)}
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module", sorted(p.name for p in HANDLERS.glob("*.py")))
def test_every_entry_point_is_a_thin_shell(module: str) -> None:
    lines = (HANDLERS / module).read_text(encoding="utf-8").splitlines()
    limit = LONGER_SHELLS.get(module, MAX_HANDLER_LINES)
    assert len(lines) <= limit, f"{module}: {len(lines)} lines"
