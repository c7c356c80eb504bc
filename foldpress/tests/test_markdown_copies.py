"""Markdown copies at URL + index.html.md, and how their relative URLs are made absolute."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
import yaml
from _index import TRICKY_BODY, TRICKY_TITLE, days, page, post, site
from _sites import EXAMPLE, build_example, html_pages, local_file, page_url
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.footnote import footnote_plugin

from foldpress.config import SiteConfig
from foldpress.outputs import markdown_copies
from foldpress.urls import absolutize_markdown

BASE = "https://blog.example.org"


def _index():
    d = days(4)
    posts = [
        post(TRICKY_TITLE, d[3], TRICKY_BODY, slug="tricky", topics=("Python", "AI")),
        *[post(f"Post {i}", d[i], slug=f"p{i}", topics=("AI",)) for i in range(3)],
    ]
    return site(posts, [page("About", "About [me](/about/).\n", "about")], per_page=2)


def _write(tmp_path: Path) -> Path:
    markdown_copies.write(_index(), tmp_path, None)
    return tmp_path


def test_a_copy_for_every_page(tmp_path):
    out = _write(tmp_path)
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("index.html.md"))
    assert written == [
        "2025/01/p0/index.html.md",
        "2025/01/p1/index.html.md",
        "2025/01/p2/index.html.md",
        "2025/01/tricky/index.html.md",
        "about/index.html.md",
        "archive/index.html.md",
        "index.html.md",
        "page/2/index.html.md",
        "search/index.html.md",
        "topics/ai/index.html.md",
        "topics/ai/page/2/index.html.md",
        "topics/index.html.md",
        "topics/python/index.html.md",
    ]


def test_post_copy_is_the_post(tmp_path):
    text = (_write(tmp_path) / "2025/01/tricky/index.html.md").read_text(encoding="utf-8")
    title, byline, body = text.split("\n\n", 2)
    assert title == f"# {TRICKY_TITLE}"
    assert byline == "Posted on 16 January 2025 in Python, AI"
    assert "<!--more-->" not in body
    expected = TRICKY_BODY.replace("<!--more-->\n", "")
    expected = expected.replace("](../../../docs/)", f"]({BASE}/docs/)")
    expected = expected.replace("](chart.png)", f"]({BASE}/2025/01/tricky/chart.png)")
    expected = expected.replace("](/)", f"]({BASE}/)").replace("](/about/)", f"]({BASE}/about/)")
    assert " ".join(body.split()) == " ".join(expected.split())


def test_listing_copies_link_to_post_copies_that_exist(tmp_path):
    out = _write(tmp_path)
    md = MarkdownIt("commonmark")
    for name in ("index.html.md", "page/2/index.html.md", "topics/ai/index.html.md"):
        hrefs = [
            child.attrGet("href")
            for token in md.parse((out / name).read_text(encoding="utf-8"))
            for child in token.children or []
            if child.type == "link_open"
        ]
        assert hrefs, name
        for href in hrefs:
            assert href.startswith(BASE + "/"), href
            assert (out / href.removeprefix(BASE + "/")).is_file(), href
    front = (out / "index.html.md").read_text(encoding="utf-8")
    assert f"## [{TRICKY_TITLE}]({BASE}/2025/01/tricky/index.html.md)" in front
    assert "Comparisons chain" in front and "the docs" not in front  # intro only
    assert f"[Older posts]({BASE}/page/2/index.html.md)" in front


def test_topics_and_archive(tmp_path):
    out = _write(tmp_path)
    topics = (out / "topics/index.html.md").read_text(encoding="utf-8")
    assert f"- [AI]({BASE}/topics/ai/index.html.md): 4 posts" in topics
    assert f"- [Python]({BASE}/topics/python/index.html.md): 1 post" in topics
    archive = (out / "archive/index.html.md").read_text(encoding="utf-8")
    assert "## 2025\n\n### January 2025\n\n- [Why" in archive
    assert archive.count("index.html.md)") == 4


CONFIG = SiteConfig(base_url="https://ex.org/blog/")


@pytest.mark.parametrize(
    "source, expected",
    [
        ("[a](b.html)", "[a](https://ex.org/blog/2025/03/p/b.html)"),
        ("![i](/img/x.png 'T')", "![i](https://ex.org/blog/img/x.png 'T')"),
        ("[a](<b c.png>)", "[a](<https://ex.org/blog/2025/03/p/b c.png>)"),
        ("[a](#sec)", "[a](https://ex.org/blog/2025/03/p/#sec)"),
        ("[a](https://o.org/x) <https://o.org>", "[a](https://o.org/x) <https://o.org>"),
        ("[a][r]\n\n[r]: ../x/", "[a][r]\n\n[r]: https://ex.org/blog/2025/03/x/"),
        ('<img src="i.png">', '<img src="https://ex.org/blog/2025/03/p/i.png">'),
        ('Hi <a href="x">x</a>', 'Hi <a href="https://ex.org/blog/2025/03/p/x">x</a>'),
        ("| [t](t.html) |\n|---|", "| [t](https://ex.org/blog/2025/03/p/t.html) |\n|---|"),
    ],
)
def test_relative_markdown_urls_become_absolute(source, expected):
    assert absolutize_markdown(source, "/2025/03/p/", CONFIG) == expected


@pytest.mark.parametrize(
    "source",
    [
        "`[a](b.html)`",
        "``code with ` and [a](b)``",
        "```\n[a](b.html)\n```\n",
        "a\u2028line separator\n\n```\n[a](b.html)\n```\n",  # not a line break to Markdown
        "    [a](b.html)\n",
        "\\[a](b.html)",
        "$[0, 1](x)$",
        '`<img src="i.png">`',
    ],
)
def test_code_and_lookalikes_are_untouched(source):
    assert absolutize_markdown(source, "/2025/03/p/", CONFIG) == source


# The example blog, built by the real engine.


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    return build_example(tmp_path_factory.mktemp("example") / "_site")


EXAMPLE_BASE = "https://blog.example.com"
FEED_TYPES = {"application/rss+xml", "application/atom+xml"}


def test_every_html_page_has_alternate_links_that_resolve(example):
    pages = html_pages(example)
    assert len(pages) > 30
    for html_file in pages:
        url = page_url(example, html_file)
        soup = BeautifulSoup(html_file.read_text(encoding="utf-8"), "lxml")
        alternates = {
            (link["type"], link["href"]) for link in soup.find_all("link", rel="alternate")
        }
        assert ("application/rss+xml", "/feed/rss.xml") in alternates, url
        assert ("application/atom+xml", "/feed/atom.xml") in alternates, url
        assert ("text/markdown", url + "index.html.md") in alternates, url
        if url.startswith("/topics/") and url != "/topics/":
            topic = "/".join(url.split("/")[:3]) + "/"
            assert ("application/rss+xml", topic + "rss.xml") in alternates, url
            assert ("application/atom+xml", topic + "atom.xml") in alternates, url
        for _, href in alternates:
            assert local_file(example, href, EXAMPLE_BASE).is_file(), (url, href)
    front = BeautifulSoup((example / "index.html").read_text(encoding="utf-8"), "lxml")
    assert front.find("link", rel="alternate", type="text/markdown", href="/llms.txt")


def _text(markdown: str) -> str:
    """What a reader sees of ``markdown``: its rendered text, whitespace collapsed."""
    soup = BeautifulSoup(_reader.render(markdown), "lxml")
    return " ".join(soup.get_text(" ").split())


_reader = MarkdownIt("commonmark").enable("table").use(footnote_plugin).use(dollarmath_plugin)


# The example's attention views: the text they show is their inner content and caption.
_ATTENTION_CALL = re.compile(
    r"\{\{< attention (?P<args>.*?) >\}\}(?P<inner>.*?)\{\{< /attention >\}\}", re.S
)


def _attention_text(call: re.Match[str]) -> str:
    caption = re.search(r'caption="([^"]*)"', call["args"])
    return f"\n\n{call['inner']}\n\n{caption[1] if caption else ''}\n\n"


def test_every_post_copy_matches_its_post(example):
    sources = {}
    for path in (EXAMPLE / "posts").glob("*.md"):
        _, front_matter, body = path.read_text(encoding="utf-8").split("---\n", 2)
        meta = yaml.safe_load(front_matter)
        if not meta.get("draft"):
            # The fold is a comment: no text to compare. A shortcode call is its output.
            sources[meta["title"]] = _ATTENTION_CALL.sub(_attention_text, body)
    notebooks = {}  # a notebook post's copy holds its Markdown cells and its code
    for path in (EXAMPLE / "posts").glob("*.ipynb"):
        cells = nbformat.read(path, as_version=4).cells
        meta = yaml.safe_load(cells[0].source.split("---\n")[1])
        notebooks[meta["title"]] = [c.source for c in cells[1:]]
    copies = [p.parent / "index.html.md" for p in html_pages(example)]
    post_copies = [c for c in copies if re.match(r"\d{4}/\d\d/", c.relative_to(example).as_posix())]
    assert len(post_copies) == len(sources) + len(notebooks)
    for copy in post_copies:
        html = BeautifulSoup((copy.parent / "index.html").read_text(encoding="utf-8"), "lxml")
        title = html.find("h1").get_text(strip=True)
        heading, posted, body = copy.read_text(encoding="utf-8").split("\n\n", 2)
        assert _text(heading) == title
        assert posted.startswith("Posted on ")
        if html.select_one("article .series-nav"):  # "Part N of M in ..." comes next
            part, body = body.split("\n\n", 1)
            assert part.startswith("Part ")
        if title in notebooks:
            for cell in notebooks[title]:
                assert _text(cell) in _text(body), (copy, cell)
        else:
            assert _text(body) == _text(sources[title]), copy
        for token in _reader.parse(body):
            for child in token.children or []:
                url = child.attrGet("href") or child.attrGet("src")
                if url:
                    assert urlsplit(url).scheme in ("https", "mailto"), (copy, url)
