"""HTML pages: posts, static pages, listings, /topics/, /series/, /search/, /archive/ and
the 404 page.

Each page is a template and what it is given; its key is derived from what the template
reads (see :mod:`foldpress.keys`), for the bundled theme and a site's own templates alike.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from itertools import groupby
from pathlib import Path

import jinja2

from foldpress.addresses import output_file
from foldpress.images import ImageSizes
from foldpress.keys import Lazy, TemplatePage
from foldpress.model import SiteIndex
from foldpress.outputs.folder import OutputFolder
from foldpress.previews import Preview, page_preview, post_preview, site_preview


def write(index: SiteIndex, out: Path | OutputFolder, env: jinja2.Environment) -> None:
    """Write every HTML page of the site under ``out``."""
    out = OutputFolder.of(out)
    config = index.config
    index.images = index.images or ImageSizes({})

    def page(
        template: str,
        url: str | None,
        target: str,
        preview: Callable[[], Preview | None],
        source: Path | None = None,
        **context: object,
    ) -> None:
        context.update(index=index, url=url, preview=Lazy(preview))
        out.file(target, TemplatePage(env, template, context), source)

    def about_site(title: str, url: str) -> Callable[[], Preview]:
        return functools.partial(site_preview, title, url, config)

    posts = index.posts
    for i, post in enumerate(posts):
        older = posts[i + 1] if i + 1 < len(posts) else None
        newer = posts[i - 1] if i > 0 else None
        part = index.series_part(post)
        context = {"post": post, "older": older, "newer": newer, "part": part}
        about_post = functools.partial(post_preview, post, config)
        page("post.html", post.url, output_file(post.url), about_post, post.source, **context)
    for static_page in index.pages:
        url = static_page.url
        about_page = functools.partial(page_preview, static_page, config)
        target = output_file(url)
        page("page.html", url, target, about_page, static_page.source, page=static_page)
    for listing in index.listings:
        title = f"Posts about {listing.title}" if listing.topic else listing.title
        if listing.page > 1:
            title += f", page {listing.page}"
        url = listing.url
        page("listing.html", url, output_file(url), about_site(title, url), listing=listing)
    page("topics.html", "/topics/", "topics/index.html", about_site("Topics", "/topics/"))
    for entry in index.series:
        url = entry.series.url
        about = about_site(entry.series.name, url)
        page("series.html", url, output_file(url), about, entry=entry)
    if index.series:
        about = about_site("Series", "/series/")
        page("series_index.html", "/series/", "series/index.html", about)
    if index.config.search:
        page("search.html", "/search/", "search/index.html", about_site("Search", "/search/"))
    years = [(year, list(months)) for year, months in groupby(index.archive, lambda m: m.year)]
    about = about_site("Archive", "/archive/")
    page("archive.html", "/archive/", "archive/index.html", about, years=years)
    page("404.html", None, "404.html", _no_preview, not_found=index.not_found)


def _no_preview() -> None:
    return None
