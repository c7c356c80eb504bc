"""/llms.txt read back with the llms-txt package's own parser, and llms-full.txt."""

from __future__ import annotations

import html
from pathlib import Path

import feedparser
import pytest
from _index import TRICKY_BODY, TRICKY_TITLE, days, page, post, site
from _sites import build_example, build_small_site, local_file
from bs4 import BeautifulSoup
from llms_txt import parse_llms_file
from markdown_it import MarkdownIt

from foldpress.outputs import llms

BASE = "https://blog.example.org"
BRACKETS = "Lists [and] `code` *stars*"


def _index(**settings):
    d = days(5)
    posts = [
        post(TRICKY_TITLE, d[4], TRICKY_BODY, slug="tricky", topics=("Python", "AI")),
        post(BRACKETS, d[3], slug="brackets", summary="Told in\nfront matter."),
        *[post(f"Post {i}", d[i], f"First of {i}. Second.\n", slug=f"p{i}") for i in range(3)],
    ]
    about = page("About", "Who writes this. And why.\n\n![me](me.png)\n", "about")
    settings.setdefault("llms_details", "The details paragraph.")
    return site(posts, [about], llms_recent_posts=3, **settings)


def _write(tmp_path: Path, **settings) -> Path:
    llms.write(_index(**settings), tmp_path, None)
    return tmp_path


def test_reference_parser_reads_sections_and_links(tmp_path):
    text = (_write(tmp_path) / "llms.txt").read_text(encoding="utf-8")
    parsed = parse_llms_file(text)
    assert parsed.title == "Test blog"
    assert parsed.summary == "A blog for tests."
    assert parsed.info.startswith("The details paragraph.")
    assert list(parsed.sections) == ["Posts", "Pages", "Optional"]
    posts = parsed.sections["Posts"]
    assert [html.unescape(link.title) for link in posts] == [
        TRICKY_TITLE,
        "Lists [and] \\`code\\` \\*stars\\*",
        "Post 2",
    ]
    assert posts[0].url == f"{BASE}/2025/01/tricky/index.html.md"
    assert posts[0].desc == (
        "21 January 2025 · Python, AI — Comparisons chain: `a < b < c` means `a < b and b < c`."
    )
    assert posts[1].desc == "16 January 2025 — Told in front matter."
    assert posts[2].desc.endswith("— First of 2.")
    assert [link.url for link in parsed.sections["Pages"]] == [f"{BASE}/about/index.html.md"]
    assert [link.title for link in parsed.sections["Optional"]] == ["Post 1", "Post 0"]


def test_titles_read_back_as_written_in_commonmark(tmp_path):
    text = (_write(tmp_path) / "llms.txt").read_text(encoding="utf-8")
    soup = BeautifulSoup(MarkdownIt("commonmark").render(text), "lxml")
    posts = soup.find("h2", string="Posts").find_next_sibling("ul")
    titles = [a.get_text() for a in posts.find_all("a")]
    assert titles == [TRICKY_TITLE, BRACKETS, "Post 2"]


def test_sections_without_details_or_older_posts(tmp_path):
    llms.write(site(_index().posts, llms_recent_posts=10), tmp_path, None)
    parsed = parse_llms_file((tmp_path / "llms.txt").read_text(encoding="utf-8"))
    assert parsed.summary == "A blog for tests."
    assert list(parsed.sections) == ["Posts"]
    assert len(parsed.sections["Posts"]) == 5


def test_llms_full_has_every_post_and_page(tmp_path):
    text = (_write(tmp_path) / "llms-full.txt").read_text(encoding="utf-8")
    assert text.startswith("# Test blog\n\n> A blog for tests.\n\nThe details paragraph.\n")
    md = MarkdownIt("commonmark")
    tokens = md.parse(text)
    h1s = [tokens[i + 1].content for i, t in enumerate(tokens) if t.tag == "h1" and t.nesting == 1]
    assert h1s == [
        "Test blog",
        TRICKY_TITLE,
        "Lists &#91;and&#93; \\`code\\` \\*stars\\*",
        "Post 2",
        "Post 1",
        "Post 0",
        "About",
    ]
    tricky = text.split(f"# {TRICKY_TITLE}\n", 1)[1].split("\n---\n", 1)[0]
    assert f"URL: {BASE}/2025/01/tricky/\nPosted on 21 January 2025 in Python, AI" in tricky
    assert f"[the docs]({BASE}/docs/)" in tricky
    assert "<!--more-->" not in tricky
    assert 'print("[x](y.png)")' in tricky  # code untouched
    assert f"![me]({BASE}/about/me.png)" in text


# Real builds: the example blog, and a small site with a title that needs escaping everywhere.

EXAMPLE_BASE = "https://blog.example.com"


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    return build_example(tmp_path_factory.mktemp("example") / "_site")


def test_example_llms_txt_links_resolve_to_copies(example):
    parsed = parse_llms_file((example / "llms.txt").read_text(encoding="utf-8"))
    assert parsed.title == "Folded Notes"
    assert parsed.summary.startswith("An engineer's notes")
    assert list(parsed.sections) == ["Posts", "Series: LLM from scratch", "Pages", "Optional"]
    assert len(parsed.sections["Posts"]) == 10  # llms_recent_posts in its site.toml
    series = parsed.sections["Series: LLM from scratch"]
    assert len(series) == 11 and series[0].title == "Why build a language model from scratch?"
    links = [link for section in parsed.sections.values() for link in section]
    assert len(links) == 20 + 1 + 11  # every post, the About page, the series again
    for link in links:
        copy = local_file(example, link.url, EXAMPLE_BASE)
        assert copy.is_file(), link.url
        heading = copy.read_text(encoding="utf-8").splitlines()[0]
        assert heading == f"# {link.title}"


def test_example_llms_full_has_every_post(example):
    full = (example / "llms-full.txt").read_text(encoding="utf-8")
    parsed = parse_llms_file((example / "llms.txt").read_text(encoding="utf-8"))
    for link in parsed.sections["Posts"] + parsed.sections["Optional"]:
        post_url = link.url.removesuffix("index.html.md")
        assert f"\n# {link.title}\n\nURL: {post_url}\nPosted on " in full


TRICKY_POST = f"""---
title: '{TRICKY_TITLE}'
date: 2025-03-19 10:00:00
topics: [Python]
---
Intro with a footnote.[^1]

<!--more-->

More.

[^1]: The note.
"""


def test_tricky_title_survives_every_output(tmp_path):
    out = build_small_site(tmp_path, {"tricky.md": TRICKY_POST})
    post_html = next(out.glob("2025/03/*/index.html"))
    soup = BeautifulSoup(post_html.read_text(encoding="utf-8"), "lxml")
    assert soup.title.get_text().startswith(TRICKY_TITLE)
    assert soup.find("h1").get_text(strip=True) == TRICKY_TITLE
    for feed in ("feed/rss.xml", "feed/atom.xml", "topics/python/rss.xml"):
        parsed = feedparser.parse((out / feed).read_bytes())
        assert not parsed.bozo and parsed.entries[0].title == TRICKY_TITLE, feed
    llms_txt = parse_llms_file((out / "llms.txt").read_text(encoding="utf-8"))
    assert llms_txt.sections["Posts"][0].title == TRICKY_TITLE
    copy = (post_html.parent / "index.html.md").read_text(encoding="utf-8")
    assert copy.startswith(f"# {TRICKY_TITLE}\n")
    assert f"# {TRICKY_TITLE}\n" in (out / "llms-full.txt").read_text(encoding="utf-8")
