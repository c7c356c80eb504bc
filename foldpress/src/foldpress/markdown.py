"""The Markdown renderer: markdown-it-py (CommonMark) with the plugins a blog needs.

Create one instance per build with :func:`create_markdown`; parsing is then a pure
function of the source text and the settings the instance was made from.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

from foldpress.mathml import math_plugin

HIGHLIGHT_CLASS = "highlight"
LIGHT_STYLE = "default"
DARK_STYLE = "github-dark"

_FORMATTER = HtmlFormatter(nowrap=True)


def create_markdown(*, smart_typography: bool = False) -> MarkdownIt:
    """CommonMark plus tables, strikethrough, footnotes, math, heading ids and highlighting."""
    md = MarkdownIt(
        "commonmark",
        {"typographer": smart_typography, "highlight": highlight_code},
    )
    md.enable(["table", "strikethrough"])
    if smart_typography:
        md.enable(["replacements", "smartquotes"])
    md.use(footnote_plugin)
    md.use(math_plugin)
    md.use(anchors_plugin, min_level=2, max_level=4)
    md.add_render_rule("fence", _fence_once)
    return md


def _fence_once(self: RendererHTML, tokens, idx, options, env) -> str:
    # A post's intro is its tokens rendered again: highlight each block only once.
    meta = tokens[idx].meta
    if "html" not in meta:
        meta["html"] = RendererHTML.fence(self, tokens, idx, options, env)
    return meta["html"]


@lru_cache(maxsize=256)
def _lexer(language: str) -> Lexer | None:
    try:
        return get_lexer_by_name(language)
    except ClassNotFound:
        return None


def highlight_code(code: str, language: str, attrs: str) -> str:
    """A fenced block as Pygments-classed HTML; "" (plain) when the language is unknown."""
    lexer = _lexer(language.lower()) if language else None
    if lexer is None:
        return ""
    spans = highlight(code, lexer, _FORMATTER)
    return (
        f'<pre class="{HIGHLIGHT_CLASS}"><code class="language-{language}">{spans}</code></pre>\n'
    )


def pygments_css() -> str:
    """The highlighting CSS: a light style, and a dark one when the reader prefers dark."""
    light = HtmlFormatter(style=LIGHT_STYLE).get_style_defs(f".{HIGHLIGHT_CLASS}")
    dark = HtmlFormatter(style=DARK_STYLE).get_style_defs(f".{HIGHLIGHT_CLASS}")
    indented = "\n".join("  " + line for line in dark.splitlines())
    return f"{light}\n\n@media (prefers-color-scheme: dark) {{\n{indented}\n}}\n"
