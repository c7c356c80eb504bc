"""Code highlighting at build time: Pygments, with CSS classes and a light and a dark style."""

from __future__ import annotations

from functools import lru_cache

from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

HIGHLIGHT_CLASS = "highlight"
LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"

_FORMATTER = HtmlFormatter(nowrap=True)


@lru_cache(maxsize=256)
def lexer(language: str) -> Lexer | None:
    """The Pygments lexer for a code block's language (lower case), if there is one."""
    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return None


def highlight_spans(code: str, language: str) -> str | None:
    """``code`` as Pygments' classed ``<span>``s, or None if ``language`` is unknown."""
    found = lexer(language.lower()) if language else None
    return None if found is None else highlight(code, found, _FORMATTER)


def pygments_css() -> str:
    """The highlighting CSS: a light style, and a dark one when the reader prefers dark."""
    light = HtmlFormatter(style=LIGHT_STYLE).get_style_defs(f".{HIGHLIGHT_CLASS}")
    dark = HtmlFormatter(style=DARK_STYLE).get_style_defs(f".{HIGHLIGHT_CLASS}")
    indented = "\n".join("  " + line for line in dark.splitlines())
    return f"{light}\n\n@media (prefers-color-scheme: dark) {{\n{indented}\n}}\n"
