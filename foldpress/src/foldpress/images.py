"""Local images: their sizes, written into ``<img>`` tags, and page bundles.

An ``<img>`` with ``width`` and ``height`` has its box before the image loads, so the
text below it does not jump (no layout shift); the stylesheet's ``height: auto`` keeps
the ratio when the image is scaled down. Sizes are read from the files' headers: Pillow
for raster images (it reads the header only), and the ``width``/``height`` or
``viewBox`` of an SVG. Images below the first few are ``loading="lazy"``.

A page bundle is a post kept as ``posts/SLUG/index.md`` with its images beside it; they
are published in the post's own folder, so ``![](diagram.png)`` works in the editor and
on the site alike.
"""

from __future__ import annotations

import html
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from foldpress.model import Post

_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_SRC = re.compile(r'\ssrc="([^"]*)"')
_HAS_SIZE = re.compile(r"\s(?:width|height)\s*=", re.IGNORECASE)
_HAS_LOADING = re.compile(r"\sloading\s*=", re.IGNORECASE)
_SVG_LENGTH = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(px)?\s*$")
BUNDLE_FILE = "index.md"


def bundle_files(post: Post) -> dict[str, Path]:
    """A page bundle's files by their site paths in the post's folder (none if the post
    is not ``SLUG/index.md``). Markdown files and folders are not the post's."""
    folder = post.source.parent
    if post.source.name != BUNDLE_FILE:
        return {}
    prefix = post.url.lstrip("/") if post.url.endswith("/") else post.url.rpartition("/")[0]
    return {
        f"{prefix.rstrip('/')}/{path.name}": path
        for path in sorted(folder.iterdir())
        if path.is_file()
        and path.suffix.lower() not in (".md", ".markdown", ".mdown")
        and not path.name.startswith(".")
    }


class ImageSizes:
    """The sizes of a site's images, by site path, read from the files on first use."""

    def __init__(self, files: Mapping[str, Path | bytes]) -> None:
        self.files = files  # site path without its leading "/" -> the file it is, or its bytes
        self._sizes: dict[str, tuple[int, int] | None] = {}

    def size(self, site_path: str) -> tuple[int, int] | None:
        """``(width, height)`` of the image at ``site_path``; None if unknown or unreadable."""
        key = site_path.lstrip("/")
        if key not in self._sizes:
            path = self.files.get(key)
            self._sizes[key] = read_size(path) if path is not None else None
        return self._sizes[key]

    # What it is: the site's images and their sizes, all of them (rather than those
    # read so far), so that pages keyed by it are keyed the same in every build.
    def __getstate__(self) -> dict[str, object]:
        return {"files": self.files, "sizes": [self.size(path) for path in sorted(self.files)]}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__init__(state["files"])  # type: ignore[misc]

    def sized(self, body: str, page_url: str, eager: int = 1, elsewhere: bool = False) -> str:
        """``body`` (of the page at ``page_url``) with the width and height of each local
        image it shows, and every image after the first ``eager`` loaded lazily. With
        ``elsewhere`` (an intro on a listing), relative sources become site paths, so that
        a page bundle's ``view.png`` still shows."""
        if "<img" not in body:
            return body
        count = 0

        def tag(match: re.Match[str]) -> str:
            nonlocal count
            count += 1
            old = match.group()
            extra = ""
            src = _SRC.search(old)
            path = _site_path(html.unescape(src.group(1)), page_url) if src else None
            if path and src and elsewhere and not src.group(1).startswith("/"):
                old = old.replace(src.group(), f' src="{html.escape(path)}"', 1)
            if path and not _HAS_SIZE.search(old):
                size = self.size(path)
                if size:
                    extra += f' width="{size[0]}" height="{size[1]}"'
            if count > eager and not _HAS_LOADING.search(old):
                extra += ' loading="lazy"'
            if not extra:
                return old
            end = -2 if old.endswith("/>") else -1
            return old[:end].rstrip() + extra + (" />" if end == -2 else ">")

        return _IMG.sub(tag, body)


def _sources(body: str, page_url: str) -> list[str]:
    return [
        _site_path(html.unescape(m.group(1)), page_url) or ""
        for tag in _IMG.findall(body)
        if (m := _SRC.search(tag))
    ]


def _site_path(src: str, page_url: str) -> str | None:
    """The site path of a local image's ``src`` on the page at ``page_url``."""
    parts = urlsplit(src)
    if parts.scheme or parts.netloc:
        return None
    return unquote(urlsplit(urljoin(page_url, src)).path)


def read_size(path: Path | bytes) -> tuple[int, int] | None:
    """An image file's ``(width, height)`` in CSS pixels (or those of the image in
    ``path``'s bytes), or None if it has none."""
    is_svg = path.lstrip()[:1] == b"<" if isinstance(path, bytes) else path.suffix.lower() == ".svg"
    source = io.BytesIO(path) if isinstance(path, bytes) else path
    if is_svg:
        return _svg_size(source)
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(source) as image:  # reads the header, not the pixels
            return image.size
    except (OSError, UnidentifiedImageError, ValueError):
        return None


def _svg_size(path: Path | io.BytesIO) -> tuple[int, int] | None:
    """An SVG's ``width`` and ``height`` in pixels, else its ``viewBox``'s."""
    try:
        root = next(ET.iterparse(path, events=("start",)))[1]
    except (ET.ParseError, OSError, StopIteration):
        return None
    width, height = (_SVG_LENGTH.match(root.get(a, "")) for a in ("width", "height"))
    if width and height:
        return round(float(width.group(1))), round(float(height.group(1)))
    box = root.get("viewBox", "").replace(",", " ").split()
    try:
        w, h = float(box[2]), float(box[3])
    except (IndexError, ValueError):
        return None
    if width:  # one given: the other follows the box's ratio
        return round(float(width.group(1))), round(float(width.group(1)) * h / w)
    return (round(w), round(h)) if w > 0 and h > 0 else None
