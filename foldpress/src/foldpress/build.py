"""Build a site: read, render, index, write; swap the new output in only when complete."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from foldpress import outputs, residue
from foldpress.cache import CACHE_DIR, PREVIEW_DIR, BuildCache, digest
from foldpress.config import SiteConfig, load_config
from foldpress.content import load_content
from foldpress.errors import BuildError, ContentError, ContentWarning, in_order
from foldpress.index import build_index, check_urls
from foldpress.keys import Keys
from foldpress.outputs.folder import OutputFolder
from foldpress.parallel import workers
from foldpress.publish import replacing
from foldpress.series import collect_series

if TYPE_CHECKING:
    import jinja2


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
) -> BuildResult:
    """Build the site in ``site_dir`` into ``out_dir`` (default ``SITE/_site``).

    Unchanged posts come from the cache in ``SITE/.foldpress-cache/`` and unchanged
    files from the previous output; the result is what a clean build makes. ``jobs``
    is the number of processes that render changed posts and write changed files
    (default: one per CPU when there are many). ``on_progress`` is called with the
    counts so far after each post and each file.

    Raises BuildError with every content error found (and the warnings so far); the old
    output is then untouched.
    """
    thresholds = gc.get_threshold()
    # A build allocates millions of short-lived objects (a post's parse alone is
    # hundreds) and makes few reference cycles: looking for them every 700
    # allocations, the default, costs a few percent of its time for nothing.
    gc.set_threshold(100_000, *thresholds[1:])
    try:
        return _build(site_dir, out_dir, drafts=drafts, jobs=jobs, on_progress=on_progress)
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
) -> BuildResult:
    started = time.perf_counter()
    site_dir = Path(site_dir)
    out_dir = Path(out_dir) if out_dir is not None else site_dir / "_site"
    errors: list[ContentError] = []
    warnings: list[ContentWarning] = []
    try:
        config = load_config(site_dir / "site.toml")
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

    cache = BuildCache.load(site_dir / CACHE_DIR)
    if cache.problem:
        warnings.append(cache.problem)
    prepared: list[jinja2.Environment] = []
    content = load_content(
        site_dir,
        config,
        cache,
        drafts=drafts,
        jobs=jobs,
        on_file=source_done,
        meanwhile=lambda: prepared.append(_output_side(site_dir, config, compile_all=True)),
    )
    # The posts live as long as the build: the cyclic garbage collector need not go
    # through them each time it runs (a tenth of the time left). build() unfreezes.
    gc.freeze()
    posts, pages = content.posts, content.pages
    errors += content.errors
    warnings += content.warnings
    broken = {error.path for error in errors}  # their URLs may be placeholders
    errors += check_urls(
        [p for p in posts if p.source not in broken], [p for p in pages if p.source not in broken]
    )
    errors += collect_series([p for p in posts if p.source not in broken])[1]
    if errors:
        if is_site:  # what did render need not be rendered again; but no cache litter
            _save(cache, site_dir)
        raise BuildError(errors, warnings)

    index = build_index(config, posts, pages, site_dir)
    env = prepared[0] if prepared else _output_side(site_dir, config, compile_all=False)
    from foldpress import theme  # imported by _output_side

    # Every output's key holds the settings and what the templates are given besides
    # their context (the settings again, as ``site``; the functions they may call).
    keys = Keys(index)
    templates = (theme.templates_key(site_dir), keys.whole(env.globals))
    keys.salt = digest(cache.version, dataclasses.astuple(config), templates)
    out_key = str(out_dir.resolve())
    same_folder = cache.out_dir == out_key
    with replacing(out_dir, site_dir / CACHE_DIR / "site") as work_dir:
        folder = OutputFolder(
            work_dir,
            previous=out_dir if out_dir.is_dir() else None,
            records=cache.outputs if same_folder else {},
            keys=keys,
            reads=cache.reads if same_folder else {},
            on_file=file_done,
            defer=True,
        )
        try:
            with theme.template_errors():
                for writer in outputs.WRITERS:
                    writer.write(index, folder, env)
                warnings += folder.warnings
                if folder.clashes:
                    raise BuildError(folder.clashes, warnings)
                if not prepared and workers(jobs, len(folder.pending)) > 1:
                    theme.compile_templates(env)  # once here, not in every worker
                folder.finish(jobs)
        except ContentError as error:
            raise BuildError([error], warnings) from error
    if content.rendered or folder.written or folder.records != cache.outputs:
        cache.out_dir, cache.outputs, cache.reads = out_key, folder.records, folder.reads
        _save(cache, site_dir)  # else it says all there is to say already
    return BuildResult(
        out_dir,
        len(posts),
        len(pages),
        len(folder.records),
        time.perf_counter() - started,
        rendered=content.rendered,
        cached=content.cached,
        written=folder.written,
        reused=folder.reused,
        warnings=in_order(warnings),
    )


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


_SOURCES = ("posts", "pages", "static", "templates", CACHE_DIR)


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
