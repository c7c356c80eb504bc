"""The folder a build writes into, taking unchanged files from the previous build.

Writers give each file as the way to make it: a function and what it is made from, or a
template page (see :mod:`foldpress.keys`, which derives each file's key from that). When
the previous build wrote the same path under the same key, and its file is still exactly
as that build left it (same inode, size and modification time), the file is
hard-linked from the previous site and never rendered; otherwise it is rendered and
written. :meth:`OutputFolder.prune` then removes whatever else the folder held, so it
ends up byte for byte what a clean build makes.

Every writer puts its files here, so this is where two of them wanting one address is
found: a second file at a taken path, or a file where another's folder is (``/docs``
and ``/docs/index.html``), is not written but noted in :attr:`OutputFolder.clashes`,
an error naming both sources, which fails the build before anything is written.

The folder need not start empty: a build fills the site from two builds ago (kept as
a spare, see ``build.py``), whose directories already exist and whose unchanged files
are often already links to the current ones, so an unchanged site costs a ``stat`` per
file instead of creating and deleting thousands of directories.
"""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from foldpress.cache import OutputRecord, file_mark
from foldpress.errors import ContentError, ContentWarning
from foldpress.keys import Keys, Read, TemplatePage
from foldpress.parallel import run_tasks, workers

Render = Callable[[], str | bytes] | TemplatePage

_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


class OutputFolder:
    """Files under ``root``, reused from ``previous`` where ``records`` say they are current.

    ``keys`` derives each file's key (its salt: a digest of the settings, templates and
    engine version that every output depends on); ``reads`` are what the previous
    build's template pages read. ``on_file(reused)`` is called per file.
    With ``defer``, files to render are only noted, and :meth:`finish` renders them,
    in worker processes when there are many. ``trusted`` says that ``records`` describe
    ``previous`` as it is (a build kept them in memory, and nothing else writes there):
    an unchanged file is left there unchecked, and :meth:`move_into` puts the new ones
    beside it.
    """

    def __init__(
        self,
        root: Path,
        *,
        previous: Path | None = None,
        records: dict[str, OutputRecord] | None = None,
        keys: Keys | None = None,
        reads: dict[str, list[Read]] | None = None,
        on_file: Callable[[bool], None] | None = None,
        defer: bool = False,
        trusted: bool = False,
    ) -> None:
        self.root = Path(root)
        self.previous = previous
        # Plain strings: thousands of pathlib joins per build add up.
        self._root = str(self.root) + os.sep
        self._previous = None if previous is None else str(previous) + os.sep
        self.old_records = records or {}
        self.records: dict[str, OutputRecord] = {}
        self.keys = keys or Keys(None)
        self.old_reads = reads or {}
        self.reads: dict[str, list[Read]] = {}  # what each template page of this build read
        self.on_file = on_file
        self.defer = defer
        self.trusted = trusted
        # path: (key, or None when not derived yet; how to make the file)
        self.pending: dict[str, tuple[bytes | None, Render]] = {}
        self.wrote: list[str] = []  # the paths of the files this build wrote
        self.clashes: list[ContentError] = []
        self.warnings: list[ContentWarning] = []  # writers' own, e.g. a static file skipped
        self._sources: dict[str, Path | None] = {}  # path: its source file; None: generated
        self._folders: dict[str, str] = {"": ""}  # folders with files of this build: one
        self._made: set[str] = {""}  # folders this process knows exist on disk
        self._started_empty = _is_empty(self.root)

    @classmethod
    def of(cls, out: Path | OutputFolder) -> OutputFolder:
        """``out`` itself, or a folder that writes every file under the path ``out``."""
        return out if isinstance(out, OutputFolder) else cls(Path(out))

    def __truediv__(self, path: str) -> Path:
        """The path of ``path`` in the folder. Only files put there with :meth:`file`
        stay: :meth:`prune` removes the rest."""
        return self.root / path

    def __contains__(self, path: str) -> bool:
        """Whether this build has already put a file, or a folder of files, at ``path``."""
        return path in self._sources or path in self._folders

    def file(self, path: str, render: Render, source: Path | None = None) -> None:
        """Put the file at ``path`` (``/``-separated, relative): linked from the previous
        build when its key is unchanged, else made by ``render`` (text as UTF-8): a
        function of no arguments (a ``functools.partial`` or closure, whose values are
        its key) or a :class:`~foldpress.keys.TemplatePage`.

        ``source`` is the site's file it comes from (a post, a static file), None for
        what foldpress makes itself; if another file has the address, or is in the way,
        the clash is noted instead (see :attr:`clashes`).
        """
        taken = self._taken(path)
        if taken is not None:
            self.clashes.append(_clash(path, source, taken, self._sources[taken]))
            return
        self._sources[path] = source
        self._note_folder(path)
        old = self.old_records.get(path)
        # With no previous file to compare with, the key is derived where the file is
        # written, in a worker when there are many.
        key = self._key(path, render) if old else None
        if old and old[0] == key:
            record = old if self.trusted else self._reuse(path, old)
        else:
            record = None
        if record is not None:
            self.records[path] = record
            if isinstance(render, TemplatePage):
                self.reads[path] = self.old_reads[path]
            if self.on_file:
                self.on_file(True)
        elif self.defer:
            self.pending[path] = (key, render)
        else:
            self._write(path, key, render)

    @property
    def written(self) -> int:
        """How many files this build wrote."""
        return len(self.wrote)

    @property
    def reused(self) -> int:
        """How many files this build kept as the previous one left them."""
        return len(self.records) - len(self.wrote)

    @property
    def origins(self) -> dict[str, Path | None]:
        """The site's file that each output comes from; None for what foldpress makes."""
        return self._sources

    def keep_the_rest(self) -> None:
        """Take every file of the previous build that was not given to this one as it is
        (for a folder whose ``records`` are ``trusted``: see ``foldpress.update``)."""
        given = self.records.keys() | self.pending.keys()
        records, reads = self.old_records.copy(), self.old_reads.copy()  # copies in C
        for path in given:
            records.pop(path, None)
            reads.pop(path, None)
        records.update(self.records)
        reads.update(self.reads)
        self.records, self.reads = records, reads

    def _key(self, path: str, render: Render) -> bytes | None:
        if isinstance(render, TemplatePage):
            return self.keys.of_page(path, render, self.old_reads.get(path))
        return self.keys.of_call(path, render)

    def finish(self, jobs: int | None = None) -> None:
        """Render and write the deferred files, in ``jobs`` processes (default: see
        :func:`foldpress.parallel.workers`), then :meth:`prune`."""
        todo, self.pending = list(self.pending.items()), {}
        groups = _groups(todo)
        for records, reads, wrote in run_tasks(self._write_group, groups, workers(jobs, len(todo))):
            self.wrote += wrote
            self.records.update(records)
            self.reads.update(reads)
            if self.on_file:
                written = set(wrote)
                for path in records:
                    self.on_file(path not in written)
        if not self._started_empty:  # else there is nothing to prune
            self.prune()

    def _write_group(
        self, files: list, here: bool
    ) -> tuple[dict[str, OutputRecord], dict[str, list[Read]], list[str]]:
        """Write ``files``; in a worker, return the records of what it made, what its
        pages read, and which of them it wrote."""
        if not here:
            self.on_file, self.records, self.reads, self.wrote = None, {}, {}, []
        for path, (key, render) in files:
            self._write(path, key, render)
        return ({}, {}, []) if here else (self.records, self.reads, self.wrote)

    def _write(self, path: str, key: bytes | None, render: Render) -> None:
        content: str | bytes
        try:
            if isinstance(render, TemplatePage):
                content, reads = render.render(self.keys)
                key = self.keys.of_page(path, render, reads)
                if reads is not None:
                    self.reads[path] = reads
            else:
                content = render()
                key = key or self.keys.of_call(path, render)
        except Exception as error:
            # Template errors are reported at their template's line by the build; the
            # rest name the page's source, or the address, rather than show a traceback.
            if isinstance(error, ContentError) or type(error).__module__.startswith("jinja2"):
                raise
            where = self._sources.get(path) or Path(path)
            message = f"cannot make /{path}: {type(error).__name__}: {error} (a bug in foldpress)"
            raise ContentError(where, None, message) from error
        data = memoryview(content.encode() if isinstance(content, str) else content)
        if self._unchanged(path, data, key):
            return
        fd = self._create(path)
        try:
            while data:
                data = data[os.write(fd, data) :]
            # A page with no key (b"") is made again by every build.
            self.records[path] = _record(key or b"", os.fstat(fd))
        finally:
            os.close(fd)
        self.wrote.append(path)
        if self.on_file:
            self.on_file(False)

    def _unchanged(self, path: str, data: memoryview, key: bytes | None) -> bool:
        """Whether the previous build's file at ``path``, trusted to be as it left it,
        holds ``data`` already (a page made again that shows the same): it is then kept
        as it is, under the new key, and not written again (nor moved, nor its old
        copy freed: on a large site, a few megabytes of ``llms.txt`` each edit)."""
        old = self.old_records.get(path)
        if not (self.trusted and key and old and old[1] == len(data) and self._previous):
            return False
        try:
            with open(self._previous + path, "rb") as f:
                if f.read() != data:
                    return False
        except OSError:
            return False
        self.records[path] = (key, *old[1:])
        if self.on_file:
            self.on_file(True)
        return True

    def move_into(self, destination: Path) -> None:
        """Move the files this build wrote into ``destination``, which holds the
        previous build's (:attr:`old_records`), one rename each so that a reader there
        never sees half a file; remove the files there that this build did not make."""
        target = str(destination) + os.sep
        for path in self.old_records.keys() - self.records.keys():
            _remove(target + path)
            folder = path.rpartition("/")[0]
            while folder and folder not in self._folders:  # emptied: remove it too
                try:
                    os.rmdir(target + folder)
                except OSError:
                    break
                folder = folder.rpartition("/")[0]
        there = OutputFolder(destination)  # for making folders there
        for path in self.wrote:
            if self.old_records.get(path) != self.records[path]:
                there._make_folder(path.rpartition("/")[0])
                if os.path.isdir(target + path):
                    shutil.rmtree(target + path)  # an old folder where a file goes now
                os.replace(self._root + path, target + path)

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

    def _create(self, path: str) -> int:
        """A new, empty file at ``path``, open for writing; what was there is removed."""
        target = self._root + path
        if self._started_empty:  # no folder is there unless this process made it
            self._make_folder(path.rpartition("/")[0])
        try:
            return os.open(target, _NEW_FILE, 0o666)
        except FileExistsError:  # it may be a link to a file of the live site
            _remove(target)
        except (FileNotFoundError, NotADirectoryError):
            self._make_folder(path.rpartition("/")[0])
        return os.open(target, _NEW_FILE, 0o666)

    def _taken(self, path: str) -> str | None:
        """The file of this build that ``path`` clashes with: one at ``path``, one
        inside a folder at ``path``, or one at a folder that ``path`` would be in."""
        if path in self._sources:
            return path
        if path in self._folders:
            return self._folders[path]
        folder = path.rpartition("/")[0]
        while folder not in self._folders:  # known folders' parents were checked
            if folder in self._sources:
                return folder
            folder = folder.rpartition("/")[0]
        return None

    def _note_folder(self, path: str) -> None:
        folder = path.rpartition("/")[0]
        while folder not in self._folders:  # "" (the root) always is
            self._folders[folder] = path
            folder = folder.rpartition("/")[0]

    def _make_folder(self, folder: str) -> None:
        """Make ``folder`` and its parents, removing any file in their way."""
        if folder in self._made:
            return
        target = self._root + folder
        try:
            try:
                os.mkdir(target)  # its parent is usually there: one call, not makedirs'
            except FileNotFoundError:
                os.makedirs(target, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            if not os.path.isdir(target):  # a file where a folder goes
                self._clear_way(folder)
                os.makedirs(target, exist_ok=True)
        self._made.add(folder)

    def _clear_way(self, folder: str) -> None:
        """Remove the file at ``folder`` or at the first of its parents that is one: a
        file of an earlier build where this build puts a folder."""
        parts = folder.split("/")
        for end in range(1, len(parts) + 1):
            target = self._root + "/".join(parts[:end])
            if os.path.lexists(target) and not os.path.isdir(target):
                os.unlink(target)
                return

    def _reuse(self, path: str, old: OutputRecord) -> OutputRecord | None:
        """The record of ``path`` if the previous build's file is untouched and now also
        in this folder (it often is already: a link made by an earlier build)."""
        target = self._root + path
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
            self._make_folder(path.rpartition("/")[0])
            _remove(target)
            os.link(source, target)
        except FileNotFoundError:
            return None
        except OSError:  # a file system without hard links
            shutil.copyfile(source, target)
            return _record(old[0], os.stat(target))
        return old


def _clash(path: str, source: Path | None, taken: str, taken_source: Path | None) -> ContentError:
    """The error for ``path`` from ``source`` clashing with the file at ``taken``: at the
    site's file if either is one, naming the other."""
    if taken == path:
        how = f"/{path} is also written by"
    elif taken.startswith(path + "/"):
        how = f"/{path} is in the way of /{taken}, written by"
    else:
        how = f"/{path} cannot be written: /{taken} is a file, written by"
    if source is not None:
        return ContentError(source, None, f"output {how} {_describe(taken_source)}")
    if taken_source is not None:  # the site's file took an address foldpress needs
        return ContentError(
            taken_source, None, f"output /{taken} clashes with foldpress's own /{path}"
        )
    return ContentError(Path(path), None, f"output {how} foldpress itself too")


def _describe(source: Path | None) -> str:
    return str(source) if source is not None else "foldpress itself"


def xml_bytes(root: ET.Element) -> bytes:
    """An XML file's bytes: indented, UTF-8, with a declaration."""
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _groups(todo: list) -> list[list]:
    """``todo`` in groups that one process writes each: a folder's files, so that no
    two processes make the same folder and the feeds of one folder (RSS and Atom, made
    from the same entries) are made by one. The files at the top, some of the largest
    (llms-full.txt, sitemap.xml), come first, one by one."""
    top = [[item] for item in todo if "/" not in item[0]]
    folders: dict[str, list] = {}
    for item in todo:
        if "/" in item[0]:
            folders.setdefault(item[0].rpartition("/")[0], []).append(item)
    return top + list(folders.values())


def _is_empty(folder: Path) -> bool:
    """Whether ``folder`` holds nothing (or is not there)."""
    if not folder.is_dir():
        return True
    with os.scandir(folder) as entries:
        return next(entries, None) is None


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
    return (key, *file_mark(stat))
