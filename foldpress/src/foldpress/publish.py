"""Put a new site in the place of the published one in one atomic step.

A build writes the new site in a folder of its own, on the output folder's file system,
and then exchanges it with the output folder: on Linux in one ``renameat2`` call with
``RENAME_EXCHANGE``, so that a reader of the output folder (a web server, an upload)
sees the whole old site or the whole new one, and never no folder at all. Elsewhere the
old site is renamed away and the new one into its place, a moment apart.

The work folder is the site that an earlier build replaced, kept in the cache as a spare
and updated in place, when the cache is on the output's file system; else a new folder
beside the output. Each build names its folders after its process id, so the next build
removes what a killed one left (the process is gone) and leaves a running one's alone.
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def replacing(out_dir: Path, spare: Path) -> Iterator[Path]:
    """Yield a folder to build the new site in; put it in ``out_dir``'s place on success.

    On any failure, KeyboardInterrupt included, the old output is left exactly as it was
    (and a half-updated spare is put right by the next build).
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out_dir, spare)
    work = _claim(spare, out_dir)
    if work is None:
        prefix = f"{out_dir.name}.new-{os.getpid()}-"
        work = Path(tempfile.mkdtemp(prefix=prefix, dir=out_dir.parent))
    try:
        yield work
        work.chmod(0o755)  # mkdtemp makes it private; a site is for publishing
        replaced = swap(work, out_dir)
    except BaseException:
        _keep_or_remove(work, spare)
        raise
    if replaced:  # the old site is where the work folder was
        _keep_or_remove(work, spare)


def swap(new: Path, out_dir: Path) -> bool:
    """Put ``new`` at ``out_dir``; whatever was there goes to ``new``'s name. Return
    whether anything was there."""
    if not os.path.lexists(out_dir):
        new.rename(out_dir)
        return False
    if _exchange(new, out_dir):
        return True
    # No atomic exchange here: the old site goes aside for a moment.
    aside = new.with_name(new.name + ".old")
    out_dir.rename(aside)
    try:
        new.rename(out_dir)
    except BaseException:
        aside.rename(out_dir)
        raise
    aside.rename(new)
    return True


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _renameat2() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    return getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)  # glibc 2.28+


_RENAMEAT2 = _renameat2()


def _exchange(a: Path, b: Path) -> bool:
    """Exchange two paths in one step; False where the system or file system cannot."""
    if _RENAMEAT2 is None:
        return False
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def remove_leftovers(out_dir: Path, spare: Path) -> None:
    """Remove the work folders of builds that were killed: ``SPARE.work-PID-*`` and
    ``OUT.new-PID-*`` whose process is gone."""
    for folder, pattern in (
        (spare.parent, rf"{re.escape(spare.name)}\.work-(\d+)-\w+(?:\.old)?"),
        (out_dir.parent, rf"{re.escape(out_dir.name)}\.new-(\d+)-\w+(?:\.old)?"),
    ):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            match = re.fullmatch(pattern, name)
            if match and not _running(int(match.group(1))):
                shutil.rmtree(folder / name, ignore_errors=True)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this build's own can only be a leftover of a process before it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # someone else's process
        return True
    return True


def _claim(spare: Path, out_dir: Path) -> Path | None:
    """The spare site, renamed to a name of this build's own so that no concurrent
    build can touch it; an empty folder there if there is no spare; None if the cache
    folder cannot be written or is on another file system than ``out_dir``."""
    try:
        spare.parent.mkdir(parents=True, exist_ok=True)
        if spare.parent.stat().st_dev != out_dir.parent.stat().st_dev:
            return None
        mine = spare.with_name(f"{spare.name}.work-{os.getpid()}-{os.urandom(4).hex()}")
        try:
            spare.rename(mine)
        except FileNotFoundError:  # none yet, or another build has it
            mine.mkdir()
        return mine
    except OSError:
        return None


def _keep_or_remove(site: Path, spare: Path) -> None:
    """Make ``site`` the spare if it can be (it is in the cache and there is none yet)."""
    if site.parent == spare.parent:
        try:
            site.rename(spare)
            return
        except OSError:  # another build left one first
            pass
    shutil.rmtree(site, ignore_errors=True)
