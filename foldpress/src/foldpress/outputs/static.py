"""Static files: the site's ``static/`` folder copied as is to the site root (as Hugo
does: ``static/images/a.svg`` is ``/images/a.svg``), the files of page bundles into
their posts' folders, and the theme's assets at /theme/."""

from __future__ import annotations

from pathlib import Path

import jinja2

from foldpress.cache import digest
from foldpress.errors import BuildError, ContentError
from foldpress.highlight import pygments_css
from foldpress.images import bundle_files
from foldpress.model import SiteIndex
from foldpress.outputs.folder import OutputFolder
from foldpress.theme import THEME_DIR, files_in


def write(index: SiteIndex, out: Path | OutputFolder, env: jinja2.Environment) -> None:
    """Copy the theme's CSS with the code-highlighting styles, the page bundles' files,
    then ``static/``."""
    out = OutputFolder.of(out)
    for post in index.posts:
        for name, path in bundle_files(post).items():
            _copy(out, name, path)
    for path in files_in(THEME_DIR / "static"):
        _copy(out, "theme/" + path.relative_to(THEME_DIR / "static").as_posix(), path)
    out.file("theme/pygments.css", "pygments", pygments_css)  # the style is in the salt
    static = index.site_dir / "static" if index.site_dir else None
    if not static or not static.is_dir():
        return
    files = {path.relative_to(static).as_posix(): path for path in files_in(static)}
    clashes = [
        ContentError(path, None, f"would overwrite the generated /{name}")
        for name, path in files.items()
        if name in out
    ]
    if clashes:
        raise BuildError(clashes)
    for name, path in files.items():
        _copy(out, name, path)


def _copy(out: OutputFolder, name: str, source: Path) -> None:
    data = source.read_bytes()
    out.file(name, digest(data), lambda: data)
