"""Where the math is in Markdown: the delimiters that MathJax-era blogs use.

pulldown-cmark reads ``$..$`` and ``$$..$$`` itself. This module adjusts its parse to
what MathJax users wrote:

- ``\\(..\\)`` is inline math and ``\\[..\\]`` display math (CommonMark would read each
  as an escaped bracket): the source is parsed again with each pair of delimiters
  overwritten by ``$$``, which has the same length, so every byte range stays true;
- a ``$`` formula never holds a backtick (a code span binds tighter) and never ends at a
  ``$`` followed by a digit (``$5 and $10``), as on GitHub and in pandoc: its opening
  ``$`` is overwritten with a byte that means nothing to Markdown, and put back after;
- a block that starts with ``\\begin{equation}`` (or another display environment) and
  ends with its ``\\end{..}`` is one display formula, its source taken as written.

None of it looks inside code spans, code blocks or HTML: only text is rewritten. Each
form can be turned off (:class:`MathSyntax`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

Event = tuple[object, dict[str, int]]

ENVIRONMENTS = (
    *("equation", "equation*", "align", "align*", "gather", "gather*"),
    *("multline", "multline*", "eqnarray", "eqnarray*"),
)
_BEGIN = re.compile(
    rb"\s*\\begin\{(" + b"|".join(re.escape(e.encode()) for e in ENVIRONMENTS) + rb")\}"
)
# "\(" or "\[" not itself escaped (an even number of backslashes before it), up to the
# first matching close in the same block (no blank line between).
_PAIRED = re.compile(
    rb"(?<!\\)(?:\\\\)*(?P<open>\\[(\[])"
    rb"(?P<body>(?:(?!\n[ \t]*\n).)+?)"
    rb"(?<!\\)(?:\\\\)*(?P<close>\\[)\]])",
    re.DOTALL,
)
_DOLLAR_DIGIT = re.compile(r"\$\d")
_CLOSE_OF = {b"\\(": b"\\)", b"\\[": b"\\]"}


@dataclass(frozen=True)
class MathSyntax:
    """Which ways of writing math a site reads (``math_*`` in site.toml)."""

    dollar: bool = True  # $..$
    double_dollar: bool = True  # $$..$$
    paren: bool = True  # \(..\)
    bracket: bool = True  # \[..\]
    environments: bool = True  # \begin{equation}..\end{equation} as a block

    @property
    def any_delimiter(self) -> bool:
        return self.dollar or self.double_dollar or self.paren or self.bracket


EVERY_WAY = MathSyntax()


def locate_math(
    text: str, events: list[Event], parse: Callable[[str], list[Event]], syntax: MathSyntax
) -> list[Event]:
    """``events`` (pulldown-cmark's parse of ``text``) with the math found as ``syntax``
    says; ``parse`` parses again when the source has to be rewritten."""
    # Most posts have none of it: a look at the text avoids a look at the events.
    wants_pairs = (syntax.paren and "\\(" in text) or (syntax.bracket and "\\[" in text)
    dollars_to_check = "$" in text and (
        not (syntax.dollar and syntax.double_dollar) or "`" in text or _DOLLAR_DIGIT.search(text)
    )
    if wants_pairs or (dollars_to_check and _bad_math(text.encode(), events, {}, syntax)):
        events = _fix_delimiters(text, text.encode(), events, parse, syntax)
    if syntax.environments and "\\begin{" in text:
        events = _environments(text, text.encode(), events)
    return events


def _fix_delimiters(
    text: str,
    source: bytes,
    events: list[Event],
    parse: Callable[[str], list[Event]],
    syntax: MathSyntax,
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
        bad = _bad_math(source, events, pairs, syntax)
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
) -> list[tuple[int, int]]:
    """(start, length) of each opening delimiter to take back."""
    bad = []
    starts = set()
    for event, span in events:
        if type(event) is not dict or not ("InlineMath" in event or "DisplayMath" in event):
            continue
        start, end = span["start"], span["end"]
        starts.add(start)
        if start in pairs:
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


def _environments(text: str, source: bytes, events: list[Event]) -> list[Event]:
    """Each run of blocks from one starting ``\\begin{ENV}`` to one ending ``\\end{ENV}``
    (ENV a display environment), at one depth, as a paragraph of one display formula."""
    out: list[Event] = []
    i = 0
    while i < len(events):
        event, span = events[i]
        if type(event) is dict and "Start" in event:
            begin = _BEGIN.match(source, span["start"], span["end"])
            if begin and event["Start"] == "Paragraph":
                end_mark = b"\\end{" + begin.group(1) + b"}"
                j = _block_end(events, i, source, end_mark)
                if j is not None:
                    start, end = span["start"], events[j][1]["end"]
                    latex = source[start:end].decode().strip()
                    whole = {"start": start, "end": end}
                    out += [
                        ({"Start": "Paragraph"}, whole),
                        ({"DisplayMath": latex}, whole),
                        ({"End": "Paragraph"}, whole),
                    ]
                    i = j + 1
                    continue
        out.append((event, span))
        i += 1
    return out


def _block_end(events: list[Event], i: int, source: bytes, end_mark: bytes) -> int | None:
    """The index of the End event, at the depth of block ``i``, whose block's source ends
    with ``end_mark``; None if the run ends first."""
    depth = 0
    for j in range(i, len(events)):
        event, span = events[j]
        if type(event) is not dict:
            continue
        if "Start" in event:
            depth += 1
        elif "End" in event:
            depth -= 1
            if depth == 0 and source[span["start"] : span["end"]].rstrip().endswith(end_mark):
                return j
            if depth < 0:
                return None
    return None
