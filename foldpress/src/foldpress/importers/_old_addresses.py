"""The old site's own addresses (its feeds, topic pages, archive and listing pages)
as ``site.toml`` settings, so that the new site keeps answering them: ``old_feeds``,
``old_topic_urls``, ``redirects`` and a ``posts_per_page`` that keeps page N of the
front page listing the same posts."""

from __future__ import annotations

import math

from foldpress.importers._shared import OldSite, old_address


def keep(
    site: OldSite,
    feeds: list[str],
    topics: list[str],
    moved: dict[str, str],
    per_page: int | None = None,
    page_pattern: str | None = None,
) -> None:
    """Add the old site's addresses to ``site``'s settings.

    ``topics`` are patterns with ``{slug}``; ``moved`` maps an old address to the new
    one; ``page_pattern`` (with ``{n}``) is where the old site put page n of its front
    page listing, ``per_page`` posts to a page.
    """
    redirects = dict(moved)
    if per_page and per_page > 0:
        site.settings["posts_per_page"] = per_page
        posts = sum(item.kind == "post" for item in site.content)
        if page_pattern:
            for n in range(2, math.ceil(posts / per_page) + 1):
                redirects[page_pattern.format(n=n)] = f"/page/{n}/"
    feeds = [a for a in (old_address("/" + f.lstrip("/")) for f in feeds) if a]
    pairs = [(old_address(old), old_address(new)) for old, new in redirects.items()]
    own = {item.address for item in site.content}
    if feeds:
        site.settings["old_feeds"] = sorted(set(feeds) - own)
    if topics:
        site.settings["old_topic_urls"] = sorted(set(topics))
    kept = sorted(
        {f"{old} {new}" for old, new in pairs if old and new and old != new and old not in own}
    )
    if kept:
        site.settings["redirects"] = kept
