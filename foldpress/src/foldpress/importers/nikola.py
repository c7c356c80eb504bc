"""Nikola sites (https://getnikola.com/): ``conf.py``, whose ``POSTS`` and ``PAGES`` say
which files are posts and pages and where they are published.

``conf.py`` is Python, and is never run: its simple assignments are read as Pelican's
settings are (``ast.literal_eval``). Markdown posts keep their metadata in a leading
``<!-- .. key: value -->`` comment or a ``.meta`` file beside them; Jupyter notebook
posts in the notebook metadata's ``nikola`` key or a ``.meta`` (or ``.ipynb.meta``)
file. Notebooks become notebook posts (see :mod:`foldpress.notebook`), and are also
kept where Nikola published their source (``/blog/SLUG/index.ipynb``), so that a
link to it still works. ``<!-- TEASER_END -->`` is the fold. Addresses follow
``PRETTY_URLS``; ``files/`` and ``images/`` are the static files. reST and HTML
posts, and translations (``post.es.md``), are listed as skipped.
"""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Any

import nbformat

from foldpress.importers._kramdown import _code_lines
from foldpress.importers._shared import Content, OldSite, Report, old_address, usable_settings
from foldpress.importers.pelican import read_settings

CONFIG_FILES = ("conf.py",)
_META_LINE = re.compile(r"^\.\.\s+([\w-]+):\s?(.*)$")
_TEASER = re.compile(r"<!--\s*TEASER_END\s*-->")
_UTC = re.compile(r"\s*UTC\s*([+-]\d\d:?\d\d)?$")
_TRANSLATION = re.compile(r"\.([a-z]{2}(?:_[A-Z]{2})?)$")  # post.es.md: stem "post.es"
# Nikola's keys foldpress has, and its own that say nothing to a reader.
_KEYS = {"description": "summary", "updated": "updated"}
_DROPPED = {"type", "link", "category", "has_math", "previewimage", "nocomments", "status"}


def read_site(src: Path, report: Report) -> OldSite:
    """Read the Nikola site in ``src``."""
    conf = src / "conf.py"
    config: dict[str, Any] = read_settings(conf, report)
    base = str(config.get("BASE_URL") or config.get("SITE_URL") or "")
    settings = usable_settings(
        {
            "title": config.get("BLOG_TITLE"),
            "description": config.get("BLOG_DESCRIPTION"),
            "author": config.get("BLOG_AUTHOR"),
            "base_url": base.rstrip("/") + "/" if base else None,
            "timezone": config.get("TIMEZONE"),
            "language": config.get("DEFAULT_LANG"),
        },
        report,
        conf,
    )
    site = OldSite(settings)
    pretty = config.get("PRETTY_URLS", True) is not False
    for kind, key in (("post", "POSTS"), ("page", "PAGES")):
        for entry in config.get(key) or ():
            if not isinstance(entry, list | tuple) or len(entry) < 2:
                continue
            pattern, destination = str(entry[0]), str(entry[1]).strip("/")
            for path in sorted(src.glob(pattern)):
                item = _content(src, path, kind, destination, pretty, report)
                if item is not None:
                    site.content.append(item)
                    if item.notebook is not None:  # Nikola published its source beside it
                        site.static[item.address.strip("/") + "/index.ipynb"] = path
    for folder, prefix in (("files", ""), ("images", "images/")):
        top = src / folder
        for path in sorted(top.rglob("*")) if top.is_dir() else []:
            if path.is_file() and not any(p.startswith(".") for p in path.parts):
                site.static[prefix + path.relative_to(top).as_posix()] = path
    read = {"files", "images"}
    for entry in [*(config.get("POSTS") or ()), *(config.get("PAGES") or ())]:
        if isinstance(entry, list | tuple) and entry:
            read.add(PurePosixPath(str(entry[0])).parent.as_posix())
    site.engine_files = partial(_engine_file, read)
    return site


def _engine_file(read: set[str], relative: PurePosixPath) -> str | None:
    """Why Nikola does not publish the file at ``relative`` (in the old site), or None."""
    if relative.suffix == ".meta":
        return "Nikola's metadata of the post beside it, read with it"
    if "." in read or any(relative.is_relative_to(folder) for folder in read):
        return None
    return "in none of POSTS, PAGES, files/ or images/: Nikola's settings, themes or plugins"


def _content(
    src: Path, path: Path, kind: str, destination: str, pretty: bool, report: Report
) -> Content | None:
    suffix = path.suffix.lower()
    translation = _TRANSLATION.search(path.stem)
    if translation:
        report.skip(path, f"a translation ({translation.group(1)}): not imported")
        return None
    if suffix not in (".md", ".markdown", ".ipynb"):
        report.skip(path, f"a {suffix} {kind} cannot be converted: not imported")
        return None
    text = path.read_text(encoding="utf-8")
    notebook = _notebook(path, text, report) if suffix == ".ipynb" else None
    if suffix == ".ipynb" and notebook is None:
        return None
    sidecar = next(
        (m for m in (path.with_suffix(".meta"), Path(f"{path}.meta")) if m.is_file()), None
    )
    if sidecar is not None:
        meta = _meta_lines(sidecar.read_text(encoding="utf-8"))
    elif notebook is not None:
        meta = {
            str(k): str(v) for k, v in (notebook.get("metadata", {}).get("nikola") or {}).items()
        }
    else:
        meta, text = _comment_meta(text)
    front = _front(meta)
    if "title" not in front or (kind == "post" and "date" not in front):
        report.skip(path, "no title or date in its Nikola metadata: not imported")
        return None
    slug = str(front.get("slug") or path.stem)
    folder = f"/{destination}/" if destination else "/"
    address = old_address(f"{folder}{slug}/" if pretty else f"{folder}{slug}.html")
    if address is None:
        report.skip(path, f"its address {folder}{slug} is not one foldpress can give it")
        return None
    name = str(path.relative_to(src / path.relative_to(src).parts[0]).with_suffix(".md"))
    item = Content("post" if kind == "post" else "page", path, name, front, "", address)
    if notebook is None:
        whole = path.read_text(encoding="utf-8")  # the body is its end, after the metadata
        first_line = whole[: len(whole) - len(text)].count("\n") + 1
        body = _TEASER.sub("<!--more-->", text)
        item.body = _shortcodes_as_text(body, path, first_line, report)
        return item
    notebook.metadata.pop("nikola", None)  # said in the front matter now
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = _TEASER.sub("<!--more-->", cell.source)
    written: dict[str, Any] = json.loads(nbformat.writes(notebook))
    front_cell: dict[str, Any] = {"cell_type": "raw", "metadata": {}, "source": ""}
    if written["nbformat_minor"] >= 5:
        front_cell["id"] = "front-matter"
    written["cells"] = [front_cell, *written["cells"]]
    item.notebook = written
    item.name = str(Path(name).with_suffix(".ipynb"))
    return item


# A Nikola shortcode, {{% name args %}} (https://getnikola.com/handbook.html#shortcodes):
# its templates and plugins are Nikola's own code, so it is shown as it was written.
_NIKOLA_SHORTCODE = re.compile(r"\{\{%\s*(?!/\*)(?P<call>/?[\w-].*?)\s*%\}\}")


def _shortcodes_as_text(body: str, path: Path, first_line: int, report: Report) -> str:
    """``body`` with each Nikola shortcode outside code written ``{{%/* ... */%}}``,
    which foldpress shows as the call itself, and reported at its line."""
    lines = body.split("\n")
    code = _code_lines(lines)
    for number, line in enumerate(lines):
        if number in code or "{{%" not in line:
            continue
        for match in _NIKOLA_SHORTCODE.finditer(line):
            what = f"Nikola shortcode {match.group()} not converted: shown as text"
            report.note(path, first_line + number, what)
        lines[number] = _NIKOLA_SHORTCODE.sub(r"{{%/* \g<call> */%}}", line)
    return "\n".join(lines)


def _notebook(path: Path, text: str, report: Report) -> Any:
    """The notebook as nbformat 4 (an older one converted), or None, skipped."""
    try:
        return nbformat.reads(text, as_version=4)
    except Exception as error:  # JSON's or nbformat's own
        report.skip(path, f"not a readable notebook: {error}")
        return None


def _meta_lines(text: str) -> dict[str, str]:
    """Nikola's ``.. key: value`` lines."""
    return {
        m.group(1).lower(): m.group(2).strip()
        for m in map(_META_LINE.match, text.splitlines())
        if m
    }


def _comment_meta(text: str) -> tuple[dict[str, str], str]:
    """The metadata of a Markdown post's leading ``<!-- .. key: value -->`` comment, and
    the text after it."""
    stripped = text.lstrip("\ufeff")
    if stripped.lstrip().startswith("<!--"):
        end = stripped.find("-->")
        if end >= 0:
            return _meta_lines(stripped[:end]), stripped[end + 3 :].lstrip("\n")
    return {}, stripped


def _front(meta: dict[str, str]) -> dict[str, object]:
    """Nikola's metadata (text) as foldpress front matter."""
    front: dict[str, object] = {}
    for key, value in meta.items():
        value = str(value).strip()
        if not value or key in _DROPPED:
            continue
        if key == "tags":
            front["topics"] = [t.strip() for t in value.split(",") if t.strip()]
        elif key == "date":
            front["date"] = _UTC.sub(lambda m: m.group(1) or "+00:00", value)
        else:
            front[_KEYS.get(key, key)] = value
    category = meta.get("category", "").strip()
    if category:
        tags = [t.strip() for t in meta.get("tags", "").split(",") if t.strip()]
        front["topics"] = [category, *[t for t in tags if t != category]]
    if meta.get("status", "").strip().lower() in ("draft", "private"):
        front["draft"] = True
    return front
