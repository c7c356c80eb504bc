"""HTML pages: posts, static pages, listings, /topics/, /archive/ and the 404 page."""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

import jinja2

from foldpress.model import SiteIndex


def write(index: SiteIndex, out_dir: Path, env: jinja2.Environment) -> None:
    """Write every HTML page of the site under ``out_dir``."""

    def page(template: str, url: str | None, target: str, **context: object) -> None:
        html = env.get_template(template).render(index=index, url=url, **context)
        path = out_dir / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")

    posts = index.posts
    for i, post in enumerate(posts):
        older = posts[i + 1] if i + 1 < len(posts) else None
        newer = posts[i - 1] if i > 0 else None
        page("post.html", post.url, _index_file(post.url), post=post, older=older, newer=newer)
    for static_page in index.pages:
        page("page.html", static_page.url, _index_file(static_page.url), page=static_page)
    for listing in index.listings:
        page("listing.html", listing.url, _index_file(listing.url), listing=listing)
    page("topics.html", "/topics/", "topics/index.html")
    years = [(year, list(months)) for year, months in groupby(index.archive, lambda m: m.year)]
    page("archive.html", "/archive/", "archive/index.html", years=years)
    page("404.html", None, "404.html")


def _index_file(url: str) -> str:
    """``/2025/03/dropout/`` -> ``2025/03/dropout/index.html``."""
    return url.lstrip("/") + "index.html"
