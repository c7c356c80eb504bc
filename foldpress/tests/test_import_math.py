"""Math in an imported site: on where the old site had it, per delimiter (its config,
its theme loading MathJax or KaTeX, a math plugin), and rewritten by the build's own
scanner. The configurations are written from Hugo's, MathJax's, KaTeX's and
Pelican's render_math documentation."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from conftest import soup

from foldpress.build import build
from foldpress.importers import import_site
from foldpress.importers._math import kramdown_math, old_math
from foldpress.markdown_math import MathSyntax

POST = """---
title: "Notes"
date: 2020-01-02
---

\\[Editor's note\\] The loss $x_1$ falls, $$y^2$$ too.

$$
- a
$$
"""
# MathJax 3's configuration with $ as inline math, as its documentation shows it.
MATHJAX_DOLLAR = """<script>
MathJax = { tex: { inlineMath: [['$', '$'], ['\\\\(', '\\\\)']] } };
</script>
<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>
"""
# Hugo's documentation, "Mathematics in Markdown": the passthrough extension.
PASSTHROUGH = """
[markup.goldmark.extensions.passthrough]
enable = true
[markup.goldmark.extensions.passthrough.delimiters]
block = [['\\[', '\\]'], ['$$', '$$']]
inline = [['\\(', '\\)']]
"""
# KaTeX's auto-render, as its documentation shows it.
KATEX = """<script defer src="https://cdn.jsdelivr.net/npm/katex/dist/contrib/auto-render.min.js"
  onload="renderMathInElement(document.body, {delimiters: [
    {left: '$$', right: '$$', display: true}, {left: '$', right: '$', display: false}]});">
</script>"""


def hugo_site(root: Path, config: str = "", partial: str | None = None) -> Path:
    (root / "content/posts").mkdir(parents=True)
    (root / "hugo.toml").write_text('title = "Old"\n' + config, encoding="utf-8")
    (root / "content/posts/notes.md").write_text(POST, encoding="utf-8")
    if partial is not None:
        (root / "layouts/partials").mkdir(parents=True)
        (root / "layouts/partials/math.html").write_text(partial, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("config", "partial", "expected"),
    [
        ("", None, MathSyntax(False, False, False, False, False)),
        ("", MATHJAX_DOLLAR, MathSyntax(True, True, False, False, True)),
        ("", KATEX, MathSyntax(True, True, False, False, True)),
        (PASSTHROUGH, None, MathSyntax(False, True, True, True, True)),
    ],
    ids=["no-math", "mathjax-dollar", "katex", "passthrough"],
)
def test_hugo_math_is_read_per_delimiter_as_the_old_site_read_it(
    tmp_path, config, partial, expected
):
    assert old_math(hugo_site(tmp_path / "old", config, partial), "hugo") == expected


def test_a_hugo_blog_without_math_keeps_its_brackets_and_dollars_as_text(tmp_path):
    import_site(hugo_site(tmp_path / "old"), tmp_path / "new")
    settings = tomllib.loads((tmp_path / "new/site.toml").read_text(encoding="utf-8"))
    assert settings["math_bracket"] is False and settings["math_dollar"] is False
    build(tmp_path / "new")
    [page] = (tmp_path / "new/_site").glob("**/notes/index.html")
    body = soup(page).find(class_="post-body")
    assert body.find("math") is None
    assert body.p.get_text().startswith("[Editor's note] The loss $x_1$ falls, $$y^2$$")


def test_a_hugo_blog_with_mathjax_gets_its_formulas(tmp_path):
    import_site(hugo_site(tmp_path / "old", "", MATHJAX_DOLLAR), tmp_path / "new")
    build(tmp_path / "new")
    [page] = (tmp_path / "new/_site").glob("**/notes/index.html")
    body = soup(page).find(class_="post-body")
    assert [m["display"] for m in body.find_all("math")] == ["inline", "block", "block"]
    assert body.p.get_text().startswith("[Editor's note]")
    assert body.find("ul") is None


def test_pelican_render_math_reads_every_delimiter(tmp_path):
    (tmp_path / "content").mkdir()
    (tmp_path / "pelicanconf.py").write_text("PLUGINS = ['render_math']\n", encoding="utf-8")
    assert old_math(tmp_path, "pelican") == MathSyntax()
    (tmp_path / "pelicanconf.py").write_text("PLUGINS = []\n", encoding="utf-8")
    assert old_math(tmp_path, "pelican") == MathSyntax(False, False, False, False, False)


def test_jekyll_reads_double_dollars_with_or_without_mathjax(tmp_path):
    (tmp_path / "_config.yml").write_text("title: Old\n", encoding="utf-8")
    assert old_math(tmp_path, "jekyll") == MathSyntax(False, True, False, False, False)


@pytest.mark.parametrize(
    ("kramdown", "foldpress"),
    [
        # An unbalanced "$$a$" spoils nothing after it.
        (
            "Bad $$a$ here.\n\nThen $$b$$ and $$c$$.\n",
            "Bad \\$\\$a\\$ here.\n\nThen $b$ and $c$.\n",
        ),
        # In a blockquote, a block stays a block, inline math goes inline.
        ("> $$\n> x\n> $$\n>\n> So $$y$$.\n", "> $$\n> x\n> $$\n>\n> So $y$.\n"),
        # A dollar sign was text on a site without "$" math, and stays text.
        ("It costs $5, or $$x$$ dollars.\n", "It costs \\$5, or $x$ dollars.\n"),
        # A block whose lines start with Markdown stays one block.
        ("Text.\n\n$$\n- a\n+ b\n$$\n", "Text.\n\n$$\n- a\n+ b\n$$\n"),
    ],
)
def test_kramdown_math_is_found_by_the_build_scanner(kramdown, foldpress):
    assert kramdown_math(kramdown) == foldpress


def test_the_old_sites_macros_become_the_math_preamble(tmp_path):
    # MathJax 3's "macros" in its configuration, and \newcommand lines in a layout.
    partial = MATHJAX_DOLLAR.replace("inlineMath", 'macros: {R: "{\\\\mathbb{R}}"}, inlineMath')
    partial += "<div hidden>$$\\newcommand{\\vx}{\\mathbf{x}}$$</div>\n"
    old = hugo_site(tmp_path / "old", "", partial)
    (old / "content/posts/notes.md").write_text(POST + "\nIn $\\R^n$, $\\vx$.\n")
    assert old_math(old, "hugo").preamble == (
        "\\newcommand{\\vx}{\\mathbf{x}}\n\\newcommand{\\R}{{\\mathbb{R}}}"
    )
    import_site(old, tmp_path / "new")
    settings = tomllib.loads((tmp_path / "new/site.toml").read_text(encoding="utf-8"))
    assert "\\newcommand{\\R}" in settings["math_preamble"]
    build(tmp_path / "new")
    [page] = (tmp_path / "new/_site").glob("**/notes/index.html")
    assert "\\R" not in soup(page).find(class_="post-body").get_text()
