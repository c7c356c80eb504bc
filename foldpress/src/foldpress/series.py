"""Series: posts meant to be read in order, put together from their front matter.

A post joins a series with ``series: NAME``. Its parts are in date order, except that a
post with ``series_part: N`` is part N; the posts without one fill the free places in
date order. Two posts claiming one part, or a part past the end (which leaves a gap),
is an error naming both files.
"""

from __future__ import annotations

from collections import defaultdict

from foldpress.errors import ContentError
from foldpress.model import Post, Series, SeriesIndex, SeriesPart
from foldpress.slugs import slugify


def collect_series(posts: list[Post]) -> tuple[list[SeriesIndex], list[ContentError]]:
    """Every series of ``posts`` with its parts in order, sorted by name; and the errors
    in their ``series_part`` numbers."""
    members: dict[str, list[Post]] = defaultdict(list)
    for post in sorted(posts, key=lambda p: (p.date, p.slug)):
        if post.series:
            members[slugify(post.series)].append(post)
    found, errors = [], []
    for slug, group in members.items():
        spellings = [post.series or "" for post in group]
        name = min(set(spellings), key=lambda name: (-spellings.count(name), name))
        parts, problems = _order(name, group)
        errors += problems
        found.append(SeriesIndex(Series(name, slug), parts))
    return sorted(found, key=lambda s: s.series.name.casefold()), errors


def series_parts(series: list[SeriesIndex]) -> dict[str, SeriesPart]:
    """Each post's place in its series, by the post's URL."""
    return {
        post.url: SeriesPart(entry, number)
        for entry in series
        for number, post in enumerate(entry.posts, 1)
    }


def _order(name: str, posts: list[Post]) -> tuple[list[Post], list[ContentError]]:
    """``posts`` (in date order) in reading order, and the clashes and gaps found."""
    total = len(posts)
    places: dict[int, Post] = {}
    errors = []
    for post in posts:
        number = post.series_part
        if number is None:
            continue
        if number in places:
            other = places[number].source
            message = f"series {name!r}: part {number} is also claimed by {other}"
            errors.append(_error(post, message))
        else:
            places[number] = post
    unnumbered = iter(post for post in posts if post.series_part is None)
    order = [places.get(n) or next(unnumbered, None) for n in range(1, total + 1)]
    for number, post in sorted(places.items()):
        if number > total:
            before = max((n for n in places if n < number), default=0)
            after = f" after part {before} ({places[before].source})" if before else ""
            message = (
                f"series {name!r} has {total} part{'s' * (total != 1)}, so part {number} "
                f"leaves a gap{after}"
            )
            errors.append(_error(post, message))
            order.append(post)
    return [post for post in order if post is not None], errors


def _error(post: Post, message: str) -> ContentError:
    line = post.source_lines.get("series_part") or post.source_lines.get("series")
    return ContentError(post.source, line, message)
