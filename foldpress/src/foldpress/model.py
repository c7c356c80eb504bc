"""The site's data model: what the readers produce and every output consumes.

The pipeline is read content -> render Markdown -> build the index -> write outputs.
Outputs (HTML, feeds, llms.txt, Markdown copies, sitemap) only ever see these types,
so each output module can be read and tested on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from foldpress.addresses import DEFAULT_PERMALINK, expand, markdown_copy

if TYPE_CHECKING:
    from foldpress.config import SiteConfig
    from foldpress.errors import ContentWarning
    from foldpress.images import ImageSizes


# Marks the fields of a post that are its text and what is made from it, as opposed to
# what the front matter and the file's place say. Outputs read the text only to make a
# file, never to decide which files there are or what they are made from: so an edit
# of a post's text alone leaves the site's shape as it was (see foldpress.update).
TEXT = {"text": True}


@dataclass(frozen=True)
class Topic:
    """A taxonomy term, e.g. "LLM from scratch" at /topics/llm-from-scratch/."""

    name: str
    slug: str

    @property
    def url(self) -> str:
        return f"/topics/{self.slug}/"


@dataclass(frozen=True)
class Series:
    """A named sequence of posts, e.g. "LLM from scratch" at /series/llm-from-scratch/."""

    name: str
    slug: str

    @property
    def url(self) -> str:
        return f"/series/{self.slug}/"

    @property
    def markdown_url(self) -> str:
        return self.url + "index.html.md"


@dataclass
class Post:
    """One post, split at the fold.

    ``intro_*`` is what listings show: the part above ``<!--more-->``, else the front
    matter ``summary``, else the whole post. ``has_more`` says whether the post page
    shows more than that, i.e. whether listings need a "Read more" link.
    """

    source: Path
    title: str
    date: datetime  # timezone-aware, in the site's timezone
    slug: str
    topics: list[Topic] = field(default_factory=list)
    updated: datetime | None = None
    draft: bool = False
    summary: str | None = None
    image: str | None = None  # link previews' image, as written; else the body's first
    series: str | None = None  # the front matter's series name, as written
    series_part: int | None = None  # its position in the series, if the front matter says
    body_markdown: str = field(default="", metadata=TEXT)  # its Markdown, front matter removed
    intro_markdown: str = field(default="", metadata=TEXT)
    body_html: str = field(default="", metadata=TEXT)
    intro_html: str = field(default="", metadata=TEXT)
    has_more: bool = field(default=False, metadata=TEXT)
    # The distinct words of the post's text, lower case, in order of first use: what
    # the search index holds of it. Made when the post is rendered, cached with it.
    search_words: str = field(default="", metadata=TEXT)
    url: str = ""  # its address; from the site's permalink pattern unless front matter sets it
    aliases: list[str] = field(default_factory=list)  # old addresses that redirect to it
    # Front matter keys foldpress does not use, for templates (``post.extra.KEY``).
    extra: dict[str, object] = field(default_factory=dict)
    # The file line of each front matter key and of the body ("body"), for error messages.
    source_lines: dict[str, int] = field(
        default_factory=dict, repr=False, compare=False, metadata=TEXT
    )
    # What reading and rendering worked around; cached with the post, reported each build.
    warnings: list[ContentWarning] = field(
        default_factory=list, repr=False, compare=False, metadata=TEXT
    )
    # Made once when the post is rendered, and cached with it; see outputs/_markdown.py.
    markdown: PostMarkdown | None = field(default=None, repr=False, compare=False, metadata=TEXT)
    # A notebook post's (see notebook.py): the files its outputs saved (images), by name
    # beside the post, and the cell and line in it of each line of ``body_markdown``.
    files: dict[str, bytes] = field(default_factory=dict, repr=False, compare=False)
    cell_lines: list[tuple[int, int]] = field(
        default_factory=list, repr=False, compare=False, metadata=TEXT
    )

    def __post_init__(self) -> None:
        if not self.url:
            self.url = expand(DEFAULT_PERMALINK, self.date, self.slug)

    @property
    def markdown_url(self) -> str:
        return markdown_copy(self.url)

    @property
    def last_modified(self) -> datetime:
        return self.updated or self.date


@dataclass(frozen=True)
class PostMarkdown:
    """A post's Markdown as its copies show it: fold marker dropped, URLs absolute."""

    body: str
    intro: str  # stripped
    summary_line: str  # for llms.txt


@dataclass
class Page:
    """A static page such as About, served at /SLUG/ unless front matter sets its ``url``."""

    source: Path
    title: str
    slug: str
    body_markdown: str = ""
    body_html: str = ""
    updated: datetime | None = None
    url: str = ""  # its address: /SLUG/ unless front matter sets it
    aliases: list[str] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)
    source_lines: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    warnings: list[ContentWarning] = field(default_factory=list, repr=False, compare=False)
    nav: bool = True  # listed in the site's navigation (front matter ``nav: false``: not)

    def __post_init__(self) -> None:
        if not self.url:
            self.url = f"/{self.slug}/"

    @property
    def markdown_url(self) -> str:
        return markdown_copy(self.url)


@dataclass
class TopicIndex:
    """A topic and its posts, newest first."""

    topic: Topic
    posts: list[Post]


@dataclass
class SeriesIndex:
    """A series and its posts, in reading order (part 1 first)."""

    series: Series
    posts: list[Post]


@dataclass(frozen=True)
class SeriesPart:
    """Where a post stands in its series: "Part ``number`` of ``len(index.posts)``"."""

    index: SeriesIndex
    number: int  # 1-based

    @property
    def series(self) -> Series:
        return self.index.series

    @property
    def total(self) -> int:
        return len(self.index.posts)

    @property
    def previous(self) -> Post | None:
        return self.index.posts[self.number - 2] if self.number > 1 else None

    @property
    def next(self) -> Post | None:
        return self.index.posts[self.number] if self.number < self.total else None


@dataclass
class Listing:
    """One page of a paginated list of intros: the front page or a topic page.

    URLs: ``/``, ``/page/2/``, ...; ``/topics/SLUG/``, ``/topics/SLUG/page/2/``, ...
    """

    url: str
    title: str
    posts: list[Post]
    page: int  # 1-based
    pages: int
    topic: Topic | None = None
    prev_url: str | None = None  # newer posts
    next_url: str | None = None  # older posts

    @property
    def markdown_url(self) -> str:
        return self.url + "index.html.md"


@dataclass
class ArchiveMonth:
    year: int
    month: int
    posts: list[Post]


@dataclass
class SiteIndex:
    """Everything the outputs need, built once per build.

    ``posts`` is newest first and excludes drafts unless the build asked for them.
    ``topics`` and ``series`` are sorted by name; ``listings`` holds every page of the front page's
    and the topics' pagination; ``archive`` is newest month first.
    """

    config: SiteConfig
    posts: list[Post]
    pages: list[Page]
    topics: list[TopicIndex]
    listings: list[Listing]
    archive: list[ArchiveMonth]
    site_dir: Path | None = None  # the source folder, for writers that copy files from it
    series: list[SeriesIndex] = field(default_factory=list)  # sorted by name
    parts: dict[str, SeriesPart] = field(default_factory=dict, repr=False)  # by post URL
    images: ImageSizes | None = field(default=None, repr=False)  # local images' sizes
    not_found: Page | None = None  # the site's own 404 page, if it has one

    def series_part(self, post: Post) -> SeriesPart | None:
        """The post's place in its series, if it is in one."""
        return self.parts.get(post.url)
