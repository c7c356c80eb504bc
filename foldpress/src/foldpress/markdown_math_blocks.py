"""Display math as a block: found in the source before the Markdown parser reads it.

A line that starts, after the prefixes of the blockquotes and list items it is in, with
``$$``, ``\\[`` or ``\\begin{ENV}`` (ENV a display environment) opens a display formula
that runs to its closing delimiter the way a fenced code block runs to its fence: what
its lines start with (``- ``, ``+ ``, ``=``, ``#``, ``>``, ``1.``, four spaces) is LaTeX,
not Markdown. The container prefix of the opening line (its ``>`` marks, the width of
its list item) is taken off each line of the formula.

How the parser is kept out: the formula's bytes are overwritten, in a copy of the
source, with a stand-in of the same length that Markdown reads as one unit and nothing
else, so every byte range of the parse stays true of the real source:

- ``$$xxx..xxx$$``, a formula pulldown-cmark reads inside its paragraph;
- for a formula with blank lines inside (kramdown's math blocks may have them, and
  MathJax users split long ``align`` blocks so), ``<?xxx..xxx?>``, which CommonMark
  reads as one HTML block (a processing instruction) up to its ``?>``, blank lines and
  all.

Past a blank line, a ``$$`` or ``\\]`` closes the formula only as kramdown's math
block closes: at the end of its line, and not followed in its paragraph by another
closing delimiter (then it opens the next formula, and the first was never closed).
So a stray ``$$`` cannot swallow the formulas after it: an opening delimiter left
without its closing one stays text, with a warning at its line, and nothing after it
changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Event = tuple[object, dict[str, int]]

# Environments that MathJax (processEnvironments) typesets outside $$: amsmath's display
# environments, and the inner ones people put on their own too.
ENVIRONMENTS = (
    *("equation", "align", "gather", "multline", "eqnarray", "flalign", "alignat"),
    *("aligned", "gathered", "split"),
)
_ENVIRONMENT = "|".join(ENVIRONMENTS)
# A line's container prefix (blockquote marks, list markers, indentation: as deep as
# nested lists go; code blocks are told by the parse), then an opening delimiter.
# The quote and list markers before an opening delimiter are taken as one atomic group:
# a space between two markers may end the first or start the second, and trying every
# way on a line of markers with no delimiter after them took exponential time (12 s
# for 24 "> ", found by tests/test_hostile_input.py). Only spaces and markers are in
# it, never a delimiter's first character, so giving none of them back loses no match.
_OPENING = re.compile(
    rb"^(?P<prefix>(?>(?:[ \t]*>[ \t]?|[ \t]*(?:[-+*]|\d{1,9}[.)])[ \t]+)*)[ \t]*)"
    rb"(?P<open>\$\$|\\\[|\\begin\{(?P<env>(?:" + _ENVIRONMENT.encode() + rb")\*?)\})",
    re.M,
)
_QUOTE_MARK = re.compile(rb"[ \t]{0,3}>[ \t]?")
_FILLER = ord("x")


@dataclass(frozen=True)
class MathBlock:
    """One display formula found as a block: byte offsets of its opening delimiter and
    of the end of its closing one, its LaTeX (container prefixes taken off), and
    whether it has a blank line inside (then it stands in as an HTML block); and the
    container prefix of its first line."""

    start: int
    end: int
    latex: str
    blank_inside: bool
    prefix: bytes


@dataclass(frozen=True)
class Syntax:
    """The delimiters read as display blocks."""

    double_dollar: bool
    bracket: bool
    environments: bool


def find_blocks(
    source: bytes,
    readable: Callable[[int], bool],
    syntax: Syntax,
    read_whole: dict[int, int] | None = None,
) -> tuple[list[MathBlock], list[tuple[int, str]]]:
    """The display-math blocks of ``source`` the parser did not read whole, top to
    bottom, and a ``(byte offset, message)`` for each opening delimiter left without its
    closing one. ``readable(offset)`` says whether the parser read that byte as text
    (not code, not HTML); ``read_whole`` holds where each ``$$`` formula it read starts
    and ends (none of its lines looked like Markdown: nothing to do)."""
    read_whole = read_whole or {}
    blocks: list[MathBlock] = []
    unclosed: list[tuple[int, str]] = []
    position = 0
    while True:
        match = _OPENING.search(source, position)
        if match is None:
            return blocks, unclosed
        opening, env = match.group("open"), match.group("env")
        start = match.start("open")
        position = match.end()
        if start in read_whole:
            position = read_whole[start]
            continue
        if not readable(start) or not _wanted(opening, syntax):
            continue
        found = _closing(source, match, env)
        if found is None:
            if _says_block(source, match):
                message = f"{opening.decode()} opens display math that is never closed"
                unclosed.append((start, message + "; left as text"))
            continue
        end, lines = found
        if len(lines) < 2 and not env:
            continue  # "$$..$$" or "\\[..\\]" on one line: the parser reads it whole
        inner_start = start if env else start + 2
        inner_end = end if env else end - 2
        latex = _latex(source, match.group("prefix"), lines, inner_start, inner_end)
        blank = any(not content.strip() for content in _contents(source, match, lines))
        blocks.append(MathBlock(start, end, latex, blank, match.group("prefix")))
        position = end


def stand_ins(source: bytes, blocks: list[MathBlock]) -> bytes:
    """``source`` with each block overwritten by its stand-in (see the module's doc)."""
    out = bytearray(source)
    for block in blocks:
        for line_start, line_end in _line_ranges(source, block.start, block.end):
            skip = _prefix_length(source, line_start, line_end, block.prefix)
            for i in range(max(line_start + skip, block.start), line_end):
                out[i] = _FILLER
        first, last = (b"<?", b"?>") if block.blank_inside else (b"$$", b"$$")
        out[block.start : block.start + 2] = first
        out[block.end - 2 : block.end] = last
    return bytes(out)


def _wanted(opening: bytes, syntax: Syntax) -> bool:
    if opening == b"$$":
        return syntax.double_dollar
    if opening == b"\\[":
        return syntax.bracket
    return syntax.environments


def _says_block(source: bytes, match: re.Match[bytes]) -> bool:
    """Whether an unclosed opening delimiter was surely meant as display math: ``$$``
    or ``\\begin`` anywhere, ``\\[`` alone on its line (``\\[1] Smith`` is a bracket)."""
    if match.group("open") != b"\\[":
        return True
    line_end = source.find(b"\n", match.end())
    return not source[match.end() : None if line_end < 0 else line_end].strip()


def _closing(
    source: bytes, match: re.Match[bytes], env: bytes | None
) -> tuple[int, list[tuple[int, int]]] | None:
    """Where the closing delimiter ends, and the block's lines as byte ranges; None if
    it is not found."""
    prefix = match.group("prefix")
    if env:
        delimiter = re.compile(rb"\\(begin|end)\{" + re.escape(env) + rb"\}")
    close = b"$$" if match.group("open") == b"$$" else b"\\]"
    depth = 0
    past_blank = False
    lines: list[tuple[int, int]] = []
    line_start = source.rfind(b"\n", 0, match.start("open")) + 1
    while True:
        line_end = source.find(b"\n", line_start)
        line_end = len(source) if line_end < 0 else line_end
        lines.append((line_start, line_end))
        if len(lines) == 1:
            at = match.end()
        else:
            at = line_start + _prefix_length(source, line_start, line_end, prefix)
            past_blank = past_blank or not source[at:line_end].strip()
        if env:
            for found in delimiter.finditer(source, at, line_end):
                if found[1] == b"begin":
                    depth += 1
                elif depth:
                    depth -= 1
                else:
                    return found.end(), lines
        else:
            while (found_at := source.find(close, at, line_end)) >= 0:
                if not _escaped(source, found_at):
                    if past_blank and not _closes_block(source, found_at + 2, line_end, close):
                        return None
                    return found_at + 2, lines
                at = found_at + 2
        if line_end >= len(source):
            return None
        line_start = line_end + 1


def _closes_block(source: bytes, end: int, line_end: int, close: bytes) -> bool:
    """Whether a delimiter found past a blank line, ending at ``end``, closes a block as
    kramdown's does: its line ends there, and its paragraph has no delimiter after."""
    if source[end:line_end].strip():
        return False
    paragraph_end = re.compile(rb"\n[ \t>]*\n").search(source, line_end)
    return close not in source[line_end : paragraph_end.start() if paragraph_end else None]


def _escaped(source: bytes, at: int) -> bool:
    """Whether the delimiter at ``at`` is escaped: ``\\$$`` is a dollar sign, ``\\\\]``
    (a TeX line break, then ``]``) is no ``\\]``."""
    backslashes = 0
    while at - backslashes - 1 >= 0 and source[at - backslashes - 1] == ord("\\"):
        backslashes += 1
    return backslashes % 2 == 1


def _prefix_length(source: bytes, line_start: int, line_end: int, prefix: bytes) -> int:
    """How much of the line at ``line_start`` is the container prefix like ``prefix``:
    as many ``>`` marks (where present: lines may be lazy), then as much indentation."""
    at = line_start
    for _ in range(prefix.count(b">")):
        mark = _QUOTE_MARK.match(source, at, line_end)
        if mark is None:
            break
        at = mark.end()
    width = len(prefix) - (prefix.rfind(b">") + 1)
    if b">" in prefix and prefix[prefix.rfind(b">") + 1 : prefix.rfind(b">") + 2] in b" \t":
        width -= 1
    while width > 0 and at < line_end and source[at] in b" \t":
        at += 1
        width -= 1
    return at - line_start


def _contents(source: bytes, match: re.Match[bytes], lines: list[tuple[int, int]]) -> list[bytes]:
    prefix = match.group("prefix")
    return [
        source[start + _prefix_length(source, start, end, prefix) : end]
        for start, end in lines[1:-1]
    ]


def _latex(source: bytes, prefix: bytes, lines: list[tuple[int, int]], start: int, end: int) -> str:
    parts = []
    for line_start, line_end in lines:
        skip = _prefix_length(source, line_start, line_end, prefix)
        parts.append(source[max(line_start + skip, start) : min(line_end, end)])
    return b"\n".join(parts).decode().strip()


def _line_ranges(source: bytes, start: int, end: int) -> list[tuple[int, int]]:
    ranges = []
    line_start = source.rfind(b"\n", 0, start) + 1
    while line_start < end:
        line_end = source.find(b"\n", line_start)
        line_end = len(source) if line_end < 0 or line_end > end else line_end
        ranges.append((line_start, min(line_end, end)))
        line_start = line_end + 1
    return ranges
