"""Results of pure functions of what a build kept in memory shares with the next one.

``serve`` keeps posts, pages and the settings from one build to the next, and never
changes them once made (see :mod:`foldpress.keys`): the same object, the same value.
A function of only such objects and plain values (a post's line in ``llms.txt``, its
words for the search index) gives the same result for the same objects, so its result
is remembered by their identity, and a rebuild after one edit makes it again for the
edited post alone. A result is forgotten when one of its arguments goes (they are held
weakly), so that their ids are not reused for another's and the posts an edit replaced
are not kept alive: a result must not hold its arguments.

A whole-site output (``llms-full.txt``, the search index) makes one piece per post of
the site: :class:`PerPost` keeps the last list of pieces and makes again only those of
the posts that are not the same objects as last time, without a call per post.
"""

from __future__ import annotations

import functools
import itertools
import operator
import types
import weakref
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from foldpress.config import SiteConfig
from foldpress.model import ArchiveMonth, Page, Post, SeriesIndex

P = ParamSpec("P")
R = TypeVar("R")

# What outlives a build kept in memory, unchanged: the same object, the same value.
KEPT = frozenset({Post, Page, ArchiveMonth, SeriesIndex, SiteConfig, types.FunctionType})
_PLAIN = frozenset({str, int, bool, type(None)})
SIZE = 50_000  # results remembered per function: the posts of a large site, and more


def by_identity(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` remembering its results by its arguments' identity, when they are
    all kept objects or plain values (else it is called each time)."""
    # In the order remembered: past SIZE the first remembered goes (made again if asked).
    remembered: dict[tuple, tuple[list[weakref.ref], R]] = {}

    @functools.wraps(function)
    def remembering(*args: P.args, **kwargs: P.kwargs) -> R:
        values = (*args, *kwargs.values()) if kwargs else args
        parts: list[object] = []  # a plain loop: this runs for every post in every build
        for value in values:
            kind = type(value)
            if kind in KEPT:
                parts.append(id(value))
            elif kind in _PLAIN:
                parts.append((kind, value))
            else:
                return function(*args, **kwargs)
        key = (*parts, *kwargs)
        found = remembered.get(key)
        if found is not None:
            return found[1]
        result = function(*args, **kwargs)

        def forget(_: object) -> None:
            remembered.pop(key, None)

        # Held weakly: the entry goes when one of its objects does (before its id can
        # be another's), so that a post replaced by an edit is not kept alive here.
        remembered[key] = ([weakref.ref(v, forget) for v in values if type(v) in KEPT], result)
        if len(remembered) > SIZE:
            del remembered[next(iter(remembered))]
        return result

    return remembering


class PerPost:
    """``make(post, *args)`` for every post of a list: the pieces of the last list
    called with, for the posts that are the same objects in the same places, with the
    same ``args``; made again for the others."""

    def __init__(self, make: Callable[..., R]) -> None:
        self.make = make
        self._posts: list[Post] = []  # held, so that their ids are not reused
        self._ids: list[int] = []
        self._args: tuple = ()
        self._pieces: list = []

    def __call__(self, posts: list[Post], *args: object) -> list:
        ids = list(map(id, posts))
        same_args = len(args) == len(self._args) and all(map(operator.is_, args, self._args))
        if not same_args or len(ids) != len(self._ids):
            pieces = [self.make(post, *args) for post in posts]
        else:
            pieces = self._pieces.copy()
            # The places where the posts differ, found in C: a site may have 10,000.
            for place in itertools.compress(itertools.count(), map(operator.ne, ids, self._ids)):
                pieces[place] = self.make(posts[place], *args)
        self._posts, self._ids, self._args, self._pieces = list(posts), ids, args, pieces
        return pieces.copy()  # the caller's to change
