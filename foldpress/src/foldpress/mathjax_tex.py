"""LaTeX as MathJax reads it, rewritten in the terms latex2mathml reads.

Bloggers wrote their formulas for MathJax (or KaTeX), whose TeX differs from LaTeX's
and from latex2mathml's in a few places that real posts use often:

- ``\\color{red}{x}`` colours ``x`` only (MathJax 2, KaTeX); latex2mathml reads
  ``\\color`` as LaTeX's switch and lets it run to the end of the formula, across the
  ``&`` of an ``aligned`` row, which then no longer lines up. Each ``\\color`` is given
  its scope: the group after it, or else the rest of its cell or group, as in LaTeX;
- ``\\big\\vert``, ``\\Bigl\\lVert``: a delimiter named by a command after a size
  command is written as its character, which latex2mathml sizes;
- named operators MathJax has and latex2mathml lacks (``\\arg``) are written with
  ``\\operatorname``, found by asking latex2mathml once;
- ``\\require{..}`` loads a MathJax extension: it shows nothing;
- ``\\eqref{..}`` and ``\\ref{..}`` show the label they cite, as the equation number
  of a page whose equations are unnumbered (MathJax's default) cannot be known.
"""

from __future__ import annotations

import re
from functools import cache

from latex2mathml.converter import convert
from latex2mathml.symbols_parser import convert_symbol

# MathJax's named operators (TeX's \log and kin); those that take limits below.
_OPERATORS = (
    *("arcsin", "arccos", "arctan", "arg", "cos", "cosh", "cot", "coth", "csc", "deg"),
    *("det", "dim", "exp", "gcd", "hom", "inf", "ker", "lg", "lim", "liminf", "limsup"),
    *("ln", "log", "max", "min", "Pr", "sec", "sin", "sinh", "sup", "tan", "tanh"),
)
_WITH_LIMITS = {"det", "gcd", "inf", "lim", "liminf", "limsup", "max", "min", "Pr", "sup"}
_SIZED_DELIMITER = re.compile(r"(\\[Bb]igg?[lmr]?)\s*(\\[A-Za-z]+|\\[|{}])")
_REQUIRE = re.compile(r"\\require\s*\{[^{}]*\}")
_REFERENCE = re.compile(r"\\(eq)?ref\s*\{([^{}]*)\}")
_COLOR = re.compile(r"\\color\s*\{[^{}]*\}")
_COMMAND = re.compile(r"\\(?:[A-Za-z]+|.)", re.S)


def mathjax_to_latex2mathml(tex: str) -> str:
    """``tex`` as MathJax reads it, in the terms latex2mathml reads."""
    if "\\" not in tex:
        return tex
    tex = _REQUIRE.sub("", tex)
    tex = _REFERENCE.sub(
        lambda m: f"\\text{{{'(' if m[1] else ''}{m[2]}{')' if m[1] else ''}}}", tex
    )
    tex = _SIZED_DELIMITER.sub(_sized_delimiter, tex)
    missing = _missing_operators()
    if missing.search(tex):
        tex = missing.sub(_operator, tex)
    if "\\color" in tex:
        tex = _scope_colors(tex)
    return tex


def _reference(match: re.Match[str]) -> str:
    label = match.group(2)
    return f"\\text{{({label})}}" if match.group(1) else f"\\text{{{label}}}"


def _sized_delimiter(match: re.Match[str]) -> str:
    size, delimiter = match.groups()
    code = convert_symbol(delimiter)
    if code is None:
        return match.group()
    char = chr(int(code, 16))
    # A brace would open a group: it stays escaped, and its <mo> is mended after.
    return size + ("\\" + char if char in "{}" else char)


_SIZED_BRACE = re.compile(r"(<mo [^>]*>)\\([{}])</mo>")


def mend_mathml(mathml: str) -> str:
    """latex2mathml's MathML with the sized braces (``\\big\\{``) it leaves as
    their TeX written as braces."""
    return _SIZED_BRACE.sub(r"\1\2</mo>", mathml) if "\\" in mathml else mathml


@cache
def _missing_operators() -> re.Pattern[str]:
    missing = [name for name in _OPERATORS if f"\\{name}" in convert(f"\\{name}")]
    return re.compile(r"\\(" + "|".join(missing or ["(?!)"]) + r")(?![A-Za-z])")


def _operator(match: re.Match[str]) -> str:
    name = match.group(1)
    return f"\\operatorname{'*' if name in _WITH_LIMITS else ''}{{{name}}}"


def _scope_colors(tex: str) -> str:
    """Each ``\\color{c}`` with its scope in braces, the last first, so that the scopes
    of the earlier ones hold the groups of the later ones whole."""
    for match in reversed(list(_COLOR.finditer(tex))):
        start, end = match.span()
        after = len(tex) - len(tex[end:].lstrip())
        if after < len(tex) and tex[after] == "{":
            scope_end = _group_end(tex, after)  # MathJax 2: \color{c}{x} colours x
        else:
            scope_end = _cell_end(tex, end)
        tex = tex[:start] + "{" + tex[start:scope_end] + "}" + tex[scope_end:]
    return tex


def _group_end(tex: str, at: int) -> int:
    """The end of the brace group that opens at ``at`` (the text's end if unclosed)."""
    depth = 0
    i = at
    while i < len(tex):
        char = tex[i]
        if char == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        i += 1
        if depth == 0:
            return i
    return len(tex)


def _cell_end(tex: str, at: int) -> int:
    """Where the cell or group that ``at`` is in ends: at its ``&``, ``\\\\``,
    ``\\cr``, closing ``}``, ``\\end`` or ``\\right``, or the text's end."""
    depth = 0
    i = at
    while i < len(tex):
        command = _COMMAND.match(tex, i)
        if command:
            name = command.group()
            if name in ("\\left", "\\begin"):
                depth += 1
            elif name in ("\\right", "\\end") or (name in ("\\\\", "\\cr") and not depth):
                if not depth:
                    return i
                depth -= 1
            i = command.end()
            continue
        char = tex[i]
        if char in "}&" and not depth:
            return i
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        i += 1
    return len(tex)
