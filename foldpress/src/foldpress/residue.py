"""Leftovers: template and markup syntax of other engines that shows on a page.

A post moved from Hugo, Jekyll or Pelican can still hold what its old engine read and
foldpress does not: a Liquid tag, a kramdown attribute list, a formula the math
settings do not read. Each build looks for them in the text a reader sees (not in code,
not in attributes) and warns at the source's line, so that none shows unnoticed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from foldpress.markdown import Document

# What each leftover is, by how it starts on the page.
KINDS = {
    "{{<": "a Hugo shortcode",
    "{{%": "a Hugo shortcode",
    "{%": "a Liquid or Jinja tag",
    "{:": "a kramdown attribute list",
    "{{ ": "a template expression",
    "$$": "unrendered math",
    "\\[": "unrendered math",
    "\\begin{": "an unrendered LaTeX environment",
}
_FOUND = re.compile("|".join(re.escape(k) for k in sorted(KINDS, key=len, reverse=True)))
MESSAGE = "leftover syntax shows on the page as text ("  # what counts them looks for
_SHOWN = 50  # characters of the leftover a warning shows

# HTML whose text is not shown as prose: code, scripts, comments, and the tags themselves.
_HIDDEN_HTML = re.compile(
    r"<(pre|code|script|style|textarea)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.S | re.I
)

_CODE_TAG = re.compile(r"<(/?)(?:pre|code|kbd|samp|script|style|textarea)\b", re.I)


def visible_text(html: str) -> str:
    """The text of an HTML fragment as a reader sees it, less code (roughly: no parser,
    since a post's raw HTML need not be well formed)."""
    return _HIDDEN_HTML.sub(" ", html)


def page_text(doc: Document, outputs: Iterable[tuple[int, str]] = ()) -> Iterator[tuple[int, str]]:
    """A parsed text's visible text as ``(0-based line, text)`` pieces: its text outside
    code, its HTML blocks' text, and the HTML that replaces its shortcode calls
    (``outputs``, at the calls' lines)."""
    in_code = 0
    run: list[str] = []  # text events in a row (an escape splits them), on one line
    run_line = 0
    for event, span in doc.events:
        kind, value = next(iter(event.items())) if type(event) is dict else (event, None)
        if kind == "Text" and not in_code:
            if not run:
                run_line = doc.line(span["start"])
            run.append(str(value))
            continue
        if run:
            yield run_line, "".join(run)
            run = []
        if value == "CodeBlock" or (type(value) is dict and "CodeBlock" in value):
            in_code += 1 if kind == "Start" else -1
        elif kind == "InlineHtml":  # <code>...</code> written as HTML in a paragraph
            tag = _CODE_TAG.match(str(value))
            if tag:
                in_code = max(0, in_code + (-1 if tag.group(1) else 1))
    if run:
        yield run_line, "".join(run)
    for _, first, _, _, html in doc.html_blocks():
        yield first, visible_text(html)
    for line, html in outputs:
        yield line, visible_text(html)


def find_leftovers(pieces: Iterable[tuple[int, str]]) -> list[tuple[int, str]]:
    """``(line, message)`` for each line of visible text with leftovers on it, given the
    text as ``(0-based line, text)`` pieces."""
    found: dict[int, Counter[str]] = {}
    example: dict[int, str] = {}
    for line, text in pieces:
        for match in _FOUND.finditer(text):
            at = line + text.count("\n", 0, match.start())
            found.setdefault(at, Counter())[KINDS[match.group()]] += 1
            if at not in example:
                shown = text[match.start() :].split("\n", 1)[0].strip()
                example[at] = shown if len(shown) <= _SHOWN else shown[: _SHOWN - 3] + "..."
    warnings = []
    for line, kinds in sorted(found.items()):
        what = ", ".join(f"{n} × {kind}" if n > 1 else kind for kind, n in kinds.items())
        warnings.append((line, f"{MESSAGE}{what}): {example[line]}"))
    return warnings


def count(messages: Iterable[str]) -> int:
    """How many leftovers the warnings with these messages report."""
    total = 0
    for message in messages:
        if message.startswith(MESSAGE):
            head = message[len(MESSAGE) :].split("): ", 1)[0]
            total += sum(int(m) for m in re.findall(r"(\d+) × ", head))
            total += sum(1 for part in head.split(", ") if " × " not in part)
    return total
