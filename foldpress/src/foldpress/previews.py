"""Link previews: what a page's Open Graph, Twitter card and JSON-LD tags say about it.

Chat apps and social sites unfold a shared link into a card from these: a title, a
description (a post's summary or the first sentence of its intro), the page's absolute
URL, an image (a post's ``image`` key, else its first image, else the site's ``image``)
and, for posts, when they were published and changed. Search engines read the JSON-LD:
a ``BlogPosting`` for each post, a ``WebSite`` for the front page.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from foldpress.config import SiteConfig
from foldpress.model import Page, Post
from foldpress.outputs._markdown import first_sentence, plain_text, post_markdown
from foldpress.urls import absolute, site_url

_FIRST_IMAGE = re.compile(r'<img\b[^>]*?\ssrc="([^"]+)"')


@dataclass(frozen=True)
class Preview:
    """The values of one page's preview tags; ``json_ld`` is a script's text, or ""."""

    title: str
    description: str
    url: str  # absolute
    type: str  # "article" or "website"
    image: str = ""  # absolute, or none
    published: datetime | None = None
    modified: datetime | None = None
    json_ld: str = ""


def post_preview(post: Post, config: SiteConfig) -> Preview:
    """A post's card: an ``article`` with its dates, and a ``BlogPosting``."""
    url = site_url(config, post.url)
    description = post_markdown(post, config).summary_line
    image = _image(post.image, post.body_html, post.url, config)
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": post.date.isoformat(),
        "dateModified": post.last_modified.isoformat(),
        "author": {"@type": "Person", "name": config.author or config.title},
        "publisher": {"@type": "Organization", "name": config.title},
    }
    if description:
        data["description"] = description
    if image:
        data["image"] = image
    if post.topics:
        data["keywords"] = [topic.name for topic in post.topics]
    return Preview(
        post.title, description, url, "article", image, post.date, post.last_modified, _ld(data)
    )


def page_preview(page: Page, config: SiteConfig) -> Preview:
    """A static page's card: its first sentence and first image."""
    description = first_sentence(plain_text(page.body_markdown)) or config.description
    image = _image(None, page.body_html, page.url, config)
    return Preview(page.title, description, site_url(config, page.url), "website", image)


def site_preview(title: str, url: str, config: SiteConfig) -> Preview:
    """Any other page's card: the site's description and image; the front page's
    JSON-LD says it is the site."""
    absolute_url = site_url(config, url)
    json_ld = ""
    if url == "/":
        data: dict[str, object] = {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": config.title,
            "url": absolute_url,
        }
        if config.description:
            data["description"] = config.description
        json_ld = _ld(data)
    image = absolute(config.image, "/", config) if config.image else ""
    return Preview(title, config.description, absolute_url, "website", image, json_ld=json_ld)


def _image(chosen: str | None, body_html: str, page_url: str, config: SiteConfig) -> str:
    """The image named in front matter, else the body's first, else the site's; absolute."""
    if chosen:
        return absolute(chosen, page_url, config)
    match = _FIRST_IMAGE.search(body_html)
    if match:
        return absolute(match.group(1).replace("&amp;", "&"), page_url, config)
    return absolute(config.image, "/", config) if config.image else ""


def _ld(data: dict[str, object]) -> str:
    """JSON for a ``<script type="application/ld+json">``: ``<`` escaped so that no text
    in it can end the script."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c")
