"""Math as MathJax-era blogs write it: every delimiter and display environment, code and
money left alone, Markdown-escaped LaTeX, and ``math_errors``; each checked in the HTML
(parsed by lxml) and, for whole sites, in the built pages and the build's report."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from conftest import SITE_TOML, post_file, soup

from foldpress.build import build
from foldpress.errors import BuildError
from foldpress.markdown import Markdown, rewrite_escaped_math
from foldpress.markdown_math import MathSyntax
from foldpress.mathml import to_mathml

md = Markdown()


def page(text: str, markdown: Markdown = md) -> BeautifulSoup:
    return BeautifulSoup(markdown.html(text), "lxml")


def formulas(text: str, markdown: Markdown = md) -> list[tuple[str, str]]:
    """Each formula's display attribute and its text (MathML's own characters)."""
    return [(m["display"], m.get_text()) for m in page(text, markdown).find_all("math")]


@pytest.mark.parametrize(
    ("text", "display"),
    [
        ("Energy $E = mc^2$ here.", "inline"),
        ("Energy \\(E = mc^2\\) here.", "inline"),
        ("Energy $$E = mc^2$$ here.", "block"),
        ("Energy \\[E = mc^2\\] here.", "block"),
    ],
)
def test_each_delimiter_in_text(text, display):
    assert formulas(text) == [(display, "E=mc2")]
    paragraph = page(text).p
    assert paragraph.get_text() == "Energy E=mc2 here."


@pytest.mark.parametrize("text", ["$$\nE = mc^2\n$$\n", "\\[\nE = mc^2\n\\]\n"])
def test_display_delimiters_on_their_own_make_a_display_block(text):
    block = page(text).find("div", class_="math-display")
    assert block.math["display"] == "block"
    assert block.math.get_text() == "E=mc2"


def test_parens_keep_markdown_out_of_the_formula():
    # CommonMark alone would read "\(" as "(" and the stars as emphasis.
    html = md.html("Then \\(a*b*c \\\\ d_1 *e*\\) holds.\n")
    assert "<em>" not in html
    [math] = BeautifulSoup(html, "lxml").find_all("math")
    assert [mo.get_text() for mo in math.find_all("mo")].count("*") == 4
    assert math.find("mspace", linebreak="newline")  # "\\" reached the converter


ENVIRONMENTS = {
    "equation": ("x = 1", "x=1"),
    "equation*": ("x = 1 \\label{eq:x}", "x=1"),
    "align": ("a &= b \\\\\nc &= d \\nonumber", "a=bc=d"),
    "align*": ("a &= b \\\\\nc &= d", "a=bc=d"),
    "gather": ("a = b \\\\\nc = d", "a=bc=d"),
    "multline": ("a + b \\\\\n+ c", "a+b+c"),
    "eqnarray": ("a &=& b \\\\\nc &=& d", "a=bc=d"),
}


@pytest.mark.parametrize("name", list(ENVIRONMENTS))
def test_each_display_environment_as_a_block_of_its_own(name):
    body, shown = ENVIRONMENTS[name]
    text = f"Before.\n\n\\begin{{{name}}}\n{body}\n\\end{{{name}}}\n\nAfter.\n"
    html = page(text)
    block = html.find("div", class_="math-display")
    assert block.math["display"] == "block"
    assert block.math.get_text() == shown
    assert [p.get_text() for p in html.find_all("p")] == ["Before.", "After."]
    if "&" in body:  # aligned at "=": a table of rows and columns, no stray "&"
        rows = block.find_all("mtr")
        assert len(rows) == 2 and all(len(row.find_all("mtd")) >= 2 for row in rows)


def test_an_environment_can_span_blank_lines_free_blocks_and_sit_in_a_list():
    text = "- Item:\n\n  \\begin{align}\n  a &= b\n  \\end{align}\n"
    item = page(text).li
    assert item.find("div", class_="math-display").math.get_text() == "a=b"
    # Not at the start of its paragraph: text, as MathJax-free Markdown shows it.
    assert formulas("See \\begin{equation} x \\end{equation} here.\n") == []


@pytest.mark.parametrize(
    "text",
    [
        "Inline `\\(x\\)` and `$y$` and `\\[z\\]`.\n",
        "```\n\\(x\\) $y$ $$z$$ \\[w\\]\n\\begin{equation}\nv\n\\end{equation}\n```\n",
        "    \\begin{align}\n    a &= b\n    \\end{align}\n",
    ],
)
def test_code_stays_code(text):
    html = page(text)
    assert html.find("math") is None
    code = html.find("code").get_text()
    assert "\\(x\\)" in code or "\\begin{align}" in code


def test_money_and_a_shell_prompt_stay_text_with_their_code_span():
    html = page("It costs $5 and $10, and the prompt is `$ ls`.\n")
    assert html.find("math") is None
    assert html.p.get_text() == "It costs $5 and $10, and the prompt is $ ls."
    assert html.code.get_text() == "$ ls"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Pay $x + y$10 now, or $z$.\n", [("inline", "z")]),  # "$" then a digit: no close
        ("From $a$ to $b$, 5 times.\n", [("inline", "a"), ("inline", "b")]),
        ("A code span `$x` binds tighter: $y`.\n", []),
        ("Costs $5 to $10; but $k$ is math.\n", [("inline", "k")]),
    ],
)
def test_a_dollar_formula_never_swallows_code_or_money(text, found):
    assert formulas(text) == found


@pytest.mark.parametrize(
    ("written", "read_as"),
    [
        ("\\left\\\\{ g : \\dots \\right\\\\}", "\\left\\{ g : \\dots \\right\\}"),  # \\{
        ("\\left\\\\{ x\\_i \\right\\\\}", "\\left\\{ x_i \\right\\}"),  # \_ with it
        ("a \\* b", "a * b"),  # \*
        ("\\left\\\\{ a \\\\\\\\ b \\right\\\\}", "\\left\\{ a \\\\ b \\right\\}"),  # \\\\
    ],
)
def test_markdown_escaped_latex_is_read_unescaped_with_a_warning(written, read_as):
    errors: list[tuple[int, str]] = []
    warnings: list[tuple[int, str]] = []
    html = md.render(
        md.parse(f"Intro.\n\nSo ${written}$ holds.\n"), errors=errors, warnings=warnings
    )
    assert errors == []
    assert to_mathml(read_as, False) in html
    [(line, message)] = warnings
    assert line == 2
    assert f"${written}$ was read as ${read_as}$" in message


def test_latex_that_converts_as_written_is_not_unescaped():
    warnings: list[tuple[int, str]] = []
    html = md.render(md.parse("Sets $\\{a\\}$ and $x\\_1$.\n"), warnings=warnings)
    assert warnings == []
    assert to_mathml("\\{a\\}", False) in html


def test_rewrite_escaped_math_fixes_the_source_for_foldpress_import():
    text = (
        "Let $f \\in \\left\\\\{ g \\right\\\\}$, keep $\\{a\\}$,\n\n"
        "`$\\left\\\\{$ in code` and\n\n\\[\\left\\\\{ h \\right\\\\}\\]\n"
    )
    fixed, count = rewrite_escaped_math(text)
    assert count == 2
    assert fixed == (
        "Let $f \\in \\left\\{ g \\right\\}$, keep $\\{a\\}$,\n\n"
        "`$\\left\\\\{$ in code` and\n\n\\[\\left\\{ h \\right\\}\\]\n"
    )
    assert rewrite_escaped_math(fixed) == (fixed, 0)


@pytest.mark.parametrize(
    ("off", "text", "shown"),
    [
        ("dollar", "A $x$ and $$y$$.", "A $x$ and y."),
        ("double_dollar", "A $x$ and $$y$$.", "A x and $$y$$."),
        ("paren", "A \\(x\\) and \\[y\\].", "A (x) and y."),
        ("bracket", "A \\(x\\) and \\[y\\].", "A x and [y]."),
        (
            "environments",
            "\\begin{equation}\nx\n\\end{equation}",
            "\\begin{equation}\nx\n\\end{equation}",
        ),
    ],
)
def test_each_way_of_writing_math_can_be_turned_off(off, text, shown):
    markdown = Markdown(math=MathSyntax(**{off: False}))
    assert page(text, markdown).p.get_text() == shown


BROKEN = "Fine $x$.\n\nBroken $x^$ here.\n"


def test_math_errors_error_stops_the_build_at_the_formulas_line(make_site):
    site = make_site({"posts/2025-01-01-m.md": post_file("M", "2025-01-01", BROKEN)})
    with pytest.raises(BuildError) as raised:
        build(site)
    [error] = raised.value.errors
    assert str(error) == (
        f"{site / 'posts/2025-01-01-m.md'}:8: broken LaTeX in $x^$: ^ or _ with nothing after it"
    )


def test_math_errors_warn_shows_the_latex_and_lists_it_each_build(make_site):
    escaped = "Also $\\left\\\\{ a \\right\\\\}$.\n"
    site = make_site(
        {"posts/2025-01-01-m.md": post_file("M", "2025-01-01", BROKEN + "\n" + escaped)},
        site_toml=SITE_TOML + 'math_errors = "warn"\n',
    )
    for _ in range(2):  # the second build takes the post from the cache
        result = build(site)
        where = site / "posts/2025-01-01-m.md"
        assert [str(w) for w in result.warnings] == [
            f"{where}:8: warning: broken LaTeX in $x^$: ^ or _ with nothing after it; "
            "shown as its source",
            f"{where}:10: warning: Markdown-escaped LaTeX $\\left\\\\{{ a \\right\\\\}}$ was "
            "read as $\\left\\{ a \\right\\}$: write it that way (one level of backslash "
            "escapes less)",
        ]
    post = soup(site / "_site/2025/01/m/index.html").find(class_="post-body")
    shown = post.find("code", class_="math-error")
    assert shown.get_text() == "x^"
    assert [m["display"] for m in post.find_all("math")] == ["inline", "inline"]


def test_math_settings_reach_the_build_and_a_bad_value_is_named(make_site):
    post = post_file("M", "2025-01-01", "A \\(x\\) and $y$.\n")
    toml = SITE_TOML + "math_paren = false\n"
    site = make_site({"posts/2025-01-01-m.md": post}, site_toml=toml)
    build(site)
    text = soup(site / "_site/2025/01/m/index.html").find(class_="post-body").p.get_text()
    assert text == "A (x) and y."
    (site / "site.toml").write_text(SITE_TOML + 'math_errors = "ignore"\n')
    with pytest.raises(BuildError, match="'math_errors' must be one of 'error', 'warn'"):
        build(site)


def mathml(latex: str, display: bool = True) -> BeautifulSoup:
    return BeautifulSoup(to_mathml(latex, display), "lxml")


def test_mathjax_commands_latex2mathml_lacks_are_converted():
    assert [mo.get_text() for mo in mathml("\\arg\\max_x f").find_all("mo")][:2] == [
        "arg",
        "max",
    ]
    for latex, bar in [
        ("\\big\\vert x \\big\\vert", "|"),
        ("\\bigl\\lvert x \\bigr\\rvert", "|"),
        ("\\Big\\lVert x \\Big\\rVert", "\u2016"),
        ("\\bigg\\| x \\bigg\\|", "\u2016"),
        ("\\Bigl\\{ x \\Bigr\\}", "{"),
    ]:
        sized = mathml(latex).find_all("mo", minsize=True)
        assert [mo.get_text() for mo in sized] in ([bar, bar], [bar, "}"]), latex
    assert mathml("\\require{cancel} \\cancel{x}").find("menclose")
    assert mathml("\\require{cancel} x").get_text() == "x"
    assert mathml("\\operatorname*{argmax}_x f").find("mo").get_text() == "argmax"
    assert mathml("\\boldsymbol{\\theta}").find("mi")["mathvariant"] == "bold-italic"
    assert mathml("x = 1 \\tag{1}").find("mtext").get_text() == "(1)"
    assert mathml("x \\label{eq:x}").get_text() == "x"
    assert mathml("\\eqref{eq:x}").get_text() == "(eq:x)"


def test_color_takes_the_group_after_it_as_mathjax_does():
    colored = mathml("\\color{red}{x} + y").find("mstyle", mathcolor="red")
    assert colored.get_text() == "x"


@pytest.mark.parametrize(
    "latex",
    [
        "\\begin{aligned} \\color{red}{a} &= b \\\\ c &= d \\end{aligned}",
        "\\begin{aligned} \\color{red} a &= \\color{blue} b \\\\ c &= d \\end{aligned}",
        "\\begin{aligned} {\\color{red} a} &= b \\\\ c &= \\color{red}{d} \\end{aligned}",
    ],
)
def test_color_ends_at_the_cell_of_an_aligned_row(latex):
    rows = mathml(latex).find_all("mtr")
    assert [len(row.find_all("mtd", recursive=False)) for row in rows] == [2, 2]
    assert "&" not in mathml(latex).get_text()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("So $ x_1 $, and $ y$ and $z $.\n", ["x1", "y", "z"]),
        ("It costs $5 and $10.\n", []),
        ("It costs $5 and $ 10 now.\n", []),
        ("Escaped \\$ x $ stays.\n", []),
        ("In code `$ x $` stays.\n", []),
    ],
)
def test_spaces_inside_dollars_are_math_as_in_mathjax_but_money_is_not(text, found):
    html = page(text)
    assert [m.get_text() for m in html.find_all("math")] == found
    assert not re.search(r"\s[,.]", html.p.get_text())  # no space left before punctuation


def test_what_cannot_be_converted_shows_as_its_tex_with_a_warning():
    warn = Markdown(math_errors="warn")
    warnings: list[tuple[int, str]] = []
    html = warn.render(warn.parse("Water: $\\ce{H2O}$.\n"), warnings=warnings)
    assert '<code class="math-error">\\ce{H2O}</code>' in html
    [(line, message)] = warnings
    assert line == 0 and "unknown LaTeX command \\ce" in message


def test_macros_a_post_defines_hold_for_its_later_formulas():
    # As MathJax keeps them for the page: often defined in a hidden <div>.
    text = (
        '<div style="display: none">\n$$\n\\newcommand{\\R}{\\mathbb{R}}\n'
        "\\newcommand{\\E}[2]{\\mathbb{E}_{#1}\\left[#2\\right]}\n"
        "\\DeclareMathOperator*{\\argmax}{arg\\,max}\n$$\n</div>\n\n"
        "So $x \\in \\R^n$ and $\\E{x}{f(x)}$, and $$\\def\\v{\\mathbf{v}} \\v$$ then $\\v$.\n"
    )
    html = page(text)
    texts = [m.get_text() for m in html.find_all("math")]
    assert texts == ["x∈ℝn", "𝔼x[f(x)]", "𝐯", "𝐯"]
    assert not re.search(r"\\[A-Za-z]", html.p.get_text())  # the div stays hidden


def test_the_site_preamble_holds_for_every_formula():
    site = Markdown(math=MathSyntax(preamble="\\newcommand{\\vx}{\\mathbf{x}}"))
    assert formulas("Then $\\vx$.\n", site) == [("inline", "\U0001d431")]  # bold x


@pytest.mark.parametrize(
    "latex",
    [
        # wiseodd's Riemannian geometry post: a column of conditions after the equations.
        "\\begin{alignat}{2}\na &= b \\qquad &&\\text{if } x \\\\\nc &= d &&\\text{else}\n"
        "\\end{alignat}",
        "\\begin{flalign*}\na &= b && c \\\\\nd &= e && f\n\\end{flalign*}",
    ],
)
def test_alignat_and_flalign_are_aligned_tables(latex):
    rows = mathml(latex).find_all("mtr")
    assert len(rows) == 2 and all(len(row.find_all("mtd", recursive=False)) >= 3 for row in rows)
    assert "&" not in mathml(latex).get_text()
