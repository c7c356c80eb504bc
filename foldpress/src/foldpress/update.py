"""A build kept in memory, brought up to date after an edit to the text of posts alone.

While a writer works on a post, nearly every save changes its text and nothing else:
not its title, date, address, topics or series, nor which files the site has. The
site's shape is then what it was, and the new index is the last one with the edited
posts put in their places (:func:`substitute`): the listings, topics, months and series
that hold them are made again, everything else is the same object. An output whose
ingredients are all the same objects, and none of whose template's reads changed,
is what it was; only the others are made again, from their ingredients with the
edited posts put in (:class:`Dependents`). Nothing else of the site is visited, so the
time an edit takes depends on what it touches, not on the size of the site.

What counts as a post's text is marked on the model (``model.TEXT``): the outputs read
it only to make a file, never to decide which files there are. Any other edit (front
matter, a page, a template, a static file, the settings) goes through the whole build
in memory instead (``foldpress.build``), which is right for every edit; the rebuild
state machine (tests/_rebuild_machine.py) compares both with clean builds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from foldpress.keys import NAMED, Lazy, Read, TemplatePage
from foldpress.model import (
    ArchiveMonth,
    Listing,
    Post,
    SeriesIndex,
    SeriesPart,
    SiteIndex,
    TopicIndex,
)

if TYPE_CHECKING:
    from foldpress.cache import OutputRecord
    from foldpress.keys import Keys

# The containers of the index: made again when they hold an edited post.
_CONTAINERS = frozenset({SiteIndex, Listing, TopicIndex, SeriesIndex, SeriesPart, ArchiveMonth})
_DEEP = _CONTAINERS | {list, dict}  # what may hold an edited post
_HOLDERS = {"list", "dict", "Post", *(kind.__name__ for kind in _CONTAINERS)}
# The fields of each container that may hold an edited post, by their declared types.
_FIELDS = {
    kind: tuple(
        f.name
        for f in dataclasses.fields(kind)
        if not _HOLDERS.isdisjoint(re.findall(r"\w+", str(f.type)))
    )
    for kind in _CONTAINERS
}
_SHAPE = tuple(f.name for f in dataclasses.fields(Post) if not f.metadata.get("text"))


def same_shape(old: Post, new: Post) -> bool:
    """Whether ``new`` differs from ``old`` in its text alone (``model.TEXT``)."""
    for name in _SHAPE:
        a, b = getattr(old, name), getattr(new, name)
        if type(a) is not type(b) or a != b:
            return False
        # Equal, but maybe written differently: equal instants in two time zones, 1 and
        # True in a front matter list.
        if type(a) not in (str, bool, type(None)) and repr(a) != repr(b):
            return False
    return True


def substitute(index: SiteIndex, posts: dict[int, Post]) -> tuple[SiteIndex, dict[int, object]]:
    """``index`` with the posts whose ids are the keys of ``posts`` replaced by their
    values, and every container that holds one made again (the others are kept), and
    what replaced what: ids of old objects (posts, containers, lists) -> the new ones."""
    replaced: dict[int, object] = dict(posts)
    edited = set(posts)
    kept: set[int] = set()  # containers looked at and found to hold no edited post

    def renew(value: Any) -> Any:
        kind = type(value)
        new: Any = value
        if kind is list:
            if _DEEP.isdisjoint(map(type, value)):  # posts and plain values
                if not edited.isdisjoint(map(id, value)):
                    new = _swapped(value, replaced)
            else:
                items = [item if at_once(item) else deeper(item) for item in value]
                if any(map(_differs, items, value)):
                    new = items
        elif kind is dict:
            renewed = {k: v if at_once(v) else deeper(v) for k, v in value.items()}
            if any(renewed[k] is not v for k, v in value.items()):
                new = renewed
        elif kind in _CONTAINERS:
            changes = {}
            for name in _FIELDS[kind]:
                old = getattr(value, name)
                made = deeper(old)
                if made is not old:
                    changes[name] = made
            if changes:
                new = dataclasses.replace(value, **changes)
        if new is value:
            kept.add(id(value))
        else:
            replaced[id(value)] = new
        return new

    def deeper(value: Any) -> Any:
        """``value`` renewed, looked at once however many containers hold it."""
        key = id(value)
        done = replaced.get(key)
        if done is not None:
            return done
        if key in kept or type(value) not in _DEEP:
            return value
        return renew(value)

    def at_once(item: Any) -> bool:
        """Whether ``item`` is told to hold no edited post without going into it: the
        usual container, whose one field that may is a list of posts without one, or
        an object looked at already."""
        kind = type(item)
        if kind not in _CONTAINERS or len(_FIELDS[kind]) != 1:
            return id(item) in kept
        inner = getattr(item, _FIELDS[kind][0])
        if id(inner) in kept:
            return True
        if type(inner) is not list or not edited.isdisjoint(map(id, inner)):
            return False
        return _DEEP.isdisjoint(map(type, inner))

    return renew(index), replaced


def _swapped(items: list, replaced: dict[int, object]) -> list:
    """A copy of ``items``, a list of posts and plain values, with the replaced ones
    swapped for the new (found in C: a site's list of posts is long)."""
    ids = list(map(id, items))
    new = items.copy()
    for old in replaced.keys() & set(ids):
        start = 0
        while True:
            try:
                place = ids.index(old, start)
            except ValueError:
                break
            new[place] = replaced[old]
            start = place + 1
    return new


def _differs(a: object, b: object) -> bool:
    return a is not b


class Dependents:
    """Which outputs of the last build depend on what: on an object among their
    ingredients (not a model object that a template is given by name: what it reads of
    those counts), or on a read of a named object; and which are made again by every
    build (pages with no key). Made from the keys, reads and records of a build, and
    brought up to date after each edit (what an output read once stays noted: at
    worst it is made again for nothing)."""

    def __init__(
        self, keys: Keys, reads: dict[str, list[Read]], records: dict[str, OutputRecord]
    ) -> None:
        self.by_object: dict[int, set[str]] = {}
        self.by_read: dict[Read, set[str]] = {}
        self._attributes: dict[tuple[str, ...], set[str]] | None = None  # read, by name
        # Made by a closure or a bound method, whose values cannot be replaced: while
        # there is one, no edit takes this way.
        self.opaque: set[str] = set()
        self.always: set[str] = set()
        for path, (template, made_from, _) in keys.made.items():
            for obj in _ingredients(made_from, named=template is not None):
                if obj is _OPAQUE:
                    self.opaque.add(path)
                else:
                    self.by_object.setdefault(id(obj), set()).add(path)
        self._note_reads(reads)
        self.note_keys(records, records)

    def after_edit(self, replaced: dict[int, object], reads: dict[str, list[Read] | None]) -> None:
        """Bring them up to date after the objects whose ids are the keys of ``replaced``
        were replaced in the outputs made from them (see :func:`remade`), and the pages
        in ``reads`` made again, with what they read."""
        for old, new in replaced.items():
            paths = self.by_object.pop(old, None)
            if paths:
                self.by_object.setdefault(id(new), set()).update(paths)
        self._note_reads({path: found for path, found in reads.items() if found is not None})

    def note_keys(self, records: dict[str, OutputRecord], paths: Iterable[str]) -> None:
        """Note which of the outputs at ``paths`` have no key, from their records."""
        for path in paths:
            if records[path][0]:
                self.always.discard(path)
            else:
                self.always.add(path)

    def _note_reads(self, reads: dict[str, list[Read]]) -> None:
        by_read = self.by_read
        for path, page_reads in reads.items():
            for read in page_reads:
                pages = by_read.get(read)
                if pages is None:
                    by_read[read] = {path}
                    self._attributes = None
                else:
                    pages.add(path)

    def affected(self, replaced: dict[int, object], changed: set[Read]) -> set[str] | None:
        """The outputs made from a replaced object, that read a changed value or that
        have no key; None if some output cannot be made again from its ingredients."""
        if self.opaque:
            return None
        paths = set(self.always)
        for old in replaced:
            paths |= self.by_object.get(old, set())
        for read in changed:
            paths |= self.by_read.get(read, set())
        return paths

    def reads_of(self, names: Iterable[tuple[str, ...]]) -> Iterator[Read]:
        """Every read of the objects named ``names`` that some page made."""
        if self._attributes is None:
            self._attributes = {}
            for name, attribute in self.by_read:
                self._attributes.setdefault(name, set()).add(attribute)
        for name in names:
            for attribute in self._attributes.get(name, ()):
                yield name, attribute


_OPAQUE = object()


def _ingredients(value: Any, *, named: bool) -> Iterator[object]:
    """The objects an output is made from: what ``value`` holds, down to objects that
    are not lists, tuples, dicts, partial functions or lazy values; model objects
    given by name left out where ``named`` (a page's context). ``_OPAQUE`` for a
    closure or a bound method. (A module's function is a constant of the code: its
    default values too. Any other object is taken as a value that holds no post.)"""
    kind = type(value)
    if kind in _PLAIN:
        return
    if kind is list or kind is tuple:
        for item in value:
            yield from _ingredients(item, named=named)
    elif kind is dict:
        for item in value.values():
            yield from _ingredients(item, named=named)
    elif kind is functools.partial:
        yield from _ingredients(value.func, named=False)
        yield from _ingredients(value.args, named=False)
        yield from _ingredients(value.keywords, named=False)
    elif kind is Lazy:
        yield from _ingredients(value.make, named=False)
    elif kind is types.FunctionType:
        if value.__closure__:
            yield _OPAQUE  # what its cells hold cannot be replaced
    elif kind is types.MethodType:
        yield _OPAQUE  # nor what it is bound to
    elif not (named and isinstance(value, NAMED)):
        yield value


_PLAIN = frozenset({str, bytes, int, float, bool, type(None), dt.datetime, dt.date, Path})


def remade(
    template: str | None, made_from: Any, env: object, keys: Keys, replaced: dict[int, object]
) -> Any:
    """What the output is made from now: its ingredients with the replaced objects put
    in; a template page again if ``template``, whose model objects given by name (those
    of the build that last made it, maybe not the last build) are this build's."""
    if template is None:
        return _put(made_from, replaced, None)
    return TemplatePage(env, template, _put(made_from, replaced, keys.current))


def _put(
    value: Any, replaced: dict[int, object], current: Callable[[object], object] | None
) -> Any:
    found = replaced.get(id(value))
    if found is not None:
        return found
    kind = type(value)
    if current is not None and kind in _NAMED:
        return current(value)
    if kind is list or kind is tuple:
        return kind(_put(item, replaced, current) for item in value)
    if kind is dict:
        return {k: _put(v, replaced, current) for k, v in value.items()}
    if kind is functools.partial:  # its values are described whole: not by name
        args = tuple(_put(a, replaced, None) for a in value.args)
        keywords = {k: _put(v, replaced, None) for k, v in value.keywords.items()}
        return functools.partial(value.func, *args, **keywords)
    if kind is Lazy:
        return Lazy(_put(value.make, replaced, None))
    return value


_NAMED = frozenset(NAMED)


def edited_posts(
    before: Mapping[Path, object],
    items: Mapping[bytes, object],
    keys: dict[Path, tuple[str, bytes]],
    last: Keys,
) -> dict[int, Post] | None:
    """The posts whose text alone was edited: the id of each as the last index holds it
    -> the post now; None if an edit was anything else. ``before`` is what each changed
    file was (None: not a source then), ``items`` and ``keys`` what the sources are now
    (see ``content.SourceMemory``), ``last`` the keys of the last build."""
    from foldpress.notebook import published_files

    posts: dict[int, Post] = {}
    for path, old in before.items():
        entry = keys.get(path)
        new = items.get(entry[1]) if entry is not None else None
        if old is new and old is not None:
            continue  # saved as it was
        if not isinstance(old, Post) or not isinstance(new, Post):
            return None
        # Not in the last index as it is (a draft; a copy with its topic names unified),
        # or published as a file too (a notebook): not an edit of its text alone.
        if id(old) not in last.names or published_files(new) or not same_shape(old, new):
            return None
        posts[id(old)] = new
    return posts


def changed_reads(
    last: Keys, keys: Keys, replaced: dict[int, object], dependents: Dependents
) -> set[Read]:
    """The reads of replaced model objects that find another value now."""
    names = [last.names[i] for i in replaced if i in last.names]
    changed = set()
    for name, attribute in dependents.reads_of(names):
        try:
            before = last.named(last.look_up(name, attribute))
            now = keys.named(keys.look_up(name, attribute))
        except Exception:  # Unkeyable, or a value that cannot be had again: changed
            changed.add((name, attribute))
            continue
        if before != now:
            changed.add((name, attribute))
    return changed
