"""S3 objects kept in files while a local runtime runs, not in the process's memory.

moto's S3 holds each object's bytes in a ``tempfile.SpooledTemporaryFile`` that stays in
memory up to 5 MB, so every letter PDF of a portfolio run (two per case that reaches the
lawyer's letter) lives in the process until it ends. Here moto's S3 module gets a
``tempfile`` whose ``SpooledTemporaryFile`` writes to a file of its own in a spool directory
and opens it only to read or write: the same bytes, the same file interface, no open file
descriptor per object. The directory is removed when the runtime stops.
"""

from __future__ import annotations

import importlib
import itertools
import os
import shutil
import tempfile
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_S3_MODELS = "moto.s3.models"


class SpooledObject:
    """The part of a file's interface moto's ``FakeKey`` uses (seek, read, write, truncate,
    close), over a file opened per call."""

    __slots__ = ("_path", "_position")

    def __init__(self, path: Path) -> None:
        # the file is made by the first write (moto writes every new object's bytes at
        # once): until then the object is empty, without a file system call per object
        self._path = path
        self._position = 0

    def _size(self) -> int:
        try:
            return self._path.stat().st_size
        except FileNotFoundError:
            return 0

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._position}.get(whence)
        self._position = (self._size() if base is None else base) + offset
        return self._position

    def tell(self) -> int:
        return self._position

    def read(self, size: int = -1) -> bytes:
        try:
            with self._path.open("rb") as handle:
                handle.seek(self._position)
                data = handle.read(size)
        except FileNotFoundError:
            data = b""
        self._position += len(data)
        return data

    def write(self, data: bytes) -> int:
        with open(os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600), "r+b") as handle:
            handle.seek(self._position)
            written = handle.write(data)
        self._position += written
        return written

    def truncate(self, size: int | None = None) -> int:
        at = self._position if size is None else size
        if at < self._size():  # as an in-memory file does, it never grows the object
            os.truncate(self._path, at)
        return at

    def close(self) -> None:
        self._path.unlink(missing_ok=True)


def _tempfile_module(directory: Path) -> types.ModuleType:
    """A ``tempfile`` for moto's S3 module whose spooled files live in ``directory``."""
    numbers = itertools.count()

    def spooled_temporary_file(*_args: Any, **_kwargs: Any) -> SpooledObject:
        return SpooledObject(directory / str(next(numbers)))

    module = types.ModuleType("tempfile", "tempfile, with S3 objects spooled to files")
    module.__dict__.update(vars(tempfile))
    module.SpooledTemporaryFile = spooled_temporary_file  # type: ignore[attr-defined]
    return module


@contextmanager
def spooled_objects() -> Iterator[Path]:
    """While the block runs, new S3 objects keep their bytes in files of a fresh directory."""
    models: Any = importlib.import_module(_S3_MODELS)
    original = models.tempfile
    directory = Path(tempfile.mkdtemp(prefix="arrears-s3-"))
    models.tempfile = _tempfile_module(directory)
    try:
        yield directory
    finally:
        models.tempfile = original
        shutil.rmtree(directory, ignore_errors=True)


def problems() -> list[str]:
    """What this relies on in moto's S3 (checked with the other moto internals)."""
    import inspect

    models = importlib.import_module(_S3_MODELS)
    found = []
    if getattr(models, "tempfile", None) is not tempfile:
        found.append("moto.s3.models no longer imports the tempfile module as `tempfile`")
    source = inspect.getsource(models.FakeKey)
    if "tempfile.SpooledTemporaryFile(" not in source:
        found.append("moto's FakeKey no longer keeps its value in a SpooledTemporaryFile")
    for call in ("_value_buffer.seek(", "_value_buffer.read(", "_value_buffer.write("):
        if call not in source:
            found.append(f"moto's FakeKey no longer calls {call}...)")
    return found
