"""Static files: the site's ``static/`` folder copied as is to the site root (as Hugo
does: ``static/images/a.svg`` is ``/images/a.svg``), the files of page bundles into
their posts' folders, and the theme's assets at /theme/.

A symbolic link in ``static/`` is followed only if it leads to somewhere inside the site
folder: one that leads out of it is skipped with a warning, so nothing outside the site
is ever published.
"""

from __future__ import annotations

import functools
import os
import time
from collections import OrderedDict
from pathlib import Path

import jinja2

from foldpress.cache import SETTLED_NS, file_mark
from foldpress.errors import ContentWarning
from foldpress.highlight import pygments_css
from foldpress.images import bundle_files
from foldpress.model import SiteIndex
from foldpress.notebook import published_files
from foldpress.outputs.folder import OutputFolder
from foldpress.theme import THEME_DIR, files_in


def write(index: SiteIndex, out: Path | OutputFolder, env: jinja2.Environment) -> None:
    """Copy the theme's CSS with the code-highlighting styles, the page bundles' files
    and notebooks' images, then ``static/``."""
    out = OutputFolder.of(out)
    for post in index.posts:
        for name, path in bundle_files(post).items():
            _copy(out, name, path, path)
        for name, file in published_files(post).items():  # a notebook's
            if isinstance(file, Path):
                _copy(out, name, file, post.source)
            else:
                out.file(name, functools.partial(bytes, file), post.source)
    for path in files_in(THEME_DIR / "static"):
        _copy(out, "theme/" + path.relative_to(THEME_DIR / "static").as_posix(), path, None)
    out.file("theme/pygments.css", pygments_css)  # the style is a setting, in every key
    if index.site_dir is None:
        return
    files, warnings = static_files(index.site_dir)
    out.warnings += warnings
    for name, path in files.items():
        _copy(out, name, path, path)


def static_files(site_dir: Path) -> tuple[dict[str, Path], list[ContentWarning]]:
    """Every file in ``SITE/static`` by its site path, in order, and a warning for each
    symbolic link skipped because it leads out of the site folder (or nowhere)."""
    static = site_dir / "static"
    site = site_dir.resolve()
    files: dict[str, Path] = {}
    warnings: list[ContentWarning] = []

    def walk(folder: Path, prefix: str, seen: frozenset[Path]) -> None:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
        for entry in entries:
            path = Path(entry.path)
            if entry.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(site) or not target.exists():
                    where = "outside the site folder" if target.exists() else "nowhere"
                    message = f"not published: a symbolic link to {where}"
                    warnings.append(ContentWarning(path, None, message))
                    continue
            if entry.is_dir():
                real = path.resolve()
                if real not in seen:  # else a link back up: a loop
                    walk(path, f"{prefix}{entry.name}/", seen | {real})
            elif entry.is_file():
                files[prefix + entry.name] = path

    if not static.is_dir():
        return files, warnings
    if static.resolve().is_relative_to(site):
        walk(static, "", frozenset({static.resolve()}))
    else:
        message = "not published: a symbolic link to outside the site folder"
        warnings.append(ContentWarning(static, None, message))
    return files, warnings


def _copy(out: OutputFolder, name: str, path: Path, source: Path | None) -> None:
    out.file(name, functools.partial(bytes, _contents(path)), source)


# A file's path -> its size, modification time and inode when read, and its bytes.
_READ: OrderedDict[str, tuple[tuple[int, int, int], bytes]] = OrderedDict()
_READ_SIZE = 20_000  # files remembered: the static folders of a large site, and more


def _contents(path: Path) -> bytes:
    """The bytes of ``path``: the same bytes object as before while the file is
    unchanged (its size, modification time and inode), so that a build kept in memory
    (``serve``) need neither read a site's images again nor digest them to tell their
    copies unchanged."""
    stat = os.stat(path)
    mark = file_mark(stat)
    found = _READ.get(str(path))
    if found is not None and found[0] == mark:
        _READ.move_to_end(str(path))
        return found[1]
    data = path.read_bytes()
    # A file changed in the last moments may change again within the clock's tick,
    # keeping its size and time: it is read again until it is older than that.
    if time.time_ns() - stat.st_mtime_ns > SETTLED_NS:
        _READ[str(path)] = (mark, data)
        if len(_READ) > _READ_SIZE:
            _READ.popitem(last=False)
    return data
