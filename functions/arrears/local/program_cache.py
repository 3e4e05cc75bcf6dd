"""Parsed state machine programs kept on disk, so a new process does not parse the ASL again.

moto's interpreter parses a definition with ANTLR, and the first parse in a process also
builds the parser's tables: about half a second of every ``arrears run``, ``simulate``
shard and workflow-test process's start-up, for the same few definitions. The program moto
builds from the parse is plain Python objects, so it is pickled once per definition and
loaded (a few milliseconds) by the next process.

Entries are keyed by the definition, moto's version and Python's, and live under
``$ARREARS_CACHE_DIR`` (default ``$XDG_CACHE_HOME/arrears/asl``, else
``~/.cache/arrears/asl``): a folder of the user's own, like any build cache. A missing,
unreadable or stale entry is parsed again and rewritten; a cache that cannot be written is
skipped.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cache_dir() -> Path:
    configured = os.environ.get("ARREARS_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "arrears" / "asl"


def _entry(definition: str) -> Path:
    import moto

    key = hashlib.sha256(f"{moto.__version__}\n{sys.version}\n{definition}".encode()).hexdigest()
    return cache_dir() / f"{key}.pickle"


def program_for(definition: str, parse: Callable[[str], Any]) -> Any:
    """The program for ``definition``: from the cache, else ``parse(definition)`` (cached)."""
    entry = _entry(definition)
    try:
        return pickle.loads(entry.read_bytes())
    except Exception:  # missing, damaged or from another moto: parse it again
        pass
    program = parse(definition)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=entry.parent, delete=False) as file:
            file.write(pickle.dumps(program, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(file.name, entry)  # atomic: a reader never sees half an entry
    except (OSError, pickle.PicklingError, RecursionError):
        pass
    return program
