"""The Jinja2 environment: the bundled theme, overridden file by file by a site's templates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jinja2
import jinja2.runtime
import markupsafe

from foldpress.addresses import markdown_copy
from foldpress.cache import digest
from foldpress.config import SiteConfig
from foldpress.dates import long_date
from foldpress.errors import BuildError, ContentError
from foldpress.keys import NAMED
from foldpress.urls import rebase_html, site_link

THEME_DIR = Path(__file__).parent / "themes" / "default"


class RecordingEnvironment(jinja2.Environment):
    """A Jinja2 environment that notes each attribute of a data model object that a
    template reads while ``reads`` is a dict (every ``a.b``, ``a["b"]`` and attribute
    filter goes through here): what :mod:`foldpress.keys` keys a page by.

    A page reads the same few attributes thousands of times (a listing, every post's
    title and date), so each read is noted once, by the object's id and the attribute:
    the objects are the index's, alive while the page renders.
    """

    reads: dict[tuple[int, str], object] | None = None

    def getattr(self, obj: Any, attribute: str) -> Any:
        # jinja2.Environment.getattr inlined, and the model's classes found by exact
        # type (they have no subclasses): this runs for every attribute a page reads.
        reads = self.reads
        if reads is not None and type(obj) in _RECORDED:
            reads[id(obj), attribute] = obj
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        reads = self.reads
        if reads is not None and type(obj) in _RECORDED and isinstance(argument, str):
            reads[id(obj), argument] = obj
        return super().getitem(obj, argument)


_RECORDED = frozenset(NAMED)


def create_environment(site_dir: Path, config: SiteConfig) -> jinja2.Environment:
    """Templates from ``SITE/templates`` first, then the bundled theme's.

    Each build makes its own environment, so templates need not be checked for changes
    on every use (``auto_reload``): a listing page looks up its includes once per post.
    """
    env = RecordingEnvironment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.FileSystemLoader(site_dir / "templates"),
                jinja2.FileSystemLoader(THEME_DIR / "templates"),
            ]
        ),
        autoescape=jinja2.select_autoescape(["html", "htm", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["long_date"] = long_date
    env.filters["markdown_copy"] = markdown_copy
    env.globals["site"] = config

    # Every link of a page to the site goes through these, which know the page (``url``).
    @jinja2.pass_context
    def link(context: jinja2.runtime.Context, path: str) -> str:
        """``{{ link(post.url) }}`` or ``{{ post.url|link }}``: a site path as this
        page links to it."""
        return site_link(config, path, context.get("url"))

    @jinja2.pass_context
    def site_html(context: jinja2.runtime.Context, html: str) -> markupsafe.Markup:
        """``{{ post.body_html|site_html }}``: the post's own root-relative links too."""
        return markupsafe.Markup(rebase_html(html, context.get("url"), config))

    env.globals["link"] = link
    # The same as a filter, ``{{ post.url|link }}``, which the bundled theme uses: Jinja
    # calls a filter directly, where a function goes through Context.call, which in a
    # loop or a block also copies the page's context first, for every link.
    env.filters["link"] = link
    env.filters["site_html"] = site_html
    return env


def compile_templates(env: jinja2.Environment) -> None:
    """Compile every template now: done before forking workers, once instead of once
    in each of them."""
    for name in env.list_templates(filter_func=_page_template):
        env.get_template(name)


def _page_template(name: str) -> bool:
    """Whether ``name`` is a template of pages: not hidden, not a shortcode (which
    posts call, in an environment of their own: see :mod:`foldpress.shortcodes`)."""
    return not name.startswith((".", "shortcodes/"))


def templates_key(site_dir: Path) -> bytes:
    """A digest of every page template a build may use: the site's own, then the
    theme's. (Shortcode templates are part of the posts that call them.)"""
    folders = (site_dir / "templates", THEME_DIR / "templates")
    files = [(folder, path) for folder in folders for path in files_in(folder)]
    files = [(top, path) for top, path in files if _page_template(path.relative_to(top).as_posix())]
    return digest(*[(str(path.relative_to(top)), path.read_bytes()) for top, path in files])


def files_in(folder: Path) -> list[Path]:
    """Every file under ``folder``, sorted; none if there is no such folder."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


@contextmanager
def template_errors() -> Iterator[None]:
    """Turn a template error raised inside into a BuildError at the template's line."""
    try:
        yield
    except jinja2.TemplateError as error:
        raise BuildError([_template_error(error)]) from error


def _template_error(error: jinja2.TemplateError) -> ContentError:
    """A template problem at its template's file and line."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        name = error.filename or error.name or "?"
        return ContentError(Path(name), error.lineno, error.message or "template syntax error")
    # Jinja rewrites tracebacks so that template frames carry the template's file and line.
    where, line = None, None
    tb = error.__traceback__
    while tb:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith((".html", ".xml", ".txt", ".md")):
            where, line = filename, tb.tb_lineno
        tb = tb.tb_next
    return ContentError(Path(where or "templates"), line, f"template error: {error}")
