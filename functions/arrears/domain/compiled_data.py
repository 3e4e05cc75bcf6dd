"""Build the compiled form of the shipped policies and compliance packs (``domain.datafile``),
of the schemas of the events (``domain.events``) and the ops actions (``domain.ops``), and
of the territories and currencies events are checked against (``domain.event_types``).

``python -m arrears.domain.compiled_data TARGET``: what ``infra/assets.py`` runs (with the
Python that builds the asset, which has pydantic and PyYAML) to write
``arrears/policies/compiled.json`` into each Lambda asset.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from arrears.domain import event_models, event_types, events, ops, ops_models
from arrears.domain.compliance.pack import read_packs
from arrears.domain.core_schema import encode
from arrears.domain.datafile import to_data
from arrears.domain.policy import shipped_policies

# the pydantic-core schemas the functions validate with, by their compiled data's key
SCHEMAS = {
    events.COMPILED_KEY: event_models.core_schemas,
    ops.COMPILED_KEY: ops_models.core_schemas,
}


def compiled_data() -> dict[str, Any]:
    """Every shipped policy and compliance pack, validated, in the compiled form the Lambda
    functions load (``domain.datafile``), and the schemas the functions validate events and
    ops actions with (``domain.events``, ``domain.ops``): what ``infra/assets.py`` writes
    into an asset."""
    return {
        "policies": {name: to_data(policy) for name, policy in shipped_policies().items()},
        "packs": {name: to_data(pack) for name, pack in read_packs().items()},
        **{key: encode(derive()) for key, derive in SCHEMAS.items()},
        event_types.TERRITORIES_KEY: event_types.territory_data(),
    }


def write_compiled(target: Path) -> None:
    """Write :func:`compiled_data` to ``target`` (the same data writes the same bytes)."""
    target.write_text(json.dumps(compiled_data(), sort_keys=True, indent=1) + "\n", "utf-8")


if __name__ == "__main__":  # python -m arrears.domain.compiled_data TARGET (the asset build)
    write_compiled(Path(sys.argv[1]))
