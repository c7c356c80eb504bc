"""Markdown: pulldown-cmark parses, foldpress writes the HTML.

pulldown-cmark (through pyromark) is a CommonMark parser in Rust with tables, footnotes,
strikethrough and ``$``/``$$`` math (:mod:`foldpress.markdown_math` adds the other ways
MathJax users write math). It hands back the parse as a list of events (the
start of a paragraph, some text, the end of a link...), each with its byte range in the
source. Writing the HTML from those events (:mod:`foldpress.markdown_html`), as Zola
does in Rust, is what gives Pygments highlighting, MathML, heading ids and per-post
footnote ids, and lets a post's intro be the events above its fold.

Create one renderer per build with :func:`create_markdown`; parsing and rendering are
then pure functions of the source text and the settings it was made from.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pyromark

from foldpress.markdown_html import HtmlWriter, MathErrors
from foldpress.markdown_math import EVERY_WAY, MathSyntax, locate_math
from foldpress.mathjax_tex import Macro, definitions
from foldpress.mathml import MathError, convert_formula, to_mathml, unparsed_math

_FOLD = re.compile(r"<!--\s*more\s*-->")
_OPTIONS = (
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_FOOTNOTES
    | pyromark.Options.ENABLE_STRIKETHROUGH
)

_LEFT_OUT = {"FootnoteDefinition", "Image"}  # of a paragraph's plain text

# An event is pulldown-cmark's, as pyromark gives it: "SoftBreak", {"Text": "..."},
# {"Start": "Paragraph"}, {"Start": {"Heading": {...}}}, {"End": ...}; and its byte range.
Event = tuple[Any, dict[str, int]]


@dataclass
class Outline:
    """A document's footnotes, HTML blocks and a few facts, for its renderings."""

    # Each footnote's label (case-folded) and the events of its definition.
    footnotes: dict[str, tuple[int, int]] = field(default_factory=dict)
    # Each HTML block's first event, byte range and whether it is at the top level.
    html_blocks: list[tuple[int, dict[str, int], bool]] = field(default_factory=list)
    has_ids: bool = False  # a heading or a footnote reference: HTML with ids
    dollar_text: bool = False  # text with a "$" that the parser did not read as math


class Document:
    """A parsed Markdown text: its events, and where its lines start."""

    def __init__(
        self, text: str, events: list[Event], math_warnings: list[tuple[int, str]] | None = None
    ) -> None:
        self.text = text
        self.events = events
        # (0-based line, message) for each display formula left as text, unclosed
        self.math_warnings = math_warnings or []
        # TeX macros the formulas may use: the site's, then the ones the text defines
        self.macros: dict[str, Macro] = {}
        self.code_html: dict[int, str] = {}  # by event index: an intro shows a block again

    def line(self, offset: int) -> int:
        """The 0-based line that byte ``offset`` of the text is on."""
        return bisect_left(self._newlines, offset)

    @cached_property
    def _newlines(self) -> list[int]:
        return [m.start() for m in re.finditer(b"\n", self.text.encode())]

    @cached_property
    def outline(self) -> Outline:
        """What the renderer and the fold need to know ahead, found in one pass."""
        outline = Outline()
        depth = note_depth = note_start = 0
        label = ""
        for i, (event, span) in enumerate(self.events):
            if type(event) is not dict:
                continue
            if "Text" in event:
                outline.dollar_text = outline.dollar_text or "$" in event["Text"]
            elif "Start" in event:
                depth += 1
                tag = event["Start"]
                if tag == "HtmlBlock":
                    outline.html_blocks.append((i, span, depth == 1))
                elif type(tag) is dict and "FootnoteDefinition" in tag:
                    if not note_depth:
                        note_start, label = i, tag["FootnoteDefinition"].casefold()
                    note_depth += 1
                elif type(tag) is dict and "Heading" in tag:
                    outline.has_ids = True
            elif "End" in event:
                depth -= 1
                if event["End"] == "FootnoteDefinition":
                    note_depth -= 1
                    if not note_depth:
                        outline.footnotes.setdefault(label, (note_start, i))
            elif "FootnoteReference" in event:
                outline.has_ids = True
        return outline

    def first_paragraph_text(self, stop: int | None = None) -> str:
        """The text of the first paragraph (not a footnote's) before event ``stop``: math
        stays as ``$...$``, code as code; images and HTML tags are left out."""
        parts: list[str] = []
        depth = 0  # of elements left out: footnotes before the paragraph, images in it
        inside = False
        for event, _ in self.events[:stop]:
            if type(event) is str:
                if inside and not depth and event in ("SoftBreak", "HardBreak"):
                    parts.append(" ")
                continue
            [(kind, value)] = event.items()
            if kind == "Start" and type(value) is dict and _LEFT_OUT.intersection(value):
                depth += 1
            elif kind == "End" and type(value) is str and value in _LEFT_OUT:
                depth -= 1
            elif depth:
                continue
            elif not inside:
                inside = kind == "Start" and value == "Paragraph"
            elif kind == "End" and value == "Paragraph":
                break
            elif kind == "Text":
                parts.append(value)
            elif kind == "Code":
                fence = "``" if "`" in value else "`"
                parts.append(f"{fence}{value}{fence}")
            elif kind == "InlineMath":
                parts.append(f"${value}$")
            elif kind == "DisplayMath":
                parts.append(f"$${value}$$")
        return " ".join("".join(parts).split())

    def html_blocks(self) -> list[tuple[int, int, int, bool, str]]:
        """Every HTML block: (index of its first event, first line, end line, whether
        it is at the top level, its text)."""
        blocks = []
        events = self.events
        for i, span, top in self.outline.html_blocks:
            text, j = [], i + 1
            while type(events[j][0]) is dict and "Html" in events[j][0]:
                text.append(events[j][0]["Html"])
                j += 1
            lines = (self.line(span["start"]), self.line(span["end"] - 1) + 1)
            blocks.append((i, *lines, top, "".join(text)))
        return blocks

    @cached_property
    def folds(self) -> list[tuple[int, int, int, bool]]:
        """Every ``<!--more-->`` line (an HTML block, never text in code):
        (event index, first line, end line, whether it is at the top level)."""
        if not _FOLD.search(self.text):
            return []
        return [
            (i, first, end, top)
            for i, first, end, top, text in self.html_blocks()
            if _FOLD.fullmatch(text.strip())
        ]


class Markdown:
    """The site's Markdown settings: parse text, and render a parse as HTML.

    ``math`` says which ways of writing math are read; with ``math_errors="warn"`` a
    formula that cannot be converted is shown as its LaTeX, and reported as a warning.
    """

    def __init__(
        self,
        *,
        smart_typography: bool = False,
        math: MathSyntax = EVERY_WAY,
        math_errors: MathErrors = "error",
    ) -> None:
        options = _OPTIONS
        if smart_typography:
            options |= pyromark.Options.ENABLE_SMART_PUNCTUATION
        if math.any_delimiter:
            options |= pyromark.Options.ENABLE_MATH
        self._parser = pyromark.Markdown(options=options)
        self.math = math
        self._site_macros = definitions(math.preamble)
        self.math_errors = math_errors

    def _events(self, text: str) -> list[Event]:
        return list(self._parser.events_with_range(text, merge_text=True))  # type: ignore[arg-type]

    def parse(self, text: str) -> Document:
        doc = Document(text, *locate_math(text, self._events(text), self._events, self.math))
        doc.macros = {**self._site_macros, **definitions(text)}
        return doc

    def link_definitions(self, text: str) -> list[str]:
        """The destination of each link reference definition (``[label]: URL``)."""
        return [d["dest"] for d in self._parser.reference_definitions(text).values()]

    def render(
        self,
        doc: Document,
        *,
        stop: int | None = None,
        doc_id: str = "",
        heading_ids: bool = True,
        errors: list[tuple[int, str]] | None = None,
        warnings: list[tuple[int, str]] | None = None,
    ) -> str:
        """The HTML of ``doc``'s events up to ``stop``, then the footnotes they cite.

        ``doc_id`` goes into footnote ids, so that many intros can share a page;
        ``errors`` collects ``(line, message)`` for broken LaTeX, and ``warnings`` for
        LaTeX that was shown anyway (with ``math_errors="warn"``, or read unescaped).
        """
        writer = HtmlWriter(doc, doc_id, heading_ids, errors, warnings, self.math_errors)
        writer.write(0, len(doc.events) if stop is None else stop)
        writer.write_footnotes()
        return "".join(writer.out)

    def html(self, text: str) -> str:
        """``text`` as HTML, with heading ids and footnotes."""
        return self.render(self.parse(text))


def create_markdown(
    *,
    smart_typography: bool = False,
    math: MathSyntax = EVERY_WAY,
    math_errors: MathErrors = "error",
) -> Markdown:
    """CommonMark plus tables, strikethrough, footnotes, math, heading ids and highlighting."""
    return Markdown(smart_typography=smart_typography, math=math, math_errors=math_errors)


def rewrite_escaped_math(text: str, md: Markdown | None = None) -> tuple[str, int]:
    """``text`` with each Markdown-escaped formula (one that converts only with one level
    of backslash escapes removed, such as ``$\\left\\\\{ x \\right\\\\}$``) written
    as it is read, and how many were; for ``foldpress import``, on the files it writes.

    Formulas are found as ``md`` (default: every way of writing math) finds them.
    """
    doc = (md or _DEFAULT).parse(text)
    source = text.encode()
    edits: list[tuple[int, int, bytes]] = []
    for event, span in doc.events:
        if type(event) is not dict or not ("InlineMath" in event or "DisplayMath" in event):
            continue
        latex = (event.get("InlineMath") or event.get("DisplayMath") or "").strip()
        try:
            _, read_as = convert_formula(latex, "DisplayMath" in event)
        except MathError:
            continue
        if read_as is None:
            continue
        start, end = span["start"], span["end"]
        at = source.find(latex.encode(), start, end)
        if at >= 0:
            edits.append((at, at + len(latex.encode()), read_as.encode()))
    for start, end, new in reversed(edits):
        source = source[:start] + new + source[end:]
    return source.decode(), len(edits)


_DEFAULT = Markdown()


def check_math(doc: Document) -> list[tuple[int, str]]:
    """``(line, message)`` for each ``$..$`` that pulldown-cmark left as text because its
    braces do not balance: a formula its author meant, that no reader would see."""
    if not doc.outline.dollar_text:
        return []  # every "$" was read as math, or is in code
    errors = []
    raw = doc.text.encode()
    run: list[bytes] = []
    run_start = in_code = 0
    for event, span in [*doc.events, ("End", {"start": 0, "end": 0})]:
        if type(event) is dict and "Text" in event and not in_code:
            if not run:
                run_start = span["start"]
            run.append(raw[span["start"] : span["end"]])
            continue
        if event in ("SoftBreak", "HardBreak") and run:
            run.append(b"\n")
            continue
        if run:
            text = b"".join(run).decode()
            for offset, latex, display in unparsed_math(text):
                line = doc.line(run_start) + text.count("\n", 0, offset)
                try:
                    to_mathml(latex, display)
                except MathError as error:
                    errors.append((line, f"broken LaTeX in ${latex}$: {error}"))
            run = []
        if type(event) is dict:
            [(kind, value)] = event.items()
            if (type(value) is dict and "CodeBlock" in value) or value == "CodeBlock":
                in_code = kind == "Start"
    return errors


def source_lines(text: str) -> list[str]:
    """``text``'s lines, ends kept, split at ``\\n`` only, as event ranges count them."""
    lines = text.split("\n")
    return [line + "\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
