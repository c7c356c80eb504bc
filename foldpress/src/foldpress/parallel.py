"""Worker processes: whether a build may start them, how many, and from what size.

Workers are forked, so they start at once and inherit everything built so far (the
index, the templates), but only on Linux and only from a process that runs no other
thread: forking a threaded process (``foldpress serve`` is one) is unsafe. The other
start methods would import the caller's main module again in each worker, which a
script calling ``build()`` without a ``__main__`` guard cannot survive, so elsewhere
a build runs in one process.
"""

from __future__ import annotations

import os
import sys
import threading

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
