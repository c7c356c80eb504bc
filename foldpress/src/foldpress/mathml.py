"""LaTeX math to MathML at build time, with latex2mathml.

The Markdown parser finds the math (see :mod:`foldpress.markdown_math`), and so never
looks inside code; the renderer calls :func:`convert_formula` for each formula, which
also reads LaTeX written for a Markdown engine that ran before MathJax
(:func:`unescape_markdown`). The parser leaves a ``$`` formula whose braces do not
balance as text; :func:`unparsed_math` finds those, so that they are reported too.
"""

from __future__ import annotations

import re
from functools import lru_cache

from foldpress.mathjax_tex import mathjax_to_latex2mathml, mend_mathml

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
# latex2mathml passes a command it does not know through as text, e.g. <mi>\alpah</mi>,
# and a lone "\" or "&" it could not place as an identifier.
_UNKNOWN_COMMAND = re.compile(r">(\\[A-Za-z]+)<|>(\\|&)</mi>")
_ESCAPED = re.compile(r"\\[\\{}]")


class MathError(ValueError):
    """A formula that cannot be rendered; the message says why."""


# amsmath's display environments, as the latex2mathml environments that lay them out
# alike; unnumbered, as MathJax shows them by default.
_ENVIRONMENT = re.compile(
    r"\\(begin|end)\{(equation|align|aligned|split|gather|gathered|multline|eqnarray"
    r"|alignat|alignedat|flalign)\*?\}"
)
_COLUMN_PAIRS = re.compile(r"(\\begin\{(?:alignat|alignedat)\*?\})\s*\{\d+\}")  # alignat{2}
_AS = {
    "equation": ("", ""),
    "align": ("\\begin{align*}", "\\end{align*}"),
    "aligned": ("\\begin{align*}", "\\end{align*}"),
    "split": ("\\begin{align*}", "\\end{align*}"),
    "gather": ("\\begin{array}{c}", "\\end{array}"),
    "gathered": ("\\begin{array}{c}", "\\end{array}"),
    "multline": ("\\begin{array}{c}", "\\end{array}"),
    "eqnarray": ("\\begin{array}{rcl}", "\\end{array}"),
    # alignat and flalign are align with set column pairs, or flush to the margins
    "alignat": ("\\begin{align*}", "\\end{align*}"),
    "alignedat": ("\\begin{align*}", "\\end{align*}"),
    "flalign": ("\\begin{align*}", "\\end{align*}"),
}
_NO_OUTPUT = re.compile(r"\\(?:label\{[^{}]*\}|nonumber\b|notag\b)")
# A backslash escape of CommonMark: a backslash before ASCII punctuation.
_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


@lru_cache(maxsize=4096)
def to_mathml(latex: str, display: bool) -> str:
    """Convert one formula to a ``<math>`` element, or raise MathError."""
    problem = _brace_problem(latex)
    if problem:
        raise MathError(problem)
    tex = _NO_OUTPUT.sub("", latex) if "\\" in latex else latex
    if "\\begin" in tex:
        tex = _COLUMN_PAIRS.sub(r"\1", tex)
        tex = _ENVIRONMENT.sub(lambda m: _AS[m[2]][m[1] == "end"], tex)
    tex = mathjax_to_latex2mathml(tex)
    from latex2mathml.converter import convert  # here: a build with no formula never needs it

    try:
        mathml = convert(tex, display="block" if display else "inline")
    except Exception as error:  # latex2mathml raises many unrelated types
        raise MathError(_EXPLAIN.get(type(error).__name__, f"cannot parse ({error!r})")) from None
    mathml = mend_mathml(mathml)
    unknown = _UNKNOWN_COMMAND.search(mathml)
    if unknown:
        command, stray = unknown.groups()
        raise MathError(f"unknown LaTeX command {command}" if command else f"a stray '{stray}'")
    return mathml


def unescape_markdown(latex: str) -> str:
    """``latex`` with one level of Markdown backslash escapes removed (``\\\\{`` is
    ``\\{``, ``\\_`` is ``_``): what a MathJax page got from a Markdown engine that ran
    over its math first."""
    return _MARKDOWN_ESCAPE.sub(r"\1", latex) if "\\" in latex else latex


@lru_cache(maxsize=4096)
def convert_formula(latex: str, display: bool) -> tuple[str, str | None]:
    """A formula as MathML, and None; or, when it converts only with one level of
    Markdown escapes removed, as that, and the LaTeX it was read as. Raise MathError
    (for the formula as written) when neither converts."""
    try:
        return to_mathml(latex, display), None
    except MathError:
        unescaped = unescape_markdown(latex)
        if unescaped != latex:
            try:
                return to_mathml(unescaped, display), unescaped
            except MathError:
                pass
        raise


# What pulldown-cmark would read as math if its braces balanced: "$$..$$", or "$..$"
# with no space just inside either "$" ("$5 and $10" is money). A backslash before a
# "$" escapes it.
_CANDIDATE = re.compile(
    r"(?<![\\$])(?:\$\$(?P<display>.+?)(?<!\\)\$\$|\$(?![\s$])(?P<inline>.+?)(?<![\s\\$])\$)",
    re.DOTALL,
)


def unparsed_math(source: str) -> list[tuple[int, str, bool]]:
    """``(offset, latex, display)`` for each formula-like ``$..$`` in Markdown source
    text that the parser left as text, which it does when braces do not balance."""
    if "$" not in source:
        return []
    found = []
    for match in _CANDIDATE.finditer(source):
        display = match.group("display") is not None
        latex = match.group("display" if display else "inline")
        if _brace_problem(latex):
            found.append((match.start(), latex.strip(), display))
    return found


def _brace_problem(latex: str) -> str | None:
    depth = 0
    for char in _ESCAPED.sub("", latex):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return "a '}' without its '{'"
    return "a '{' without its '}'" if depth else None
