"""Build a site: read, render, index, write; swap the new output in only when complete."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import jinja2

from foldpress import outputs
from foldpress.config import SiteConfig, load_config
from foldpress.errors import BuildError, ContentError
from foldpress.index import build_index, check_urls
from foldpress.markdown import create_markdown
from foldpress.model import Page, Post
from foldpress.reader import read_site
from foldpress.render import render_errors, render_markdown
from foldpress.theme import create_environment


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote, where, and how long it took."""

    out_dir: Path
    posts: int
    pages: int
    files: int
    seconds: float

    def summary(self) -> str:
        posts = f"{self.posts} post{'s' * (self.posts != 1)}"
        pages = f"{self.pages} page{'s' * (self.pages != 1)}"
        return (
            f"{posts} and {pages} ({self.files} files) written to {self.out_dir} "
            f"in {self.seconds:.2f} s"
        )


def build(site_dir: Path, out_dir: Path | None = None, *, drafts: bool = False) -> BuildResult:
    """Build the site in ``site_dir`` into ``out_dir`` (default ``SITE/_site``).

    Raises BuildError with every content error found; the old output is then untouched.
    """
    started = time.perf_counter()
    site_dir = Path(site_dir)
    out_dir = Path(out_dir) if out_dir is not None else site_dir / "_site"
    errors: list[ContentError] = []
    try:
        config = load_config(site_dir / "site.toml")
    except BuildError as error:
        errors += error.errors
        config = SiteConfig()  # read the posts anyway, to report their errors in this run too
    errors += _check_output_folder(site_dir, out_dir)

    posts, pages, found = read_site(site_dir, config, drafts=drafts)
    errors += found
    errors += render_all(posts, pages, config)
    broken = {error.path for error in errors}  # their URLs may be placeholders
    errors += check_urls(
        [p for p in posts if p.source not in broken], [p for p in pages if p.source not in broken]
    )
    if errors:
        raise BuildError(errors)

    index = build_index(config, posts, pages, site_dir)
    env = create_environment(site_dir, config)
    with _replacing(out_dir) as work_dir:
        try:
            for writer in outputs.WRITERS:
                writer.write(index, work_dir, env)
        except jinja2.TemplateError as error:
            raise BuildError([_template_error(error)]) from error
        except ContentError as error:
            raise BuildError([error]) from error
        files = sum(len(names) for _, _, names in os.walk(work_dir))
    return BuildResult(out_dir, len(posts), len(pages), files, time.perf_counter() - started)


def render_all(posts: list[Post], pages: list[Page], config: SiteConfig) -> list[ContentError]:
    """Render every post and page in place with one Markdown renderer."""
    md = create_markdown(smart_typography=config.smart_typography)
    errors = []
    for post in posts:
        rendered, problems = render_markdown(
            md, post.body_markdown, doc_id=post.slug, summary=post.summary
        )
        errors += render_errors(post.source, post.source_lines, problems)
        post.body_html = rendered.body_html
        post.intro_html = rendered.intro_html
        post.intro_markdown = rendered.intro_markdown
        post.has_more = rendered.has_more
    for page in pages:
        rendered, problems = render_markdown(md, page.body_markdown, doc_id=page.slug)
        errors += render_errors(page.source, page.source_lines, problems)
        page.body_html = rendered.body_html
    return errors


def _check_output_folder(site_dir: Path, out_dir: Path) -> list[ContentError]:
    """Refuse an output folder whose replacement would destroy something else."""
    site, out = site_dir.resolve(), out_dir.resolve()
    if out == site or site.is_relative_to(out):
        reason = "it holds the site's sources"
    elif any(out.is_relative_to(site / name) for name in ("posts", "pages", "static", "templates")):
        reason = "it is inside the site's sources"
    elif out.exists() and not out.is_dir():
        reason = "it is a file"
    elif out.is_dir() and any(out.iterdir()) and not (out / "index.html").exists():
        reason = "it is not empty and does not look like a built site (no index.html)"
    else:
        return []
    return [ContentError(out_dir, None, f"will not replace this output folder: {reason}")]


@contextmanager
def _replacing(out_dir: Path) -> Iterator[Path]:
    """Yield an empty sibling folder of ``out_dir``; put it in ``out_dir``'s place on success.

    On any failure, KeyboardInterrupt included, the new folder is removed and the old
    output is left exactly as it was.
    """
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{out_dir.name}.new-", dir=out_dir.parent))
    old = None
    try:
        yield work
        work.chmod(0o755)  # mkdtemp makes it private; a site is for publishing
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=f"{out_dir.name}.old-", dir=out_dir.parent))
            out_dir.rename(old / out_dir.name)
        work.rename(out_dir)
    except BaseException:
        if old and not out_dir.exists():
            (old / out_dir.name).rename(out_dir)
        shutil.rmtree(work, ignore_errors=True)
        raise
    finally:
        if old:
            shutil.rmtree(old, ignore_errors=True)


def _template_error(error: jinja2.TemplateError) -> ContentError:
    """A template problem at its template's file and line."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        return ContentError(Path(error.filename or error.name or "?"), error.lineno, error.message)
    # Jinja rewrites tracebacks so that template frames carry the template's file and line.
    where, line = None, None
    tb = error.__traceback__
    while tb:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".txt", ".md")):
            where, line = filename, tb.tb_lineno
        tb = tb.tb_next
    return ContentError(Path(where or "templates"), line, f"template error: {error}")
