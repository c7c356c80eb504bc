"""Build the site index: posts in order, topics, paginated listings, the archive."""

from __future__ import annotations

import dataclasses
import operator
from collections import defaultdict
from collections.abc import Callable
from itertools import groupby
from pathlib import Path
from typing import TypeVar

from foldpress.addresses import output_file
from foldpress.config import SiteConfig
from foldpress.errors import ContentError
from foldpress.images import ImageSizes, bundle_files
from foldpress.model import (
    ArchiveMonth,
    Listing,
    Page,
    Post,
    Series,
    SiteIndex,
    Topic,
    TopicIndex,
)
from foldpress.notebook import published_files
from foldpress.series import collect_series, series_parts

# Top-level folders and files the site's own outputs use: no post, page or old address
# may take them.
RESERVED_SLUGS = frozenset(
    {"page", "topics", "series", "search", "archive", "feed", "theme", "404"}
)
# A page at one of these addresses is the site's 404 page, shown instead of the theme's
# (pages/404.md; an imported site's old 404 page).
NOT_FOUND_URLS = frozenset({"/404.html", "/404/"})
RESERVED_FILES = frozenset(
    {
        "index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
        "llms.txt",
        "llms-full.txt",
        "_redirects",
    }
)


def check_urls(posts: list[Post], pages: list[Page]) -> list[ContentError]:
    """An error for every address that two posts or pages claim (as their URL or as an
    old address that redirects to them), or that the site's own pages use."""
    errors = []
    owners: dict[str, Path] = {}  # the file that answers an address -> who claimed it
    items: list[Post | Page] = [*posts, *pages]
    for item in items:
        lines = item.source_lines
        line = lines.get("url") or lines.get("permalink") or lines.get("slug") or lines.get("title")
        alias_line = lines.get("aliases") or lines.get("redirect_from")
        claims = [("URL", item.url, line), *(("old address", a, alias_line) for a in item.aliases)]
        if isinstance(item, Page) and item.url in NOT_FOUND_URLS:
            claims = claims[1:]  # the 404 page: written where the theme's would be
        for what, address, at in claims:
            file = output_file(address)
            if file.split("/")[0] in RESERVED_SLUGS or file in RESERVED_FILES:
                kind = "page" if isinstance(item, Page) else "post"
                message = f"{kind} {what} {address} is used by the site itself: choose another"
                errors.append(ContentError(item.source, at, message))
            elif file in owners:
                message = f"{what} {address} is already used by {owners[file]}"
                errors.append(ContentError(item.source, at, message))
            else:
                owners[file] = item.source
    return errors


def build_index(
    config: SiteConfig, posts: list[Post], pages: list[Page], site_dir: Path | None = None
) -> SiteIndex:
    """Order everything and paginate it; the outputs only ever read the result."""
    posts = sorted(posts, key=lambda p: (p.date, p.slug), reverse=True)
    not_found = next((p for p in pages if p.url in NOT_FOUND_URLS), None)
    pages = sorted((p for p in pages if p is not not_found), key=lambda p: p.title.casefold())
    posts = _unify_topic_names(posts)

    by_topic: dict[Topic, list[Post]] = defaultdict(list)
    for post in posts:
        for topic in post.topics:
            by_topic[topic].append(post)
    topics = [
        TopicIndex(topic, topic_posts)
        for topic, topic_posts in sorted(by_topic.items(), key=lambda kv: kv[0].name.casefold())
    ]

    listings = paginate(posts, "/", config.title, config.posts_per_page)
    for entry in topics:
        listings += paginate(
            entry.posts, entry.topic.url, entry.topic.name, config.posts_per_page, entry.topic
        )

    archive = [
        ArchiveMonth(year, month, list(month_posts))
        for (year, month), month_posts in groupby(posts, key=lambda p: (p.date.year, p.date.month))
    ]
    series, _ = collect_series(posts)  # the build has reported the errors already
    return SiteIndex(
        config,
        posts,
        pages,
        topics,
        listings,
        archive,
        site_dir,
        series,
        series_parts(series),
        ImageSizes(site_files(site_dir, posts)),
        not_found,
    )


def keep_unchanged(index: SiteIndex, previous: SiteIndex) -> None:
    """Put in ``index`` the listings, topics, months, series and series places of
    ``previous`` (an earlier build's index, kept in memory) that are what they were:
    the same posts in the same order, the same values. Nothing in an index is changed
    once made, so a build kept in memory can tell by identity what it need not look at
    again (see :mod:`foldpress.keys`)."""

    def kept(new: list[T], old: list[T], name: Callable[[T], object]) -> list[T]:
        before = {name(item): item for item in old}
        return [_same_or(item, before.get(name(item))) for item in new]

    index.listings = kept(index.listings, previous.listings, lambda listing: listing.url)
    index.topics = kept(index.topics, previous.topics, lambda entry: entry.topic.slug)
    index.archive = kept(index.archive, previous.archive, lambda m: (m.year, m.month))
    index.series = kept(index.series, previous.series, lambda entry: entry.series.slug)
    parts = series_parts(index.series)
    index.parts = {url: _same_or(part, previous.parts.get(url)) for url, part in parts.items()}


T = TypeVar("T")


def _same_or(new: T, old: T | None) -> T:
    """``old`` if it holds what ``new`` holds, field by field: the same objects, or
    equal values of a kind that is never changed."""
    if old is None or type(old) is not type(new):
        return new
    for field in dataclasses.fields(new):  # type: ignore[arg-type]
        a, b = getattr(new, field.name), getattr(old, field.name)
        if a is b or (type(a) in _VALUES and type(b) is type(a) and a == b):
            continue
        same_list = type(a) is list and type(b) is list and len(a) == len(b)
        if same_list and all(map(operator.is_, a, b)):
            continue
        return new
    return old


_VALUES = frozenset({str, int, bool, Topic, Series})  # compared by value


def site_files(site_dir: Path | None, posts: list[Post]) -> dict[str, Path | bytes]:
    """The files the site publishes as they are, by site path without the leading "/":
    ``static/``, the posts' page bundles and notebooks' images."""
    from foldpress.theme import files_in  # with Jinja2, which the output side imports later

    files: dict[str, Path | bytes] = {}
    static = site_dir / "static" if site_dir else None
    if static and static.is_dir():
        files.update((p.relative_to(static).as_posix(), p) for p in files_in(static))
    for post in posts:
        files.update(bundle_files(post))
        files.update(published_files(post))
    return files


def paginate(
    posts: list[Post], url: str, title: str, per_page: int, topic: Topic | None = None
) -> list[Listing]:
    """Pages of ``per_page`` posts at ``url``, ``url``page/2/, ...; at least one page."""
    chunks = [posts[i : i + per_page] for i in range(0, len(posts), per_page)] or [[]]

    def page_url(number: int) -> str:
        return url if number == 1 else f"{url}page/{number}/"

    pages = len(chunks)
    return [
        Listing(
            url=page_url(n),
            title=title,
            posts=chunk,
            page=n,
            pages=pages,
            topic=topic,
            prev_url=page_url(n - 1) if n > 1 else None,
            next_url=page_url(n + 1) if n < pages else None,
        )
        for n, chunk in enumerate(chunks, 1)
    ]


def _unify_topic_names(posts: list[Post]) -> list[Post]:
    """Give every spelling of a topic ("python", "Python") one name: the most used one.

    A post whose topics this renames is replaced by a copy: the posts read from the
    sources are not changed, so ``serve`` can keep them for the next build."""
    spellings: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for post in posts:
        for topic in post.topics:
            spellings[topic.slug][topic.name] += 1
    names = {
        slug: min(counts, key=lambda name: (-counts[name], name))
        for slug, counts in spellings.items()
    }
    return [
        post
        if all(t.name == names[t.slug] for t in post.topics)
        else dataclasses.replace(post, topics=[Topic(names[t.slug], t.slug) for t in post.topics])
        for post in posts
    ]
