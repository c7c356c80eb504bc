"""Math in an imported site: read where, and only where, the old site read it.

Which delimiters were math on the old site depends on two things: what its Markdown
engine left for MathJax or KaTeX to see, and whether its theme or config loaded one of
them at all. Goldmark (Hugo), kramdown (Jekyll) and Python-Markdown (Pelican) all read
``\\[`` and ``\\(`` as escaped brackets, so ``\\[Editor's note\\]`` showed as
``[Editor's note]``; kramdown alone reads ``$$`` as math itself. So, per delimiter:

- ``$$`` and ``\\begin{..}``: where MathJax or KaTeX is loaded (a template, a config
  file or a plugin names it); ``$$`` on every Jekyll site (kramdown's math);
- ``$``: where the renderer's configuration lists ``$`` as inline math (MathJax and
  KaTeX leave it off by default) or a math plugin reads it;
- ``\\(`` and ``\\[``: where Hugo's passthrough extension lists them, or a Pelican math
  plugin (``render_math``, arithmatex, ``mdx_math``) reads the source before Markdown.

Each post's math is then rewritten, found by the build's own scanner
(:mod:`foldpress.markdown_math`), never by a pattern of the importer's own.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from foldpress.markdown import Markdown, rewrite_escaped_math
from foldpress.markdown_math import MathSyntax
from foldpress.mathjax_tex import each_definition, group_end

# Folders of posts and built output: not where a site's templates and settings are.
NOT_SETTINGS = {".git", "node_modules", "_site", "public", "output", "resources", "vendor"}
CONTENT = {"content", "_posts", "_drafts", "posts"}
SETTINGS_SUFFIXES = {".html", ".htm", ".js", ".toml", ".yaml", ".yml", ".json", ".py"}
SETTINGS_SUFFIXES |= {".liquid", ".ejs", ".njk", ".jinja", ".j2", ".tmpl", ".tpl"}
LARGEST = 1_000_000  # bytes: a bundled library is no setting
_RENDERER = re.compile(r"mathjax|katex", re.I)
_PLUGIN = re.compile(r"render_math|mdx_math|arithmatex|pelican[-_]katex|markdown[-_]katex", re.I)
# ['$', '$'] in MathJax's inlineMath or Hugo's passthrough, {left: "$", right: "$"} in
# KaTeX's auto-render.
_INLINE_DOLLAR = re.compile(
    r"""[\[{]\s*(?:left\s*:\s*)?(['"])\$\1\s*,\s*(?:right\s*:\s*)?(['"])\$\2"""
)
# A theme's own switch for it: mathjaxEnableSingleDollar = true (LoveIt, FixIt...).
_SINGLE_DOLLAR = re.compile(r"single_?dollars?\w*\W{0,3}\s*[=:]\s*true", re.I)
_PASSTHROUGH_PAREN = re.compile(r"""(['"])\\{1,2}\(\1""")
_PASSTHROUGH_BRACKET = re.compile(r"""(['"])\\{1,2}\[\1""")
_LITERAL_DOLLAR = re.compile(rb"(?<!\\)\$")
# MathJax's "Macros: {" and KaTeX's "macros: {"; in it, name: "tex" or name: ["tex", n].
_MACROS = re.compile(r"\b[Mm]acros\s*[:=]\s*\{")
_MACRO_ENTRY = re.compile(
    r"""(?P<name>"\\*\w+"|'\\*\w+'|\w+)\s*:\s*(?:\[\s*)?(?P<q>["'])(?P<tex>.*?)(?<!\\)(?P=q)"""
    r"""(?:\s*,\s*(?P<count>\d))?"""
)


def old_math(src: Path, engine: str) -> MathSyntax:
    """The ways of writing math the site in ``src`` read as math, and the macros its
    layouts or MathJax/KaTeX configuration defined."""
    return math_of(list(settings_texts(src)), engine)


def math_of(texts: list[str], engine: str) -> MathSyntax:
    """What :func:`old_math` finds, from the texts of a site's templates and settings."""
    preamble = "\n".join(_definitions(text) for text in texts if "\\" in text).strip()
    renderer = any(_RENDERER.search(text) for text in texts)
    plugin = engine == "pelican" and any(_PLUGIN.search(text) for text in texts)
    passthrough = [text for text in texts if "passthrough" in text] if engine == "hugo" else []
    if plugin:
        return MathSyntax(preamble=preamble)
    on = renderer or bool(passthrough)
    return MathSyntax(
        dollar=on
        and any(_INLINE_DOLLAR.search(text) or _SINGLE_DOLLAR.search(text) for text in texts),
        double_dollar=on or engine == "jekyll",
        paren=any(_PASSTHROUGH_PAREN.search(text) for text in passthrough),
        bracket=any(_PASSTHROUGH_BRACKET.search(text) for text in passthrough),
        environments=on,
        preamble=preamble,
    )


def math_settings(syntax: MathSyntax) -> dict[str, object]:
    """The ``math_*`` keys of site.toml that turn off what ``syntax`` does not read."""
    settings: dict[str, object] = {
        f"math_{f.name}": False
        for f in dataclasses.fields(syntax)
        if getattr(syntax, f.name) is False
    }
    if syntax.preamble:
        settings["math_preamble"] = syntax.preamble
    return settings


def rewrite_math(body: str, engine: str, old: MathSyntax) -> tuple[str, MathSyntax]:
    """A post's body with its math written as foldpress reads it, and the ways of writing
    math the new site must read for it."""
    new = old
    if engine == "jekyll":
        body = kramdown_math(body, dollar_was_math=old.dollar)
        new = dataclasses.replace(old, dollar=True)
    return rewrite_escaped_math(body, _markdown(new))[0], new


@cache
def _markdown(syntax: MathSyntax) -> Markdown:
    return Markdown(math=syntax)


def kramdown_math(body: str, *, dollar_was_math: bool = False) -> str:
    """``body`` with kramdown's inline math, a ``$$...$$`` in a sentence or a table cell,
    written ``$...$``; a ``$$`` formula that is a paragraph of its own stays display math.
    Where the old site did not read ``$`` as math, a dollar sign in text is written
    ``\\$``, so that it stays one now that ``$`` is read."""
    kramdown = MathSyntax(dollar=dollar_was_math, paren=False, bracket=False, environments=False)
    doc = _markdown(kramdown).parse(body)
    source = body.encode()
    edits: list[tuple[int, int, bytes]] = []
    events = doc.events
    in_code = 0
    for i, (event, span) in enumerate(events):
        if type(event) is not dict:
            continue
        [(kind, value)] = event.items()
        start, end = span["start"], span["end"]
        if kind in ("Start", "End") and (value == "CodeBlock" or "CodeBlock" in value):
            in_code += 1 if kind == "Start" else -1
        elif kind == "DisplayMath" and source.startswith(b"$$", start):
            alone = events[i - 1][0] == {"Start": "Paragraph"} == _start(events[i + 1][0])
            # One that spans lines stays a block here, safe from what its lines start with.
            if not alone and b"\n" not in source[start:end]:
                edits.append((start, end, b"$" + source[start + 2 : end - 2].strip() + b"$"))
        elif kind == "Text" and not in_code and not dollar_was_math:
            for dollar in _LITERAL_DOLLAR.finditer(source, start, end):
                edits.append((dollar.start(), dollar.end(), b"\\$"))
    for start, end, new in sorted(edits, reverse=True):
        source = source[:start] + new + source[end:]
    return source.decode()


def _start(end: object) -> object:
    return {"Start": end["End"]} if type(end) is dict and "End" in end else None


def _definitions(text: str) -> str:
    """The TeX macro definitions in a template or a MathJax/KaTeX configuration, as
    ``\\newcommand`` lines: those written in TeX, and MathJax's ``Macros: {R:
    "{\\\\mathbb{R}}"}`` and KaTeX's ``macros: {"\\\\R": "\\\\mathbb{R}"}``."""
    found = [text[start:end] for start, end, _, _ in sorted(each_definition(text))]
    for config in _MACROS.finditer(text):
        body = text[config.end() - 1 : group_end(text, config.end() - 1)]
        for entry in _MACRO_ENTRY.finditer(body):
            name = entry.group("name").strip("\"'").lstrip("\\")
            tex = (entry.group("tex") or "").replace("\\\\", "\\")
            count = entry.group("count") or max(re.findall(r"#(\d)", tex), default=None)
            found.append(f"\\newcommand{{\\{name}}}{f'[{count}]' if count else ''}{{{tex}}}")
    return "\n".join(found)


def settings_texts(src: Path) -> Iterator[str]:
    """The text of each template, script and settings file of the site in ``src``."""
    for folder, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if d not in NOT_SETTINGS and d not in CONTENT]
        for name in files:
            path = Path(folder) / name
            if path.suffix.lower() not in SETTINGS_SUFFIXES:
                continue
            try:
                if path.stat().st_size > LARGEST:
                    continue
                yield path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
