"""Results of pure functions of what a build kept in memory shares with the next one.

``serve`` keeps posts, pages and the settings from one build to the next, and never
changes them once made (see :mod:`foldpress.keys`): the same object, the same value.
A function of only such objects and plain values (a post's line in ``llms.txt``, its
words for the search index) gives the same result for the same objects, so its result
is remembered by their identity, and a rebuild after one edit makes it again for the
edited post alone. The remembered arguments are held, so their ids are not reused.
"""

from __future__ import annotations

import functools
import types
from collections import OrderedDict
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from foldpress.config import SiteConfig
from foldpress.model import Page, Post

P = ParamSpec("P")
R = TypeVar("R")

# What outlives a build kept in memory, unchanged: the same object, the same value.
KEPT = frozenset({Post, Page, SiteConfig, types.FunctionType})
_PLAIN = frozenset({str, int, bool, type(None)})
SIZE = 50_000  # results remembered per function: the posts of a large site, and more


def by_identity(function: Callable[P, R]) -> Callable[P, R]:
    """``function`` remembering its results by its arguments' identity, when they are
    all kept objects or plain values (else it is called each time)."""
    remembered: OrderedDict[tuple, tuple[tuple, R]] = OrderedDict()

    @functools.wraps(function)
    def remembering(*args: P.args, **kwargs: P.kwargs) -> R:
        values = (*args, *kwargs.values())
        if not all(type(v) in KEPT or type(v) in _PLAIN for v in values):
            return function(*args, **kwargs)
        key = (*((type(v), v) if type(v) in _PLAIN else id(v) for v in values), *kwargs)
        found = remembered.get(key)
        if found is not None:
            remembered.move_to_end(key)
            return found[1]
        result = function(*args, **kwargs)
        remembered[key] = (values, result)
        if len(remembered) > SIZE:
            remembered.popitem(last=False)
        return result

    return remembering
