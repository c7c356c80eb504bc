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
from collections.abc import Iterator
from functools import cache

# MathJax's named operators (TeX's \log and kin); those that take limits below.
_OPERATORS = (
    *("arcsin", "arccos", "arctan", "arg", "cos", "cosh", "cot", "coth", "csc", "deg"),
    *("det", "dim", "exp", "gcd", "hom", "inf", "ker", "lg", "lim", "liminf", "limsup"),
    *("ln", "log", "max", "min", "Pr", "sec", "sin", "sinh", "sup", "tan", "tanh"),
)
_WITH_LIMITS = {"det", "gcd", "inf", "lim", "liminf", "limsup", "max", "min", "Pr", "sup"}
_SIZED_DELIMITER = re.compile(r"(\\[Bb]igg?[lmr]?)\s*(\\[A-Za-z]+|\\[|{}])")
# \require{..} loads a MathJax extension; amsmath's \DOTSB and kin are spacing hints.
_NOTHING = re.compile(r"\\require\s*\{[^{}]*\}|\\DOTS[BIX](?![A-Za-z])")
_REFERENCE = re.compile(r"\\(eq)?ref\s*\{([^{}]*)\}")
_COLOR = re.compile(r"\\color\s*\{[^{}]*\}")
_COMMAND = re.compile(r"\\(?:[A-Za-z]+|.)", re.S)


def mathjax_to_latex2mathml(tex: str) -> str:
    """``tex`` as MathJax reads it, in the terms latex2mathml reads."""
    if "\\" not in tex:
        return tex
    tex = _NOTHING.sub("", tex)
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
    from latex2mathml.symbols_parser import convert_symbol  # see mathml.to_mathml

    size, delimiter = match.groups()
    code = convert_symbol(delimiter)
    if code is None:
        return match.group()
    char = chr(int(code, 16))
    # A brace would open a group: it stays escaped, and its <mo> is mended after.
    return size + ("\\" + char if char in "{}" else char)


_SIZED_BRACE = re.compile(r"(<mo [^>]*>)\\([{}])</mo>")
_ALIGNED_CELL = re.compile(r'<mtd columnalign="(left|right)"')


def mend_mathml(mathml: str) -> str:
    """latex2mathml's MathML with the sized braces (``\\big\\{``) it leaves as
    their TeX written as braces, and each cell's alignment said in CSS too: MathML Core
    (Chromium) has no ``columnalign`` and centres every cell (``-webkit-center``, which
    only a ``-webkit-`` value overrides), so the ``=`` of ``aligned`` rows would not
    line up."""
    if "\\" in mathml:
        mathml = _SIZED_BRACE.sub(r"\1\2</mo>", mathml)
    if "<mtd" in mathml:
        style = r'style="text-align: \1; text-align: -webkit-\1"'
        mathml = _ALIGNED_CELL.sub(rf'<mtd columnalign="\1" {style}', mathml)
    return mathml


@cache
def _missing_operators() -> re.Pattern[str]:
    from latex2mathml.converter import convert  # see mathml.to_mathml

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
            scope_end = group_end(tex, after)  # MathJax 2: \color{c}{x} colours x
        else:
            scope_end = _cell_end(tex, end)
        tex = tex[:start] + "{" + tex[start:scope_end] + "}" + tex[scope_end:]
    return tex


def group_end(tex: str, at: int) -> int:
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


# --- macros: \newcommand, \def, \DeclareMathOperator ------------------------------------
#
# MathJax keeps a definition for the rest of the page: posts define their macros once (in
# a formula of their own, often in a hidden <div>) and use them in every formula after;
# sites define theirs in a layout or in MathJax's configuration. foldpress reads the
# definitions of a post and of the site's ``math_preamble`` and expands them in each
# formula before conversion.

_NEWCOMMAND = re.compile(
    r"\\(?:re|provide)?newcommand\*?\s*(?:\{\s*(\\[A-Za-z]+)\s*\}|(\\[A-Za-z]+))"
    r"\s*(?:\[(\d)\])?\s*(?:\[([^\]]*)\])?\s*(?=\{)"
)
_DEF = re.compile(r"\\def\s*(\\[A-Za-z]+)\s*((?:#\d)*)\s*(?=\{)")
_OPERATOR = re.compile(
    r"\\DeclareMathOperator(\*?)\s*(?:\{\s*(\\[A-Za-z]+)\s*\}|(\\[A-Za-z]+))\s*(?=\{)"
)
Macro = tuple[int, str | None, str]  # arguments, default of an optional first one, body


def definitions(text: str) -> dict[str, Macro]:
    """Each macro ``text`` defines, by name (``\\R``), in the order defined."""
    macros: dict[str, Macro] = {}
    for _, _, name, macro in sorted(each_definition(text)):
        macros[name] = macro
    return macros


def without_definitions(tex: str) -> str:
    """``tex`` less the macro definitions in it (they show nothing)."""
    found = sorted(each_definition(tex))
    for start, end, _, _ in reversed(found):
        tex = tex[:start] + tex[end:]
    return tex


def with_macros(latex: str, macros: dict[str, Macro]) -> str:
    """A formula as it is converted: its own definitions taken out, and ``macros``
    (its page's and its site's) expanded; empty if it only defines."""
    if not macros and "\\newcommand" not in latex and "\\def" not in latex:
        return latex
    return expand(without_definitions(latex), macros).strip()


def expand(tex: str, macros: dict[str, Macro]) -> str:
    """``tex`` with each use of ``macros`` replaced by its body, arguments put in, to a
    depth of 20 (a macro that uses itself stops there)."""
    if not macros or "\\" not in tex:
        return tex
    names = "|".join(re.escape(name) for name in sorted(macros, key=len, reverse=True))
    pattern = re.compile(f"(?:{names})(?![A-Za-z])")
    for _ in range(20):
        match = pattern.search(tex)
        if match is None:
            return tex
        out, at = [], 0
        while match is not None:
            count, default, body = macros[match.group()]
            arguments, end = _arguments(tex, match.end(), count, default)
            for i, argument in enumerate(arguments, 1):
                body = body.replace(f"#{i}", argument)
            out += [tex[at : match.start()], body, " " if body[-1:].isalpha() else ""]
            at = end
            match = pattern.search(tex, end)
        tex = "".join([*out, tex[at:]])
    return tex


def each_definition(text: str) -> Iterator[tuple[int, int, str, Macro]]:
    if "\\newcommand" not in text and "\\def" not in text and "\\Declare" not in text:
        return
    for pattern in (_NEWCOMMAND, _DEF, _OPERATOR):
        for match in pattern.finditer(text):
            body_end = group_end(text, match.end())
            body = text[match.end() + 1 : body_end - 1]
            if pattern is _NEWCOMMAND:
                name = match.group(1) or match.group(2)
                count = int(match.group(3) or 0)
                macro: Macro = (count, match.group(4), body)
            elif pattern is _DEF:
                name, count = match.group(1), match.group(2).count("#")
                macro = (count, None, body)
            else:
                name = match.group(2) or match.group(3)
                star = match.group(1)
                plain = body.isalpha()
                macro = (0, None, f"\\operatorname{star}{{{body}}}" if plain else f"{{{body}}}")
            yield match.start(), body_end, name, macro


def _arguments(tex: str, at: int, count: int, default: str | None) -> tuple[list[str], int]:
    """A macro's ``count`` arguments read from ``at``: an optional first one in
    brackets when it has a default, then braced groups or single tokens."""
    arguments = []
    if default is not None:
        rest = tex[at:].lstrip()
        start = len(tex) - len(rest)
        if rest.startswith("["):
            close = tex.find("]", start)
            arguments.append(tex[start + 1 : close] if close > 0 else "")
            at = close + 1 if close > 0 else len(tex)
        else:
            arguments.append(default)
        count -= 1
    for _ in range(count):
        while at < len(tex) and tex[at].isspace():
            at += 1
        if at >= len(tex):
            arguments.append("")
        elif tex[at] == "{":
            end = group_end(tex, at)
            arguments.append(tex[at + 1 : end - 1])
            at = end
        else:
            token = _COMMAND.match(tex, at)
            end = token.end() if token else at + 1
            arguments.append(tex[at:end])
            at = end
    return arguments, at
