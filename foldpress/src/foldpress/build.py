"""Build a site: read, render, index, write; swap the new output in only when complete."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from foldpress import outputs, residue, update
from foldpress.cache import CACHE_DIR, PREVIEW_DIR, BuildCache, digest
from foldpress.config import SiteConfig, load_config
from foldpress.content import Content, SourceMemory, load_content
from foldpress.errors import BuildError, ContentError, ContentWarning, in_order
from foldpress.index import build_index, check_urls, keep_unchanged
from foldpress.keys import Keys
from foldpress.outputs.folder import OutputFolder
from foldpress.parallel import workers
from foldpress.publish import replacing
from foldpress.series import collect_series

if TYPE_CHECKING:
    import jinja2

    from foldpress.model import SiteIndex


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote, where, how long it took, and how much it could reuse."""

    out_dir: Path
    posts: int
    pages: int
    files: int
    seconds: float
    rendered: int = 0  # posts and pages rendered by this build
    cached: int = 0  # posts and pages taken from the cache as they were
    written: int = 0  # files written
    reused: int = 0  # files unchanged since the last build, linked from it
    warnings: list[ContentWarning] = dataclasses.field(default_factory=list)  # by file and line

    @property
    def leftovers(self) -> int:
        """How many pieces of other engines' syntax show on pages as text (the warnings
        say where)."""
        return residue.count(w.message for w in self.warnings)

    def summary(self) -> str:
        posts = f"{self.posts} post{'s' * (self.posts != 1)}"
        pages = f"{self.pages} page{'s' * (self.pages != 1)}"
        return (
            f"{posts} and {pages} ({self.files} files) written to {self.out_dir} "
            f"in {self.seconds:.2f} s: {self.rendered} rendered, {self.cached} from the "
            f"cache; {self.written} file{'s' * (self.written != 1)} written, "
            f"{self.reused} unchanged"
        ) + (f"; {self.leftovers} leftover syntax shown as text" if self.leftovers else "")


# How long the edits must pause before a process that keeps the site in memory writes
# the cache to disk (``foldpress serve``, the build server): 0.1 s at 1,000 posts, 0.7 s
# at 10,000, which the next edit need not wait for.
SAVE_AFTER_SECONDS = 5.0


class WouldWrite(Exception):
    """A build asked to derive keys only would have changed the output."""


@dataclass
class Memory:
    """What a build keeps for the next build of the same site in the same process
    (``foldpress serve``), so that it need not read the cache back, take every post from
    its stored form, compile the templates or check every output file again."""

    cache: BuildCache | None = None
    sources: SourceMemory = dataclasses.field(default_factory=SourceMemory)
    keys: Keys | None = None
    env: tuple[object, jinja2.Environment] | None = None  # what it was made from, and it
    out_dir: Path | None = None  # where the files of ``cache.outputs`` are, as they are
    config: tuple[bytes, SiteConfig] | None = None  # site.toml's bytes, and what they say
    index: SiteIndex | None = None
    drafts: bool = False  # whether ``index`` holds the drafts
    origins: dict[str, Path | None] = dataclasses.field(default_factory=dict)  # see OutputFolder
    writers_warnings: list[ContentWarning] = dataclasses.field(default_factory=list)
    dependents: update.Dependents | None = None  # made when an edit first needs them
    text_edits: bool = True  # whether an edit of posts' text may update ``index``
    unsaved: bool = False  # whether the cache on disk is older than ``cache``

    def clear(self) -> None:
        """Forget it all: the next build starts from the cache on disk."""
        self.__dict__.update(vars(Memory()))

    def save(self, site_dir: Path) -> None:
        """Write the cache to disk, if a build since the last save changed it."""
        if self.cache is not None and self.unsaved:
            _save(self.cache, site_dir)
            self.unsaved = False


@dataclass
class Progress:
    """How far a build has got, for a progress display."""

    sources: int = 0  # posts and pages to read
    rendered: int = 0
    cached: int = 0
    written: int = 0  # output files
    reused: int = 0


def build(
    site_dir: Path,
    out_dir: Path | None = None,
    *,
    drafts: bool = False,
    jobs: int | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    memory: Memory | None = None,
    key_only: bool = False,
) -> BuildResult:
    """Build the site in ``site_dir`` into ``out_dir`` (default ``SITE/_site``).

    Unchanged posts come from the cache in ``SITE/.foldpress-cache/`` and unchanged
    files from the previous output; the result is what a clean build makes. ``jobs``
    is the number of processes that render changed posts and write changed files
    (default: one per CPU when there are many). ``on_progress`` is called with the
    counts so far after each post and each file. ``memory``, kept between builds of
    the site in one process, is used and brought up to date; the cache is then saved
    by ``memory.save``, not by every build.

    ``key_only``, with ``memory`` from a build of the same sources and nothing noted as
    changed, derives every output's key here and writes nothing: it raises
    :class:`WouldWrite` if some output is not what the last build left.

    Raises BuildError with every content error found (and the warnings so far); the old
    output is then untouched.
    """
    thresholds = gc.get_threshold()
    # A build allocates millions of short-lived objects (a post's parse alone is
    # hundreds) and makes few reference cycles: looking for them every 700
    # allocations, the default, costs a few percent of its time for nothing.
    gc.set_threshold(100_000, *thresholds[1:])
    try:
        return _build(
            site_dir,
            out_dir,
            drafts=drafts,
            jobs=jobs,
            on_progress=on_progress,
            memory=memory,
            key_only=key_only,
        )
    except BuildError:
        if memory is not None:
            # The sources in memory are now newer than its index: the next build is a
            # whole one (see _after_text_edit), and keeps from it what it can.
            memory.text_edits = False
        raise
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()  # see _build


def _build(
    site_dir: Path,
    out_dir: Path | None,
    *,
    drafts: bool,
    jobs: int | None,
    on_progress: Callable[[Progress], None] | None,
    memory: Memory | None,
    key_only: bool = False,
) -> BuildResult:
    started = time.perf_counter()
    site_dir = Path(site_dir)
    out_dir = Path(out_dir) if out_dir is not None else site_dir / "_site"
    errors: list[ContentError] = []
    warnings: list[ContentWarning] = []
    remember = memory is not None  # for a next build in this process
    memory = memory or Memory()
    try:
        config = _settings(site_dir, memory)
    except BuildError as error:
        errors += error.errors
        config = SiteConfig()  # read the posts anyway, to report their errors in this run too
    is_site = (site_dir / "site.toml").is_file()
    errors += _check_output_folder(site_dir, out_dir)

    progress = Progress()

    def source_done(cached: bool, total: int) -> None:
        progress.sources = total
        progress.cached += cached
        progress.rendered += not cached
        if on_progress:
            on_progress(progress)

    def file_done(reused: bool) -> None:
        progress.reused += reused
        progress.written += not reused
        if on_progress:
            on_progress(progress)

    cache = memory.cache or BuildCache.load(site_dir / CACHE_DIR)
    if cache.problem:
        warnings.append(cache.problem)
    from foldpress import theme  # with Jinja2: see _output_side

    # The templates' environment is made from the templates and the settings; kept in
    # memory, with its compiled templates, while both are unchanged.
    made_from = (theme.templates_key(site_dir), dataclasses.astuple(config))
    prepared: list[jinja2.Environment] = []
    if memory.env is not None and memory.env[0] == made_from:
        prepared.append(memory.env[1])
    # What each changed file was, for telling an edit of a post's text alone.
    changed = memory.sources.changed if memory.keys is not None else None
    before = None if changed is None else {path: _source_item(memory, path) for path in changed}
    content = load_content(
        site_dir,
        config,
        cache,
        drafts=drafts,
        jobs=jobs,
        on_file=source_done,
        meanwhile=None
        if prepared
        else lambda: prepared.append(_output_side(site_dir, config, compile_all=True)),
        memory=memory.sources,
    )
    # The posts live as long as the build: the cyclic garbage collector need not go
    # through them each time it runs (a tenth of the time left). build() unfreezes.
    gc.freeze()
    posts, pages = content.posts, content.pages
    errors += content.errors
    warnings += content.warnings
    if before is not None and prepared and memory.drafts == drafts and not errors and not key_only:
        # The site's addresses and series are as the last build, which succeeded (see
        # build), found them: no need to check them again.
        result = _after_text_edit(memory, before, out_dir, jobs, content, warnings, started)
        if result is not None:
            return result
    broken = {error.path for error in errors}  # their URLs may be placeholders
    errors += check_urls(
        [p for p in posts if p.source not in broken], [p for p in pages if p.source not in broken]
    )
    errors += collect_series([p for p in posts if p.source not in broken])[1]
    if errors:
        if is_site and memory.cache is None:  # what did render need not be rendered
            _save(cache, site_dir)  # again; but no cache litter
        memory.unsaved = memory.cache is not None
        raise BuildError(errors, warnings)

    index = build_index(config, posts, pages, site_dir)
    if memory.index is not None:
        keep_unchanged(index, memory.index)
    env = prepared[0] if prepared else _output_side(site_dir, config, compile_all=False)

    # Every output's key holds the settings and what the templates are given besides
    # their context (the settings again, as ``site``; the functions they may call).
    keys = Keys(index, previous=memory.keys, remember=remember)
    keys.describe_by_source(content.source_keys)
    keys.salt = digest(cache.version, made_from, keys.whole(env.globals))
    out_key = str(out_dir.resolve())
    same_folder = cache.out_dir == out_key

    def write_outputs(work_dir: Path, *, trusted: bool) -> OutputFolder:
        folder = OutputFolder(
            work_dir,
            previous=out_dir if out_dir.is_dir() else None,
            records=cache.outputs if same_folder else {},
            keys=keys,
            reads=cache.reads if same_folder else {},
            on_file=file_done,
            defer=True,
            trusted=trusted,
        )
        try:
            with theme.template_errors():
                for writer in outputs.WRITERS:
                    writer.write(index, folder, env)
                warnings.extend(folder.warnings)
                if folder.clashes:
                    raise BuildError(folder.clashes, warnings)
                if key_only and (folder.pending or folder.old_records.keys() - folder.records):
                    raise WouldWrite
                if not prepared and workers(jobs, len(folder.pending)) > 1:
                    theme.compile_templates(env)  # once here, not in every worker
                folder.finish(jobs)
        except ContentError as error:
            raise BuildError([error], warnings) from error
        return folder

    if memory.out_dir == out_dir and same_folder and out_dir.is_dir():
        # The output is as the last build in memory left it: the new files are written
        # beside it, then moved in, and only then are the old ones removed.
        work_dir = Path(
            tempfile.mkdtemp(prefix=f"{out_dir.name}.new-{os.getpid()}-", dir=out_dir.parent)
        )
        try:
            folder = write_outputs(work_dir, trusted=True)
            folder.move_into(out_dir)
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
    elif key_only:
        raise WouldWrite  # a whole new folder
    else:
        with replacing(out_dir, site_dir / CACHE_DIR / "site") as work_dir:
            folder = write_outputs(work_dir, trusted=False)
    # (Else the cache on disk says all there is to say already.)
    if content.rendered or folder.written or folder.records != cache.outputs:
        cache.out_dir, cache.outputs, cache.reads = out_key, folder.records, folder.reads
        if memory.cache is None:
            _save(cache, site_dir)
        else:
            memory.unsaved = True  # kept in memory: saved when the edits pause
    memory.cache, memory.keys, memory.env, memory.out_dir = cache, keys, (made_from, env), out_dir
    memory.index, memory.drafts, memory.origins = index, drafts, folder.origins
    memory.writers_warnings, memory.dependents, memory.text_edits = folder.warnings, None, True
    return _result(out_dir, content, folder, warnings, started)


def _source_item(memory: Memory, path: Path) -> object:
    """What the last build in memory made of the file at ``path``; None if not a source."""
    entry = memory.sources.keys.get(path)
    return memory.sources.items.get(entry[1]) if entry is not None else None


def _after_text_edit(
    memory: Memory,
    before: dict[Path, object],
    out_dir: Path,
    jobs: int | None,
    content: Content,
    warnings: list[ContentWarning],
    started: float,
) -> BuildResult | None:
    """The build after an edit of the text of posts alone, from the last one in memory
    (see :mod:`foldpress.update`); None if the edit is anything else."""
    last, cache, index = memory.keys, memory.cache, memory.index
    if last is None or cache is None or index is None or memory.env is None:
        return None
    if not memory.text_edits:
        return None
    if memory.out_dir != out_dir or cache.out_dir != str(out_dir.resolve()):
        return None
    posts = update.edited_posts(before, memory.sources.items, memory.sources.keys, last)
    if posts is None or not out_dir.is_dir():
        return None
    if not prepare_for_text_edits(memory):
        return None
    dependents = memory.dependents
    assert dependents is not None
    index, replaced = update.substitute(index, posts)
    keys = Keys.after_edit(last, replaced)
    keys.describe_by_source((post, memory.sources.keys[post.source][1]) for post in posts.values())
    keys.note_changed(update.changed_reads(last, keys, replaced, dependents))
    affected = dependents.affected(replaced, keys.changed)
    if affected is None:
        return None
    from foldpress import theme

    env = memory.env[1]
    work_dir = Path(
        tempfile.mkdtemp(prefix=f"{out_dir.name}.new-{os.getpid()}-", dir=out_dir.parent)
    )
    try:
        folder = OutputFolder(
            work_dir,
            previous=out_dir,
            records=cache.outputs,
            keys=keys,
            reads=cache.reads,
            defer=True,
            trusted=True,
        )
        with theme.template_errors():
            for path in sorted(affected):
                template, made_from, _ = last.made[path]
                render = update.remade(template, made_from, env, keys, replaced)
                folder.file(path, render, memory.origins.get(path))
            folder.keep_the_rest()
            folder.finish(jobs)
        folder.move_into(out_dir)
    except ContentError as error:
        raise BuildError([error], warnings) from error
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    stale = [path for path in affected if keys.made.get(path) is last.made.get(path)]
    if stale:  # a page whose context could not be told by name this time: what it is
        keys.forget(stale)  # made from is not known any more, so the next edit takes
        memory.dependents = None  # the whole build
    else:
        dependents.after_edit(replaced, {path: folder.reads.get(path) for path in affected})
        dependents.note_keys(folder.records, affected)
    cache.outputs, cache.reads = folder.records, folder.reads
    memory.keys, memory.index, memory.unsaved = keys, index, True
    return _result(out_dir, content, folder, warnings + memory.writers_warnings, started)


def prepare_for_text_edits(memory: Memory) -> bool:
    """Note what each output of the last build in ``memory`` depends on, which the first
    edit of posts' text after a whole build needs (a second at 10,000 posts); False if
    not every output is known here."""
    last, cache = memory.keys, memory.cache
    if memory.dependents is not None or last is None or cache is None:
        return memory.dependents is not None
    if not cache.outputs.keys() <= last.made.keys():
        # Some were keyed in worker processes only (a first build), or are pages whose
        # context cannot be told by name: not known here.
        return False
    memory.dependents = update.Dependents(last, cache.reads, cache.outputs)
    return True


def rehearse_text_edit(memory: Memory, path: Path) -> None:
    """Make, and throw away, the outputs that an edit of the text of the post at ``path``
    would make again: what they keep of every post (its piece of ``llms-full.txt``, its
    feed entry, its search words) is then made already when the post is edited, and the
    first such edit takes no longer than the next."""
    from foldpress.keys import TemplatePage

    last, dependents, env = memory.keys, memory.dependents, memory.env
    entry = memory.sources.keys.get(path)
    post = memory.sources.items.get(entry[1]) if entry is not None else None
    if last is None or dependents is None or env is None or id(post) not in last.names:
        return
    reads = set(dependents.reads_of([last.names[id(post)]]))
    for output in sorted(dependents.affected({id(post): post}, reads) or ()):
        template, made_from, _ = last.made[output]
        render = update.remade(template, made_from, env[1], last, {})
        if isinstance(render, TemplatePage):
            render.render(last)
        else:
            render()


def _result(
    out_dir: Path,
    content: Content,
    folder: OutputFolder,
    warnings: list[ContentWarning],
    started: float,
) -> BuildResult:
    """What a build made, counted from the sources it read and the files it wrote."""
    return BuildResult(
        out_dir,
        len(content.posts),
        len(content.pages),
        len(folder.records),
        time.perf_counter() - started,
        rendered=content.rendered,
        cached=content.cached,
        written=folder.written,
        reused=folder.reused,
        warnings=in_order(warnings),
    )


def _settings(site_dir: Path, memory: Memory) -> SiteConfig:
    """The site's settings: the same object as the last build's while site.toml's bytes
    are the same (what outlives a build is never changed; see foldpress.keys)."""
    path = site_dir / "site.toml"
    try:
        raw = path.read_bytes()
    except OSError:
        raw = None
    if raw is not None and memory.config is not None and memory.config[0] == raw:
        return memory.config[1]
    config = load_config(path)
    memory.config = (raw, config) if raw is not None else None
    return config


def _output_side(site_dir: Path, config: SiteConfig, *, compile_all: bool) -> jinja2.Environment:
    """The templates' environment, with Jinja2 and the output writers imported.

    They are imported here, not with this module: a cold build does this while its
    workers render the posts (and then compiles every template, which the workers
    that write the pages will share), rather than before starting them.
    """
    import jinja2

    from foldpress.theme import compile_templates, create_environment

    env = create_environment(site_dir, config)
    if compile_all:
        # A broken template is reported where a page uses it, with the other errors.
        with contextlib.suppress(jinja2.TemplateError):
            compile_templates(env)
    _ = outputs.WRITERS  # imports them
    return env


def _save(cache: BuildCache, site_dir: Path) -> None:
    with contextlib.suppress(OSError):  # a read-only site still builds, just uncached
        cache.save(site_dir / CACHE_DIR)


# What a build reads of a site folder: site.toml and these folders, whole.
SOURCE_FOLDERS = ("posts", "pages", "static", "templates")
_SOURCES = (*SOURCE_FOLDERS, CACHE_DIR)


def _check_output_folder(site_dir: Path, out_dir: Path) -> list[ContentError]:
    """Refuse an output folder whose replacement would destroy something else."""
    site, out = site_dir.resolve(), out_dir.resolve()
    if out == site or site.is_relative_to(out):
        reason = "it holds the site's sources"
    elif out != site / PREVIEW_DIR and any(out.is_relative_to(site / name) for name in _SOURCES):
        reason = "it is inside the site's sources"
    elif out.exists() and not out.is_dir():
        reason = "it is a file"
    elif out.is_dir() and any(out.iterdir()) and not (out / "index.html").exists():
        reason = "it is not empty and does not look like a built site (no index.html)"
    else:
        return []
    return [ContentError(out_dir, None, f"will not replace this output folder: {reason}")]
