"""Split work by a stable hash of a key, run each piece in its own process, merge.

``partition`` puts every item in the shard given by the SHA-256 of its key (the same shard
on every machine and in every run, unlike ``hash()``); ``run_in_processes`` runs one task
per fresh process (spawned, so a task never inherits another's state: the local runtime
allows one per process); ``merge`` joins the pieces in key order, so the result does not
depend on how many shards or workers there were.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import signal
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# set in each worker process: where its task reports progress
_progress: Any = None
_stop: Any = None  # set by the parent on Ctrl-C: also reaches workers started after it


def shard_of(key: str, shards: int) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") % shards


def partition(items: Iterable[T], key: Callable[[T], str], shards: int) -> list[list[T]]:
    if shards < 1:
        raise ValueError("shards must be at least 1")
    out: list[list[T]] = [[] for _ in range(shards)]
    for item in items:
        out[shard_of(key(item), shards)].append(item)
    return out


def merge(pieces: Iterable[Iterable[T]], key: Callable[[T], str]) -> list[T]:
    return sorted((item for piece in pieces for item in piece), key=key)


def report_progress(message: Any) -> None:
    """Called by a task in a worker: pass ``message`` to the parent's ``on_progress``."""
    if _progress is not None:
        # the parent may be gone or closing: then there is nobody to tell
        with contextlib.suppress(OSError, ValueError):
            _progress.put_nowait(message)


def run_in_processes(
    task: Callable[[Any], R],
    arguments: Sequence[Any],
    workers: int,
    on_progress: Callable[[Any], None] | None = None,
) -> tuple[list[R | None], bool]:
    """``task(argument)`` for each argument, ``workers`` processes at a time, one fresh
    process per task. Returns the results in argument order and whether it was interrupted
    (Ctrl-C): then tasks not started are cancelled, running ones return what they have (a
    task catches KeyboardInterrupt itself), and a task that could not is None."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    stop = context.Event()
    results: list[R | None] = [None] * len(arguments)
    interrupted = False
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        max_tasks_per_child=1,
        initializer=_set_progress,
        initargs=(queue, stop),
    ) as pool:
        futures: dict[Future[R], int] = {
            pool.submit(task, argument): index for index, argument in enumerate(arguments)
        }
        pending = set(futures)
        while pending:
            try:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(queue, on_progress)
            except KeyboardInterrupt:
                interrupted = True
                stop.set()  # a task already handed to a worker that is still starting
                for future in pending:
                    future.cancel()
                continue
            for future in done:
                if not future.cancelled():
                    try:
                        results[futures[future]] = future.result()
                    except BaseException:  # a task killed by the interrupt has no result
                        if not interrupted:
                            raise
    _drain(queue, on_progress)
    return results, interrupted


_interrupted_early = False


def _note_interrupt(signum: int, frame: Any) -> None:
    global _interrupted_early
    _interrupted_early = True


def interrupted_early() -> bool:
    """Whether Ctrl-C came while this worker was still starting its task (before the task
    installed its own handler), or the parent was interrupted before or since: a task that
    wants to stop early stops then."""
    return _interrupted_early or (_stop is not None and _stop.is_set())


def _set_progress(queue: Any, stop: Any = None) -> None:
    global _progress, _stop
    _progress = queue
    _stop = stop
    # Ctrl-C is the parent's to handle: an idle worker must not die of it, only remember it
    # (a task that wants to stop early installs its own handler and asks interrupted_early)
    signal.signal(signal.SIGINT, _note_interrupt)


def _drain(queue: Any, on_progress: Callable[[Any], None] | None) -> None:
    while True:
        try:
            message = queue.get_nowait()
        except Exception:  # queue.Empty, or closed
            return
        if on_progress is not None:
            on_progress(message)
