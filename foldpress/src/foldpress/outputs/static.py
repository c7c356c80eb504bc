"""Static files: the site's ``static/`` folder copied as is to the site root (as Hugo
does: ``static/images/a.svg`` is ``/images/a.svg``), and the theme's assets at /theme/."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2

from foldpress.errors import BuildError, ContentError
from foldpress.markdown import pygments_css
from foldpress.model import SiteIndex
from foldpress.theme import THEME_DIR


def write(index: SiteIndex, out_dir: Path, env: jinja2.Environment) -> None:
    """Copy the theme's CSS with the code-highlighting styles, then ``static/``."""
    shutil.copytree(THEME_DIR / "static", out_dir / "theme", dirs_exist_ok=True)
    (out_dir / "theme" / "pygments.css").write_text(pygments_css(), encoding="utf-8")
    static = index.site_dir / "static" if index.site_dir else None
    if not static or not static.is_dir():
        return
    clashes = [
        ContentError(path, None, f"would overwrite the generated /{path.relative_to(static)}")
        for path in static.rglob("*")
        if path.is_file() and (out_dir / path.relative_to(static)).exists()
    ]
    if clashes:
        raise BuildError(clashes)
    shutil.copytree(static, out_dir, dirs_exist_ok=True)
