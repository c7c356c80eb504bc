"""Converting template syntax in a post's body, construct by construct, with their lines.

Each engine's converter is one regular expression whose alternatives are the
constructs it knows, and a handler that returns the Markdown for a match, or None to
leave it in place and report it at its line in the old file.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path

from foldpress.importers._shared import Report


def rewrite(
    body: str,
    pattern: re.Pattern[str],
    handle: Callable[[re.Match[str]], tuple[str | None, str]],
    *,
    source: Path,
    first_line: int,
    report: Report,
) -> str:
    """``body`` with each match of ``pattern`` replaced by ``handle(match)``'s text;
    where that is None, the match stays and its description is reported at its line
    (``first_line`` is the body's first line in ``source``)."""
    out: list[str] = []
    last = 0
    for match in pattern.finditer(body):
        new, what = handle(match)
        if new is None:
            line = first_line + body.count("\n", 0, match.start())
            report.note(source, line, what)
            continue
        out += [body[last : match.start()], new]
        last = match.end()
    out.append(body[last:])
    return "".join(out)


def fence(language: str, code: str) -> str:
    """A fenced code block, its fence longer than any run of backticks in ``code``."""
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    marks = "`" * max(3, longest + 1)
    return f"{marks}{language}\n{code.strip(chr(10))}\n{marks}"


def arguments(text: str) -> tuple[list[str], dict[str, str]]:
    """A tag's arguments, as shells and Hugo shortcodes write them: positional ones and
    ``name=value`` ones, quoted or not."""
    try:
        words = shlex.split(text)
    except ValueError:
        words = text.split()
    positional, named = [], {}
    for word in words:
        name, equals, value = word.partition("=")
        if equals and re.fullmatch(r"[\w-]+", name):
            named[name] = value
        else:
            positional.append(word)
    return positional, named


def first_line_of(text: str) -> str:
    """A construct as a report shows it: its first line, shortened."""
    line = text.strip().splitlines()[0] if text.strip() else text
    return line if len(line) <= 60 else line[:57] + "..."
