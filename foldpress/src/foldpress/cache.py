"""The build cache in ``SITE/.foldpress-cache/``: what the previous build read and wrote.

Everything in it is keyed by digests of content, never by file times. A post whose
bytes and settings are unchanged is taken from here instead of being rendered again; an
output file whose key (a digest of all it shows) is unchanged is linked from the
previous site instead of being rendered and written again.

The cache is a pickle (of digests, file records and pickled posts), which is safe
because only the user's own builds write it. Any problem loading it (missing, damaged,
written by another version) just means an empty cache, and it is replaced atomically,
so deleting it at any time is safe.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

CACHE_DIR = ".foldpress-cache"
_FILE = "build.pickle"
_FORMAT = 9  # bump whenever what is stored, or how any output is made from it, changes
OutputRecord = tuple[bytes, int, int, int]  # key, and the file's size, mtime_ns and inode


def digest(*parts: object) -> bytes:
    """A 128-bit digest of plain data (strings, bytes, numbers, tuples, lists, dates)."""
    return hashlib.blake2b(pickle.dumps(parts, protocol=5), digest_size=16).digest()


def engine_version() -> tuple[object, ...]:
    """Every version that output depends on besides the inputs."""
    import jinja2
    import latex2mathml
    import pygments
    import pyromark

    libraries = (jinja2, latex2mathml, pygments, pyromark)
    from foldpress import __version__ as ours

    return (_FORMAT, ours, sys.version_info[:2], *(lib.__version__ for lib in libraries))


@dataclass
class BuildCache:
    """Rendered sources by input key, and the previous build's output files by path."""

    version: tuple[object, ...] = ()
    # digest of (kind, path, bytes, settings) -> the rendered Post or Page, pickled
    sources: dict[bytes, bytes] = field(default_factory=dict)
    out_dir: str = ""  # the folder ``outputs`` describes
    outputs: dict[str, OutputRecord] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path) -> BuildCache:
        """The cache in ``folder``, or an empty one if it cannot be used."""
        version = engine_version()
        try:
            with open(folder / _FILE, "rb") as f:
                cache = pickle.load(f)
        except Exception:  # missing, truncated, or from code that no longer exists
            return cls(version)
        if not isinstance(cache, cls) or cache.version != version:
            return cls(version)
        return cache

    def save(self, folder: Path) -> None:
        """Write the cache to ``folder`` atomically: readers see the old or the new one."""
        folder.mkdir(exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# foldpress's build cache: safe to delete, never to commit\n*\n")
        fd, temp = tempfile.mkstemp(prefix=_FILE + ".", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(self, f, protocol=5)
            os.replace(temp, folder / _FILE)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
