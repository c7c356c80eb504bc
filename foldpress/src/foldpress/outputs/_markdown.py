"""Small pieces of Markdown shared by llms.txt, llms-full.txt and the Markdown copies."""

from __future__ import annotations

import functools
import re

from foldpress.config import SiteConfig
from foldpress.dates import long_date
from foldpress.markdown import Markdown
from foldpress.model import Page, Post, PostMarkdown, SeriesPart
from foldpress.render import without_folds
from foldpress.urls import absolutize_markdown, site_url

_md = Markdown()
# A sentence ends at . ! or ? before a capital, a digit, code or quotes, or at the end.
_SENTENCE_END = re.compile(r"[.!?][\"')\]”’]*(?=\s+[\"'(\[“‘`*_]*[A-Z0-9`]|\s*$)")
_SUMMARY_LIMIT = 300
_FOLD = re.compile(r"<!--\s*more\s*-->")
_ENTITY_START = re.compile(r"&(?=#?\w+;)")
_MARKUP = re.compile(r"([\\`*_])")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def post_markdown(
    post: Post, config: SiteConfig, unfolded: str | None = None, intro_text: str | None = None
) -> PostMarkdown:
    """The post's Markdown as its copies, the listings' copies and llms.txt show it.

    Made once per post (the build makes it when it renders the post, and caches it with
    the post, passing the body without its fold, which it has at hand), since parsing
    every post's Markdown again per output is most of the work.
    """
    if post.markdown is None:
        if unfolded is None:
            unfolded = drop_fold(post.body_markdown)
        body = absolutize_markdown(unfolded, post.url, config)
        intro = absolutize_markdown(drop_fold(post.intro_markdown), post.url, config)
        post.markdown = PostMarkdown(body, intro.strip(), one_line_summary(post, intro_text))
    return post.markdown


def post_document(
    post: Post, config: SiteConfig, *, with_url: bool = False, part: SeriesPart | None = None
) -> str:
    """A post as Markdown: its title as H1, the date and topics (and its place in its
    ``part``'s series), then its own Markdown with the fold marker dropped and every
    relative URL made absolute."""
    header = posted_on(post)
    if post.updated:
        header += f", updated {long_date(post.updated)}"
    if with_url:
        header = f"URL: {site_url(config, post.url)}\n{header}"
    if part:
        header += "\n\n" + series_line(part, config)
    return _document(post.title, header, post_markdown(post, config).body)


def series_line(part: SeriesPart, config: SiteConfig) -> str:
    """``Part 2 of 5 in [Series](...) · Previous: [Title](...) · Next: [Title](...)``,
    linking Markdown copies."""
    series = f"[{escape_inline(part.series.name)}]({site_url(config, part.series.markdown_url)})"
    items = [f"Part {part.number} of {part.total} in {series}"]
    for label, post in (("Previous", part.previous), ("Next", part.next)):
        if post:
            link = f"[{escape_inline(post.title)}]({site_url(config, post.markdown_url)})"
            items.append(f"{label}: {link}")
    return " · ".join(items)


def page_document(page: Page, config: SiteConfig, *, with_url: bool = False) -> str:
    """A static page as Markdown: its title as H1, then its own Markdown."""
    header = f"URL: {site_url(config, page.url)}" if with_url else ""
    return _document(page.title, header, absolutize_markdown(page.body_markdown, page.url, config))


def _document(title: str, header: str, body: str) -> str:
    blocks = [f"# {escape_inline(title)}", header, body.strip()]
    return "\n\n".join(block for block in blocks if block) + "\n"


@functools.lru_cache(maxsize=4096)  # each post's copy and llms-full.txt both want it
def drop_fold(markdown: str) -> str:
    """``markdown`` without its ``<!--more-->`` line; a marker inside code stays."""
    if not _FOLD.search(markdown):
        return markdown
    return without_folds(_md.parse(markdown))


@functools.lru_cache(maxsize=4096)  # topic names are escaped once per post they are on
def escape_inline(text: str) -> str:
    """Escape ``text`` for use as a link's text or a heading, on one line.

    Brackets become character references rather than backslash escapes: CommonMark
    reads both the same, but the llms-txt reference parser ends a link's text at the
    first ``]`` whatever precedes it. ``<`` and ``&`` are escaped only where they could
    start a tag or an entity, so ``a < b & c`` reads as itself.
    """
    text = " ".join(text.split())
    text = _ENTITY_START.sub("&amp;", text)
    text = _MARKUP.sub(r"\\\1", text)
    text = _TAG_START.sub("&lt;", text)
    return text.replace("[", "&#91;").replace("]", "&#93;")


def posted_on(post: Post) -> str:
    """``Posted on 19 March 2025 in AI, Python``, as the post pages say it."""
    line = f"Posted on {long_date(post.date)}"
    if post.topics:
        line += " in " + ", ".join(escape_inline(t.name) for t in post.topics)
    return line


def byline(post: Post) -> str:
    """``19 March 2025 · AI, Python``: a post's date and topics on one line."""
    parts = [long_date(post.date)]
    if post.topics:
        parts.append(", ".join(escape_inline(t.name) for t in post.topics))
    return " · ".join(parts)


def one_line_summary(post: Post, intro_text: str | None = None) -> str:
    """The front matter ``summary``, else the first sentence of the intro, as one line;
    ``intro_text`` is the text of the intro's first paragraph, if the caller has it."""
    if post.summary:
        text = " ".join(post.summary.split())
    else:
        if intro_text is None:
            intro_text = plain_text(post.intro_markdown or post.body_markdown)
        text = first_sentence(intro_text)
    if len(text) > _SUMMARY_LIMIT:
        text = text[: _SUMMARY_LIMIT - 1].rsplit(" ", 1)[0] + "…"
    return text


def plain_text(markdown: str) -> str:
    """The text of the first paragraph of ``markdown`` (see Document.first_paragraph_text)."""
    return _md.parse(markdown).first_paragraph_text()


def first_sentence(text: str) -> str:
    match = _SENTENCE_END.search(text)
    return text[: match.end()] if match else text
