"""CDK app for Arrears: one stack composed of constructs built from ``arrears.topology``."""

from __future__ import annotations

import sys
from pathlib import Path

# Every path in infra/ is anchored here, so the app behaves the same from any working directory.
REPO_ROOT = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO_ROOT / "functions"
STATEMACHINES_DIR = REPO_ROOT / "statemachines"
PYPROJECT = REPO_ROOT / "pyproject.toml"

# infra reads the shared topology and constants from the Lambda package itself.
if str(FUNCTIONS_DIR) not in sys.path:
    sys.path.insert(0, str(FUNCTIONS_DIR))
