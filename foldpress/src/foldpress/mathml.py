"""LaTeX math to MathML at build time: ``$..$`` inline, ``$$..$$`` display.

dollarmath (mdit-py-plugins) finds the math, and so never looks inside code; this module's
core rule converts each formula with latex2mathml once per parse, recording broken LaTeX
as ``(line, message)`` in ``env["math_errors"]`` with its line in the Markdown source.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from latex2mathml.converter import convert
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.dollarmath import dollarmath_plugin

# latex2mathml's exceptions carry no message; these say what the author got wrong.
_EXPLAIN = {
    "NumeratorNotFoundError": "\\frac without a numerator",
    "DenominatorNotFoundError": "\\frac without a denominator",
    "ExtraLeftOrMissingRightError": "\\left without a matching \\right",
    "MissingSuperScriptOrSubscriptError": "^ or _ with nothing after it",
    "DoubleSubscriptsError": "two subscripts in a row (use braces: x_{a_b})",
    "DoubleSuperscriptsError": "two superscripts in a row (use braces: x^{a^b})",
    "NoAvailableTokensError": "the formula ends too early (a missing argument or '}'?)",
    "InvalidStyleForGenfracError": "bad style for \\genfrac",
    "MissingEndError": "\\begin without a matching \\end",
    "InvalidAlignmentError": "bad column alignment",
    "InvalidWidthError": "bad width",
    "LimitsMustFollowMathOperatorError": "\\limits must follow an operator such as \\sum",
}
# latex2mathml passes a command it does not know through as text, e.g. <mi>\alpah</mi>.
_UNKNOWN_COMMAND = re.compile(r">(\\[A-Za-z]+)<")
_ESCAPED = re.compile(r"\\[\\{}]")


class MathError(ValueError):
    """A formula that cannot be rendered; the message says why."""


@lru_cache(maxsize=4096)
def to_mathml(latex: str, display: bool) -> str:
    """Convert one formula to a ``<math>`` element, or raise MathError."""
    depth = 0
    for char in _ESCAPED.sub("", latex):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            raise MathError("a '}' without its '{'")
    if depth:
        raise MathError("a '{' without its '}'")
    try:
        mathml = convert(latex, display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises many unrelated types
        raise MathError(_EXPLAIN.get(type(error).__name__, f"cannot parse ({error!r})")) from None
    unknown = _UNKNOWN_COMMAND.search(mathml)
    if unknown:
        raise MathError(f"unknown LaTeX command {unknown.group(1)}")
    return mathml


_DISPLAY = {"math_block": True, "math_block_label": True, "math_inline_double": True}
_MATH_TYPES = {"math_inline", *_DISPLAY}


def _convert_all(state: StateCore) -> None:
    errors = state.env.setdefault("math_errors", [])
    line = 0
    for token in state.tokens:
        if token.map:
            line = token.map[0]
        if token.type in _MATH_TYPES:
            _convert(token, line, errors)
        for child in token.children or ():
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            elif child.type in _MATH_TYPES:
                _convert(child, line, errors)


def _convert(token: Token, line: int, errors: list[tuple[int, str]]) -> None:
    latex = token.content.strip()
    try:
        token.meta["mathml"] = to_mathml(latex, _DISPLAY.get(token.type, False))
    except MathError as error:
        errors.append((line, f"broken LaTeX in ${latex}$: {error}"))
        token.meta["mathml"] = f"<code>{html.escape(latex)}</code>"


def _render_inline(self, tokens, idx, options, env) -> str:
    return tokens[idx].meta["mathml"]


def _render_display(self, tokens, idx, options, env) -> str:
    return f'<div class="math-display">{tokens[idx].meta["mathml"]}</div>\n'


def math_plugin(md: MarkdownIt) -> None:
    """Parse ``$..$`` and ``$$..$$`` and render them as MathML."""
    # Like Pandoc: "$5 and $10" is not math, nor is "$ x $".
    md.use(dollarmath_plugin, allow_space=False, allow_digits=False, double_inline=True)
    md.core.ruler.push("mathml", _convert_all)
    md.add_render_rule("math_inline", _render_inline)
    for name in _DISPLAY:
        md.add_render_rule(name, _render_display)
