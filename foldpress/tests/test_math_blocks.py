"""Display math as a block: a ``$$``, ``\\[`` or ``\\begin{env}`` that opens a block runs
to its closing delimiter whatever its lines start with, in list items and blockquotes
too; an unclosed one stays text with a warning at its line. Fixtures are the examples
of kramdown's, Hugo's and MathJax's documentation, and the lines of the issue."""

from __future__ import annotations

import subprocess
import sys

import pytest
from bs4 import BeautifulSoup
from conftest import post_file, soup
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from foldpress.build import build
from foldpress.markdown import Markdown
from foldpress.markdown_math import MathSyntax

md = Markdown()


def page(text: str, markdown: Markdown = md) -> BeautifulSoup:
    return BeautifulSoup(markdown.html(text), "lxml")


def display_formulas(text: str, markdown: Markdown = md) -> list[str]:
    """The MathML text of each display formula: what the converter got."""
    return [m.get_text() for m in page(text, markdown).find_all("math", display="block")]


# kramdown's syntax documentation, "Math Blocks": the block of its example.
KRAMDOWN = r"""
$$
\begin{align*}
  & \phi(x,y) = \phi \left(\sum_{i=1}^n x_ie_i, \sum_{j=1}^n y_je_j \right)
  = \sum_{i=1}^n \sum_{j=1}^n x_i y_j \phi(e_i, e_j) = \\
  & (x_1, \ldots, x_n) \left( \begin{array}{ccc}
      \phi(e_1, e_1) & \cdots & \phi(e_1, e_n) \\
      \vdots & \ddots & \vdots \\
      \phi(e_n, e_1) & \cdots & \phi(e_n, e_n)
    \end{array} \right)
  \left( \begin{array}{c}
      y_1 \\
      \vdots \\
      y_n
    \end{array} \right)
\end{align*}
$$
"""
# Hugo's documentation, "Mathematics in Markdown": a display block with \[ \].
HUGO = r"""
\[
\begin{aligned}
KL(\hat{y} || y) &= \sum_{c=1}^{M}\hat{y}_c \log{\frac{\hat{y}_c}{y_c}} \\
JS(\hat{y} || y) &= \frac{1}{2}(KL(y||\frac{y+\hat{y}}{2}) + KL(\hat{y}||\frac{y+\hat{y}}{2}))
\end{aligned}
\]
"""
# MathJax's documentation, "TeX and LaTeX input": an environment outside delimiters.
MATHJAX = r"""
\begin{equation}
  x = {-b \pm \sqrt{b^2-4ac} \over 2a}
\end{equation}
"""


@pytest.mark.parametrize("text", [KRAMDOWN, HUGO, MATHJAX], ids=["kramdown", "hugo", "mathjax"])
def test_documentation_examples_are_one_display_formula(text):
    html = page("Before.\n" + text + "\nAfter.\n")
    assert len(html.find_all("math", display="block")) == 1
    assert [p.get_text() for p in html.find_all("p")] == ["Before.", "After."]
    assert not html.find(["ul", "ol", "h1", "h2", "pre", "blockquote", "table"])


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("- b", "−b"),
        ("+ b", "+b"),
        ("= b", "=b"),
        ("# b", "#b"),
        ("> b", ">b"),
        ("1. b", "1.b"),
        ("    b", "b"),
        ("===", "==="),
        ("---", "−−−"),
    ],
)
@pytest.mark.parametrize("opening", ["$$", "\\[", "\\begin{equation}"])
def test_lines_of_a_display_block_are_latex_whatever_they_start_with(opening, line, shown):
    closing = {"$$": "$$", "\\[": "\\]"}.get(opening, "\\end{equation}")
    text = f"a\n{opening}\nx\n{line}\n{closing}\n"
    [formula] = display_formulas(text)
    assert formula == "x" + shown
    assert page(text).find("p").get_text().startswith("a")


@pytest.mark.parametrize(
    ("text", "container"),
    [
        ("- item\n\n  $$\n  a\n  - b\n  $$\n- next\n", "li"),
        ("1. $$\n   a\n   + b\n   $$\n", "li"),
        ("> quoted\n>\n> $$\n> a\n> = b\n> $$\n", "blockquote"),
        ("> - $$\n>   a\n>   # b\n>   $$\n", "li"),
        # lil-log: a nested item whose formula's lines are indented less than its text.
        ("- a\n    - $$\n    a\n    - b\n    $$\n", "li"),
    ],
)
def test_display_blocks_inside_list_items_and_blockquotes(text, container):
    html = page(text)
    [math] = html.find_all("math", display="block")
    assert math.get_text() in ("a−b", "a+b", "a=b", "a#b")
    assert math.find_parent(container) is not None
    assert not html.find(["h1", "h2"])
    assert "−b" not in [li.get_text() for li in html.find_all("li")]  # no item of it


@pytest.mark.parametrize(
    "text",
    [
        # lil-log and The Clever Machine, as kramdown reads them: blank lines inside.
        "Before.\n\n$$\na \\\\\n\nb \\\\\n\n- c\n$$\n\nAfter $x$.\n",
        "Before.\n\n$$\\begin{align}\n\na &= b \\\\\n\\end{align}\n$$\n\nAfter $x$.\n",
    ],
)
def test_a_dollar_block_may_hold_blank_lines_as_in_kramdown(text):
    html = page(text)
    assert len(html.find_all("math", display="block")) == 1
    assert [p.get_text() for p in html.find_all("p")] == ["Before.", "After x."]
    assert md.parse(text).math_warnings == []


def test_a_stray_opening_past_a_blank_line_does_not_take_the_next_formula():
    text = "$$\noops\n\nText.\n\n$$\nx\n$$\n\nMore.\n"
    doc = md.parse(text)
    assert [line for line, _ in doc.math_warnings] == [0]
    assert display_formulas(text) == ["x"]


def test_an_environment_may_hold_blank_lines():
    text = "\\begin{align}\na &= b \\\\\n\nc &= d\n\\end{align}\n\nAfter.\n"
    [formula] = display_formulas(text)
    assert formula.replace("\n", "") == "a=bc=d"
    assert page(text).find("p").get_text() == "After."


def test_text_after_the_closing_delimiter_stays_in_its_paragraph():
    html = page("So\n$$\n- x\n$$, where $x$ is *small*.\n")
    [paragraph] = html.find_all("p")
    assert paragraph.find("em").get_text() == "small"
    assert [m["display"] for m in paragraph.find_all("math")] == ["block", "inline"]


@pytest.mark.parametrize(
    "text",
    [
        "```\n$$\n- a\n$$\n```\n",  # in a code block
        "    $$\n    - a\n    $$\n",  # an indented code block
        "`$$`\n- a\n",  # in a code span
        "<div>\n$$\n- a\n$$\n</div>\n",  # in HTML
    ],
)
def test_delimiters_in_code_and_html_are_not_math(text):
    assert "<math" not in md.html(text)


def test_each_delimiter_is_read_as_a_block_only_when_the_site_reads_it():
    no_dollars = Markdown(math=MathSyntax(double_dollar=False, dollar=False))
    text = "$$\n- a\n$$\n\n\\[\n- b\n\\]\n"
    assert display_formulas(text, no_dollars) == ["−b"]
    assert page(text, no_dollars).find("li").get_text() == "a\n$$"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Intro.\n\n$$\n- a\n\nNext $x$ and $$y$$.\n", 2),
        ("Intro.\n\n\\[\nx\n", 2),
        ("Intro.\n\n\\begin{align}\nx\n", 2),
    ],
)
def test_an_unclosed_display_block_stays_text_with_a_warning(text, line):
    doc = md.parse(text)
    [(found_line, message)] = doc.math_warnings
    assert found_line == line
    assert "never closed" in message and "left as text" in message
    assert "<math" not in md.html(text.partition("\nNext")[0])


def test_an_unclosed_dollar_block_changes_nothing_after_it():
    after = "Next $x$ and\n$$\ny\n$$\n"
    broken = md.html("$$a$\n\n" + after)
    assert broken.endswith(md.html(after))


def test_a_bracket_that_is_text_is_not_warned_about():
    assert md.parse("\\[1] Smith, 2004.\n").math_warnings == []


def test_an_unclosed_block_is_a_warning_of_the_build_at_its_line(make_site):
    body = "Intro.\n\n$$\nx = 1\n\nNot math.\n"
    site = make_site({"posts/2025-01-01-m.md": post_file("M", "2025-01-01", body)})
    result = build(site)
    where = site / "posts/2025-01-01-m.md"
    assert [str(w) for w in result.warnings] == [
        f"{where}:8: warning: $$ opens display math that is never closed; left as text",
        # ... and the build's scan of what pages show counts it as a leftover.
        f"{where}:8: warning: leftover syntax shows on the page as text (unrendered math): $$",
    ]
    text = soup(site / "_site/2025/01/m/index.html").find(class_="post-body").get_text()
    assert "$$\nx = 1" in text and "Not math." in text


# Lines of a formula, each starting with what Markdown would read as a block.
_STARTS = st.sampled_from(["- ", "+ ", "* ", "= ", "===", "---", "# ", "> ", "1. ", "    ", ""])
_LINE = st.tuples(_STARTS, st.sampled_from(["a", "b_1", "\\alpha", "x^2", "1"])).map("".join)
_DELIMITERS = st.sampled_from([("$$", "$$"), ("\\[", "\\]"), ("\\begin{align}", "\\end{align}")])
_PROSE = ["Some text.", "A *word*.", "- a list", "> a quote", "## A heading"]


@settings(max_examples=60, deadline=None)
@given(
    before=st.sampled_from(_PROSE),
    after=st.sampled_from([prose.replace("A", "Another") for prose in _PROSE]),
    lines=st.lists(_LINE, min_size=1, max_size=6),
    delimiters=_DELIMITERS,
    container=st.sampled_from(["", "> ", "- "]),
)
def test_display_blocks_with_any_line_starts_are_one_formula(
    before, after, lines, delimiters, container
):
    # A list item after a list (even past a blank line) is an item of that list.
    assume(not (container == "- " and "- " in (before[:2], after[:2])))
    opening, closing = delimiters
    indent = "  " if container == "- " else container
    block = [container + opening] + [indent + line for line in lines] + [indent + closing]
    text = f"{before}\n\n" + "\n".join(block) + f"\n\n{after}\n"
    html = md.html(text)
    assert html.count('display="block"') == 1
    assert html.startswith(md.html(before + "\n"))
    assert html.endswith(md.html(after + "\n"))


def test_a_long_line_of_quote_and_list_markers_does_not_stall_the_search():
    # Found by test_hostile_input: each space between two "> " could end the first or
    # start the second, and the search for an opening delimiter after them tried every
    # way (12 s for 24 markers, double for each more). In a process of its own, so that
    # a regression fails here instead of stalling the suite (the search holds the GIL).
    text = "\n$\\begin{matrix} a $\n\n" + "> " * 60 + "- 1. x\n\n> > - $$\nx^2\n$$\n"
    script = (
        "import sys; from foldpress.markdown import Markdown; "
        "sys.stdout.write(Markdown().html(sys.stdin.read()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], input=text, capture_output=True, text=True, timeout=60
    )
    shown = BeautifulSoup(done.stdout, "lxml").find_all("math", display="block")
    assert [m.get_text() for m in shown] == ["x2"]
