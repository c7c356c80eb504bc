"""The folder a build writes into, taking unchanged files from the previous build.

Writers name each file with a key: a digest of everything the file shows. When the
previous build wrote the same path under the same key, and its file is still exactly
as that build left it (same inode, size and modification time), the file is
hard-linked from the previous site and never rendered; otherwise it is rendered and
written. :meth:`OutputFolder.prune` then removes whatever else the folder held, so it
ends up byte for byte what a clean build makes.

The folder need not start empty: a build fills the site from two builds ago (kept as
a spare, see ``build.py``), whose directories already exist and whose unchanged files
are often already links to the current ones, so an unchanged site costs a ``stat`` per
file instead of creating and deleting thousands of directories.
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from foldpress.cache import OutputRecord, digest
from foldpress.parallel import workers


class OutputFolder:
    """Files under ``root``, reused from ``previous`` where ``records`` say they are current.

    ``salt`` is mixed into every key: a digest of the settings, templates and engine
    versions that every output depends on. ``on_file(reused)`` is called per file.
    With ``defer``, files to render are only noted, and :meth:`finish` renders them,
    in worker processes when there are many.
    """

    def __init__(
        self,
        root: Path,
        *,
        previous: Path | None = None,
        records: dict[str, OutputRecord] | None = None,
        salt: bytes = b"",
        on_file: Callable[[bool], None] | None = None,
        defer: bool = False,
    ) -> None:
        self.root = Path(root)
        self.previous = previous
        # Plain strings: thousands of pathlib joins per build add up.
        self._root = str(self.root) + os.sep
        self._previous = None if previous is None else str(previous) + os.sep
        self.old_records = records or {}
        self.records: dict[str, OutputRecord] = {}
        self.salt = salt
        self.on_file = on_file
        self.defer = defer
        self.pending: dict[str, tuple[bytes, Callable[[], str | bytes]]] = {}
        self.written = 0
        self.reused = 0
        self._folders: set[str] = {""}

    @classmethod
    def of(cls, out: Path | OutputFolder) -> OutputFolder:
        """``out`` itself, or a folder that writes every file under the path ``out``."""
        return out if isinstance(out, OutputFolder) else cls(Path(out))

    def __truediv__(self, path: str) -> Path:
        return self.root / path

    def __contains__(self, path: str) -> bool:
        """Whether this build has already put a file, or a folder of files, at ``path``."""
        return path in self.records or path in self.pending or path in self._folders

    def file(self, path: str, key: object, render: Callable[[], str | bytes]) -> None:
        """Put the file at ``path`` (``/``-separated, relative): linked from the previous
        build when its ``key`` is unchanged, else ``render()``-ed (text as UTF-8)."""
        full_key = digest(self.salt, path, key)
        target = self._target(path)
        old = self.old_records.get(path)
        record = self._reuse(path, target, old) if old and old[0] == full_key else None
        if record is not None:
            self.records[path] = record
            self.reused += 1
            if self.on_file:
                self.on_file(True)
        elif self.defer:
            self.pending[path] = (full_key, render)
        else:
            self._write(path, full_key, render)

    def finish(self, jobs: int | None = None) -> None:
        """Render and write the deferred files, in ``jobs`` processes (default: see
        :func:`foldpress.parallel.workers`), then :meth:`prune`."""
        todo, self.pending = list(self.pending.items()), {}
        count = workers(jobs, len(todo))
        children = [self._fork(todo[k::count]) for k in range(1, count)]
        try:
            for path, (key, render) in todo[::count]:
                self._write(path, key, render)
            while children:
                pid, reader, share = children.pop()
                records = _collect(pid, reader)
                if records is None:  # it failed: redo its share here, to raise its error here
                    for path, (key, render) in share:
                        self._write(path, key, render)
                    continue
                self.records.update(records)
                self.written += len(records)
                for _ in records if self.on_file else ():
                    self.on_file(False)
        finally:
            for pid, reader, _ in children:  # left when this process failed
                os.kill(pid, signal.SIGTERM)
                _collect(pid, reader)
        self.prune()

    def _fork(self, share: list) -> tuple[int, int, list]:
        """A worker process that writes ``share`` and sends back its records, pickled."""
        reader, writer = os.pipe()
        pid = os.fork()
        if pid:
            os.close(writer)
            return pid, reader, share
        status = 1
        try:
            os.close(reader)
            self.on_file, self.records = None, {}
            for path, (key, render) in share:
                self._write(path, key, render)
            with os.fdopen(writer, "wb") as f:
                f.write(pickle.dumps(self.records, protocol=5))
            status = 0
        finally:
            os._exit(status)  # never run the parent's cleanup code

    def _write(self, path: str, key: bytes, render: Callable[[], str | bytes]) -> None:
        content = render()
        target = self._root + path
        _remove(target)  # it may be a link to a file of the live site
        with open(target, "xb") as f:
            f.write(content.encode() if isinstance(content, str) else content)
            f.flush()
            self.records[path] = _record(key, os.fstat(f.fileno()))
        self.written += 1
        if self.on_file:
            self.on_file(False)

    def prune(self) -> None:
        """Remove every file and folder under ``root`` that this build did not put there."""
        self._prune(str(self.root), "")

    def _prune(self, folder: str, prefix: str) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                path = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if path in self._folders:  # it holds a file of this build
                        self._prune(entry.path, path + "/")
                    else:
                        shutil.rmtree(entry.path)
                elif path not in self.records:
                    os.unlink(entry.path)

    def _target(self, path: str) -> str:
        folder, _, _ = path.rpartition("/")
        if folder not in self._folders:
            try:
                os.makedirs(self.root / folder, exist_ok=True)
            except (FileExistsError, NotADirectoryError):  # a file where a folder goes
                self._clear_way(folder)
            parts = folder.split("/")
            self._folders.update("/".join(parts[:i]) for i in range(1, len(parts) + 1))
        return self._root + path

    def _clear_way(self, folder: str) -> None:
        parts = folder.split("/")
        for i in range(1, len(parts) + 1):
            step = self.root.joinpath(*parts[:i])
            if step.is_file() or step.is_symlink():
                step.unlink()
        os.makedirs(self.root / folder, exist_ok=True)

    def _reuse(self, path: str, target: str, old: OutputRecord) -> OutputRecord | None:
        """The record of ``path`` if the previous build's file is untouched and now also
        at ``target`` (it often is already: a link made by an earlier build)."""
        try:
            if _record(old[0], os.stat(target)) == old:
                return old
        except OSError:
            pass
        if self._previous is None:
            return None
        source = self._previous + path
        try:
            if _record(old[0], os.stat(source)) != old:
                return None  # changed by hand since: make it again
            _remove(target)
            os.link(source, target)
        except FileNotFoundError:
            return None
        except OSError:  # a file system without hard links
            shutil.copyfile(source, target)
            return _record(old[0], os.stat(target))
        return old


def xml_bytes(root: ET.Element) -> bytes:
    """An XML file's bytes: indented, UTF-8, with a declaration."""
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _collect(pid: int, reader: int) -> dict[str, OutputRecord] | None:
    """What a worker from :meth:`OutputFolder._fork` wrote, or None if it failed."""
    with os.fdopen(reader, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    return pickle.loads(data) if status == 0 and data else None


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:
        if not os.path.isdir(path):
            raise
        shutil.rmtree(path)


def _record(key: bytes, stat: os.stat_result) -> OutputRecord:
    return (key, stat.st_size, stat.st_mtime_ns, stat.st_ino)
