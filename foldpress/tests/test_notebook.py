"""Jupyter notebooks as posts: notebooks written here with nbformat's own constructors
(nbformat 4, Python, R and Julia kernels, every output type and Jupyter Book cell tag),
built into a site and read back with BeautifulSoup, feedparser-free checks of the
Markdown copy, and broken notebooks that must fail at their path."""

from __future__ import annotations

import base64
import io
import json

import feedparser
import nbformat
import pytest
from click.testing import CliRunner
from conftest import soup
from nbformat import v4
from PIL import Image

from foldpress.build import build
from foldpress.cli import main
from foldpress.errors import BuildError
from foldpress.importers import import_site
from foldpress.notebook import strip_ansi

KERNELS = {
    "python": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "r": {"name": "ir", "display_name": "R", "language": "R"},
    "julia": {"name": "julia-1.10", "display_name": "Julia 1.10", "language": "julia"},
}
FRONT = "---\ntitle: Attention in a notebook\ndate: 2025-06-01\ntags: [notebooks]\n---\n"


def png(size: tuple[int, int]) -> str:
    data = io.BytesIO()
    Image.new("RGB", size, (20, 90, 200)).save(data, "PNG")
    return base64.b64encode(data.getvalue()).decode()


def notebook(cells: list, kernel: str = "python", **metadata: object) -> str:
    nb = v4.new_notebook(cells=cells, metadata={"kernelspec": KERNELS[kernel], **metadata})
    return nbformat.writes(nb)


def every_output() -> list:
    """A notebook's cells with each kind of output Jupyter saves."""
    code = v4.new_code_cell
    out = v4.new_output
    return [
        v4.new_raw_cell(FRONT),
        v4.new_markdown_cell("The intro, with $x^2$ math.\n\nSecond paragraph."),
        v4.new_markdown_cell("## Below the fold\n\nA [link](https://example.org/)."),
        code(
            "print('hello')\nimport sys; print('careful', file=sys.stderr)",
            execution_count=1,
            outputs=[
                out("stream", name="stdout", text="hello\n\x1b[31mred\x1b[0m text\n"),
                out("stream", name="stderr", text="careful\n"),
            ],
        ),
        code(
            "plot()",
            execution_count=2,
            outputs=[
                out(
                    "display_data",
                    data={"image/png": png((64, 48)), "text/plain": "<Figure size 64x48>"},
                ),
                out(
                    "display_data",
                    data={
                        "image/svg+xml": '<svg xmlns="http://www.w3.org/2000/svg" '
                        'width="30" height="20"><rect/></svg>'
                    },
                ),
            ],
        ),
        code(
            "df",
            execution_count=3,
            outputs=[
                out(
                    "execute_result",
                    execution_count=3,
                    data={
                        "text/html": '<table class="dataframe">\n\n<tr><td>1</td></tr>\n</table>',
                        "text/plain": "   a\n0  1",
                    },
                )
            ],
        ),
        code(
            "sympy_thing",
            execution_count=4,
            outputs=[
                out(
                    "execute_result",
                    execution_count=4,
                    data={"text/latex": "$$\\frac{a}{b}$$", "text/plain": "a/b"},
                )
            ],
        ),
        code(
            "41 + 1", execution_count=5, outputs=[out("execute_result", data={"text/plain": "42"})]
        ),
        code(
            "1/0",
            execution_count=6,
            outputs=[
                out(
                    "error",
                    ename="ZeroDivisionError",
                    evalue="division by zero",
                    traceback=["\x1b[0;31mZeroDivisionError\x1b[0m: division by zero"],
                )
            ],
        ),
        code(
            "widget",
            execution_count=7,
            outputs=[
                out(
                    "display_data",
                    data={
                        "application/vnd.jupyter.widget-view+json": {"model_id": "abc"},
                        "text/plain": "IntSlider(value=0)",
                    },
                )
            ],
        ),
        code("secret = 1", metadata={"tags": ["remove-cell"]}),
        code(
            "shown_output_only()",
            metadata={"tags": ["remove-input"]},
            outputs=[out("stream", name="stdout", text="only the output\n")],
        ),
        code(
            "noisy()",
            metadata={"tags": ["remove-output"]},
            outputs=[out("stream", name="stdout", text="never shown\n")],
        ),
        code("folded_code()", metadata={"tags": ["hide-input"]}),
    ]


@pytest.fixture
def built(make_site, tmp_path):
    site = make_site({"posts/attention.ipynb": notebook(every_output())})
    result = build(site, tmp_path / "out")
    return tmp_path / "out", result


def test_every_output_type_and_cell_tag(built):
    out, result = built
    folder = out / "2025/06/attention"
    page = soup(folder / "index.html")
    article = page.select_one("article")
    text = article.get_text()
    # Markdown cells through the Markdown and math pipeline
    assert article.select_one("math") is not None
    assert article.select_one("h2").get_text() == "Below the fold"
    # code highlighted in the kernel's language, outputs as saved
    assert article.select("pre.highlight code.language-python")
    assert "hello\nred text" in text and "\x1b" not in text
    assert "careful" in article.select_one("code.language-stderr").get_text()
    images = {img["src"]: img for img in article.select("img")}
    assert images["cell5-output1.png"]["width"] == "64"
    assert images["cell5-output1.png"]["height"] == "48"
    assert images["cell5-output2.svg"]["width"] == "30"
    assert Image.open(folder / "cell5-output1.png").size == (64, 48)
    assert (folder / "cell5-output2.svg").read_text().startswith("<svg")
    assert article.select_one("div.nb-html table.dataframe td").get_text() == "1"
    assert len(article.select("math")) == 2  # x^2 and the LaTeX output
    assert "42" in text
    assert (
        "ZeroDivisionError: division by zero"
        in article.select_one("code.language-traceback").get_text()
    )
    # cell tags
    assert "secret" not in text and "IntSlider" not in text
    assert "only the output" in text and "shown_output_only" not in text
    assert "noisy" in text and "never shown" not in text
    details = article.select_one("details.nb-input")
    assert "folded_code" in details.get_text() and details.select_one("summary")
    # the widget is dropped with one warning at its cell
    dropped = [w for w in result.warnings if "cannot show" in w.message]
    assert [str(w).split(": warning")[0] for w in dropped] == [
        f"{out.parent / 'site/posts/attention.ipynb'}:cell 10"
    ]
    # the download link and the notebook beside the post
    link = article.find("a", string="Download this notebook")
    assert link["href"] == "attention.ipynb"
    nbformat.validate(nbformat.reads((folder / "attention.ipynb").read_text(), as_version=4))


def test_the_fold_is_the_first_markdown_cell(built):
    out, _ = built
    home = soup(out / "index.html").select_one("article")
    assert "The intro" in home.get_text()
    assert "Below the fold" not in home.get_text()


def test_the_markdown_copy_and_feed_hold_the_cells(built):
    out, _ = built
    copy = (out / "2025/06/attention/index.html.md").read_text()
    assert "```python\nprint('hello')" in copy
    assert "```output\nhello\nred text\n```" in copy
    assert "![<Figure size 64x48>]" not in copy  # a repr is no alt text
    assert "(https://blog.example.com/2025/06/attention/cell5-output1.png)" in copy
    assert "\x1b" not in copy and "secret" not in copy
    feed = feedparser.parse((out / "feed/rss.xml").read_bytes())
    [entry] = feed.entries
    assert entry.title == "Attention in a notebook"
    assert "/2025/06/attention/cell5-output1.png" in entry.content[0].value
    assert "attention" in (out / "llms.txt").read_text()


@pytest.mark.parametrize("kernel", ["python", "r", "julia"])
def test_code_is_highlighted_in_the_kernels_language(make_site, tmp_path, kernel):
    source = {"python": "def f(x):\n    return x", "r": "f <- function(x) x", "julia": "f(x) = x"}
    cells = [v4.new_raw_cell(FRONT), v4.new_code_cell(source[kernel])]
    site = make_site({"posts/k.ipynb": notebook(cells, kernel)})
    build(site, tmp_path / "out")
    code = soup(tmp_path / "out/2025/06/k/index.html").select_one("article pre code")
    assert code["class"] == [f"language-{kernel}"]
    assert code.select("span")  # Pygments' spans: highlighted


def test_front_matter_from_notebook_metadata(make_site, tmp_path):
    meta = {"foldpress": {"title": "From metadata", "date": "2025-02-03", "slug": "meta"}}
    cells = [v4.new_markdown_cell("Hello from a notebook.")]
    site = make_site({"posts/x.ipynb": notebook(cells, **meta)})
    build(site, tmp_path / "out")
    page = soup(tmp_path / "out/2025/02/meta/index.html")
    assert page.select_one("h1").get_text() == "From metadata"


def test_execution_counts_when_asked(make_site, tmp_path):
    front = FRONT.replace("---\n", "---\nexecution_counts: true\n", 1)
    cells = [v4.new_raw_cell(front), v4.new_code_cell("x = 1", execution_count=7)]
    site = make_site({"posts/n.ipynb": notebook(cells)})
    build(site, tmp_path / "out")
    count = soup(tmp_path / "out/2025/06/n/index.html").select_one(".nb-count")
    assert count.get_text() == "In [7]:"


def test_an_older_notebook_is_read_as_nbformat_4(make_site, tmp_path):
    v3 = {
        "metadata": {"name": "", "foldpress": {"title": "Old", "date": "2014-01-02"}},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "markdown", "metadata": {}, "source": ["An old *notebook*."]},
                    {
                        "cell_type": "code",
                        "collapsed": False,
                        "input": ["print(1)"],
                        "language": "python",
                        "metadata": {},
                        "outputs": [{"output_type": "stream", "stream": "stdout", "text": ["1\n"]}],
                        "prompt_number": 1,
                    },
                ],
                "metadata": {},
            }
        ],
    }
    site = make_site({"posts/old.ipynb": json.dumps(v3)})
    build(site, tmp_path / "out")
    article = soup(tmp_path / "out/2014/01/old/index.html").select_one("article")
    assert article.select_one("em").get_text() == "notebook"
    assert "print" in article.get_text()


def test_a_broken_notebook_is_an_error_at_its_path(make_site, tmp_path):
    site = make_site(
        {
            "posts/bad-json.ipynb": '{"cells": [\n  {"cell_type": "code",,}\n]}',
            "posts/not-valid.ipynb": json.dumps(
                {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"x": 1}]}
            ),
        }
    )
    with pytest.raises(BuildError) as caught:
        build(site, tmp_path / "out")
    errors = [str(e) for e in caught.value.errors]
    assert errors[0].startswith(f"{site}/posts/bad-json.ipynb:2: not a notebook: bad JSON")
    assert errors[1].startswith(f"{site}/posts/not-valid.ipynb: not a valid notebook")


def test_errors_in_cells_are_at_the_cell_and_line(make_site, tmp_path):
    front = "---\ntitle: Broken\ndate: 2025-13-01\n---\n"
    cells = [v4.new_raw_cell(front), v4.new_markdown_cell("fine\n\nbroken $\\frac{a$ math")]
    site = make_site({"posts/b.ipynb": notebook(cells)})
    with pytest.raises(BuildError) as caught:
        build(site, tmp_path / "out")
    where = [str(e).split(": ", 1)[0] for e in caught.value.errors]
    path = f"{site}/posts/b.ipynb"
    assert where == [f"{path}:cell 1:3", f"{path}:cell 2:3"]


def test_building_twice_renders_nothing_again(make_site, tmp_path):
    site = make_site({"posts/attention.ipynb": notebook(every_output())})
    build(site, tmp_path / "out")
    again = build(site, tmp_path / "out")
    assert again.rendered == 0 and again.written == 0
    (site / "posts/attention.ipynb").write_text(
        notebook(every_output()).replace("hello", "hi there")
    )
    changed = build(site, tmp_path / "out")
    assert changed.rendered == 1
    assert "hi there" in (tmp_path / "out/2025/06/attention/index.html").read_text()
    assert (tmp_path / "out/2025/06/attention/cell5-output1.png").is_file()


def test_strip_ansi_shows_the_terminal_as_it_looked():
    assert strip_ansi("\x1b[1;32mok\x1b[0m") == "ok"
    assert strip_ansi("10%\r50%\r100%\ndone") == "100%\ndone"
    assert strip_ansi("ab\x08c") == "ac"


def test_nikola_metadata_is_front_matter(make_site, tmp_path):
    meta = {"title": "Nikola post", "slug": "nik", "date": "2020-04-25 15:43:06 UTC+02:00"}
    meta |= {"tags": "python, jupyter", "category": "", "type": "text"}
    site = make_site({"posts/n.ipynb": notebook([v4.new_markdown_cell("Hi.")], nikola=meta)})
    build(site, tmp_path / "out")
    page = soup(tmp_path / "out/2020/04/nik/index.html")
    assert page.select_one("time")["datetime"].startswith("2020-04-25")
    assert {a.get_text() for a in page.select(".post-meta a")} == {"python", "jupyter"}


def test_pelican_notebook_tag_imports_as_a_notebook_post(tmp_path):
    old = tmp_path / "old"
    (old / "content/notebooks").mkdir(parents=True)
    (old / "pelicanconf.py").write_text(
        "SITENAME = 'Old'\nARTICLE_URL = 'blog/{slug}/'\nNOTEBOOK_DIR = 'notebooks'\n"
        "STATIC_PATHS = ['notebooks']\n"
    )
    cells = [
        v4.new_markdown_cell("# The notebook's own title, left out by cells[1:]"),
        v4.new_code_cell("x <- 1", outputs=[v4.new_output("stream", text="[1] 1\n")]),
    ]
    (old / "content/notebooks/nb.ipynb").write_text(notebook(cells, "r"))
    (old / "content/post.md").write_text(
        "Title: A notebook\nDate: 2015-03-04\nTags: r\n\nThe intro.\n\n"
        "{% notebook nb.ipynb cells[1:] %}\n\nAfter it; [download](/notebooks/nb.ipynb).\n"
    )
    report = import_site(old, tmp_path / "new")
    assert report.posts == 1 and not report.skipped
    out = tmp_path / "out"
    build(tmp_path / "new", out)
    article = soup(out / "blog/a-notebook/index.html").select_one("article")
    text = article.get_text()
    assert "The intro." in text and "After it" in text and "own title" not in text
    assert article.select_one("code.language-r span") and "[1] 1" in text
    assert "{% notebook" not in (out / "blog/a-notebook/index.html").read_text()
    assert (out / "notebooks/nb.ipynb").is_file()  # the old download address


def test_quarto_options_and_fastpages_comments_and_header(make_site, tmp_path):
    header = '# "fastpages: a title"\n> The summary.\n\n- toc: true\n- categories: [jupyter]'
    out = v4.new_output("stream", name="stdout", text="printed 1\n")
    cells = [
        v4.new_markdown_cell(header),
        v4.new_markdown_cell("The body."),
        v4.new_code_cell("#| echo: false\nprint_one()", outputs=[out]),
        v4.new_code_cell("#hide\nhidden_setup()"),
        v4.new_code_cell("#collapse-hide\nfolded()"),
        v4.new_code_cell("#| output: false\nquiet()", outputs=[out]),
    ]
    site = make_site({"posts/2020-02-20-fp.ipynb": notebook(cells)})
    build(site, tmp_path / "out")
    page = soup(tmp_path / "out/2020/02/fp/index.html")
    assert page.select_one("h1").get_text() == "fastpages: a title"
    assert [a.get_text() for a in page.select(".post-meta a")] == ["jupyter"]
    article = page.select_one("article")
    text = article.get_text()
    assert "print_one" not in text and text.count("printed 1") == 1
    assert "hidden_setup" not in text and "#" not in text
    assert "folded()" in article.select_one("details.nb-input").get_text()
    assert "quiet()" in text


def test_a_latex_environment_inside_a_paragraph_is_math_as_in_jupyter(make_site, tmp_path):
    text = (
        "Minimizing gives\n\\begin{align*}\nx &= 1 \\\\\ny &= 2\n\\end{align*}\nand so on.\n\n"
        "$$\n\\begin{aligned}\na &= b\n\\end{aligned}\n$$\n\n```latex\n\\begin{align}\n```"
    )
    site = make_site(
        {"posts/m.ipynb": notebook([v4.new_raw_cell(FRONT), v4.new_markdown_cell(text)])}
    )
    build(site, tmp_path / "out")
    article = soup(tmp_path / "out/2025/06/m/index.html").select_one("article .post-body")
    assert len(article.select("div.math-display math")) == 2
    assert "Minimizing gives" in article.get_text() and "and so on." in article.get_text()
    assert article.select_one("code.language-latex").get_text().strip() == "\\begin{align}"


NIKOLA_CONF = """\
BLOG_TITLE = "Old Nikola"
SITE_URL = "https://nikola.example/"
TRANSLATIONS = {DEFAULT_LANG: "", "es": "./es"}
POSTS = (
    ("posts/*.md", "blog", "post.tmpl"),
    ("posts/*.ipynb", "blog", "post.tmpl"),
    ("posts/*.rst", "blog", "post.tmpl"),
)
PAGES = (("pages/*.md", "", "page.tmpl"),)
PRETTY_URLS = True
"""


def test_a_nikola_site_imports_with_its_notebook_posts(tmp_path):
    old = tmp_path / "old"
    (old / "posts").mkdir(parents=True)
    (old / "files").mkdir()
    (old / "conf.py").write_text(NIKOLA_CONF)
    meta = {"title": "A notebook", "slug": "nb", "date": "2020-04-25 15:43:06 UTC+02:00"}
    cells = [
        v4.new_markdown_cell("Intro, $a^2$.\n\n<!-- TEASER_END -->\n\nMore."),
        v4.new_code_cell(
            "1 + 1", outputs=[v4.new_output("execute_result", data={"text/plain": "2"})]
        ),
    ]
    (old / "posts/nb.ipynb").write_text(notebook(cells, nikola=meta | {"tags": "a, b"}))
    (old / "posts/two.md").write_text(
        "<!--\n.. title: Two\n.. slug: two\n.. date: 2020-05-01 10:00:00 UTC\n.. tags: \n-->\n\n"
        "Teaser.\n\n<!-- TEASER_END -->\n\nRest.\n"
    )
    (old / "posts/split.md").write_text("Body from its .meta file.\n")
    (old / "posts/split.meta").write_text(".. title: Split\n.. slug: split\n.. date: 2020-06-01\n")
    (old / "posts/two.es.md").write_text("<!--\n.. title: Dos\n-->\nHola.\n")
    (old / "posts/old.rst").write_text("Old\n===\n")
    (old / "files/cv.pdf").write_bytes(b"%PDF-1.4\n")
    report = import_site(old, tmp_path / "new")
    assert (report.engine, report.posts) == ("nikola", 3)
    assert sorted(note.what.split(":")[0] for note in report.skipped) == [
        "a .rst post cannot be converted",
        "a translation (es)",
    ]
    out = tmp_path / "out"
    build(tmp_path / "new", out)
    article = soup(out / "blog/nb/index.html").select_one("article")
    assert article.select_one("math") and "2" in article.select_one("code.language-output").text
    assert [a.get_text() for a in article.select(".post-meta a")] == ["a", "b"]
    assert "More." not in soup(out / "index.html").get_text()  # TEASER_END is the fold
    nbformat.validate(nbformat.read(out / "blog/nb/index.ipynb", as_version=4))  # old address
    assert "Rest." in (out / "blog/two/index.html").read_text()
    assert "from its .meta file" in (out / "blog/split/index.html").read_text()
    assert (out / "cv.pdf").is_file()


def test_links_in_a_notebook_are_checked_at_their_cell(make_site):
    cells = [
        v4.new_raw_cell(FRONT),
        v4.new_markdown_cell("Fine [home](/).\n\nBroken [one](/2024/12/gone/)."),
        v4.new_code_cell("plot()", outputs=every_output()[4].outputs),
    ]
    site = make_site({"posts/links.ipynb": notebook(cells)})
    result = CliRunner().invoke(main, ["check", str(site)])
    assert result.output.splitlines() == [
        f"{site}/posts/links.ipynb:cell 2:3: link to /2024/12/gone/ -- no such page",
        "Error: 1 broken link",
    ]


def test_a_nikola_shortcode_is_shown_as_written_and_reported(tmp_path):
    # MattiooFR's blog calls its own plugin's shortcode, {{% jupyter toto.ipynb %}}
    old = tmp_path / "old"
    (old / "posts").mkdir(parents=True)
    (old / "conf.py").write_text(NIKOLA_CONF)
    (old / "posts/nb.md").write_text(
        "<!--\n.. title: Shortcode\n.. slug: sc\n.. date: 2020-04-25 16:49:37 UTC+02:00\n-->\n\n"
        "{{% jupyter toto.ipynb %}}\n\nAfter.\n\n```\n{{% raw %}}in code{{% /raw %}}\n```\n"
    )
    report = import_site(old, tmp_path / "new")
    assert [(n.line, n.what) for n in report.unconverted if n.path.name == "nb.md"] == [
        (7, "Nikola shortcode {{% jupyter toto.ipynb %}} not converted: shown as text")
    ]
    out = tmp_path / "out"
    build(tmp_path / "new", out)  # no "no shortcode template" error
    article = soup(out / "blog/sc/index.html").select_one("article")
    assert "{{% jupyter toto.ipynb %}}" in article.get_text() and "After." in article.get_text()
    assert "{{% raw %}}in code{{% /raw %}}" in article.select_one("pre").get_text()
