"""Worker processes: whether a build may start them, how many, and from what size.

Workers are forked, so they start at once and inherit everything built so far (the
index, the templates), but only on Linux and only from a process that runs no other
thread: forking a threaded process (``foldpress serve`` is one) is unsafe. The other
start methods would import the caller's main module again in each worker, which a
script calling ``build()`` without a ``__main__`` guard cannot survive, so elsewhere
a build runs in one process.

The build's own process takes a share of the work too: with one worker per CPU, a
process that only waited for results would compete with them for a CPU to unpickle.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many posts to render, or files to write, starting workers costs more
# than it saves (measured with bench/bench_site_build.py --parallel on 2 CPUs:
# see bench/README.md).
PARALLEL_FROM = 300


def can_fork() -> bool:
    """Whether worker processes can be forked safely from this process now."""
    return sys.platform == "linux" and threading.active_count() == 1


def workers(jobs: int | None, tasks: int) -> int:
    """How many processes to use for ``tasks`` tasks: ``jobs`` if given, else one per
    CPU when there are enough tasks; 1 means none but this one."""
    if not can_fork():
        return 1
    if jobs is not None:
        return jobs
    return _cpus() if tasks >= PARALLEL_FROM else 1


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_shares(task: Callable[[list[T], bool], R], shares: list[list[T]]) -> list[R]:
    """``task(share, here)`` for every share at once, results in order: the first share
    in this process (``here`` true), each other one in a forked worker that sends its
    result back pickled. A share whose worker fails is run again here, so that its error
    is raised here; if this process fails, the workers are stopped. What exists when
    the workers are forked is frozen out of garbage collection (:func:`gc.freeze`); the
    caller unfreezes it (:func:`gc.unfreeze`) when it is done."""
    if len(shares) > 1:
        # As the gc module's documentation advises before forking: a worker's collections
        # then leave the pages of everything made so far shared, not copied.
        gc.freeze()
    children = [_fork(task, share) for share in shares[1:]]
    try:
        results = [task(shares[0], True)]
        while children:
            pid, reader, share = children.pop(0)
            data = _collect(pid, reader)
            results.append(task(share, True) if data is None else pickle.loads(data))
    finally:
        for pid, reader, _ in children:  # left when this process failed
            os.kill(pid, signal.SIGTERM)
            _collect(pid, reader)
    return results


def _fork(task: Callable[[list[T], bool], R], share: list[T]) -> tuple[int, int, list[T]]:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid:
        os.close(writer)
        return pid, reader, share
    status = 1
    try:
        os.close(reader)
        result = task(share, False)
        with os.fdopen(writer, "wb") as f:
            pickle.dump(result, f, protocol=5)
        status = 0
    finally:
        os._exit(status)  # never run the parent's cleanup code


def _collect(pid: int, reader: int) -> bytes | None:
    """What a worker sent, or None if it failed."""
    with os.fdopen(reader, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    return data if status == 0 and data else None
