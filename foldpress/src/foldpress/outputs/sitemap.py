"""``/sitemap.xml`` (https://www.sitemaps.org/protocol.html) and a ``/robots.txt`` naming it.

Runs after the static files are copied, so an author's own ``static/robots.txt`` wins.

Every HTML page but the 404 is listed. ``lastmod`` is the time its content last changed:
a post's ``updated`` or date, a listing's newest such time among its posts, a page's
``updated`` (left out where a page has none, as the protocol allows).
"""

from __future__ import annotations

import functools
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2

from foldpress.config import SiteConfig
from foldpress.model import Post, SiteIndex
from foldpress.outputs.folder import OutputFolder, xml_bytes
from foldpress.urls import site_url

SITEMAPS = "http://www.sitemaps.org/schemas/sitemap/0.9"


def write(index: SiteIndex, out: Path | OutputFolder, env: jinja2.Environment) -> None:
    """Write ``sitemap.xml``, and ``robots.txt`` unless the site's ``static/`` has one."""
    out = OutputFolder.of(out)
    entries = pages(index)
    # Made from the settings and the pages' addresses and times alone: an edit that
    # changes neither leaves it as it is.
    out.file("sitemap.xml", functools.partial(sitemap_xml, index.config, entries))
    if "robots.txt" not in out:
        out.file("robots.txt", functools.partial(robots_txt, index.config))


def sitemap_xml(config: SiteConfig, entries: list[tuple[str, datetime | None]]) -> bytes:
    return xml_bytes(_urlset(config, entries))


def pages(index: SiteIndex) -> list[tuple[str, datetime | None]]:
    """``(site path, last modified)`` for every HTML page of the site but the 404."""
    entries: list[tuple[str, datetime | None]] = []
    entries += [(listing.url, _newest(listing.posts)) for listing in index.listings]
    entries += [(post.url, post.last_modified) for post in index.posts]
    entries += [(page.url, page.updated) for page in index.pages]
    entries.append(("/topics/", _newest(index.posts)))
    entries += [(entry.series.url, _newest(entry.posts)) for entry in index.series]
    if index.series:
        entries.append(("/series/", _newest([p for entry in index.series for p in entry.posts])))
    entries.append(("/archive/", _newest(index.posts)))
    if index.config.search:
        entries.append(("/search/", None))
    return entries


def sitemap(
    index: SiteIndex, entries: list[tuple[str, datetime | None]] | None = None
) -> ET.Element:
    return _urlset(index.config, pages(index) if entries is None else entries)


def _urlset(config: SiteConfig, entries: list[tuple[str, datetime | None]]) -> ET.Element:
    tz = ZoneInfo(config.timezone)
    urlset = ET.Element("urlset", xmlns=SITEMAPS)
    for path, modified in entries:
        url = ET.SubElement(urlset, "url")
        ET.SubElement(url, "loc").text = site_url(config, path)
        if modified:
            lastmod = modified.astimezone(tz).isoformat(timespec="seconds")
            ET.SubElement(url, "lastmod").text = lastmod
    return urlset


def robots_txt(config: SiteConfig) -> str:
    sitemap_url = site_url(config, "/sitemap.xml")
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap_url}\n"


def _newest(posts: list[Post]) -> datetime | None:
    return max((post.last_modified for post in posts), default=None)
