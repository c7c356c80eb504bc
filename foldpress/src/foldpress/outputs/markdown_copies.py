"""A Markdown copy beside every HTML page, at its URL plus ``index.html.md``.

That is the llmstxt.org convention for URLs ending in ``/``, and what each page's
``<link rel="alternate" type="text/markdown">`` points to. Posts and pages are their
own Markdown; listings, the topics index and the archive are lists of links to the
posts' copies, so a tool can walk the site without touching HTML.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import jinja2

from foldpress.config import SiteConfig
from foldpress.model import Listing, SiteIndex
from foldpress.outputs._markdown import (
    drop_fold,
    escape_inline,
    long_date,
    page_document,
    post_document,
    posted_on,
)
from foldpress.urls import absolutize_markdown, site_url

TOPICS_URL = "/topics/"
ARCHIVE_URL = "/archive/"


def write(index: SiteIndex, out_dir: Path, env: jinja2.Environment) -> None:
    """Write ``index.html.md`` into the folder of every page but the 404."""
    config = index.config
    for post in index.posts:
        _write(out_dir, post.url, post_document(post, config))
    for page in index.pages:
        _write(out_dir, page.url, page_document(page, config))
    for listing in index.listings:
        _write(out_dir, listing.url, listing_document(listing, config))
    _write(out_dir, TOPICS_URL, topics_document(index))
    _write(out_dir, ARCHIVE_URL, archive_document(index))


def listing_document(listing: Listing, config: SiteConfig) -> str:
    """A page of intros: each post's title linking to its copy, its date, its intro."""
    blocks = [f"# {escape_inline(listing.title)}"]
    if listing.pages > 1:
        blocks.append(f"Page {listing.page} of {listing.pages}.")
    for post in listing.posts:
        link = f"[{escape_inline(post.title)}]({site_url(config, post.markdown_url)})"
        blocks.append(f"## {link}")
        blocks.append(posted_on(post))
        intro = absolutize_markdown(drop_fold(post.intro_markdown), post.url, config).strip()
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


def topics_document(index: SiteIndex) -> str:
    """Every topic with its post count, linking to the topic page's copy."""
    config = index.config
    lines = []
    for topic_index in index.topics:
        topic, count = topic_index.topic, len(topic_index.posts)
        url = site_url(config, topic.url + "index.html.md")
        lines.append(f"- [{escape_inline(topic.name)}]({url}): {count} post{'s' * (count != 1)}")
    return "# Topics\n\n" + "\n".join(lines) + "\n"


def archive_document(index: SiteIndex) -> str:
    """Every post by year and month, newest first."""
    config = index.config
    blocks = ["# Archive"]
    year = None
    for month in index.archive:
        if month.year != year:
            year = month.year
            blocks.append(f"## {year}")
        blocks.append(f"### {date(month.year, month.month, 1):%B %Y}")
        blocks.append(
            "\n".join(
                f"- [{escape_inline(post.title)}]({site_url(config, post.markdown_url)}): "
                f"{long_date(post.date)}"
                for post in month.posts
            )
        )
    return "\n\n".join(blocks) + "\n"


def _write(out_dir: Path, url: str, text: str) -> None:
    folder = out_dir / url.strip("/")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html.md").write_text(text, encoding="utf-8")
