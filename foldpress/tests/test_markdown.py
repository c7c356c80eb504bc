"""foldpress's HTML writer over pulldown-cmark's events, checked against pulldown-cmark's
own HTML writer, and the parts it does differently: ids, footnotes, math, code."""

from __future__ import annotations

import re

import pyromark
import pytest
from bs4 import BeautifulSoup

from foldpress.markdown import Markdown, check_math
from foldpress.markdown_html import escape_href, slugify
from foldpress.outputs._markdown import plain_text

md = Markdown()
PEER = pyromark.Markdown(
    options=pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_STRIKETHROUGH
    | pyromark.Options.ENABLE_FOOTNOTES
    | pyromark.Options.ENABLE_MATH
)


def html(text: str) -> str:
    return md.render(md.parse(text), heading_ids=False)


def soup(fragment: str) -> BeautifulSoup:
    return BeautifulSoup(fragment, "lxml")


def normalized(fragment: str) -> str:
    # Where the two writers differ in form only: whitespace between these block tags,
    # a space in table styles, '"' escaped in text or not, an empty <tbody> or none.
    fragment = re.sub(r">\s+<", "><", fragment.strip())
    fragment = fragment.replace("text-align: ", "text-align:").replace("&quot;", '"')
    return fragment.replace("<tbody></tbody>", "")


# Everything CommonMark has, with tables and strikethrough, without code that Pygments
# knows (highlighted here, not there), math, footnotes or headings' ids.
SAME_AS_PULLDOWN = [
    "Plain *em* **strong** ***both*** _under_ `code` ~~gone~~\n",
    "Line one  \nline two\\\nline three\nsoft\n",
    "# H1\n\nSetext\n======\n\n## H2 with `code` and *em*\n",
    "- tight\n- list\n  - nested\n\n1. one\n2. two\n",
    "- loose\n\n- list\n\n  with two paragraphs\n",
    "3. starts at three\n4. four\n",
    "> quote\n> > nested\n>\n> - item\n",
    '[inline](/a "title") [ref][r] [collapsed][] [r] <https://x.y/a?b=c&d> <me@x.y>\n\n'
    "[r]: /ref-target 'Ref'\n[collapsed]: /c\n",
    '![alt *with* `code`](/img.png "T") ![](empty.png)\n',
    "[spaces](<a b.html>) [unicode](/ü/é) [percent](/a%20b) [amp](/?a=1&b=2)\n",
    'Entities &amp; &copy; &#35; &#x22; and < > & " raw\n',
    '<div class="x">\n*not parsed*\n</div>\n\nText with <span>inline</span> html.\n',
    "<!-- a comment -->\n\nAfter.\n",
    "| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n| 4 |\n",
    "| only | head |\n|---|---|\n",
    "    indented code <b>\n\n```\nfenced, no language <b>\n```\n\n```nosuchlang x\nplain\n```\n",
    "***\n\n---\n\n___\n",
    "\\*not em\\* \\[not link] \\$5\n",
    "Hard  \n*break in em  \nhere*\n",
]


@pytest.mark.parametrize("text", SAME_AS_PULLDOWN)
def test_html_is_pulldown_cmarks_own(text):
    assert normalized(html(text)) == normalized(PEER.html(text))


def test_known_languages_are_highlighted_and_unknown_ones_escaped():
    page = soup(html("```Python extra words\nx = '<b>'\n```\n\n```nosuch\n<b>\n```\n"))
    highlighted, plain = page.find_all("pre")
    assert highlighted["class"] == ["highlight"]
    assert highlighted.code["class"] == ["language-Python"]
    assert highlighted.find("span", class_="s1").get_text() == "'<b>'"
    assert plain.code["class"] == ["language-nosuch"]
    assert plain.get_text() == "<b>\n"


def test_heading_ids_are_unique_and_only_on_levels_two_to_four():
    text = "# Top\n\n## Same *x*\n\n## Same x\n\nSub\n---\n\n### `code` & more\n\n##### Deep\n"
    page = soup(md.html(text))
    assert page.h1.get("id") is None
    assert [h.get("id") for h in page.find_all("h2")] == ["same-x", "same-x-1", "sub"]
    assert page.h3["id"] == "code--more"
    assert page.h5.get("id") is None
    assert slugify("Hello, World!") == "hello-world"


def test_footnotes_are_numbered_as_cited_and_link_both_ways():
    text = (
        "[^late]: Defined first, cited second.\n\n"
        "One[^b], two[^late], again[^b], missing[^nope].\n\n"
        "[^b]: Cites another.[^c]\n\n[^c]: The third.\n\n[^unused]: Never cited.\n"
    )
    page = soup(md.html(text))
    refs = page.select("sup.footnote-ref a")
    assert [a.get_text() for a in refs] == ["[1]", "[2]", "[1:1]", "[3]"]
    notes = page.select("li.footnote-item")
    assert [n.get_text(" ", strip=True).split(" ↩")[0] for n in notes] == [
        "Cites another. [3]",
        "Defined first, cited second.",
        "The third.",
    ]
    for ref in refs:
        note = page.find(id=ref["href"][1:])
        assert note is not None
        assert note.find("a", href=f"#{ref['id']}", class_="footnote-backref") is not None
    assert "[^nope]" in page.get_text()
    assert "Never cited" not in page.get_text()


def test_footnote_ids_carry_the_document_id():
    page = soup(md.render(md.parse("A[^1].\n\n[^1]: N.\n"), doc_id="my-post"))
    assert page.select_one("sup a")["href"] == "#fn-my-post-1"
    assert page.find(id="fnref-my-post-1") is not None


def test_display_math_alone_is_a_block_and_inside_text_stays_inline_level():
    page = soup(html("$$\nx^2\n$$\n\nSo $$y$$ holds and $z$ too.\n"))
    block = page.find("div", class_="math-display")
    assert block.math["display"] == "block"
    paragraph = page.find_all("p")[-1]
    assert [m["display"] for m in paragraph.find_all("math")] == ["block", "inline"]
    assert paragraph.find("div") is None


def test_broken_latex_is_reported_at_its_line_and_shown_as_code():
    errors: list[tuple[int, str]] = []
    out = md.render(md.parse("Fine.\n\nBad $x^$ here.\n"), errors=errors)
    assert errors == [(2, "broken LaTeX in $x^$: ^ or _ with nothing after it")]
    assert "<code>x^</code>" in out


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("A\n\nSee $\\frac{1}{$ here.\n", 2),
        ("$$\n\\frac{1}{\n$$\n", 0),
        ("- item\n- with $a}$\n", 1),
    ],
)
def test_formulas_with_unbalanced_braces_are_reported(text, line):
    # A "$" formula the parser left as text is found by check_math; a display block
    # is read as math whatever its braces, and its conversion reports it.
    doc = md.parse(text)
    errors: list[tuple[int, str]] = []
    md.render(doc, errors=errors)
    [(found_line, message)] = check_math(doc) + errors
    assert found_line == line
    assert "without its" in message


@pytest.mark.parametrize(
    "text",
    [
        "Costs $5 and $10.\n",
        "Escaped \\$x{\\$.\n",
        "`$a{$` in code\n",
        "```\n$a{$\n```\n",
        "$ a{ $\n",
    ],
)
def test_dollars_that_are_not_formulas_are_not_reported(text):
    assert check_math(md.parse(text)) == []


def test_folds_are_html_blocks_with_their_lines():
    doc = md.parse("Intro.\n\n<!-- more -->\n\n> <!--more-->\n\n```\n<!--more-->\n```\n")
    assert [(first, end, top) for _, first, end, top in doc.folds] == [(2, 3, True), (4, 5, False)]


def test_lines_count_bytes_right_after_non_ascii_text():
    errors: list[tuple[int, str]] = []
    md.render(md.parse("Ünïcödé ✓ text.\n\nAnd $x^$.\n"), errors=errors)
    assert [line for line, _ in errors] == [2]


def test_href_escaping():
    assert escape_href("/a b/ü?x=1&y=[2]") == "/a%20b/%C3%BC?x=1&amp;y=%5B2%5D"
    assert escape_href("/100%") == "/100%25"
    assert escape_href("/a%20b") == "/a%20b"


def test_plain_text_is_the_first_paragraph_as_text():
    text = "[^n]: A note first.\n\nThe *first* `x` ![img](i.png) [link](/l) $y$.[^n]\n\nSecond.\n"
    assert plain_text(text) == "The first `x` link $y$."
