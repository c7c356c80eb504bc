"""Where the math is in Markdown: the delimiters that MathJax-era blogs use.

pulldown-cmark reads ``$..$`` and ``$$..$$`` itself. This module adjusts its parse to
what MathJax users wrote:

- ``\\(..\\)`` is inline math and ``\\[..\\]`` display math (CommonMark would read each
  as an escaped bracket): the source is parsed again with each pair of delimiters
  overwritten by ``$$``, which has the same length, so every byte range stays true;
- a ``$`` formula never holds a backtick (a code span binds tighter) and never ends at a
  ``$`` followed by a digit (``$5 and $10``), as on GitHub and in pandoc: its opening
  ``$`` is overwritten with a byte that means nothing to Markdown, and put back after;
- display math that opens a block (a line starting with ``$$``, ``\\[`` or
  ``\\begin{equation}`` and the like) is found before the parse, and runs to its
  closing delimiter whatever its lines start with (:mod:`foldpress.markdown_math_blocks`).

None of it looks inside code spans, code blocks or HTML: only text is rewritten. Each
form can be turned off (:class:`MathSyntax`).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from foldpress.markdown_math_blocks import MathBlock, Syntax, find_blocks, stand_ins

Event = tuple[object, dict[str, int]]

# "\(" or "\[" not itself escaped (an even number of backslashes before it), up to the
# first matching close in the same block (no blank line between).
_PAIRED = re.compile(
    rb"(?<!\\)(?:\\\\)*(?P<open>\\[(\[])"
    rb"(?P<body>(?:(?!\n[ \t]*\n).)+?)"
    rb"(?<!\\)(?:\\\\)*(?P<close>\\[)\]])",
    re.DOTALL,
)
_DOLLAR_DIGIT = re.compile(r"\$\d")
# "$", spaces, a formula on one line, spaces, "$" (neither escaped nor doubled, the
# closing one not followed by a digit).
_SPACED = re.compile(
    rb"(?<![\\$])\$(?!\$)(?P<before>[ \t]*)(?P<body>[^$\n]*?[^\s$\\])(?P<after>[ \t]*)"
    rb"(?<![\\$])\$(?![$\d])"
)
_CLOSE_OF = {b"\\(": b"\\)", b"\\[": b"\\]"}


@dataclass(frozen=True)
class MathSyntax:
    """Which ways of writing math a site reads (``math_*`` in site.toml)."""

    dollar: bool = True  # $..$
    double_dollar: bool = True  # $$..$$
    paren: bool = True  # \(..\)
    bracket: bool = True  # \[..\]
    environments: bool = True  # \begin{equation}..\end{equation} as a block
    # TeX macro definitions (\newcommand...) every formula may use, as a site's MathJax
    # configuration or layout made them
    preamble: str = ""

    @property
    def any_delimiter(self) -> bool:
        return self.dollar or self.double_dollar or self.paren or self.bracket


EVERY_WAY = MathSyntax()


def locate_math(
    text: str, events: list[Event], parse: Callable[[str], list[Event]], syntax: MathSyntax
) -> tuple[list[Event], list[tuple[int, str]]]:
    """``events`` (pulldown-cmark's parse of ``text``) with the math found as ``syntax``
    says, and a ``(0-based line, message)`` warning for each display formula left
    unclosed; ``parse`` parses again when the source has to be rewritten."""
    source = text.encode()
    blocks, unclosed = _display_blocks(source, events, syntax)
    warnings = [(source.count(b"\n", 0, at), message) for at, message in unclosed]
    if blocks:
        source = stand_ins(source, blocks)
        text = source.decode()
        events = parse(text)
        placed = _placed(blocks, events)
        if len(placed) < len(blocks):  # the parser did not read some as one unit
            blocks = [block for block in blocks if block.start in placed]
            source = stand_ins(text.encode(), blocks) if blocks else text.encode()
            text = source.decode()
            events = parse(text)
    moved: list[tuple[int, int]] = []
    # Only a "$" the parser left in text can start one.
    if syntax.dollar and b"$" in source and any("$" in e.get("Text", "") for e in _dicts(events)):
        source, moved = _spaced_dollars(source, events)
        if moved:
            text = source.decode()
            events = parse(text)
    kept = {block.start for block in blocks}
    # Most posts have none of it: a look at the text avoids a look at the events.
    wants_pairs = (syntax.paren and "\\(" in text) or (syntax.bracket and "\\[" in text)
    dollars_to_check = "$" in text and (
        not (syntax.dollar and syntax.double_dollar) or "`" in text or _DOLLAR_DIGIT.search(text)
    )
    if wants_pairs or (dollars_to_check and _bad_math(source, events, {}, syntax, kept)):
        events = _fix_delimiters(text, source, events, parse, syntax, kept)
    if blocks:
        events = _with_blocks(events, blocks)
    if moved:
        events = _without_moved_spaces(events, moved)
    return events, warnings


def _display_blocks(
    source: bytes, events: list[Event], syntax: MathSyntax
) -> tuple[list[MathBlock], list[tuple[int, str]]]:
    if not (b"$$" in source or b"\\[" in source or b"\\begin{" in source):
        return [], []
    dicts = [(event, span) for event, span in events if type(event) is dict]
    read_whole = {
        span["start"]: span["end"]
        for event, span in dicts
        if "DisplayMath" in event and source.startswith(b"$$", span["start"])
    }
    found: list[tuple[list[dict[str, int]], list[int], list[int]]] = []

    def readable(offset: int) -> bool:
        if not found:  # the first time: text read as text or math, not code or HTML
            code = [
                span
                for e, span in dicts
                if type(e.get("Start")) is dict and "CodeBlock" in e["Start"]
            ]
            spans = [
                span for e, span in dicts if "Text" in e or "InlineMath" in e or "DisplayMath" in e
            ]
            found.append((code, [s["start"] for s in spans], [s["end"] for s in spans]))
        code, starts, ends = found[0]
        if any(span["start"] <= offset < span["end"] for span in code):
            return False
        # Text events hold the "[" of "\\[", not always its backslash: either counts.
        for at in (offset, offset + 1):
            i = bisect_right(starts, at) - 1
            if i >= 0 and at < ends[i]:
                return True
        return False

    wanted = Syntax(syntax.double_dollar, syntax.bracket, syntax.environments)
    return find_blocks(source, readable, wanted, read_whole)


def _spaced_dollars(source: bytes, events: list[Event]) -> tuple[bytes, list[tuple[int, int]]]:
    """``source`` with each ``$ x $`` in text (spaces inside, which MathJax reads as
    math and pulldown-cmark does not) written `` $x$ ``: the same bytes, its dollars
    moved in; and where the spaces moved out are, which are no text.

    MathJax's tex2jax pairs any two ``$`` in a paragraph, money too (which is why it
    leaves ``$`` off by default); pandoc's ``tex_math_dollars`` wants no space just
    inside either ``$`` and no digit just after the closing one. Here pandoc's rule
    holds but for the spaces, which MathJax users write: ``$5 and $10`` stays money,
    and so does ``$5 and $ 10`` (a ``$`` before a digit opens no spaced formula)."""
    out = bytearray(source)
    moved = []
    in_code = 0
    for event, span in events:
        if type(event) is not dict:
            continue
        [(kind, value)] = event.items()
        if kind in ("Start", "End") and (value == "CodeBlock" or "CodeBlock" in value):
            in_code += 1 if kind == "Start" else -1
        if kind != "Text" or in_code or b"$" not in source[span["start"] : span["end"]]:
            continue
        for match in _SPACED.finditer(source, span["start"], span["end"]):
            if not _spaced(match):
                continue
            before, body, after = match.group("before", "body", "after")
            out[match.start() : match.end()] = before + b"$" + body + b"$" + after
            # (where the text before the formula ends, how many spaces to take off it;
            # where the text after it starts, how many)
            moved += [(match.start() + len(before), -len(before))]
            moved += [(match.end() - len(after), len(after))]
    return bytes(out), moved


def _dicts(events: list[Event]) -> Iterator[dict[str, Any]]:
    return (event for event, _ in events if type(event) is dict)


def _spaced(match: re.Match[bytes]) -> bool:
    """Whether a ``$..$`` of :data:`_SPACED` has spaces inside and is no money."""
    before, body, after = match.group("before", "body", "after")
    return bool(before or after) and not (not before and body[:1].isdigit())


def _without_moved_spaces(events: list[Event], moved: list[tuple[int, int]]) -> list[Event]:
    """``events`` with the spaces moved out of ``$ x $`` taken off the text beside it."""
    ends = {at: -count for at, count in moved if count < 0}
    starts = {at: count for at, count in moved if count > 0}
    out: list[Event] = []
    for event, span in events:
        if type(event) is dict and "Text" in event:
            value: str = event["Text"]
            value = value[: len(value) - ends.get(span["end"], 0)]
            value = value[starts.get(span["start"], 0) :]
            event = {"Text": value}
        out.append((event, span))
    return out


def _placed(blocks: list[MathBlock], events: list[Event]) -> set[int]:
    """The starts of the blocks that the parse of their stand-ins read as one unit."""
    ends = {block.start: block.end for block in blocks}
    return {
        span["start"]
        for event, span in events
        if type(event) is dict
        and span["start"] in ends
        and (
            ("DisplayMath" in event and span["end"] == ends[span["start"]])
            or (event.get("Start") == "HtmlBlock" and span["end"] >= ends[span["start"]])
        )
    }


def _with_blocks(events: list[Event], blocks: list[MathBlock]) -> list[Event]:
    """``events`` with each block's stand-in replaced by its formula."""
    by_start = {block.start: block for block in blocks}
    if not any(block.blank_inside for block in blocks):  # formulas in place, one for one
        return [
            ({"DisplayMath": by_start[span["start"]].latex}, span)
            if type(event) is dict and "DisplayMath" in event and span["start"] in by_start
            else (event, span)
            for event, span in events
        ]
    out: list[Event] = []
    i = 0
    while i < len(events):
        event, span = events[i]
        block = by_start.get(span["start"]) if type(event) is dict else None
        if block is None:
            out.append((event, span))
        elif "DisplayMath" in event:  # type: ignore[operator]
            out.append(({"DisplayMath": block.latex}, span))
        elif event == {"Start": "HtmlBlock"}:
            j = i
            while events[j][0] != {"End": "HtmlBlock"}:
                j += 1
            out += [
                ({"Start": "Paragraph"}, span),
                ({"DisplayMath": block.latex}, {"start": block.start, "end": block.end}),
            ]
            after = events[j - 1][0]["Html"].partition("?>")[2].strip()  # type: ignore[index]
            if after:
                out.append(({"Text": after}, {"start": block.end, "end": span["end"]}))
            out.append(({"End": "Paragraph"}, span))
            i = j
        else:
            out.append((event, span))
        i += 1
    return out


def _fix_delimiters(
    text: str,
    source: bytes,
    events: list[Event],
    parse: Callable[[str], list[Event]],
    syntax: MathSyntax,
    kept: set[int],
) -> list[Event]:
    neutral = next(c for c in "\x01\x02\x03\x04\x05\x06\x07\x0e\x0f" if c not in text)
    rewritten = bytearray(source)
    inline: set[int] = set()  # where a "\(" was made "$$"
    pairs: dict[int, int] = {}  # where each "\(" or "\[" made "$$" is closed
    if (syntax.paren and b"\\(" in source) or (syntax.bracket and b"\\[" in source):
        in_text = _text_ranges(events)
        for match in _PAIRED.finditer(source):
            open_, close = match.group("open"), match.group("close")
            body = match.group("body")
            if _CLOSE_OF[open_] != close or not body.strip() or b"`" in body:
                continue
            if not (syntax.paren if open_ == b"\\(" else syntax.bracket):
                continue
            start, end = match.start("open"), match.start("close")
            if _inside(in_text, start) and _inside(in_text, end):
                pairs[start] = end
                rewritten[start : start + 2] = rewritten[end : end + 2] = b"$$"
                if open_ == b"\\(":
                    inline.add(start)
    changed = bool(pairs)
    for _ in range(source.count(b"$") + len(pairs) + 1):
        if changed:
            events = parse(rewritten.decode())
        bad = _bad_math(source, events, pairs, syntax, kept)
        if not bad:
            break
        for start, length in bad:
            if start in pairs:  # a "\(" pulldown-cmark did not take: braces do not balance
                end = pairs.pop(start)
                rewritten[start : start + 2] = source[start : start + 2]
                rewritten[end : end + 2] = source[end : end + 2]
                inline.discard(start)
            else:
                rewritten[start : start + length] = neutral.encode() * length
        changed = True
    if neutral.encode() in rewritten or inline:
        events = [_restore(event, span, neutral, inline) for event, span in events]
    return events


def _bad_math(
    source: bytes,
    events: list[Event],
    pairs: dict[int, int],
    syntax: MathSyntax,
    kept: set[int],
) -> list[tuple[int, int]]:
    """(start, length) of each opening delimiter to take back (none of ``kept``, the
    display blocks)."""
    bad = []
    starts = set()
    for event, span in events:
        if type(event) is not dict or not ("InlineMath" in event or "DisplayMath" in event):
            continue
        start, end = span["start"], span["end"]
        starts.add(start)
        if start in pairs or start in kept:
            continue
        if "DisplayMath" in event:
            if not syntax.double_dollar or "`" in event["DisplayMath"]:
                bad += [(start, 2), (end - 2, 2)]
        elif not syntax.dollar or "`" in event["InlineMath"] or source[end : end + 1].isdigit():
            bad.append((start, 1))
    bad += [(start, 2) for start in pairs if start not in starts]
    return bad


def _restore(event: object, span: dict[str, int], neutral: str, inline: set[int]) -> Event:
    if type(event) is dict:
        [(kind, value)] = event.items()
        if kind == "DisplayMath" and span["start"] in inline:
            return {"InlineMath": value}, span
        if type(value) is str and neutral in value:
            return {kind: value.replace(neutral, "$")}, span
    return event, span


def _text_ranges(events: list[Event]) -> list[tuple[int, int]]:
    return [
        (span["start"], span["end"])
        for event, span in events
        if type(event) is dict and "Text" in event
    ]


def _inside(ranges: list[tuple[int, int]], offset: int) -> bool:
    # Text events hold the "(" of "\(", not always its backslash: both bytes count.
    return any(start <= offset + 1 < end for start, end in ranges)
