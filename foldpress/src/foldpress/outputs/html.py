"""HTML pages: posts, static pages, listings, /topics/, /series/, /search/, /archive/ and
the 404 page.

Each page is keyed by what the bundled templates show on it. A site's own templates
may show anything in ``index``, so with them every page's key covers the whole index.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from itertools import groupby
from pathlib import Path

import jinja2

from foldpress.addresses import output_file
from foldpress.cache import digest
from foldpress.images import ImageSizes
from foldpress.model import Listing, Post, SiteIndex
from foldpress.outputs.folder import OutputFolder
from foldpress.previews import Preview, page_preview, post_preview, site_preview
from foldpress.theme import own_templates


def write(index: SiteIndex, out: Path | OutputFolder, env: jinja2.Environment) -> None:
    """Write every HTML page of the site under ``out``."""
    out = OutputFolder.of(out)
    # Every page shows the navigation, which lists the static pages.
    shared = [page.link_key for page in index.pages]
    if index.site_dir and own_templates(index.site_dir):
        shared += [post.content_key for post in index.posts]
        shared += [page.content_key for page in index.pages]
    shared_key = digest(*shared)

    config = index.config
    images = index.images or ImageSizes({})
    index.images = images

    def page(
        template: str,
        url: str | None,
        target: str,
        key: object,
        preview: Callable[[], Preview | None],
        source: Path | None = None,
        **context: object,
    ) -> None:
        def render() -> str:
            context["preview"] = preview()
            return env.get_template(template).render(index=index, url=url, **context)

        out.file(target, (template, url, shared_key, key), render, source)

    def about_site(title: str, url: str) -> Callable[[], Preview]:
        return functools.partial(site_preview, title, url, config)

    posts = index.posts
    for i, post in enumerate(posts):
        older = posts[i + 1] if i + 1 < len(posts) else None
        newer = posts[i - 1] if i > 0 else None
        part = index.series_part(post)
        key = (
            post.content_key,
            _link_key(older),
            _link_key(newer),
            part.key if part else None,
            images.key(post.body_html, post.url),
        )
        context = {"post": post, "older": older, "newer": newer, "part": part}
        about_post = functools.partial(post_preview, post, config)
        page("post.html", post.url, output_file(post.url), key, about_post, post.source, **context)
    for static_page in index.pages:
        url = static_page.url
        about_page = functools.partial(page_preview, static_page, config)
        content = (static_page.content_key, images.key(static_page.body_html, url))
        page(
            "page.html",
            url,
            output_file(url),
            content,
            about_page,
            static_page.source,
            page=static_page,
        )
    for listing in index.listings:
        title = f"Posts about {listing.title}" if listing.topic else listing.title
        if listing.page > 1:
            title += f", page {listing.page}"
        url = listing.url
        about = about_site(title, url)
        shown = (_listing_key(listing), [images.key(p.intro_html, p.url) for p in listing.posts])
        page("listing.html", url, output_file(url), shown, about, listing=listing)
    topics = [(t.topic.name, t.topic.slug, len(t.posts)) for t in index.topics]
    page("topics.html", "/topics/", "topics/index.html", topics, about_site("Topics", "/topics/"))
    for entry in index.series:
        parts = (
            entry.series.name,
            [(post.summary_key, images.key(post.intro_html, post.url)) for post in entry.posts],
        )
        url = entry.series.url
        about = about_site(entry.series.name, url)
        page("series.html", url, output_file(url), parts, about, entry=entry)
    if index.series:
        every = [
            (s.series.name, s.series.slug, [p.link_key for p in s.posts]) for s in index.series
        ]
        about = about_site("Series", "/series/")
        page("series_index.html", "/series/", "series/index.html", every, about)
    if index.config.search:
        page("search.html", "/search/", "search/index.html", None, about_site("Search", "/search/"))
    years = [(year, list(months)) for year, months in groupby(index.archive, lambda m: m.year)]
    archive = [(m.year, m.month, [p.link_key for p in m.posts]) for m in index.archive]
    about = about_site("Archive", "/archive/")
    page("archive.html", "/archive/", "archive/index.html", archive, about, years=years)
    not_found = index.not_found
    not_found_key = not_found.content_key if not_found else None
    page("404.html", None, "404.html", not_found_key, lambda: None, not_found=not_found)


def _link_key(post: Post | None) -> bytes | None:
    return post.link_key if post else None


def _listing_key(listing: Listing) -> tuple:
    topic = (listing.topic.name, listing.topic.slug) if listing.topic else None
    where = (listing.title, listing.page, listing.pages, listing.prev_url, listing.next_url)
    return (*where, topic, [post.summary_key for post in listing.posts])
