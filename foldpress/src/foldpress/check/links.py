"""The links of a site's posts and pages, each with the file and line that holds it."""

from __future__ import annotations

import dataclasses
import html
import re
from dataclasses import dataclass
from pathlib import Path

from foldpress.config import SiteConfig
from foldpress.markdown import Document, Markdown
from foldpress.reader import POST_SUFFIXES, markdown_files, read_page, read_post

# An HTML attribute that holds a URL, in a Markdown file's raw HTML.
_URL_ATTRIBUTE = re.compile(
    r"""\s(href|src|poster)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))""", re.IGNORECASE
)


@dataclass(frozen=True)
class Link:
    """A link or image of the Markdown file ``source`` at ``line``, on the page at ``page``."""

    source: Path
    line: int
    url: str  # as written
    page: str  # the site path of the page it is on, which a relative URL is relative to
    image: bool = False
    cell: int | None = None  # in a notebook, the cell ``line`` is in


def site_links(site_dir: Path, config: SiteConfig, *, drafts: bool = False) -> list[Link]:
    """Every link and image in the site's posts and pages (drafts only if asked for), in
    file order. Files that cannot be read are left to the build to report."""
    md = Markdown()
    found: list[Link] = []
    for path in markdown_files(site_dir / "posts", POST_SUFFIXES):
        post, _ = read_post(path, config)
        if post and (drafts or not post.draft):
            links = document_links(md.parse(post.body_markdown), path, post.source_lines, post.url)
            found += [_in_cell(link, post.cell_lines) for link in links]
    for path in markdown_files(site_dir / "pages"):
        page, _ = read_page(path, config)
        if page:
            found += document_links(md.parse(page.body_markdown), path, page.source_lines, page.url)
    return found


def document_links(doc: Document, source: Path, lines: dict[str, int], page: str) -> list[Link]:
    """The links, images and HTML ``href``/``src`` attributes of a post's or page's body;
    ``lines["body"]`` is the file line the body starts on."""
    first = lines.get("body", 1)
    found = []
    for event, span in doc.events:
        if type(event) is not dict:
            continue
        start = event.get("Start")
        if type(start) is dict and ("Link" in start or "Image" in start):
            [(kind, value)] = start.items()
            url = value["dest_url"]
            if url and value.get("link_type") != "Email":
                line = first + doc.line(span["start"])
                found.append(Link(source, line, url, page, kind == "Image"))
        elif "InlineHtml" in event or "Html" in event:
            text = event.get("InlineHtml") or event.get("Html") or ""
            for match in _URL_ATTRIBUTE.finditer(text):
                url = html.unescape(next(g for g in match.groups()[1:] if g is not None))
                line = first + doc.line(span["start"]) + text.count("\n", 0, match.start())
                is_image = match.group(1).lower() != "href"
                found.append(Link(source, line, url, page, is_image))
    return found


def _in_cell(link: Link, cell_lines: list[tuple[int, int]]) -> Link:
    """A notebook post's link at its cell and line (its body is its cells as Markdown,
    whose lines count from 1)."""
    if not 0 < link.line <= len(cell_lines):
        return link
    cell, line = cell_lines[link.line - 1]
    return dataclasses.replace(link, line=line, cell=cell or None)
