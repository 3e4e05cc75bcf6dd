"""What a fresh interpreter imports: the guard tests that keep modules off a cold start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"


def modules_imported_by(script: str) -> set[str]:
    """What a fresh interpreter, with the package on its path, prints as a JSON list last
    (the names in ``sys.modules``, say) once ``script`` ran without error."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(FUNCTIONS), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return set(json.loads(done.stdout.strip().splitlines()[-1]))
