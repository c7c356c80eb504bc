"""Output keys derived from what an output is made from, never listed by hand.

An output file is made again only when its key changes, so a key must cover everything
the file shows. Two kinds of output, two ways to derive it:

- **A function of its arguments** (a feed, a Markdown copy, ``llms.txt``, a static
  file): the key is a digest of the function and of every value it is given, taken
  whole (:meth:`Keys.of_call`): a post's every field, a list's every item.
- **A template page**: its template receives the whole site index, yet reads a little of
  it. While it renders, every attribute it reads of the data model's objects (a post, a
  listing, the index) is recorded (:class:`RecordingEnvironment`); its key is a digest
  of the template, the context it was given (the model's objects in it by name, the
  rest whole) and the value of each of those reads. The next build looks up the same
  reads in the new index, without rendering: a template is a deterministic program, so
  if every value it read is unchanged, it takes the same path and makes the same page.
  A page whose reads cannot be looked up again (a method of a model object called
  from a template) gets no key and is rendered every time.

Settings and templates are in every key through the build's salt, so navigation,
series and topics shown on every page need no special case: a page that shows them
has read them. A post or page is described by its source's key (the file's bytes and
the settings it is rendered with), as the cache of rendered sources trusts it.

A build kept in memory for the next (``foldpress serve``) carries over what it found:
nothing in the model is changed once made, so an output made from the same objects as
in the last build, none of whose reads changed, keeps its key without describing
anything again (:meth:`Keys._same`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import io
import pickle
import threading
import types
from collections.abc import Callable, Iterable
from pathlib import PurePath
from typing import Any

from foldpress.errors import ContentWarning
from foldpress.model import (
    ArchiveMonth,
    Listing,
    Page,
    Post,
    PostMarkdown,
    Series,
    SeriesIndex,
    SeriesPart,
    SiteIndex,
    Topic,
    TopicIndex,
)

Name = tuple[str, ...]  # a model object's name, the same in every build of the site
Read = tuple[Name, str]  # an attribute of a named object, read by a template
# What a read found: the object read, the value, the digest of the read and the value
# described, and that description.
_Found = tuple[object, object, bytes, object]


class Unkeyable(Exception):
    """What a page read cannot be looked up again without rendering it."""


# The model objects a template reaches by reading attributes, named by what makes each
# one itself. Any other object in a context is described whole.
def _names(index: SiteIndex) -> Iterable[tuple[object, Name]]:
    site = _prefix(index.site_dir) or ""
    objects: list[Iterable[object]] = [
        [index],
        index.posts,
        index.pages,
        [index.not_found] if index.not_found else [],
        index.listings,
        index.topics,
        index.series,
        index.parts.values(),
        index.archive,
    ]
    for each in objects:
        for obj in each:
            yield obj, name_for(obj, site)


def name_for(obj: object, site: str) -> Name:
    """The name of a model object of an index of the site whose paths start with
    ``site``: the same in every build."""
    if isinstance(obj, Post | Page):
        kind = "post" if isinstance(obj, Post) else "page"
        return (kind, str(obj.source).removeprefix(site))
    if isinstance(obj, Listing):
        return ("listing", obj.url)
    if isinstance(obj, TopicIndex):
        return ("topic", obj.topic.slug)
    if isinstance(obj, SeriesIndex):
        return ("series", obj.series.slug)
    if isinstance(obj, SeriesPart):
        return ("part", obj.index.posts[obj.number - 1].url)
    if isinstance(obj, ArchiveMonth):
        return ("month", str(obj.year), str(obj.month))
    if isinstance(obj, SiteIndex):
        return ("index",)
    raise TypeError(f"not a named model object: {type(obj).__name__}")


def _prefix(site_dir: PurePath | None) -> str | None:
    """How paths in the site folder start ("." is how Path spells the current folder)."""
    return None if site_dir is None else "" if str(site_dir) == "." else f"{site_dir}/"


NAMED = (SiteIndex, Post, Page, Listing, TopicIndex, SeriesIndex, SeriesPart, ArchiveMonth)


def digest_of(value: object) -> bytes:
    """A digest of plain data (see :meth:`Keys.whole`) that depends on values only."""
    buffer, pickler = _pickler()
    buffer.seek(0)
    buffer.truncate()
    pickler.dump(value)
    # SHA-256 runs on the CPU's own instructions where there are some: two or three
    # times BLAKE2b's speed on the megabytes of text that a build's keys cover.
    return hashlib.sha256(buffer.getbuffer()).digest()[:16]


_local = threading.local()


def _pickler() -> tuple[io.BytesIO, pickle.Pickler]:
    """This thread's pickler for digests: made once, as a build takes many thousands."""
    made = getattr(_local, "pickler", None)
    if made is None:
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=5)
        # Without a memo: a string that is one object in this build (a post's intro
        # that is its body) and two in the next (read back from the cache) is pickled
        # the same.
        pickler.fast = True
        made = _local.pickler = (buffer, pickler)
    return made


class Descriptions:
    """An index's model objects by name, and any value as plain data that equal values
    share (:meth:`named`, :meth:`whole`), each object described once."""

    def __init__(self, index: SiteIndex | None) -> None:
        # Paths in the site, relative to it: the same keys however its folder is spelled.
        self._site = _prefix(index.site_dir) if index else None
        self.by_name: dict[Name, object] = {}
        self.names: dict[int, Name] = {}
        if index is not None:
            for obj, name in _names(index):
                self.by_name[name] = obj
                self.names[id(obj)] = name
        # id -> (the object, kept alive so that its id is not reused; its description)
        self._whole: dict[int, tuple[object, object]] = {}
        self._named: dict[int, tuple[object, object]] = {}

    def describe_by_source(self, items: Iterable[tuple[object, bytes]]) -> None:
        """Describe each post or page of ``items`` by the key of its source: the
        rendering of the same file with the same settings is the same (the cache of
        rendered sources rests on it too), and a key is much cheaper than the post."""
        for item, key in items:
            self._whole[id(item)] = (item, ("source", key))

    def look_up(self, name: Name, attribute: str) -> object:
        """What ``name.attribute`` is in this build, looked up as Jinja2 does."""
        obj = self.by_name.get(name)
        if obj is None:
            raise Unkeyable(name)  # gone: the page changed
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]  # type: ignore[index]
        except (TypeError, LookupError, AttributeError):
            return _UNDEFINED

    def current(self, obj: object) -> object:
        """The object of this build's index with the name of ``obj``, a model object of
        an earlier build's; ``obj`` itself if there is none."""
        try:
            return self.by_name.get(name_for(obj, self._site or ""), obj)
        except TypeError:
            return obj

    def name_of(self, obj: object) -> Name:
        """The name of a model object of this build's index."""
        name = self.names.get(id(obj))
        if name is None or self.by_name[name] is not obj:
            raise Unkeyable(obj)  # not in the index: cannot be looked up again
        return name

    def named(self, value: object) -> object:
        """``value`` as a template sees it: model objects by name (what it reads of them
        is recorded), the rest whole."""
        if type(value) in _PLAIN:
            return value
        if type(value).__module__ == "jinja2.runtime" and "Undefined" in type(value).__name__:
            return _UNDEFINED  # whichever kind the environment makes
        if isinstance(value, NAMED):
            return self.name_of(value)
        if isinstance(value, types.MethodType) and isinstance(value.__self__, NAMED):
            raise Unkeyable(value)  # what it returns is not recorded
        if isinstance(value, list | tuple | dict):
            memo = self._named.get(id(value))
            if memo is None:
                if isinstance(value, dict):
                    items: object = [(self.named(k), self.named(v)) for k, v in value.items()]
                else:
                    items = [self.named(item) for item in value]
                memo = self._named[id(value)] = (value, (type(value).__name__, items))
            return memo[1]
        return self.whole(value)

    def whole(self, value: object) -> object:
        """``value`` with everything it holds: every field of an object, every item of a
        list, the cells of a function's closure."""
        kind = type(value)
        if kind in _PLAIN:
            return value
        if isinstance(value, str | bytes | int | float | dt.date | dt.time | dt.timedelta):
            return value  # subclasses such as markupsafe.Markup
        if isinstance(value, PurePath):
            text = str(value)
            if self._site is not None and f"{text}/" in (self._site, "./"):
                return ("site", "")  # the site folder itself
            if (
                self._site is not None
                and text.startswith(self._site)
                and not (self._site == "" and value.is_absolute())
            ):
                return ("site", text.removeprefix(self._site))
            return text
        if isinstance(value, list | tuple) and (kind is list or kind is tuple):
            # Lists of every post are common (llms.txt, the search index): an item
            # described already is looked up here, without a call.
            described, items = self._whole.get, []
            for item in value:
                if type(item) in _PLAIN:
                    items.append(item)
                else:
                    found = described(id(item))
                    items.append(found[1] if found is not None else self.whole(item))
            return (kind.__name__, items)
        if isinstance(value, dict) and kind is dict:
            return ("dict", [(self.whole(k), self.whole(v)) for k, v in value.items()])
        if kind is functools.partial or kind is Lazy:
            # Made for one output each (a page's link preview, a file's maker): not
            # shared, so described as they are, not once as a digest.
            return self._parts(value)
        # Objects are described once per build, as a digest: many outputs share them
        # (the settings, the posts, the functions that make a page's parts).
        memo = self._whole.get(id(value))
        if memo is None:
            if kind in _PICKLED_WHOLE:
                memo = (value, self._pickled_digest(value))
            else:
                memo = (value, digest_of(self._parts(value)))
            self._whole[id(value)] = memo
        return memo[1]

    def _pickled_digest(self, value: object) -> bytes:
        """A digest of a post or page with everything it holds, as :meth:`whole` would
        describe it, but pickled as it is where its values are plain: a build takes
        one of every post, and pickle's C code goes through their fields and texts
        many times faster than :meth:`_parts`. Whatever is not plain (a path, an
        object of another kind) is pickled as :meth:`whole` describes it. Sets, which
        pickle gives in an order that differs between processes, cannot be in them:
        their front matter values are plain data (see ``reader._plain``), as the
        cache keeps them."""
        buffer = io.BytesIO()
        pickler = _Describer(buffer, self, value)
        pickler.dump(value)
        return hashlib.sha256(buffer.getbuffer()).digest()[:16]

    def _parts(self, value: object) -> object:
        whole = self.whole
        if isinstance(value, list | tuple):
            return (type(value).__name__, [whole(item) for item in value])
        if isinstance(value, set | frozenset):
            return ("set", sorted(digest_of(whole(item)) for item in value))
        if isinstance(value, dict):
            return ("dict", [(whole(k), whole(v)) for k, v in value.items()])
        if isinstance(value, functools.partial):
            return ("partial", whole(value.func), whole(value.args), whole(value.keywords))
        if isinstance(value, types.FunctionType):
            cells = [cell.cell_contents for cell in value.__closure__ or ()]
            name = (value.__module__, value.__qualname__)
            return ("function", name, whole(cells), whole(value.__defaults__))
        if isinstance(value, types.MethodType):
            return ("method", whole(value.__func__), whole(value.__self__))
        if isinstance(value, types.BuiltinFunctionType | type):
            return ("builtin", value.__module__, value.__qualname__)
        if dataclasses.is_dataclass(value):
            kind = type(value)
            names = _FIELDS.get(kind)
            if names is None:
                names = _FIELDS[kind] = tuple(f.name for f in dataclasses.fields(value))
            fields = [getattr(value, name) for name in names]
            return (kind.__qualname__, [v if type(v) in _PLAIN else whole(v) for v in fields])
        state = getattr(value, "__getstate__", None)
        if state is not None and not isinstance(value, type):
            return (type(value).__qualname__, whole(state()))
        return pickle.dumps(value)


class Keys(Descriptions):
    """Keys of one build's outputs: digests of what each is made from (each value
    described and digested once per build), and what a build kept in memory can tell
    unchanged without describing it again."""

    def __init__(
        self,
        index: SiteIndex | None,
        salt: bytes = b"",
        previous: Keys | None = None,
        *,
        remember: bool = False,
    ) -> None:
        super().__init__(index)
        self.salt = salt
        # Whether to note what each output is made from, for the next build kept in
        # memory (``previous`` is the last one).
        self.remember = remember or previous is not None
        self._reads: dict[Read, _Found] = {}
        # An output's path -> the template (None: a function makes it) and what it was
        # made from (see _same), and the digest of that described.
        self._made: dict[str, tuple[str | None, object, bytes]] = {}
        self._made_before: dict[str, tuple[str | None, object, bytes]] = {}
        self._names_before: dict[int, Name] = {}  # the names of the last build's objects
        # A page's path -> the reads its key was taken with, the salt, and the key
        self._pages: dict[str, tuple[list[Read], bytes, bytes]] = {}
        self._pages_before: dict[str, tuple[list[Read], bytes, bytes]] = {}
        # The reads of the last build whose object is not in this one (a listing made
        # again, a post read again), with their digests then; which of them changed.
        self._stale: list[tuple[Read, _Found]] = []
        self._changed: set[Read] | None = None
        if previous is not None and previous._site == self._site:
            self._carry_over(previous, index)

    def _carry_over(self, previous: Keys, index: SiteIndex | None) -> None:
        """Take over what ``previous``, the keys of an earlier build kept in memory (by
        ``serve``), found out about the objects that this build shares with it: the
        posts and pages that were not read again, the settings if unchanged. The
        model's objects are not changed once the index is built (``index.build_index``
        makes a new post where it must change one), so the same object with the same
        value is the same description."""
        alive = {id(obj) for obj in self.by_name.values()}
        if index is not None:
            alive.add(id(index.config))
        whole = previous._whole
        self._whole = {i: whole[i] for i in alive if i in whole}
        owner = self.by_name.get
        for read, found in previous._reads.items():
            if owner(read[0]) is found[0]:
                self._reads[read] = found
            else:
                self._stale.append((read, found))
        self._made_before, previous._made_before = previous._made, {}
        self._names_before = previous.names
        self._pages_before, previous._pages_before = previous._pages, {}

    @classmethod
    def after_edit(cls, previous: Keys, replaced: dict[int, object]) -> Keys:
        """The keys of the index of ``previous`` with the objects whose ids are the keys
        of ``replaced`` replaced (see ``foldpress.update``): everything else is carried
        over as it is, without looking at every object of the index. The reads found
        changed are told with :meth:`note_changed`."""
        keys = cls.__new__(cls)
        keys._site, keys.salt, keys.remember = previous._site, previous.salt, True
        keys.by_name, keys.names = dict(previous.by_name), dict(previous.names)
        for old, new in replaced.items():
            name = previous.names.get(old)
            if name is not None:
                keys.by_name[name] = new
                keys.names[id(new)] = name
                del keys.names[old]
        keys._whole, keys._named = previous._whole.copy(), previous._named.copy()
        for old in replaced:
            keys._whole.pop(old, None)
            keys._named.pop(old, None)
        keys._reads = previous._reads.copy()  # a read of a replaced object is looked up again
        keys._made_before, keys._made = previous._made, previous._made.copy()
        keys._pages_before, keys._pages = previous._pages, previous._pages.copy()
        keys._names_before = previous.names
        keys._stale, keys._changed = [], set()
        return keys

    @property
    def made(self) -> dict[str, tuple[str | None, object, bytes]]:
        """What each output is made from, as this build keyed it or (after
        :meth:`after_edit`) an earlier one: its template (None: a function makes it),
        the context or the function, and that described."""
        return self._made

    @property
    def changed(self) -> set[Read]:
        return self._changed or set()

    def forget(self, paths: Iterable[str]) -> None:
        """Forget what the outputs at ``paths`` were made from."""
        for path in paths:
            self._made.pop(path, None)
            self._pages.pop(path, None)

    def note_changed(self, reads: set[Read]) -> None:
        """Say which reads find other values than in the build these keys were carried
        over from (see :meth:`after_edit`)."""
        self._changed = reads

    def of_call(self, path: str, render: Callable[[], object]) -> bytes:
        """The key of a file made by ``render()``: a function and the values it holds."""
        return digest_of((self.salt, path, self._described(path, None, render)[0]))

    def of_page(self, path: str, page: TemplatePage, reads: list[Read] | None) -> bytes | None:
        """The key of a template page that read ``reads`` when last rendered; None if
        they are unknown or cannot be looked up."""
        if reads is None:
            return None
        try:
            context, same = self._described(path, page.template, page.context)
            before = self._pages_before.get(path)
            if (
                same
                and before
                and before[0] is reads
                and before[1] == self.salt
                and self._unchanged(reads)
            ):
                self._pages[path] = before
                return before[2]
            # Each read's value is described and digested once per build (pages share
            # most of theirs: every post's title, the navigation); a page's key is the
            # digest of those digests.
            hashed = hashlib.sha256(digest_of((self.salt, path, context)))
            known = self._reads.get
            by_name = self.by_name.get
            for read in reads:
                found = known(read)
                if found is None or by_name(read[0]) is not found[0]:
                    found = self._read(read)
                hashed.update(found[2])
        except Unkeyable:
            return None
        key = hashed.digest()[:16]
        self._pages[path] = (reads, self.salt, key)
        return key

    def _unchanged(self, reads: list[Read]) -> bool:
        """Whether every one of ``reads`` finds what it found in the last build kept in
        memory (and is known here: a page rendered in a worker has reads this process
        never looked up)."""
        if self._changed is None:
            self._changed = set()
            for read, before in self._stale:
                try:
                    if self._read(read, before)[2] != before[2]:
                        self._changed.add(read)
                except Unkeyable:
                    self._changed.add(read)
        return self._changed.isdisjoint(reads) and all(map(self._reads.__contains__, reads))

    def _described(self, path: str, template: str | None, made_from: Any) -> tuple[bytes, bool]:
        """A digest of what the output at ``path`` is made from: a function that makes
        it, or a template's name and its context (whose model objects are described by
        name); and whether it is made from what it was in the last build kept in memory
        (see :meth:`_same`), whose digest it then is."""
        before = self._made_before.get(path)
        named = template is not None
        if before is not None and before[0] == template and self._same(before[1], made_from, named):
            same, described = True, before[2]
        elif template is None:
            same, described = False, digest_of(self.whole(made_from))
        else:
            items = [(k, self.named(v)) for k, v in sorted(made_from.items())]
            same, described = False, digest_of((template, items))
        if self.remember:
            self._made[path] = (template, made_from, described)
        return described, same

    def _same(self, old: Any, new: Any, named: bool) -> bool:
        """Whether ``new`` is described as ``old``, from the last build kept in memory,
        was, told without describing either: the same object (what outlives a build is
        never changed, and the index keeps what is unchanged: see
        ``index.keep_unchanged``), an equal plain value, a model object of the same
        name where ``named`` (in a page's context), a function with the same
        arguments. False where it cannot be told so."""
        if old is new:
            return True
        kind = type(old)
        if kind is not type(new):
            return False
        if kind is str or kind is int or kind is bool or kind in _VALUES:
            return old == new
        if kind is dt.datetime:  # equal, and written the same
            return old == new and old.tzinfo is new.tzinfo and old.fold == new.fold
        if named and kind in _NAMED_TYPES:
            return self._names_before.get(id(old), ()) == self.names.get(id(new))
        if kind is functools.partial:
            return (
                old.func is new.func
                and self._same(old.args, new.args, False)
                and self._same(old.keywords, new.keywords, False)
            )
        if kind is Lazy:
            return self._same(old.make, new.make, False)
        if kind is list or kind is tuple:
            same = self._same
            return len(old) == len(new) and all(
                same(a, b, named) for a, b in zip(old, new, strict=True)
            )
        if kind is dict:
            return old.keys() == new.keys() and all(
                self._same(v, new[k], named) for k, v in old.items()
            )
        return False

    def _read(self, read: Read, before: _Found | None = None) -> _Found:
        """What ``read`` finds in this build, described, and the digest of that (the
        digest found ``before`` if the description is the same)."""
        owner = self.by_name.get(read[0])
        if owner is None:
            raise Unkeyable(read[0])  # gone: the page changed
        value = self.look_up(*read)
        described = self.named(value)
        if before is not None and before[3] == described:
            digest = before[2]
        else:
            digest = digest_of((read, described))
        found = self._reads[read] = (owner, value, digest, described)
        return found


class _Describer(pickle.Pickler):
    """Pickles ``top`` as it is, and what it holds that is not plain data (nor one of
    the model's value classes) as :meth:`Keys.whole` describes it. (Lists, tuples,
    dicts and strings never come here: pickle writes them itself.)"""

    def __init__(self, file: io.BytesIO, keys: Descriptions, top: object) -> None:
        super().__init__(file, protocol=5)
        self.fast = True  # no memo: see digest_of
        self.keys, self.top = keys, top

    def reducer_override(self, obj: object) -> Any:
        kind = type(obj)
        if obj is self.top or kind in _PICKLED_AS_IS or isinstance(obj, dt.tzinfo | type):
            # A class and a function (this one, how pickle makes objects) pickle as
            # their names; a time zone as its name (ZoneInfo) or its offset.
            return NotImplemented
        return _described, (self.keys.whole(obj),)


def _described(description: object) -> object:
    """What stands in a pickled digest for a value described by :meth:`Keys.whole`
    (never called: only its name is pickled)."""
    return description


_PICKLED_WHOLE = frozenset({Post, Page})
_NAMED_TYPES = frozenset(NAMED)
_VALUES = frozenset({Topic, Series})  # never changed, compared by value
# Values that pickle writes the same in every build: dates, and the model's small
# frozen records of plain values.
_PICKLED_AS_IS = frozenset(
    {
        dt.datetime,
        dt.date,
        dt.time,
        dt.timedelta,
        types.FunctionType,
        Topic,
        PostMarkdown,
        ContentWarning,
    }
)
_FIELDS: dict[type, tuple[str, ...]] = {}
_UNDEFINED = ("undefined",)
_PLAIN = frozenset({str, bytes, int, float, bool, type(None), dt.datetime, dt.date})


@dataclasses.dataclass
class TemplatePage:
    """A page made by rendering ``template`` with ``context`` in ``env``; ``lazy``
    values are computed only when it is rendered (and described by what they are made
    from)."""

    env: Any  # a foldpress.theme.RecordingEnvironment
    template: str
    context: dict[str, Any]

    def render(self, keys: Keys) -> tuple[str, list[Read] | None]:
        """The page, and what it read of the named objects (None if it cannot be named)."""
        context = {k: v() if isinstance(v, Lazy) else v for k, v in self.context.items()}
        env = self.env
        env.reads, outer = {}, env.reads
        try:
            html = env.get_template(self.template).render(context)
            reads = env.reads
        finally:
            env.reads = outer
        try:
            named = [(keys.name_of(obj), attr) for (_, attr), obj in reads.items()]
        except Unkeyable:
            return html, None
        return html, named


@dataclasses.dataclass(frozen=True)
class Lazy:
    """A context value computed when the page is rendered: ``make()``."""

    make: Callable[[], object]

    def __call__(self) -> object:
        return self.make()
