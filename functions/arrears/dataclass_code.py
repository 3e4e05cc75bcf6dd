"""The dataclasses' generated methods, compiled when the asset is built, not at a cold start.

``@dataclass`` writes each class's ``__init__``, ``__repr__``, ``__eq__``, ``__hash__`` and
(frozen) ``__setattr__``/``__delattr__`` as Python source and compiles it with ``exec`` when
the class is created. The package defines about two hundred dataclasses (policies, packs,
cases, plans, ...), so compiling those few hundred small functions was about half of a
handler's own import on Lambda.

The source ``dataclasses`` writes depends only on the class definition, so the asset build
(``infra/assets.py``) imports the package once under the runtime's Python with
:func:`recording` on, and :func:`write` stores each source text with its code object
(``marshal``, grouped by the module that defines the class) in :data:`CODE_FILE`. In an
asset, :func:`install` (run by ``arrears/__init__``) hands ``dataclasses`` an ``exec`` that
runs the stored code object of a source it knows, and compiles any other source as before.
The stored code is what compiling the same text gives (``tests/unit/test_dataclass_code.py``
checks it), and the file is only used by the Python version that wrote it. A checkout has no
such file: nothing changes there.
"""

from __future__ import annotations

import builtins
import dataclasses
import importlib
import marshal
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# Where an asset carries the compiled methods (never in the source tree).
CODE_FILE = Path(__file__).resolve().parent / "policies" / "dataclass-code.marshal"
_FORMAT = b"arrears-dataclass-code-1\n"

# Once a file is installed: how many methods ran its stored code, and per module how many
# it did not know, compiled as usual (a class defined since the build shows here).
stored = 0
missed: dict[str | None, int] = {}


def _version_tag() -> bytes:
    """The bytecode this interpreter reads: a file written by another version is ignored."""
    from importlib.util import MAGIC_NUMBER

    return _FORMAT + MAGIC_NUMBER + sys.implementation.cache_tag.encode() + b"\n"


def _compile(source: str) -> Any:
    # as ``exec(source)`` in dataclasses compiles it: no __future__ flags of this module
    return compile(source, "<string>", "exec", dont_inherit=True)


def install(path: Path = CODE_FILE) -> bool:
    """Run the stored code of the methods ``dataclasses`` generates, where ``path`` has it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False
    tag = _version_tag()
    if not data.startswith(tag):
        return False
    blobs: dict[str | None, bytes] = marshal.loads(data[len(tag) :])
    codes: dict[str | None, dict[str, Any]] = {}
    run = builtins.exec

    def cached_exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
        if isinstance(source, str) and isinstance(globals, dict):
            module = globals.get("__name__")
            known = codes.get(module)
            if known is None:
                blob = blobs.pop(module, None)
                known = codes[module] = marshal.loads(blob) if blob is not None else {}
            code = known.get(source)
            if code is None:
                missed[module] = missed.get(module, 0) + 1
            else:
                global stored
                stored += 1
                source = code
        run(source, globals, locals)

    # dataclasses calls ``exec`` by its global name: this one shadows the builtin there only
    dataclasses.exec = cached_exec  # type: ignore[attr-defined]
    return True


@contextmanager
def recording() -> Iterator[dict[str | None, dict[str, Any]]]:
    """Every method source ``dataclasses`` compiles meanwhile, with its code, by module."""
    recorded: dict[str | None, dict[str, Any]] = {}
    run = builtins.exec

    def recording_exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
        if isinstance(source, str) and isinstance(globals, dict):
            code = _compile(source)
            recorded.setdefault(globals.get("__name__"), {})[source] = code
            source = code
        run(source, globals, locals)

    previous = dataclasses.__dict__.get("exec")
    dataclasses.exec = recording_exec  # type: ignore[attr-defined]
    try:
        yield recorded
    finally:
        if previous is None:
            del dataclasses.exec  # type: ignore[attr-defined]
        else:
            dataclasses.exec = previous  # type: ignore[attr-defined]


def write(recorded: dict[str | None, dict[str, Any]], target: Path) -> None:
    """Store ``recorded`` for :func:`install`, one marshalled blob per module."""
    blobs = {module: marshal.dumps(codes) for module, codes in sorted(recorded.items(), key=str)}
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(_version_tag() + marshal.dumps(blobs))


def package_modules(package_dir: Path) -> list[str]:
    """The modules of the package at ``package_dir`` (``arrears``), parents first."""
    names = []
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return sorted(names, key=lambda name: (name.count("."), name))


def record_modules(modules: Iterable[str]) -> dict[str | None, dict[str, Any]]:
    """Import ``modules`` with recording on. One that cannot be imported here (it needs the
    runtime's AWS SDK, say) is skipped: its classes compile their methods at run time."""
    with recording() as recorded:
        for module in modules:
            try:
                importlib.import_module(module)
            except Exception:  # skipped, as the docstring says
                continue
    return recorded


def main(argv: list[str] | None = None) -> int:
    """``python -m arrears.dataclass_code TARGET``: record the package's modules (as found
    on ``sys.path``: the asset's) and write TARGET. Run by the asset build."""
    args = sys.argv[1:] if argv is None else argv
    package_dir = Path(__file__).resolve().parent
    modules = [
        name
        for name in package_modules(package_dir)
        if name != "arrears.dataclass_code" and not name.startswith("arrears.handlers")
    ]
    write(record_modules(modules), Path(args[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
