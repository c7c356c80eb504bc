"""Every post and page of a site, read and rendered.

A file whose bytes, and the settings its rendering depends on, are unchanged since the
last build is taken from the cache, with no Markdown, Pygments or LaTeX work. The rest
are rendered in worker processes when there are enough of them for that to pay.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path

from foldpress import serial
from foldpress.cache import BuildCache, digest
from foldpress.config import SiteConfig
from foldpress.errors import ContentError, ContentWarning
from foldpress.highlight import load_lexers
from foldpress.markdown import Markdown, create_markdown
from foldpress.markdown_html import MathErrors
from foldpress.markdown_math import MathSyntax
from foldpress.model import Page, Post
from foldpress.notebook import at_cells
from foldpress.outputs._markdown import post_markdown
from foldpress.parallel import run_tasks, workers
from foldpress.reader import (
    MARKDOWN_SUFFIXES,
    POST_SUFFIXES,
    markdown_files,
    read_page,
    read_post,
)
from foldpress.render import render_errors, render_markdown, render_warnings
from foldpress.search import words_of_html
from foldpress.shortcodes import (
    Shortcodes,
    calls_shortcodes,
    shortcodes_for,
    site_shortcodes_key,
)


@dataclass
class Content:
    """The site's posts (drafts only if asked for) and pages, and every error and
    warning found in them."""

    posts: list[Post] = field(default_factory=list)
    pages: list[Page] = field(default_factory=list)
    errors: list[ContentError] = field(default_factory=list)
    warnings: list[ContentWarning] = field(default_factory=list)
    rendered: int = 0  # files read and rendered by this build
    cached: int = 0  # files taken from the cache
    # Each post and page with the key of its source (its file's bytes and the settings
    # it is rendered with), which says all it holds: see foldpress.keys.
    source_keys: list[tuple[Post | Page, bytes]] = field(default_factory=list)


@dataclass
class SourceMemory:
    """What ``serve`` keeps of the sources from one build to the next: each file's key,
    and the post or page made from it (taken as it is, without reading the cache's
    stored form). ``changed``, set before a build, is what changed since the last one:
    the files not in it are not read again. None: not known, every file is read."""

    keys: dict[Path, tuple[str, bytes]] = field(default_factory=dict)  # path: kind, key
    items: dict[bytes, Post | Page] = field(default_factory=dict)
    changed: set[Path] | None = None
    last: Loaded | None = None  # what the last build read, for one that edits it


@dataclass
class Loaded:
    """The sources of a build in order, what each made (None: nothing), where each is
    in that order, what the build found in them (drafts too, or not), and the places
    of those that made nothing or errors (not in the cache: read again every build)."""

    sources: list[tuple[str, Path]]
    items: list[Post | Page | None]
    places: dict[Path, int]
    content: Content
    drafts: bool
    failed: set[int]


def load_content(
    site_dir: Path,
    config: SiteConfig,
    cache: BuildCache,
    *,
    drafts: bool = False,
    jobs: int | None = None,
    on_file: Callable[[bool, int], None] | None = None,
    meanwhile: Callable[[], None] | None = None,
    memory: SourceMemory | None = None,
) -> Content:
    """Read and render every post and page, updating ``cache.sources`` to match.

    ``jobs`` is the number of processes to render in (default: see
    :func:`foldpress.parallel.workers`);
    ``on_file(cached, total)`` is called per file, for a progress display;
    ``meanwhile()`` is run while worker processes render, if there are any;
    ``memory``, kept between builds, is used and brought up to date: after an edit
    of some of the files alone, only those (and the ones that failed) are looked at.
    """
    changed = memory.changed if memory is not None else None
    known = memory.keys if memory is not None and changed is not None else {}
    edit = memory.last if memory is not None and changed and known else None  # to edit
    redo = _edited_places(edit, changed or set(), drafts) if edit is not None else None
    if edit is not None and redo is not None:
        sources, items = edit.sources, edit.items.copy()
        kept, keys = cache.sources.copy(), known.copy()
        for i in redo:
            entry = known.get(sources[i][1])
            if entry is not None:
                kept.pop(entry[1], None)
    else:
        edit = None
        listed = _sources_after(known, changed, site_dir) if changed is not None and known else None
        if listed is None:  # every file is read
            known = {}
            listed = [("post", p) for p in markdown_files(site_dir / "posts", POST_SUFFIXES)]
            listed += [("page", p) for p in markdown_files(site_dir / "pages")]
        sources, items, kept, keys = listed, [None] * len(listed), {}, {}
        redo = list(range(len(sources)))
    # Everything a file's rendering depends on besides its bytes.
    settings = (
        config.timezone,
        config.smart_typography,
        config.base_url,
        config.math_syntax,
        config.math_errors,
        config.permalink,
        config.strict,
    )
    shortcodes_key = lru_cache(maxsize=1)(lambda: site_shortcodes_key(site_dir))
    content = Content()
    site_prefix = "" if str(site_dir) == "." else str(site_dir) + os.sep  # how paths start
    todo: list[tuple[int, bytes | None, bytes | None]] = []  # index, key, bytes
    remembered = memory.items if memory is not None else {}
    for i in redo:
        kind, path = sources[i]
        key = known[path][1] if path in known and path not in (changed or ()) else None
        raw = None
        if key is None:
            try:
                raw = path.read_bytes()
            except OSError:
                keys.pop(path, None)
                todo.append((i, None, None))  # the reader reads it again, and reports why not
                continue
            # By the path in the site: the same however the site's folder is spelled. A
            # file that calls shortcodes depends on their templates, and on the site's
            # settings, which they are given, too.
            calls = (shortcodes_key(), dataclasses.astuple(config)) if calls_shortcodes(raw) else ()
            key = digest(kind, str(path)[len(site_prefix) :], raw, settings, *calls)
        keys[path] = (kind, key)
        blob = cache.sources.get(key)
        item = remembered.get(key) if blob is not None else None
        if blob is not None and item is None:
            item = _stored(blob, site_dir)
        if blob is None or item is None:
            if raw is None:  # a file kept in memory whose last rendering failed
                raw = _read_or_none(path)
            todo.append((i, key, raw))
            continue
        items[i] = item
        kept[key] = blob
        content.cached += 1
        if on_file:
            on_file(True, len(sources))
    content.cached += len(sources) - len(redo)

    work = [(*sources[i], raw) for i, _, raw in todo]

    def on_rendered() -> None:
        if on_file:
            on_file(False, len(sources))

    rendered = _render_all(work, config, site_dir, jobs, on_rendered, meanwhile)
    failed = set()  # (the files that failed before were all read again: see above)
    for (i, source_key, _), (item, stored, errors) in zip(todo, rendered, strict=True):
        content.errors += errors
        content.rendered += 1
        items[i] = None
        if stored is not None:
            items[i] = _stored(stored, site_dir) if item is None else item
        if stored is not None and source_key is not None and not errors:
            kept[source_key] = stored
        else:
            failed.add(i)
    cache.sources = kept  # entries for files that changed or went are dropped
    if edit is not None and len(redo) < len(sources):
        _found_after_edit(content, edit, items, redo, drafts)
    else:
        _found(content, items, drafts)
    if edit is not None and len(redo) < len(sources):
        content.source_keys = _source_keys_after_edit(edit, items, keys, redo)
    else:
        content.source_keys = [
            (item, keys[path][1])
            for (_, path), item in zip(sources, items, strict=True)
            if item is not None and path in keys
        ]
    if memory is not None:
        if edit is not None:
            memory.items = memory.items.copy()
            for i in redo:
                entry = known.get(sources[i][1])
                if entry is not None:
                    memory.items.pop(entry[1], None)
                new = keys.get(sources[i][1])
                if items[i] is not None and new is not None:
                    memory.items[new[1]] = items[i]  # type: ignore[assignment]
        else:
            memory.items = {key: item for item, key in content.source_keys}
        memory.keys = keys
        # A file that could not be read is not in ``keys``: read every file next time.
        memory.changed = set() if len(keys) == len(sources) else None
        if edit is not None:
            places = edit.places
        else:
            places = {path: i for i, (_, path) in enumerate(sources)}
        memory.last = Loaded(sources, items, places, content, drafts, failed)
    return content


def _edited_places(last: Loaded, changed: set[Path], drafts: bool) -> list[int] | None:
    """Where the files in ``changed`` are in ``last``'s sources, with the files that
    failed then, if every changed file is a source it read and is still there and the
    drafts are shown as they were; else None."""
    places = []
    for path in changed:
        place = last.places.get(path)
        if place is None or not path.is_file():
            return None
        places.append(place)
    return sorted({*places, *last.failed}) if drafts == last.drafts else None


def _source_keys_after_edit(
    last: Loaded,
    items: list[Post | Page | None],
    keys: dict[Path, tuple[str, bytes]],
    redo: list[int],
) -> list[tuple[Post | Page, bytes]]:
    """``content.source_keys`` from the last build's, where only the items at ``redo``
    may differ (the order does not matter)."""
    pairs = last.content.source_keys.copy()
    for i in redo:
        old, new, path = last.items[i], items[i], last.sources[i][1]
        if old is not None:
            ids = list(map(id, map(itemgetter(0), pairs)))  # in C: the list is long
            if id(old) in ids:
                del pairs[ids.index(id(old))]
        if new is not None and path in keys:
            pairs.append((new, keys[path][1]))
    return pairs


def _found(content: Content, items: list[Post | Page | None], drafts: bool) -> None:
    """Put the posts (drafts only if ``drafts``) and pages of ``items`` in ``content``,
    with their warnings."""
    for item in items:
        if isinstance(item, Post) and (drafts or not item.draft):
            content.posts.append(item)
            content.warnings += item.warnings
        elif isinstance(item, Page):
            content.pages.append(item)
            content.warnings += item.warnings


def _found_after_edit(
    content: Content, last: Loaded, items: list[Post | Page | None], redo: list[int], drafts: bool
) -> None:
    """:func:`_found`, from what the last build found where only the items at ``redo``
    may differ: each put where the one it replaces was."""
    posts, pages = last.content.posts.copy(), last.content.pages.copy()
    warnings = last.content.warnings
    for i in redo:
        old, new = last.items[i], items[i]
        shown = [
            isinstance(item, Page) or (isinstance(item, Post) and (drafts or not item.draft))
            for item in (old, new)
        ]
        if type(old) is not type(new) or shown[0] != shown[1]:
            _found(content, items, drafts)  # a post came, went, or is a draft now
            return
        if old is None or not shown[0]:
            continue
        if isinstance(old, Post) and isinstance(new, Post):
            posts[list(map(id, posts)).index(id(old))] = new
        elif isinstance(old, Page) and isinstance(new, Page):
            pages[list(map(id, pages)).index(id(old))] = new
        gone = set(map(id, old.warnings))
        warnings = [w for w in warnings if id(w) not in gone] + (new.warnings if new else [])
    content.posts, content.pages, content.warnings = posts, pages, warnings


def _sources_after(
    known: dict[Path, tuple[str, bytes]], changed: set[Path], site_dir: Path
) -> list[tuple[str, Path]] | None:
    """The sources after the files in ``changed`` were edited, added or deleted, without
    listing the folders again; None where a change is not that (a folder moved, a
    file that is not a source, a setting): then every file is read."""
    sources = {path: kind for path, (kind, _) in known.items()}
    for path in changed:
        try:
            place = path.relative_to(site_dir)
        except ValueError:
            return None
        top = place.parts[0] if place.parts else ""
        kind, suffixes = ("post", POST_SUFFIXES) if top == "posts" else ("page", MARKDOWN_SUFFIXES)
        if top not in ("posts", "pages") or not path.name.lower().endswith(suffixes):
            return None
        if any(part.startswith(".") for part in place.parts):
            continue  # hidden: never a source
        if path.is_file():
            sources[path] = kind
        elif path.exists() or path not in sources:
            return None  # not a plain file, or not one the last build read
        else:
            del sources[path]
    posts = sorted(path for path, kind in sources.items() if kind == "post")
    pages = sorted(path for path, kind in sources.items() if kind == "page")
    return [("post", p) for p in posts] + [("page", p) for p in pages]


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None  # the reader reads it again, and reports why not


def render_post(
    md: Markdown, post: Post, config: SiteConfig, shortcodes: Shortcodes | None = None
) -> list[ContentError]:
    """Render a post's Markdown in place, with the Markdown its copies show and the
    digests of what it shows; return its errors."""
    rendered, problems = render_markdown(
        md,
        post.body_markdown,
        doc_id=post.slug,
        summary=post.summary,
        shortcodes=shortcodes,
        context={"page": post, "site": config},
    )
    post.body_html = rendered.body_html
    post.intro_html = rendered.intro_html
    post.intro_markdown = rendered.intro_markdown
    post.has_more = rendered.has_more
    errors = at_cells(post, render_errors(post.source, post.source_lines, problems))
    post.warnings += at_cells(post, render_warnings(post.source, post.source_lines, problems))
    if not errors:
        post_markdown(post, config, rendered.unfolded_markdown, rendered.intro_text)
        post.search_words = " ".join(words_of_html(post.body_html))
    return errors


def render_page(
    md: Markdown, page: Page, config: SiteConfig, shortcodes: Shortcodes | None = None
) -> list[ContentError]:
    """Render a page's Markdown in place; return its errors."""
    rendered, problems = render_markdown(
        md,
        page.body_markdown,
        doc_id=page.slug,
        shortcodes=shortcodes,
        context={"page": page, "site": config},
    )
    page.body_html = rendered.body_html
    page.warnings += render_warnings(page.source, page.source_lines, problems)
    return render_errors(page.source, page.source_lines, problems)


def render_file(
    kind: str, path: Path, raw: bytes | None, config: SiteConfig, site_dir: Path
) -> tuple[Post | Page | None, bytes | None, list[ContentError]]:
    """Read and render one file; return it, stored too (as the cache keeps it, with
    paths relative to ``site_dir``), and its errors. Runs in worker processes, hence
    the plain arguments.

    The readers and renderers report what is wrong with a file at its line; anything
    else that a file makes them raise is reported here, at the file, as an error
    rather than a traceback.
    """
    md = _renderer(config.smart_typography, config.math_syntax, config.math_errors)
    shortcodes = shortcodes_for(site_dir) if raw is None or calls_shortcodes(raw) else None
    item: Post | Page | None
    try:
        if kind == "post":
            item, errors = read_post(path, config, raw)
            if item:
                errors += render_post(md, item, config, shortcodes)
        else:
            item, errors = read_page(path, config, raw)
            if item:
                errors += render_page(md, item, config, shortcodes)
        return item, (serial.dumps(item, site_dir) if item else None), errors
    except ContentError as error:
        return None, None, [error]
    except Exception as error:  # a bug that this file's content brings out
        message = f"cannot be rendered: {type(error).__name__}: {error} (a bug in foldpress)"
        return None, None, [ContentError(path, None, message)]


def _stored(blob: bytes, site_dir: Path) -> Post | Page | None:
    """A post or page as the cache keeps it; None if it is not one (a damaged cache)."""
    try:
        item = serial.loads(blob, site_dir)
    except serial.FormatError:
        return None
    return item if isinstance(item, Post | Page) else None


@lru_cache(maxsize=2)
def _renderer(smart_typography: bool, math: MathSyntax, math_errors: MathErrors) -> Markdown:
    return create_markdown(smart_typography=smart_typography, math=math, math_errors=math_errors)


# A fenced code block's opening line, and the language it names.
_FENCE_LANGUAGE = re.compile(rb"^[ \t]{0,3}(?:`{3,}|~{3,})[ \t]*([\w+#.-]+)", re.MULTILINE)


def _warm_up(work: list[tuple[str, Path, bytes | None]], config: SiteConfig) -> None:
    """Make the renderer and the Pygments lexers the sources' code blocks seem to name,
    and import the YAML reader, and the LaTeX converter if they may hold math, before
    forking workers: once here instead of once in each of them."""
    _renderer(config.smart_typography, config.math_syntax, config.math_errors)
    importlib.import_module("yaml")  # front matter
    languages = {m.lower() for *_, raw in work for m in _FENCE_LANGUAGE.findall(raw or b"")}
    if languages:
        load_lexers(language.decode("ascii", "replace") for language in languages)
    if any(raw is None or b"$" in raw or b"\\" in raw for *_, raw in work):  # math, maybe
        importlib.import_module("latex2mathml.converter")


def _render_all(
    work: list[tuple[str, Path, bytes | None]],
    config: SiteConfig,
    site_dir: Path,
    jobs: int | None,
    on_rendered: Callable[[], None] | None,
    meanwhile: Callable[[], None] | None,
) -> list[tuple[Post | Page | None, bytes | None, list[ContentError]]]:
    """``render_file`` over ``work``, in order, in ``jobs`` processes (default: see
    :func:`foldpress.parallel.workers`); ``on_rendered()`` is called per file. The
    items rendered in other processes come back in the cache's form only."""
    processes = workers(jobs, len(work))
    if processes > 1:
        _warm_up(work, config)

    def render(i: int, here: bool) -> tuple[tuple, bool]:
        item, blob, errors = render_file(*work[i], config, site_dir)
        if here and on_rendered:
            on_rendered()
        # A worker sends the stored form only: the cache keeps it, and it is the item.
        return (item if here else None, blob, errors), here

    largest_first = sorted(range(len(work)), key=lambda i: -len(work[i][2] or b""))
    rendered = run_tasks(render, largest_first, processes, meanwhile=meanwhile)
    results: list = [None] * len(work)
    for i, (result, here) in zip(largest_first, rendered, strict=True):
        results[i] = result
        if not here and on_rendered:
            on_rendered()
    return results
