"""A shard's result on disk (`arrears simulate --shard I/K`) and reading K of them back.

``DIR/shard.json.gz`` holds the simulation's arguments, which shard of how many it is, and
each policy's per-case reports for the shard's accounts. ``read_shards`` checks that a set
of them belongs together (the same arguments and K, every shard once) before they are
merged into one simulation (docs/scale.md).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from arrears.local.simulation.run import ShardResult

FILE_NAME = "shard.json.gz"
FORMAT = "arrears simulate shard"
VERSION = 1


class ShardFileError(ValueError):
    """Shard results that cannot be merged; the message says which and why."""


def write_shard(
    folder: Path,
    *,
    index: int,
    count: int,
    arguments: Mapping[str, Any],
    results: Sequence[ShardResult],
    partial: bool,
) -> Path:
    document = {
        "format": FORMAT,
        "version": VERSION,
        "shard": index,
        "shards": count,
        "arguments": dict(arguments),
        "partial": partial,
        "results": [r.as_dict() for r in results],
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILE_NAME
    # mtime 0: the same shard gives the same bytes
    with gzip.GzipFile(path, "wb", mtime=0) as out:
        out.write(json.dumps(document, ensure_ascii=False).encode("utf-8"))
    return path


def read_shards(folders: Sequence[Path]) -> tuple[dict[str, Any], list[ShardResult], bool]:
    """The simulation's arguments, every shard's results, and whether any shard was
    partial; ShardFileError if the folders are not one complete set of shards."""
    documents = [_read(folder) for folder in folders]
    first = documents[0]
    for folder, document in zip(folders, documents, strict=True):
        if document["arguments"] != first["arguments"] or document["shards"] != first["shards"]:
            raise ShardFileError(f"{folder}: a shard of another simulation than {folders[0]}")
    count = first["shards"]
    seen = sorted(document["shard"] for document in documents)
    for index in range(count):
        if seen.count(index) != 1:
            found = "given twice" if seen.count(index) > 1 else "missing"
            raise ShardFileError(f"shard {index} of {count} is {found}")
    if len(seen) != count:
        raise ShardFileError(f"{len(seen)} shard results for {count} shards")
    results = [ShardResult(**r) for document in documents for r in document["results"]]
    return first["arguments"], results, any(document["partial"] for document in documents)


def _read(folder: Path) -> dict[str, Any]:
    path = folder / FILE_NAME
    try:
        with gzip.open(path, "rb") as raw:
            document = json.loads(raw.read().decode("utf-8"))
    except FileNotFoundError:
        raise ShardFileError(f"{folder}: no {FILE_NAME} (not a shard's --out folder)") from None
    except (OSError, ValueError) as exc:
        raise ShardFileError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ShardFileError(f"{path}: not a shard result of arrears simulate")
    if document.get("version") != VERSION:
        raise ShardFileError(f"{path}: shard format version {document.get('version')!r}")
    return document
