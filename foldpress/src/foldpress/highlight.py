"""Code highlighting at build time: Pygments, with CSS classes and a light and a dark style.

Pygments is imported when a code block is first highlighted, not with this module: a
build that renders no post never needs it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pygments.formatters import HtmlFormatter
    from pygments.lexer import Lexer

HIGHLIGHT_CLASS = "highlight"
LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"

# Highlighted blocks kept per process: a block shown again (the same snippet in several
# posts, or a post rendered again by ``foldpress serve`` after an edit elsewhere in it)
# is not lexed again. Lexing is most of a cold build's Pygments time; 512 blocks of
# ordinary size (a hundred lines: about 15 KB of spans) are a few MiB.
_KEPT = 512


@lru_cache(maxsize=256)
def lexer(language: str) -> Lexer | None:
    """The Pygments lexer for a code block's language (lower case), if there is one."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return None


def load_lexers(languages: Iterable[str]) -> None:
    """Import Pygments and make the lexers of these languages (lower case) now: before
    forking workers, so that it is done once, not once in each of them."""
    _formatter()
    for language in languages:
        lexer(language)


def highlight_spans(code: str, language: str) -> str | None:
    """``code`` as Pygments' classed ``<span>``s, or None if ``language`` is unknown."""
    return _spans(code, language.lower()) if language else None


@lru_cache(maxsize=_KEPT)
def _spans(code: str, language: str) -> str | None:
    # By code and language only: the formatter's options are fixed, and the styles
    # are in the CSS (pygments_css), not in the spans.
    found = lexer(language)
    if found is None:
        return None
    from pygments import highlight

    return highlight(code, found, _formatter())


@lru_cache(maxsize=1)
def _formatter() -> HtmlFormatter:
    from pygments.formatters import HtmlFormatter

    return HtmlFormatter(nowrap=True)


def pygments_css() -> str:
    """The highlighting CSS: a light style, and a dark one when the reader prefers dark."""
    from pygments.formatters import HtmlFormatter

    light = HtmlFormatter(style=LIGHT_STYLE).get_style_defs(f".{HIGHLIGHT_CLASS}")
    dark = HtmlFormatter(style=DARK_STYLE).get_style_defs(f".{HIGHLIGHT_CLASS}")
    indented = "\n".join("  " + line for line in dark.splitlines())
    return f"{light}\n\n@media (prefers-color-scheme: dark) {{\n{indented}\n}}\n"
