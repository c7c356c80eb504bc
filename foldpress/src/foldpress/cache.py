"""The build cache in ``SITE/.foldpress-cache/``: what the previous build read and wrote.

Everything in it is keyed by digests of content, never by file times. A post whose
bytes and settings are unchanged is taken from here instead of being rendered again; an
output file whose key (a digest of all it shows) is unchanged is linked from the
previous site instead of being rendered and written again.

The cache is data only, in MessagePack (:mod:`foldpress.serial`): a site folder from
someone else, cache and all, cannot run code when built. It is valid only for the exact
engine that wrote it: its version is a digest of foldpress's own code and templates and
of the versions of the libraries that shape the output, so editing the renderer makes
every page again. A cache that cannot be read is ignored with a warning, a missing or
outdated one silently; it is replaced atomically, so deleting it at any time is safe.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import msgpack

from foldpress.errors import ContentWarning

CACHE_DIR = ".foldpress-cache"
PREVIEW_DIR = CACHE_DIR + "/preview"  # what `foldpress serve` builds and serves
_FILE = "build.msgpack"
_OLD_FILES = ("build.pickle",)  # written by earlier versions; never read
_MAGIC = "foldpress build cache"
OutputRecord = tuple[bytes, int, int, int]  # key, and the file's size, mtime_ns and inode
# A file changed this recently may change again within one tick of the file system's
# clock and keep its size: its mark (below) does not yet tell that it is unchanged.
SETTLED_NS = 2_000_000_000


def file_mark(info: os.stat_result) -> tuple[int, int, int]:
    """What tells a file changed without reading it: its size, mtime_ns and inode."""
    return info.st_size, info.st_mtime_ns, info.st_ino


def digest(*parts: object) -> bytes:
    """A 128-bit digest of plain data (strings, bytes, numbers, tuples, lists, dates)."""
    # pickle.dumps only writes here: it is a fast, exact encoding of plain values.
    return hashlib.blake2b(pickle.dumps(parts, protocol=5), digest_size=16).digest()


@functools.cache
def engine_version() -> bytes:
    """A digest of everything output depends on besides the inputs: foldpress's own
    code, templates and assets, and the versions of Python and the libraries it uses."""
    import jinja2
    import latex2mathml
    import pygments
    import pyromark

    libraries = [lib.__version__ for lib in (jinja2, latex2mathml, pygments, pyromark)]
    return digest(code_digest(Path(__file__).parent), sys.version_info[:2], libraries)


def code_digest(package: Path) -> bytes:
    """A digest of every file in ``package`` (code, templates, assets) and its name."""
    hashed = hashlib.blake2b(digest_size=16)
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            hashed.update(path.relative_to(package).as_posix().encode() + b"\0")
            hashed.update(path.read_bytes() + b"\0")
    return hashed.digest()


@dataclass
class BuildCache:
    """Rendered sources by input key, and the previous build's output files by path."""

    version: bytes = b""
    # digest of (kind, path in the site, bytes, settings) -> the Post or Page, stored
    # with serial.dumps (paths relative to the site)
    sources: dict[bytes, bytes] = field(default_factory=dict)
    out_dir: str = ""  # the resolved folder ``outputs`` describes
    outputs: dict[str, OutputRecord] = field(default_factory=dict)
    # What each template page read: (object name, attribute) pairs (see foldpress.keys)
    reads: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    # Why the cache on disk was not used, when it was there but could not be read.
    problem: ContentWarning | None = None

    @classmethod
    def load(cls, folder: Path) -> BuildCache:
        """The cache in ``folder``, or an empty one if it cannot be used."""
        version = engine_version()
        path = folder / _FILE
        try:
            with open(path, "rb") as f:
                return _read(f, version) or cls(version)  # None: another version's
        except FileNotFoundError:
            return cls(version)
        except OSError as error:
            return cls(version, problem=_ignored(path, error.strerror or str(error)))
        except Exception as error:  # msgpack's errors, and what _read finds wrong
            return cls(version, problem=_ignored(path, f"{type(error).__name__}: {error}"))

    def save(self, folder: Path) -> None:
        """Write the cache to ``folder`` atomically: readers see the old or the new one."""
        folder.mkdir(exist_ok=True)
        ignore = folder / ".gitignore"
        if not ignore.exists():
            ignore.write_text("# foldpress's build cache: safe to delete, never to commit\n*\n")
        for name in _OLD_FILES:
            (folder / name).unlink(missing_ok=True)
        fd, temp = tempfile.mkstemp(prefix=_FILE + ".", dir=folder)
        try:
            with os.fdopen(fd, "wb") as f:
                _write(f, self)
            os.replace(temp, folder / _FILE)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise


# The file is a sequence of MessagePack values, written and read one by one so that
# neither side holds a second copy of the whole cache: the magic string, the engine
# version, the output folder, the output records, what the pages read, then the number
# of sources and each source's key and stored form (see foldpress.serial; read only
# when used).


def _write(f: BinaryIO, cache: BuildCache) -> None:
    pack = msgpack.Packer(use_bin_type=True).pack
    f.write(pack(_MAGIC) + pack(cache.version) + pack(cache.out_dir))
    f.write(pack({path: list(record) for path, record in cache.outputs.items()}))
    f.write(pack(_shared_reads(cache.reads)))
    f.write(pack(len(cache.sources)))
    items = list(cache.sources.items())
    for start in range(0, len(items), 1000):  # a few MB at a time
        f.write(b"".join(pack(part) for item in items[start : start + 1000] for part in item))


def _read(f: BinaryIO, version: bytes) -> BuildCache | None:
    """The cache in ``f``; None if another version of foldpress wrote it; raises
    ValueError if it is not a cache, and msgpack's errors if it is damaged."""
    unpacker = msgpack.Unpacker(f, raw=False, strict_map_key=False)
    if unpacker.unpack() != _MAGIC:
        raise ValueError("not a foldpress build cache")
    if unpacker.unpack() != version:
        return None
    out_dir, outputs = unpacker.unpack(), unpacker.unpack()
    if type(out_dir) is not str or type(outputs) is not dict:
        raise ValueError("bad output records")
    records: dict[str, OutputRecord] = {}
    for path, record in outputs.items():
        if type(path) is not str or type(record) is not list or len(record) != 4:
            raise ValueError("bad output record")
        if type(record[0]) is not bytes or not all(type(n) is int for n in record[1:]):
            raise ValueError("bad output record")
        records[path] = (record[0], record[1], record[2], record[3])
    reads = _reads(unpacker.unpack())
    count = unpacker.unpack()
    if type(count) is not int:
        raise ValueError("bad source count")
    sources = {}
    for _ in range(count):
        key, stored = unpacker.unpack(), unpacker.unpack()
        if type(key) is not bytes or type(stored) is not bytes:
            raise ValueError("bad source entry")
        sources[key] = stored
    return BuildCache(version, sources, out_dir, records, reads)


# Pages read the same objects and attributes over and over: each name and attribute is
# stored once, and a page's reads as a list of numbers, two per read.


def _shared_reads(reads: dict[str, list[tuple[tuple[str, ...], str]]]) -> list:
    names: dict[tuple[str, ...], int] = {}
    attributes: dict[str, int] = {}
    pages = {}
    for path, page_reads in reads.items():
        numbers = []
        for name, attribute in page_reads:
            numbers.append(names.setdefault(name, len(names)))
            numbers.append(attributes.setdefault(attribute, len(attributes)))
        pages[path] = numbers
    return [list(names), list(attributes), pages]


def _reads(stored: object) -> dict[str, list[tuple[tuple[str, ...], str]]]:
    if type(stored) is not list or len(stored) != 3:
        raise ValueError("bad reads")
    names = [tuple(name) for name in stored[0]]
    attributes, pages = stored[1], stored[2]
    if not all(type(a) is str for a in attributes) or type(pages) is not dict:
        raise ValueError("bad reads")
    reads = {}
    for path, numbers in pages.items():
        it = iter(numbers)
        reads[path] = [(names[n], attributes[a]) for n, a in zip(it, it, strict=True)]
    return reads


def _ignored(path: Path, why: str) -> ContentWarning:
    return ContentWarning(path, None, f"build cache ignored and rebuilt: cannot read it ({why})")
