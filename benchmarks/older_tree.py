"""An older commit's files, to run its code beside today's in the same benchmark run."""

from __future__ import annotations

import compileall
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def older_tree(commit: str, into: Path) -> Path:
    """The commit's files (``git archive``) under ``into``, extracted once, with their bytecode
    built as an install builds it (today's tree gets it from ``make bench``)."""
    tree = into / f"tree-{commit}"
    if not tree.exists():
        tree.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        compileall.compile_dir(tree / "functions", quiet=1)
    return tree
