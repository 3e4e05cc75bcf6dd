"""botocore loaders configured alike share what they have read, while a local runtime runs.

A botocore ``Loader`` lists the service folders and parses each JSON service model once, in
a cache of its own. The local runtime has a dozen loaders: its own boto3 session, the
handlers', and one that moto makes for every model it reads. Each listed the folders again
and parsed the same models again: 47 listings and 152 model reads before the first event
was processed, about a third of that time.

Here every loader's cache is the one dict of all loaders with the same configuration (class,
file loader, search paths, extras), looked up at each call since boto3 adds a search path
after the loader is made. Loaders configured alike read the same files and apply the same
extras, so they would build equal models; they now hand out one, as one loader already does
to every client it serves (the models are only read). Loaders configured differently, such
as moto's (which merges its own extras into the models), keep apart. The files do not
change while the process runs, so the shared caches are kept for the process.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.loaders

_SHARED: dict[tuple[Any, ...], dict[Any, Any]] = {}


class _CacheOfLoadersAlike:
    """Stands for a loader's ``_cache``: the shared dict of its configuration."""

    __slots__ = ("_loader",)

    def __init__(self, loader: botocore.loaders.Loader) -> None:
        self._loader = loader

    def _shared(self) -> dict[Any, Any]:
        loader = self._loader
        configuration = (
            type(loader),
            type(loader.file_loader),
            tuple(loader.search_paths),
            tuple(loader.extras_types),
        )
        return _SHARED.setdefault(configuration, {})

    def __contains__(self, key: object) -> bool:
        return key in self._shared()

    def __getitem__(self, key: Any) -> Any:
        return self._shared()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._shared()[key] = value


@contextmanager
def loaders_sharing_models() -> Iterator[None]:
    """While the block runs, new loaders share their caches with the loaders alike."""
    loader_class = botocore.loaders.Loader
    original_init = loader_class.__init__

    def init_sharing(self: botocore.loaders.Loader, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self._cache = _CacheOfLoadersAlike(self)

    loader_class.__init__ = init_sharing
    try:
        yield
    finally:
        loader_class.__init__ = original_init


def problems() -> list[str]:
    """What this relies on in botocore (checked with moto's internals)."""
    found = []
    if "self._cache = {}" not in inspect.getsource(botocore.loaders.Loader.__init__):
        found.append("botocore's Loader no longer starts its own cache as self._cache")
    cache_source = inspect.getsource(botocore.loaders.instance_cache)
    for use in ("key in self._cache", "return self._cache[key]", "self._cache[key] = data"):
        if use not in cache_source:
            found.append(f"botocore's instance_cache no longer does `{use}`")
    return found
