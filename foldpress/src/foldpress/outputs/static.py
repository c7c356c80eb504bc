"""Static files: the site's ``static/`` folder at /static/, the theme's assets at /theme/."""

from __future__ import annotations

import shutil
from pathlib import Path

import jinja2

from foldpress.markdown import pygments_css
from foldpress.model import SiteIndex
from foldpress.theme import THEME_DIR


def write(index: SiteIndex, out_dir: Path, env: jinja2.Environment) -> None:
    """Copy ``static/`` as is, and the theme's CSS with the code-highlighting styles."""
    shutil.copytree(THEME_DIR / "static", out_dir / "theme", dirs_exist_ok=True)
    (out_dir / "theme" / "pygments.css").write_text(pygments_css(), encoding="utf-8")
    if index.site_dir and (index.site_dir / "static").is_dir():
        shutil.copytree(index.site_dir / "static", out_dir / "static", dirs_exist_ok=True)
