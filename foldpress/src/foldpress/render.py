"""Render a post's Markdown to HTML and split it at the fold.

:func:`render_markdown` is a pure function of the Markdown text and the renderer (which
is made from the site's settings), which is what lets the build cache key a rendered
post by its file's bytes and those settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from foldpress.errors import ContentError, ContentWarning
from foldpress.markdown import Document, Markdown, check_math, source_lines
from foldpress.residue import find_leftovers, page_text
from foldpress.shortcodes import Expanded, InnerRenderer, Shortcodes

_MAX_DEPTH = 20  # of shortcodes within shortcodes: deeper is a call that calls itself


class Problem(NamedTuple):
    """Broken input found while rendering: where ("body" or "summary"), 0-based line,
    why, and whether the build worked around it (a warning) or must stop."""

    part: str
    line: int
    message: str
    warning: bool = False


@dataclass(frozen=True)
class Rendered:
    """A post body rendered whole, and its intro (the part above the fold)."""

    body_html: str
    intro_html: str
    intro_markdown: str
    has_more: bool
    unfolded_markdown: str  # the whole Markdown without its fold marker lines
    intro_text: str | None  # the intro's first paragraph as text; None with a summary


def without_folds(doc: Document) -> str:
    """The document's text less the lines of every fold marker (a marker inside code is
    text and stays)."""
    folds = doc.folds
    if not folds:
        return doc.text
    lines = source_lines(doc.text)
    for _, first, end, _ in folds:
        lines[first:end] = [""] * (end - first)
    return "".join(lines)


def render_markdown(
    md: Markdown,
    text: str,
    *,
    doc_id: str,
    summary: str | None = None,
    shortcodes: Shortcodes | None = None,
    context: dict[str, Any] | None = None,
) -> tuple[Rendered, list[Problem]]:
    """Render ``text``; return it and the problems found in it and in ``summary``.

    The intro is the Markdown above the fold; with no fold, the ``summary`` if given,
    else the whole post. The intro keeps the footnotes it cites, with ids prefixed by
    ``doc_id`` so that many intros can share a listing page; its headings have no ids,
    which are for the post's own page. Shortcode calls are expanded with
    ``shortcodes``, their templates given ``context`` (the page and the site).
    """
    calls = _expand(md, shortcodes, context or {}, text, 0)
    restore = calls.restore
    doc = md.parse(calls.text)
    errors, warnings = list(calls.errors), list(calls.warnings)
    (warnings if md.math_errors == "warn" else errors).extend(check_math(doc))
    body_html = restore(md.render(doc, errors=errors, warnings=warnings))
    if not errors:  # else the build stops, and the errors say what is wrong first
        warnings += find_leftovers(page_text(doc, calls.shown()))
    problems = _problems("body", errors, warnings)

    fold = next((f for f in doc.folds if f[3]), None)  # the first at the top level
    if fold is not None:
        index, first, end, _ = fold
        lines = source_lines(calls.text)
        intro_markdown = restore("".join(lines[:first]).rstrip() + "\n")
        has_more = any(line.strip() for line in lines[end:])
        intro_html = restore(md.render(doc, stop=index, doc_id=doc_id, heading_ids=False))
        intro_text = doc.first_paragraph_text(stop=index)
    elif summary:
        summary_calls = _expand(md, shortcodes, context or {}, summary, 0)
        summary_doc = md.parse(summary_calls.text)
        errors, warnings = list(summary_calls.errors), list(summary_calls.warnings)
        (warnings if md.math_errors == "warn" else errors).extend(check_math(summary_doc))
        intro_html = summary_calls.restore(
            md.render(
                summary_doc, doc_id=doc_id, heading_ids=False, errors=errors, warnings=warnings
            )
        )
        if not errors:
            warnings += find_leftovers(page_text(summary_doc, summary_calls.shown()))
        problems += _problems("summary", errors, warnings)
        intro_markdown, has_more, intro_text = summary.strip() + "\n", True, None
    else:
        intro_markdown, has_more = restore(calls.text), False
        intro_text = doc.first_paragraph_text()
        intro_html = (
            restore(md.render(doc, doc_id=doc_id, heading_ids=False))
            if doc.outline.has_ids
            else body_html
        )
    unfolded = restore(without_folds(doc))
    rendered = Rendered(body_html, intro_html, intro_markdown, has_more, unfolded, intro_text)
    return rendered, problems


def _expand(
    md: Markdown, shortcodes: Shortcodes | None, context: dict[str, Any], text: str, depth: int
) -> Expanded:
    """``text`` with its shortcode calls replaced by placeholders (none without
    ``shortcodes``)."""
    if shortcodes is None:
        return Expanded(text)
    return shortcodes.expand(text, _inner_renderer(md, shortcodes, context, depth), context)


def _inner_renderer(
    md: Markdown, shortcodes: Shortcodes, context: dict[str, Any], depth: int
) -> InnerRenderer:
    """Renders a call's inner content (or a ``{{% %}}`` call's output) as Markdown, with
    the problems found in it at their lines in the file."""

    def render_inner(
        text: str, first_line: int
    ) -> tuple[str, list[tuple[int, str]], list[tuple[int, str]]]:
        if depth >= _MAX_DEPTH:
            return "", [(first_line, "shortcodes nested too deep (one calls itself?)")], []
        inner = shortcodes.expand(
            text, _inner_renderer(md, shortcodes, context, depth + 1), context, first_line
        )
        doc = md.parse(inner.text)
        errors: list[tuple[int, str]] = []
        warnings: list[tuple[int, str]] = []
        (warnings if md.math_errors == "warn" else errors).extend(check_math(doc))
        html = inner.restore(md.render(doc, errors=errors, warnings=warnings))
        errors = inner.errors + [(first_line + line, message) for line, message in errors]
        warnings = inner.warnings + [(first_line + line, message) for line, message in warnings]
        return html, errors, warnings

    return render_inner


def _problems(
    part: str, errors: list[tuple[int, str]], warnings: list[tuple[int, str]]
) -> list[Problem]:
    found = [Problem(part, line, message) for line, message in errors]
    found += [Problem(part, line, message, True) for line, message in warnings]
    return sorted(found)


def render_errors(path: Path, lines: dict[str, int], problems: list[Problem]) -> list[ContentError]:
    """The problems that stop the build, as errors at their lines in the file, given
    where each part starts."""
    return [
        ContentError(path, lines[p.part] + p.line, p.message) for p in problems if not p.warning
    ]


def render_warnings(
    path: Path, lines: dict[str, int], problems: list[Problem]
) -> list[ContentWarning]:
    """The problems the build worked around, as warnings at their lines in the file."""
    return [ContentWarning(path, lines[p.part] + p.line, p.message) for p in problems if p.warning]
