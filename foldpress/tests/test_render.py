"""The Markdown renderer: math, code, footnotes, the fold and typography."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from foldpress.highlight import pygments_css
from foldpress.markdown import create_markdown
from foldpress.render import render_markdown


@pytest.fixture(scope="module")
def md():
    return create_markdown()


def render(md, text: str, summary: str | None = None):
    rendered, problems = render_markdown(md, text, doc_id="post", summary=summary)
    return rendered, problems


def html(fragment: str) -> BeautifulSoup:
    return BeautifulSoup(fragment, "lxml")


def text_of(fragment: str) -> str:
    return " ".join(html(fragment).get_text().split())


def test_inline_and_display_math_become_mathml(md):
    rendered, problems = render(md, "Energy $E = mc^2$.\n\n$$\n\\frac{a}{b}\n$$\n")
    maths = html(rendered.body_html).find_all("math")
    assert problems == []
    assert [m.get("display") for m in maths] == ["inline", "block"]
    assert maths[0].find("msup") is not None
    assert maths[1].find("mfrac") is not None


def test_double_dollars_inside_a_paragraph_are_display_math(md):
    rendered, _ = render(md, "So $$x^2$$ holds.\n")
    assert html(rendered.body_html).find("math")["display"] == "block"


@pytest.mark.parametrize(
    "text",
    [
        "Costs \\$5 and \\$10.\n",
        "Costs $5 and $10.\n",
        "Write `$x$` in code.\n",
        "```\n$x$ and $$y$$\n```\n",
        "    indented $x$ code\n",
    ],
)
def test_dollars_that_are_not_math(md, text):
    rendered, problems = render(md, text)
    page = html(rendered.body_html)
    assert page.find("math") is None
    assert "$" in page.get_text()
    assert problems == []


def test_broken_latex_is_reported_with_its_line(md):
    text = "First line.\n\nSecond $\\frac{1}{$ here\nand $x^$ there.\n\n$$\n\\alpah\n$$\n"
    _, problems = render(md, text)
    assert [(p.part, p.line) for p in problems] == [("body", 2), ("body", 3), ("body", 5)]
    assert "unknown LaTeX command \\alpah" in problems[2].message


def test_fenced_code_is_highlighted_with_classes(md):
    rendered, _ = render(md, "```python\ndef f(x):\n    return x\n```\n")
    pre = html(rendered.body_html).find("pre", class_="highlight")
    assert pre.find("code")["class"] == ["language-python"]
    assert pre.find("span", class_="k").get_text() == "def"
    assert ".highlight .k" in pygments_css()
    assert "prefers-color-scheme: dark" in pygments_css()


def test_a_block_seen_before_is_highlighted_as_its_language_says(md):
    # Highlighted blocks are kept by code and language: the same code under another
    # language, or none Pygments knows, is not given the first one's spans.
    code = "def f(x):\n    return x\n"
    first, _ = render(md, f"```python\n{code}```\n")
    again, _ = render(md, f"```Python\n{code}```\n\n```nosuchlang\n{code}```\n")
    blocks = html(again.body_html).find_all("pre")
    assert str(blocks[0].code.decode_contents()) == html(first.body_html).pre.code.decode_contents()
    assert blocks[1].find("span") is None and blocks[1].get_text() == code


def test_unknown_language_is_plain_escaped_code(md):
    rendered, _ = render(md, "```nosuchlang\n<b>x</b>\n```\n")
    code = html(rendered.body_html).find("code")
    assert code.get_text() == "<b>x</b>\n"
    assert code.find("span") is None


def test_tables_footnotes_heading_ids_and_raw_html(md):
    text = (
        "## A heading\n\nText[^n].\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        '<div class="note">raw <em>html</em></div>\n\n[^n]: The note.\n'
    )
    page = html(render(md, text)[0].body_html)
    assert page.find("h2")["id"] == "a-heading"
    assert [td.get_text() for td in page.find_all("td")] == ["1", "2"]
    ref = page.find("sup", class_="footnote-ref").find("a")
    assert page.find(id=ref["href"][1:]).get_text(strip=True).startswith("The note.")
    assert page.find("div", class_="note").find("em").get_text() == "html"


@pytest.mark.parametrize("marker", ["<!--more-->", "<!-- more -->"])
def test_fold_splits_intro(md, marker):
    text = f"Intro *here*.\n\n{marker}\n\nThe rest.\n"
    rendered, _ = render(md, text)
    assert rendered.has_more
    assert rendered.intro_markdown == "Intro *here*.\n"
    assert text_of(rendered.intro_html) == "Intro here."
    assert "The rest." in html(rendered.body_html).get_text()


def test_fold_marker_in_code_or_quote_is_not_a_fold(md):
    text = "Intro.\n\n```html\n<!--more-->\n```\n\n> <!--more-->\n\nEnd.\n"
    rendered, _ = render(md, text)
    assert not rendered.has_more
    assert rendered.intro_markdown == text
    assert "End." in html(rendered.intro_html).get_text()


def test_no_fold_uses_summary_and_then_has_more(md):
    rendered, _ = render(md, "The whole post.\n", summary="A *short* summary.")
    assert rendered.has_more
    assert text_of(rendered.intro_html) == "A short summary."


def test_no_fold_no_summary_the_intro_is_the_whole_post(md):
    rendered, _ = render(md, "Only this.\n")
    assert not rendered.has_more
    assert rendered.intro_html == rendered.body_html


def test_fold_at_the_very_end_has_no_more(md):
    rendered, _ = render(md, "All of it.\n\n<!--more-->\n\n")
    assert not rendered.has_more


def test_footnotes_cited_in_the_intro_work_in_the_intro(md):
    text = (
        "Intro[^a].\n\n<!--more-->\n\nLater[^b] and again[^a].\n\n[^a]: Note A.\n\n[^b]: Note B.\n"
    )
    rendered, _ = render(md, text)
    intro = html(rendered.intro_html)
    refs = intro.select("sup.footnote-ref a")
    assert len(refs) == 1
    note = intro.find(id=refs[0]["href"][1:])
    assert note.get_text(strip=True).startswith("Note A.")
    assert "Note B." not in intro.get_text()
    # Ids are per post, so several intros can share a listing page.
    assert "post" in refs[0]["href"]
    for backref in intro.select("a.footnote-backref"):
        assert intro.find(id=backref["href"][1:]) is not None


def test_smart_typography_only_when_enabled(md):
    text = 'He said "hi" -- twice...\n'
    assert '"hi"' in html(render(md, text)[0].body_html).get_text()
    smart = create_markdown(smart_typography=True)
    assert "\u201chi\u201d \u2013 twice\u2026" in html(render(smart, text)[0].body_html).get_text()
