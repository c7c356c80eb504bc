"""A Markdown copy beside every HTML page, at its URL plus ``index.html.md`` (or ``.md``
for a page at a file's address such as ``/about.html``).

That is the llmstxt.org convention for URLs ending in ``/``, and what each page's
``<link rel="alternate" type="text/markdown">`` points to. Posts and pages are their
own Markdown; listings, the topics index and the archive are lists of links to the
posts' copies, so a tool can walk the site without touching HTML.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

import jinja2

from foldpress.addresses import markdown_copy
from foldpress.config import SiteConfig
from foldpress.dates import long_date
from foldpress.model import ArchiveMonth, Listing, SeriesIndex, SiteIndex, TopicIndex
from foldpress.outputs._markdown import (
    escape_inline,
    page_document,
    post_document,
    post_markdown,
    posted_on,
)
from foldpress.outputs.folder import OutputFolder
from foldpress.remember import by_identity
from foldpress.urls import site_url

TOPICS_URL = "/topics/"
ARCHIVE_URL = "/archive/"
SERIES_URL = "/series/"
SEARCH_URL = "/search/"


def write(index: SiteIndex, out: Path | OutputFolder, env: jinja2.Environment) -> None:
    """Write ``index.html.md`` into the folder of every page but the 404."""
    out = OutputFolder.of(out)
    config = index.config
    for post in index.posts:
        document = functools.partial(post_document, post, config, part=index.series_part(post))
        out.file(_copy(post.url), document, post.source)
    for page in index.pages:
        out.file(_copy(page.url), functools.partial(page_document, page, config), page.source)
    for listing in index.listings:
        out.file(_copy(listing.url), functools.partial(listing_document, listing, config))
    # Each made from what it shows, not the whole index (see outputs/llms.py).
    out.file(_copy(TOPICS_URL), functools.partial(topics_document, config, index.topics))
    out.file(_copy(ARCHIVE_URL), functools.partial(archive_document, config, index.archive))
    if config.search:
        out.file(_copy(SEARCH_URL), functools.partial(search_document, config))
    for entry in index.series:
        out.file(_copy(entry.series.url), functools.partial(series_document, entry, config))
    if index.series:
        series = functools.partial(series_index_document, config, index.series)
        out.file(_copy(SERIES_URL), series)


def listing_document(listing: Listing, config: SiteConfig) -> str:
    """A page of intros: each post's title linking to its copy, its date, its intro."""
    blocks = [f"# {escape_inline(listing.title)}"]
    if listing.pages > 1:
        blocks.append(f"Page {listing.page} of {listing.pages}.")
    for post in listing.posts:
        link = f"[{escape_inline(post.title)}]({site_url(config, post.markdown_url)})"
        blocks.append(f"## {link}")
        blocks.append(posted_on(post))
        intro = post_markdown(post, config).intro
        if intro:
            blocks.append(intro)
        if post.has_more:
            blocks.append(f"[Read more]({site_url(config, post.markdown_url)})")
    pager = []
    if listing.prev_url:
        pager.append(f"[Newer posts]({site_url(config, listing.prev_url + 'index.html.md')})")
    if listing.next_url:
        pager.append(f"[Older posts]({site_url(config, listing.next_url + 'index.html.md')})")
    if pager:
        blocks.append(" · ".join(pager))
    return "\n\n".join(blocks) + "\n"


def topics_document(config: SiteConfig, topics: list[TopicIndex]) -> str:
    """Every topic with its post count, linking to the topic page's copy."""
    lines = []
    for topic_index in topics:
        topic, count = topic_index.topic, len(topic_index.posts)
        url = site_url(config, topic.url + "index.html.md")
        lines.append(f"- [{escape_inline(topic.name)}]({url}): {count} post{'s' * (count != 1)}")
    return "# Topics\n\n" + "\n".join(lines) + "\n"


def series_document(entry: SeriesIndex, config: SiteConfig) -> str:
    """A series: its parts in order, each with its title linking to its copy and its intro."""
    count = len(entry.posts)
    blocks = [f"# {escape_inline(entry.series.name)}"]
    blocks.append(f"A series in {count} part{'s' * (count != 1)}, to be read in order.")
    for number, post in enumerate(entry.posts, 1):
        link = f"[{escape_inline(post.title)}]({site_url(config, post.markdown_url)})"
        blocks.append(f"## Part {number}: {link}")
        blocks.append(posted_on(post))
        intro = post_markdown(post, config).intro
        if intro:
            blocks.append(intro)
    return "\n\n".join(blocks) + "\n"


def series_index_document(config: SiteConfig, series: list[SeriesIndex]) -> str:
    """Every series with its number of parts, linking to the series page's copy."""
    lines = []
    for entry in series:
        url = site_url(config, entry.series.markdown_url)
        count = len(entry.posts)
        lines.append(
            f"- [{escape_inline(entry.series.name)}]({url}): {count} part{'s' * (count != 1)}"
        )
    return "# Series\n\n" + "\n".join(lines) + "\n"


def search_document(config: SiteConfig) -> str:
    """The search page's copy: it is a script's, so this points to the lists instead."""
    archive = site_url(config, ARCHIVE_URL + "index.html.md")
    full = site_url(config, "/llms-full.txt")
    return (
        "# Search\n\nThe search page runs in a browser. The [archive]"
        f"({archive}) lists every post, and [llms-full.txt]({full}) holds them all.\n"
    )


def archive_document(config: SiteConfig, archive: list[ArchiveMonth]) -> str:
    """Every post by year and month, newest first."""
    blocks = ["# Archive"]
    year = None
    for month in archive:
        if month.year != year:
            year = month.year
            blocks.append(f"## {year}")
        blocks.append(_month(month, config))
    return "\n\n".join(blocks) + "\n"


@by_identity  # a rebuild in memory makes it again for the month of an edited post alone
def _month(month: ArchiveMonth, config: SiteConfig) -> str:
    lines = [
        f"- [{escape_inline(post.title)}]({site_url(config, post.markdown_url)}): "
        f"{long_date(post.date)}"
        for post in month.posts
    ]
    return f"### {date(month.year, month.month, 1):%B %Y}\n\n" + "\n".join(lines)


def _copy(url: str) -> str:
    """``/2025/03/dropout/`` -> ``2025/03/dropout/index.html.md``."""
    return markdown_copy(url).lstrip("/")
