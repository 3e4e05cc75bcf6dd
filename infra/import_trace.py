"""Which top-level packages does a handler module reach? Run by the Lambda runtime's Python.

``python3.12 -I infra/import_trace.py < jobs.json``: each job names a module, the imports not
to follow, and the directories whose packages count; the answer is, per job, the sorted
top-level names under those directories that the module's imports reach. ``modulefinder``
reads every code object, so imports inside functions count as well as module-level ones.

Standard library only: it runs under whichever interpreter compiles the asset.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import json
import modulefinder
import sys
from typing import Any

# A source file read for one job is compiled once for all of them (the assets share most).
_compiled: dict[bytes, Any] = {}
_find_module = modulefinder._find_module  # type: ignore[attr-defined]


def _find_regular_module(name: str, path: list[str] | None = None) -> Any:
    # modulefinder cannot open a namespace package (a folder of data files): not code
    spec = importlib.machinery.PathFinder.find_spec(name, path)
    if spec is not None and spec.loader is None:
        raise ImportError(name)
    return _find_module(name, path)


class _Finder(modulefinder.ModuleFinder):
    def load_module(self, fqname: str, fp: Any, pathname: str, file_info: Any) -> Any:
        if file_info[2] != modulefinder._PY_SOURCE:  # type: ignore[attr-defined]
            return super().load_module(fqname, fp, pathname, file_info)
        source = fp.read()
        key = hashlib.sha256(source if isinstance(source, bytes) else source.encode()).digest()
        code = _compiled.get(key)
        if code is None:
            code = _compiled[key] = compile(source, pathname, "exec")
        module: Any = self.add_module(fqname)
        module.__file__ = pathname
        module.__code__ = code
        self.scan_code(code, module)
        return module


def reached_top_level(module: str, excludes: list[str], roots: list[str]) -> list[str]:
    finder = _Finder(path=roots + [entry for entry in sys.path if entry], excludes=excludes)
    finder.import_hook(module, fromlist=["*"])
    prefixes = tuple(root.rstrip("/") + "/" for root in roots)
    reached = set()
    found: Any
    for name, found in finder.modules.items():
        location = found.__file__ or (found.__path__[0] if found.__path__ else "")
        if location.startswith(prefixes):
            reached.add(name.split(".")[0])
    return sorted(reached)


def main() -> None:
    modulefinder._find_module = _find_regular_module  # type: ignore[attr-defined]
    jobs = json.load(sys.stdin)
    answers = [reached_top_level(job["module"], job["excludes"], job["roots"]) for job in jobs]
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
