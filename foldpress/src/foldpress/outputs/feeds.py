"""RSS 2.0 and Atom 1.0 feeds: the site's at /feed/, each topic's beside its page.

Entries carry the post's HTML with every URL made absolute, so images, links and
footnotes work in a feed reader. Ids are ``tag:`` URIs (RFC 4151) built from the host,
the post's date and its slug, so editing a post never makes readers see it as new.
"""

from __future__ import annotations

import email.utils
import functools
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import jinja2

from foldpress.config import SiteConfig
from foldpress.model import Post, SiteIndex
from foldpress.outputs.folder import OutputFolder, xml_bytes
from foldpress.remember import by_identity
from foldpress.urls import absolutize_html, site_url

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
DC = "http://purl.org/dc/elements/1.1/"
XML = "http://www.w3.org/XML/1998/namespace"
GENERATOR = "foldpress"

ET.register_namespace("atom", ATOM)
ET.register_namespace("content", CONTENT)
ET.register_namespace("dc", DC)


@dataclass
class Entry:
    """A post's feed HTML, URLs made absolute once however many feeds hold it."""

    content: str  # the whole post, or in ``intro`` mode the intro and a "Read more" link
    intro: str


@dataclass
class Feed:
    """One feed's channel: what it lists and where it and its HTML page live."""

    title: str
    description: str
    page_url: str  # site path of the HTML page the feed follows
    path: str  # site folder holding rss.xml and atom.xml
    posts: list[Post]


def write(index: SiteIndex, out: Path | OutputFolder, env: jinja2.Environment) -> None:
    """Write ``feed/rss.xml`` and ``feed/atom.xml``, and both for every topic."""
    out = OutputFolder.of(out)
    config = index.config
    feeds = [(config.title, config.description, "/", "/feed/", index.posts)]
    for topic_index in index.topics:
        topic = topic_index.topic
        title, about = f"{config.title}: {topic.name}", f"Posts about {topic.name}"
        feeds.append((title, about, topic.url, topic.url, topic_index.posts))
    for title, about, page_url, path, posts in feeds:
        newest = posts[: config.feed_items]
        folder = path.strip("/")
        for name, kind in (("rss.xml", rss), ("atom.xml", atom)):
            channel = (title, about, page_url, path)
            feed = functools.partial(feed_xml, kind, channel, newest, config)
            out.file(f"{folder}/{name}", feed)


@by_identity  # a rebuild in memory makes it again for the posts that changed alone
def _entry(post: Post, config: SiteConfig) -> Entry:
    intro = absolutize_html(post.intro_html, post.url, config)
    return Entry(entry_html(post, config), intro)


def feed_xml(
    kind: Callable[[Feed, SiteConfig], bytes],
    channel: tuple[str, str, str, str],
    posts: list[Post],
    config: SiteConfig,
) -> bytes:
    return kind(Feed(*channel, posts), config)


def entry_id(post: Post, config: SiteConfig) -> str:
    """The post's permanent id: ``tag:HOST,YYYY-MM-DD:SLUG``.

    Only the date and slug go in, the parts that also make up its URL, so the id
    survives edits to the title, the body and ``updated``.
    """
    host = urlsplit(config.base_url).hostname or "localhost"
    return f"tag:{host},{post.date:%Y-%m-%d}:{quote(post.slug, safe='')}"


def entry_html(post: Post, config: SiteConfig) -> str:
    """The entry's content: the whole post, or in ``intro`` mode its intro and a link."""
    if config.feed_content == "intro":
        html = post.intro_html
        if post.has_more:
            url = site_url(config, post.url)
            html += f'\n<p><a href="{url}">Read more…</a></p>'
    else:
        html = post.body_html
    return absolutize_html(html, post.url, config)


def rss(feed: Feed, config: SiteConfig) -> bytes:
    tz = ZoneInfo(config.timezone)
    posts = feed.posts
    root = ET.Element("rss")
    if posts:  # the items' namespaces: the items are written apart (see _items)
        root.set("xmlns:content", CONTENT)
        if config.author:
            root.set("xmlns:dc", DC)
    root.set("version", "2.0")
    channel = ET.SubElement(root, "channel")
    _text(channel, "title", feed.title)
    _text(channel, "link", site_url(config, feed.page_url))
    _text(channel, "description", feed.description or feed.title)
    _text(channel, "language", config.language)
    _text(channel, "generator", GENERATOR)
    if posts:
        _text(channel, "lastBuildDate", _rfc822(_updated(posts), tz))
    ET.SubElement(
        channel,
        f"{{{ATOM}}}link",
        {
            "href": site_url(config, feed.path + "rss.xml"),
            "rel": "self",
            "type": "application/rss+xml",
        },
    )
    return _items(root, channel, [_rss_item(post, config) for post in posts], 2)


@by_identity
def _rss_item(post: Post, config: SiteConfig) -> str:
    tz = ZoneInfo(config.timezone)
    entry = _entry(post, config)
    item = ET.Element("item")
    _text(item, "title", post.title)
    _text(item, "link", site_url(config, post.url))
    _text(item, "guid", entry_id(post, config)).set("isPermaLink", "false")
    _text(item, "pubDate", _rfc822(post.date, tz))
    if config.author:
        _text(item, f"{{{DC}}}creator", config.author)
    for topic in post.topics:
        _text(item, "category", topic.name).set("domain", site_url(config, topic.url))
    _text(item, "description", entry.intro)
    _text(item, f"{{{CONTENT}}}encoded", entry.content)
    return _fragment(item, 2)


def atom(feed: Feed, config: SiteConfig) -> bytes:
    tz = ZoneInfo(config.timezone)
    posts = feed.posts
    root = ET.Element("feed", {"xmlns": ATOM, f"{{{XML}}}lang": config.language})
    _text(root, "title", feed.title)
    if feed.description:
        _text(root, "subtitle", feed.description)
    _text(root, "id", site_url(config, feed.page_url))
    # With no posts, a fixed date: the same source makes the same feed.
    updated = _updated(posts) if posts else datetime(1970, 1, 1, tzinfo=UTC)
    _text(root, "updated", _rfc3339(updated, tz))
    _atom_link(root, site_url(config, feed.page_url), "alternate", "text/html")
    _atom_link(root, site_url(config, feed.path + "atom.xml"), "self", "application/atom+xml")
    author = ET.SubElement(root, "author")
    _text(author, "name", config.author or config.title)
    _text(root, "generator", GENERATOR)
    return _items(root, root, [_atom_entry(post, config) for post in posts], 1)


@by_identity
def _atom_entry(post: Post, config: SiteConfig) -> str:
    tz = ZoneInfo(config.timezone)
    item = _entry(post, config)
    entry = ET.Element("entry")
    _text(entry, "title", post.title)
    _atom_link(entry, site_url(config, post.url), "alternate", "text/html")
    _text(entry, "id", entry_id(post, config))
    _text(entry, "published", _rfc3339(post.date, tz))
    _text(entry, "updated", _rfc3339(post.last_modified, tz))
    for topic in post.topics:
        ET.SubElement(
            entry,
            "category",
            {"term": topic.slug, "label": topic.name, "scheme": site_url(config, "/topics/")},
        )
    if config.feed_content == "full" and post.has_more:
        _text(entry, "summary", item.intro).set("type", "html")
    _text(entry, "content", item.content).set("type", "html")
    return _fragment(entry, 1)


# A feed's items are written once per post, not once per feed that holds it (a post is
# in the site's feed and its topics'), and put in the feed's text where this stands.
_ITEMS = "items"


def _items(root: ET.Element, parent: ET.Element, items: list[str], level: int) -> bytes:
    """The feed ``root``, with ``items`` (written by :func:`_fragment` at ``level``)
    after the last element of ``parent``."""
    if not items:
        return xml_bytes(root)
    parent.append(ET.Comment(_ITEMS))
    text = xml_bytes(root)
    return text.replace(f"<!--{_ITEMS}-->".encode(), ("\n" + "  " * level).join(items).encode())


def _fragment(element: ET.Element, level: int) -> str:
    """``element`` as :func:`xml_bytes` writes it ``level`` deep in a feed, without the
    namespace declarations its root holds."""
    wrapper = ET.Element("wrapper")
    wrapper.append(element)
    ET.indent(wrapper, level=level - 1)
    text = ET.tostring(wrapper, encoding="unicode")
    return text[text.index(">") + 1 : text.rindex("</wrapper>")].strip()


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def _atom_link(parent: ET.Element, href: str, rel: str, type_: str) -> None:
    ET.SubElement(parent, "link", {"href": href, "rel": rel, "type": type_})


def _updated(posts: list[Post]) -> datetime:
    return max(post.last_modified for post in posts)


def _rfc822(when: datetime, tz: ZoneInfo) -> str:
    return email.utils.format_datetime(when.astimezone(tz))


def _rfc3339(when: datetime, tz: ZoneInfo) -> str:
    return when.astimezone(tz).isoformat(timespec="seconds")
