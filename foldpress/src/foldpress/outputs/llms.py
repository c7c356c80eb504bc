"""``/llms.txt`` and ``/llms-full.txt``, in the format of https://llmstxt.org/.

llms.txt is an index for language models: an H1, a blockquote, free paragraphs, then
H2 sections holding nothing but ``- [name](url): notes`` lines, each URL a Markdown
copy. The newest ``llms_recent_posts`` posts go under "Posts", the rest under
"Optional", the section the format says a tool may skip when context is short. Each
series has a section of its own ("Series: NAME") listing its parts in order.
"""

from __future__ import annotations

import functools
from pathlib import Path

import jinja2

from foldpress.config import SiteConfig
from foldpress.model import Page, Post, SeriesIndex, SiteIndex
from foldpress.outputs._markdown import (
    byline,
    escape_inline,
    first_sentence,
    page_document,
    plain_text,
    post_document,
    post_markdown,
)
from foldpress.outputs.folder import OutputFolder
from foldpress.remember import PerPost, by_identity
from foldpress.urls import site_url


def write(index: SiteIndex, out: Path | OutputFolder, env: jinja2.Environment) -> None:
    """Write ``llms.txt`` and ``llms-full.txt`` at the root of ``out``."""
    out = OutputFolder.of(out)
    # Each made from what it shows alone, not the whole index: a key that rebuilds in
    # memory can tell unchanged by the identity of the posts.
    config, posts, pages = index.config, index.posts, index.pages
    out.file("llms.txt", functools.partial(llms_txt, config, posts, index.series, pages))
    out.file("llms-full.txt", functools.partial(llms_full_txt, config, posts, pages))


def llms_txt(
    config: SiteConfig, posts: list[Post], series: list[SeriesIndex], pages: list[Page]
) -> str:
    links = _LINKS(posts, config)
    recent, older = links[: config.llms_recent_posts], links[config.llms_recent_posts :]
    sections = [("Posts", recent)]
    sections += [_series_section(entry, config) for entry in series]
    sections += [
        ("Pages", [page_link(page, config) for page in pages]),
        ("Optional", older),
    ]
    # This note is also what lets the llms-txt reference parser find the blockquote:
    # it only matches one that has text after it.
    full = site_url(config, "/llms-full.txt")
    note = (
        f"Each link below is the Markdown copy of a page of this site; [llms-full.txt]({full}) "
        "holds every post and page in one file."
    )
    blocks = [_head(config), note]
    blocks += [f"## {name}\n\n" + "\n".join(links) for name, links in sections if links]
    return "\n\n".join(blocks) + "\n"


@by_identity  # a rebuild in memory makes it again for the series of an edited post alone
def _series_section(entry: SeriesIndex, config: SiteConfig) -> tuple[str, list[str]]:
    name = f"Series: {escape_inline(entry.series.name)}"
    return name, [post_link(post, config) for post in entry.posts]


@by_identity  # a rebuild in memory makes it again for the posts that changed alone
def post_link(post: Post, config: SiteConfig) -> str:
    """``- [Title](URL of its Markdown copy): 19 March 2025 · AI, Python — summary``."""
    notes = byline(post)
    summary = post_markdown(post, config).summary_line
    if summary:
        notes += f" — {summary}"
    return f"- [{escape_inline(post.title)}]({site_url(config, post.markdown_url)}): {notes}"


def page_link(page: Page, config: SiteConfig) -> str:
    line = f"- [{escape_inline(page.title)}]({site_url(config, page.markdown_url)})"
    summary = first_sentence(plain_text(page.body_markdown))
    return f"{line}: {summary}" if summary else line


def llms_full_txt(config: SiteConfig, posts: list[Post], pages: list[Page]) -> str:
    """The whole site as one Markdown file: every post, newest first, then the pages."""
    blocks = [_head(config), *_DOCUMENTS(posts, config)]
    blocks += [page_document(page, config, with_url=True).strip() for page in pages]
    return "\n\n---\n\n".join(blocks) + "\n"


@by_identity
def _full_document(post: Post, config: SiteConfig) -> str:
    return post_document(post, config, with_url=True).strip()


_LINKS = PerPost(post_link)
_DOCUMENTS = PerPost(_full_document)


def _head(config: SiteConfig) -> str:
    blocks = [f"# {escape_inline(config.title)}"]
    if config.description:
        blocks.append(f"> {' '.join(config.description.split())}")
    if config.llms_details.strip():
        blocks.append(config.llms_details.strip())
    return "\n\n".join(blocks)
