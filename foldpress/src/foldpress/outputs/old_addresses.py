"""The site's old addresses (``old_feeds``, ``old_topic_urls`` and ``redirects`` in
``site.toml``, which ``foldpress import`` writes): a real feed at each old feed
address, since feed readers do not follow redirect pages, and a redirect page at each
old topic, archive or listing address.

Runs after every other writer: an old address that a post, page or file of the site
answers now is left to it.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import jinja2

from foldpress.addresses import normalize, output_file
from foldpress.model import SiteIndex
from foldpress.outputs.feeds import atom, feed_xml, rss
from foldpress.outputs.folder import OutputFolder
from foldpress.outputs.redirects import redirect_page


def write(index: SiteIndex, out: Path | OutputFolder, env: jinja2.Environment) -> None:
    """Write a feed at each old feed address and a redirect page at each old address."""
    out = OutputFolder.of(out)
    config = index.config
    newest = index.posts[: config.feed_items]
    channel = (config.title, config.description, "/", "/feed/")  # the site's own feed
    for address in config.old_feeds:
        target = output_file(normalize(address))
        kind = atom if "atom" in target.rsplit("/", 1)[-1] else rss
        if target not in out:
            out.file(target, partial(feed_xml, kind, channel, newest, config))

    moves = [(pair.split()[0], pair.split()[1]) for pair in config.redirects]
    for pattern in config.old_topic_urls:
        moves += [(pattern.replace("{slug}", t.topic.slug), t.topic.url) for t in index.topics]
    titles = {t.topic.url: t.topic.name for t in index.topics}
    for old, new in sorted(set(moves)):
        target = output_file(normalize(old))
        if target in out:
            continue  # the site answers there itself
        title = titles.get(new, config.title)
        out.file(target, partial(redirect_page, new, title, config))
