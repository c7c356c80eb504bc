"""Worker processes: whether a build may start them, how many, and from what size.

Workers are forked, so they start at once and inherit everything built so far (the
index, the templates), but only on Linux and only from a process that runs no other
thread: forking a threaded process (``foldpress serve`` is one) is unsafe. The other
start methods would import the caller's main module again in each worker, which a
script calling ``build()`` without a ``__main__`` guard cannot survive, so elsewhere
a build runs in one process.

The build's own process takes a share of the work too: with one worker per CPU, a
process that only waited for results would compete with them for a CPU to unpickle.

Why :func:`run_tasks` cannot deadlock, whatever the number of tasks and however small
the pipes: every task number is written to the queue pipe, and its write end closed,
before any worker exists, in one write that fits in the empty pipe, so that write never
waits and every reader of the queue reaches its end. A worker then waits on one thing
only, the build's process reading its result pipe; that process reads the workers'
pipes one after the other to their ends, and each worker holds the write end of its
own pipe only, so each end comes when its worker exits. ``test_parallel.py`` runs
20,000 tasks through pipes of 4 KiB to show it.
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many posts to render, or files to write, starting workers costs more
# than it saves (measured with bench/bench_site_build.py --parallel on 2 CPUs:
# see bench/README.md).
PARALLEL_FROM = 50


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


def run_tasks(
    run: Callable[[T, bool], R],
    tasks: Sequence[T],
    processes: int,
    *,
    meanwhile: Callable[[], None] | None = None,
) -> list[R]:
    """``run(task, here)`` for every task; the results, in the order of the tasks.

    ``processes`` share the tasks: this one (``here`` true) and forked workers, each
    taking the next task that none has taken yet, so that they finish together (put
    the longest tasks first). ``meanwhile()`` runs here before this process takes a
    task: work only it needs, done while the workers start (with no workers, not at
    all: the caller does it when it needs it). A worker sends its results
    back pickled; if one fails, the tasks it took are run again here, so that the
    error is raised here, and if this process fails, the workers are stopped.

    What exists when the workers are forked is frozen out of garbage collection
    (:func:`gc.freeze`); the caller unfreezes it (:func:`gc.unfreeze`) when done.
    """
    if processes < 2 or len(tasks) < 2:
        return [run(task, True) for task in tasks]
    # The queue is a pipe holding every task's number, written in full before any
    # process reads: each reads one number at a time (reads from a pipe are atomic),
    # so each task is taken once. Past what the pipe holds, numbers stand for batches:
    # a write that fits in an empty pipe never blocks, so no process waits on another
    # (a pipe holds 64 KiB, but only 4 KiB once its user has many pipes open).
    queue, writer = os.pipe()
    batch = -(-len(tasks) // (_pipe_size(writer) // 4))
    numbers = range(-(-len(tasks) // batch))
    os.write(writer, b"".join(n.to_bytes(4, "little") for n in numbers))
    os.close(writer)

    def take(here: bool) -> list[tuple[int, R]]:
        done = []
        while number := os.read(queue, 4):
            start = int.from_bytes(number, "little") * batch
            for i in range(start, min(start + batch, len(tasks))):
                done.append((i, run(tasks[i], here)))
        return done

    # As the gc module's documentation advises before forking: the workers' collections
    # then leave the memory pages of everything made so far shared, not copied.
    gc.freeze()
    children = [_fork(take) for _ in range(processes - 1)]
    try:
        if meanwhile:
            meanwhile()
        results: dict[int, R] = dict(take(True))
        while children:
            pid, reader = children.pop(0)
            data = _collect(pid, reader)
            results.update(pickle.loads(data) if data is not None else ())
    finally:
        os.close(queue)
        for pid, reader in children:  # left when this process failed
            os.kill(pid, signal.SIGTERM)
            _collect(pid, reader)
    # Whatever a failed worker took is done again here, to raise its error here.
    return [results[i] if i in results else run(task, True) for i, task in enumerate(tasks)]


def _pipe_size(fd: int) -> int:
    """What the pipe ``fd`` holds before a write blocks (POSIX promises 512 bytes)."""
    try:
        import fcntl  # not on Windows, where nothing is forked

        return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)  # Linux
    except (AttributeError, OSError):
        return 512


def _fork(take: Callable[[bool], list]) -> tuple[int, int]:
    reader, writer = os.pipe()
    pid = os.fork()
    if pid:
        os.close(writer)
        return pid, reader
    status = 1
    try:
        os.close(reader)
        result = take(False)
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
