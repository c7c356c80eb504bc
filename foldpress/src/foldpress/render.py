"""Render a post's Markdown to HTML and split it at the fold.

:func:`render_markdown` is a pure function of the Markdown text and the renderer (which
is made from the site's settings), which is what lets the build cache key a rendered
post by its file's bytes and those settings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from markdown_it import MarkdownIt
from markdown_it.token import Token

from foldpress.errors import ContentError

_FOLD = re.compile(r"<!--\s*more\s*-->")


class Problem(NamedTuple):
    """Broken input found while rendering: where ("body" or "summary"), 0-based line, why."""

    part: str
    line: int
    message: str


@dataclass(frozen=True)
class Rendered:
    """A post body rendered whole, and its intro (the part above the fold)."""

    body_html: str
    intro_html: str
    intro_markdown: str
    has_more: bool
    unfolded_markdown: str  # the whole Markdown without its fold marker lines


def find_fold(tokens: list[Token]) -> int | None:
    """The index of the top-level ``<!--more-->`` line, if any (not one inside code)."""
    for i, token in enumerate(tokens):
        top_level = token.type == "html_block" and token.level == 0
        if top_level and _FOLD.fullmatch(token.content.strip()):
            return i
    return None


def without_folds(text: str, tokens: list[Token]) -> str:
    """``text`` less the lines of every fold marker that ``tokens`` (its parse) hold;
    a marker inside code is text and stays."""
    lines = None
    for token in tokens:
        if token.type == "html_block" and token.map and _FOLD.fullmatch(token.content.strip()):
            lines = lines or text.splitlines(keepends=True)
            for i in range(*token.map):
                lines[i] = ""
    return text if lines is None else "".join(lines)


def render_markdown(
    md: MarkdownIt, text: str, *, doc_id: str, summary: str | None = None
) -> tuple[Rendered, list[Problem]]:
    """Render ``text``; return it and the problems found in it and in ``summary``.

    The intro is the Markdown above the fold; with no fold, the ``summary`` if given,
    else the whole post. The intro keeps the footnotes it cites, with ids prefixed by
    ``doc_id`` so that many intros can share a listing page.
    """
    env: dict = {}
    tokens = md.parse(text, env)
    problems = [Problem("body", line, msg) for line, msg in env.get("math_errors", ())]
    body_html = md.renderer.render(tokens, md.options, env)

    fold = find_fold(tokens)
    if fold is not None:
        lines = text.splitlines(keepends=True)
        intro_markdown = "".join(lines[: tokens[fold].map[0]]).rstrip() + "\n"
        has_more = any(line.strip() for line in lines[tokens[fold].map[1] :])
        intro = tokens[:fold] + _cited_footnotes(tokens, _citations(tokens[:fold]))
        intro_html = _render_intro(md, intro, doc_id)
    elif summary:
        summary_env: dict = {}
        intro = md.parse(summary, summary_env)
        problems += [Problem("summary", ln, m) for ln, m in summary_env.get("math_errors", ())]
        intro_markdown, has_more = summary.strip() + "\n", True
        intro_html = _render_intro(md, intro, doc_id)
    else:
        intro_markdown, has_more = text, False
        needs_ids = any(t.type in ("heading_open", "footnote_block_open") for t in tokens)
        intro_html = _render_intro(md, tokens, doc_id) if needs_ids else body_html
    unfolded = without_folds(text, tokens)
    return Rendered(body_html, intro_html, intro_markdown, has_more, unfolded), problems


def _render_intro(md: MarkdownIt, tokens: list[Token], doc_id: str) -> str:
    # Heading ids are for the post page; a listing shows many posts' headings.
    tokens = [_without_id(t) if t.type == "heading_open" else t for t in tokens]
    return md.renderer.render(tokens, md.options, {"docId": doc_id})


def _citations(tokens: list[Token]) -> set[tuple[int, int]]:
    """The (footnote id, reference number) of every footnote reference in ``tokens``."""
    return {
        (child.meta["id"], child.meta.get("subId", 0))
        for token in tokens
        for child in token.children or ()
        if child.type == "footnote_ref"
    }


def _without_id(token: Token) -> Token:
    copy = token.copy()
    copy.attrs = {k: v for k, v in token.attrs.items() if k != "id"}
    return copy


def _cited_footnotes(tokens: list[Token], cited: set[tuple[int, int]]) -> list[Token]:
    """The footnote block at the end of ``tokens``, cut down to the ``cited`` notes."""
    start = next((i for i, t in enumerate(tokens) if t.type == "footnote_block_open"), None)
    if start is None or not cited:
        return []
    ids = {note for note, _ in cited}
    kept, keep = [tokens[start]], False
    for token in tokens[start + 1 :]:
        if token.type == "footnote_open":
            keep = token.meta["id"] in ids
        if token.type == "footnote_anchor" and (token.meta["id"], token.meta["subId"]) not in cited:
            continue
        if keep or token.type == "footnote_block_close":
            kept.append(token)
        if token.type == "footnote_close":
            keep = False
    return kept


def render_errors(path: Path, lines: dict[str, int], problems: list[Problem]) -> list[ContentError]:
    """Problems as errors at their lines in the file, given where each part starts."""
    return [ContentError(path, lines[p.part] + p.line, p.message) for p in problems]
