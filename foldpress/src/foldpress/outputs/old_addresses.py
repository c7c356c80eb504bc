"""The site's old addresses (``old_feeds``, ``old_topic_urls`` and ``redirects`` in
``site.toml``, which ``foldpress import`` writes): a real feed at each old feed
address, since feed readers do not follow redirect pages, and a redirect page at each
old topic, archive or listing address.

Runs after every other writer: an old address that a post, page or file of the site
answers now is left to it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from functools import partial
from pathlib import Path

import jinja2

from foldpress.addresses import normalize, output_file
from foldpress.config import SiteConfig
from foldpress.model import SiteIndex
from foldpress.outputs.feeds import Entry, Feed, atom, entry_html, rss
from foldpress.outputs.folder import OutputFolder, xml_bytes
from foldpress.outputs.redirects import redirect_page
from foldpress.urls import absolutize_html


def write(index: SiteIndex, out: Path | OutputFolder, env: jinja2.Environment) -> None:
    """Write a feed at each old feed address and a redirect page at each old address."""
    out = OutputFolder.of(out)
    config = index.config
    newest = index.posts[: config.feed_items]
    key = (config.title, config.description, [post.content_key for post in newest])

    def feed() -> Feed:
        entries = [
            Entry(
                post, entry_html(post, config), absolutize_html(post.intro_html, post.url, config)
            )
            for post in newest
        ]
        return Feed(config.title, config.description, "/", "/feed/", entries)

    for address in config.old_feeds:
        target = output_file(normalize(address))
        make = atom if "atom" in target.rsplit("/", 1)[-1] else rss
        if target not in out:
            out.file(target, (make.__name__, key), partial(_feed_bytes, make, feed, config))

    moves = [(pair.split()[0], pair.split()[1]) for pair in config.redirects]
    for pattern in config.old_topic_urls:
        moves += [(pattern.replace("{slug}", t.topic.slug), t.topic.url) for t in index.topics]
    titles = {t.topic.url: t.topic.name for t in index.topics}
    for old, new in sorted(set(moves)):
        target = output_file(normalize(old))
        if target in out:
            continue  # the site answers there itself
        title = titles.get(new, config.title)
        out.file(target, (old, new, title), partial(redirect_page, new, title, config))


def _feed_bytes(
    make: Callable[[Feed, SiteConfig], ET.Element], feed: Callable[[], Feed], config: SiteConfig
) -> bytes:
    return xml_bytes(make(feed(), config))
