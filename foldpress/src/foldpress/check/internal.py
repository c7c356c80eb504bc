"""Links into the site, checked against a built output folder: the page or file must be
there, and so must the ``#anchor`` on it."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from foldpress.check.links import Link
from foldpress.errors import ContentError

# Whatever a fragment can land on: an element's id, or an old-style <a name>.
_ANCHOR = re.compile(r"""\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""")


def is_internal(url: str) -> bool:
    """Whether ``url`` points into the site: no scheme and no host of its own."""
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc


def check_internal(links: list[Link], out_dir: Path) -> list[ContentError]:
    """An error for each link to a page, file or anchor that ``out_dir`` does not have."""
    anchors: dict[Path, set[str]] = {}
    errors = []
    for link in links:
        if not is_internal(link.url):
            continue
        problem = _problem(link, out_dir, anchors)
        if problem:
            what = "image" if link.image else "link to"
            errors.append(
                ContentError(link.source, link.line, f"{what} {link.url} -- {problem}", link.cell)
            )
    return errors


def _problem(link: Link, out_dir: Path, anchors: dict[Path, set[str]]) -> str | None:
    target = urlsplit(urljoin(link.page, link.url))
    path = unquote(target.path)
    file = out_dir / path.lstrip("/")
    if path.endswith("/") or file.is_dir():
        file = file / "index.html"
        if not file.is_file():
            return "no such page"
    elif not file.is_file():
        return "no such file"
    fragment = unquote(target.fragment)
    if not fragment or file.suffix != ".html":
        return None
    if file not in anchors:
        text = file.read_text(encoding="utf-8", errors="replace")
        anchors[file] = {
            next(g for g in m.groups() if g is not None) for m in _ANCHOR.finditer(text)
        }
    if fragment not in anchors[file]:
        return "no such anchor" + (" on that page" if urlsplit(link.url).path else "")
    return None
