"""Small ``SiteIndex`` objects built by hand, for testing output writers on their own.

The HTML comes from the real renderer, without the fold's intro logic, which is enough
for what the writers do with it (copy it, make its URLs absolute).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from foldpress.config import SiteConfig
from foldpress.markdown import create_markdown
from foldpress.model import ArchiveMonth, Listing, Page, Post, SiteIndex, Topic, TopicIndex

TZ = ZoneInfo("Europe/London")
_md = create_markdown()

TRICKY_TITLE = 'Why "a < b" & c'
TRICKY_BODY = """\
Comparisons chain: `a < b < c` means `a < b and b < c`.

<!--more-->

See [the docs](../../../docs/) and ![a chart](chart.png), or [home](/).[^1]

```python
if a < b & c: print("[x](y.png)")
```

[^1]: A footnote with a [link](/about/).
"""


def post(
    title: str,
    day: datetime,
    body: str = "An intro sentence. More text.\n",
    *,
    slug: str | None = None,
    topics: tuple[str, ...] = (),
    updated: datetime | None = None,
    summary: str | None = None,
) -> Post:
    """A post whose intro is the part of ``body`` above ``<!--more-->``."""
    intro, more, _ = body.partition("<!--more-->")
    intro_md = intro if more else body
    return Post(
        source=Path(f"posts/{slug or 'post'}.md"),
        title=title,
        date=day,
        slug=slug or "-".join(title.lower().split())[:40],
        topics=[Topic(name, name.lower().replace(" ", "-")) for name in topics],
        updated=updated,
        summary=summary,
        body_markdown=body,
        intro_markdown=intro_md,
        body_html=_md.html(body),
        intro_html=_md.html(intro_md),
        has_more=bool(more),
    )


def page(title: str, body: str, slug: str) -> Page:
    return Page(Path(f"pages/{slug}.md"), title, slug, body, _md.html(body))


def site(posts: list[Post], pages: Sequence[Page] = (), per_page: int = 3, **settings) -> SiteIndex:
    """Index ``posts`` (sorted newest first) the way the core build does."""
    config = SiteConfig(
        title="Test blog",
        description="A blog for tests.",
        author="Tess Ter",
        base_url="https://blog.example.org/",
        timezone="Europe/London",
        **settings,
    )
    posts = sorted(posts, key=lambda p: p.date, reverse=True)
    topics: dict[Topic, list[Post]] = {}
    for p in posts:
        for topic in p.topics:
            topics.setdefault(topic, []).append(p)
    topic_indexes = [TopicIndex(t, ps) for t, ps in sorted(topics.items(), key=lambda i: i[0].name)]
    listings = _paginate("/", config.title, posts, per_page, None)
    for ti in topic_indexes:
        listings += _paginate(ti.topic.url, ti.topic.name, ti.posts, per_page, ti.topic)
    months: dict[tuple[int, int], list[Post]] = {}
    for p in posts:
        months.setdefault((p.date.year, p.date.month), []).append(p)
    archive = [ArchiveMonth(y, m, ps) for (y, m), ps in months.items()]
    return SiteIndex(config, posts, list(pages), topic_indexes, listings, archive)


def _paginate(base: str, title: str, posts: list[Post], per_page: int, topic) -> list[Listing]:
    chunks = [posts[i : i + per_page] for i in range(0, len(posts), per_page)] or [[]]
    urls = [base if n == 0 else f"{base}page/{n + 1}/" for n in range(len(chunks))]
    return [
        Listing(
            url=urls[n],
            title=title,
            posts=chunk,
            page=n + 1,
            pages=len(chunks),
            topic=topic,
            prev_url=urls[n - 1] if n > 0 else None,
            next_url=urls[n + 1] if n + 1 < len(chunks) else None,
        )
        for n, chunk in enumerate(chunks)
    ]


def days(n: int, start: datetime = datetime(2025, 1, 1, 9, 30, tzinfo=TZ)) -> list[datetime]:
    """``n`` dates a few days apart, oldest first."""
    return [start + timedelta(days=5 * i) for i in range(n)]
