"""RSS and Atom feeds, read back by feedparser (what feed readers use) and lxml."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from _index import TRICKY_BODY, TRICKY_TITLE, TZ, days, post, site
from _sites import build_example, html_pages, local_file, page_url
from bs4 import BeautifulSoup
from lxml import etree

from foldpress.outputs import feeds
from foldpress.urls import absolutize_html

BASE = "https://blog.example.org"


def _posts():
    d = days(5)
    return [
        post(TRICKY_TITLE, d[4], TRICKY_BODY, slug="tricky", topics=("Python", "AI")),
        post(
            "Attention",
            d[3],
            "Intro.\n\n<!--more-->\n\nMath: <math><mi>x</mi></math> here.\n",
            topics=("AI",),
        ),
        *[post(f"Post {i}", d[i]) for i in range(3)],
    ]


def _write(tmp_path: Path, posts=None, **settings) -> Path:
    out = tmp_path / "site"
    out.mkdir(parents=True)
    feeds.write(site(posts or _posts(), **settings), out, None)
    return out


def _parse(path: Path):
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def test_every_feed_is_well_formed_xml(tmp_path):
    out = _write(tmp_path)
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.xml"))
    assert written == [
        "feed/atom.xml",
        "feed/rss.xml",
        "topics/ai/atom.xml",
        "topics/ai/rss.xml",
        "topics/python/atom.xml",
        "topics/python/rss.xml",
    ]
    for name in written:
        etree.parse(str(out / name))  # raises on malformed XML


@pytest.mark.parametrize("name, version", [("rss.xml", "rss20"), ("atom.xml", "atom10")])
def test_site_feed_entries(tmp_path, name, version):
    parsed = _parse(_write(tmp_path) / "feed" / name)
    assert parsed.version == version
    assert parsed.feed.title == "Test blog"
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == [f"{BASE}/feed/{name}"]
    assert [e.title for e in parsed.entries] == [
        TRICKY_TITLE,
        "Attention",
        "Post 2",
        "Post 1",
        "Post 0",
    ]
    first = parsed.entries[0]
    assert first.link == f"{BASE}/2025/01/tricky/"
    assert first.id == "tag:blog.example.org,2025-01-21:tricky"
    assert datetime(*first.published_parsed[:6]) == datetime(2025, 1, 21, 9, 30)
    labels = [tag.label or tag.term for tag in first.tags]
    assert labels == ["Python", "AI"]


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml"])
def test_full_content_has_absolute_urls(tmp_path, name):
    content = _parse(_write(tmp_path) / "feed" / name).entries[0].content[0].value
    assert "Comparisons chain" in content  # the intro ...
    assert f'href="{BASE}/docs/"' in content  # ... and what is below the fold
    assert f'src="{BASE}/2025/01/tricky/chart.png"' in content
    assert f'href="{BASE}/2025/01/tricky/#fn1"' in content  # footnotes work in a reader
    assert f'href="{BASE}/"' in content


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml"])
def test_intro_mode_has_intro_and_read_more(tmp_path, name):
    out = _write(tmp_path, feed_content="intro")
    entry = _parse(out / "feed" / name).entries[0]
    content = entry.content[0].value
    assert "Comparisons chain" in content
    assert "the docs" not in content
    assert f'<a href="{BASE}/2025/01/tricky/">Read more' in content


def test_math_stays_mathml(tmp_path):
    out = _write(tmp_path)
    tree = etree.parse(str(out / "feed" / "atom.xml"))
    ns = {"a": feeds.ATOM}
    entry = tree.xpath("//a:entry[a:title='Attention']", namespaces=ns)[0]
    assert "<math><mi>x</mi></math>" in entry.findtext("a:content", namespaces=ns)


def test_tricky_title_and_description(tmp_path):
    out = _write(tmp_path)
    for path in out.rglob("*.xml"):  # the site's and both topics' feeds
        assert _parse(path).entries[0].title == TRICKY_TITLE, path
    rss = etree.parse(str(out / "feed" / "rss.xml"))
    assert rss.findtext("channel/item/title") == TRICKY_TITLE


def test_ids_survive_edits(tmp_path):
    before = _parse(_write(tmp_path / "a") / "feed" / "rss.xml").entries
    edited = _posts()
    first = edited[0]
    edited[0] = dataclasses.replace(
        first,
        title="A new title",
        body_html="<p>Rewritten.</p>",
        updated=datetime(2025, 6, 1, 12, 0, tzinfo=TZ),
    )
    out = _write(tmp_path / "b", edited)
    for name in ("rss.xml", "atom.xml"):
        after = _parse(out / "feed" / name).entries
        assert [e.id for e in after] == [e.id for e in before]
        assert after[0].title == "A new title"
    atom = _parse(out / "feed" / "atom.xml").entries[0]
    assert atom.updated.startswith("2025-06-01T12:00:00+01:00")
    assert atom.published.startswith("2025-01-21T09:30:00+00:00")


def test_dates_in_site_timezone(tmp_path):
    summer = datetime(2025, 7, 4, 8, 15, tzinfo=TZ)
    out = _write(tmp_path, [post("Summer", summer)])
    rss = etree.parse(str(out / "feed" / "rss.xml"))
    assert rss.findtext("channel/item/pubDate") == "Fri, 04 Jul 2025 08:15:00 +0100"
    atom = etree.parse(str(out / "feed" / "atom.xml"))
    published = atom.findtext("{*}entry/{*}published")
    assert published == "2025-07-04T08:15:00+01:00"


def test_feed_items_keeps_the_newest(tmp_path):
    parsed = _parse(_write(tmp_path, feed_items=2) / "feed" / "rss.xml")
    assert [e.title for e in parsed.entries] == [TRICKY_TITLE, "Attention"]


@pytest.mark.parametrize("name", ["rss.xml", "atom.xml"])
def test_topic_feeds(tmp_path, name):
    parsed = _parse(_write(tmp_path) / "topics" / "ai" / name)
    assert [e.title for e in parsed.entries] == [TRICKY_TITLE, "Attention"]
    assert "AI" in parsed.feed.title
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links["self"] == f"{BASE}/topics/ai/{name}"
    assert links["alternate"] == f"{BASE}/topics/ai/"


def test_absolutize_html_leaves_everything_else_alone():
    config = site([]).config
    source = (
        '<p><a href="https://other.org/x">x</a> <a href="mailto:a@b.c">m</a>'
        '<math display="block"><mspace width="1em"/><mi>y</mi></math>'
        "<code>&lt;a href=&quot;rel&quot;&gt;</code></p>"
    )
    assert absolutize_html(source, "/2025/01/p/", config) == source
    rewritten = absolutize_html('<img alt="a &amp; b" src="i.png">', "/2025/01/p/", config)
    assert rewritten == f'<img alt="a &amp; b" src="{BASE}/2025/01/p/i.png">'


def test_absolutize_html_reads_an_authors_raw_html_as_a_browser_does():
    config = site([]).config
    footnote = '<p>A note.<sup><a href="#fn1" id="fnref1">1</a></sup></p>'
    page = f"{BASE}/2025/01/p/"
    assert absolutize_html(footnote, "/2025/01/p/", config) == footnote.replace(
        "#fn1", page + "#fn1"
    )
    raw = (
        '<!-- <a href="old.html"> --><script>let a = \'<a href="s.html">\';</script>'
        "<a href='q.html' title=\"a>b\">q</a> <img src=u.png>"
    )
    assert absolutize_html(raw + footnote, "/2025/01/p/", config) == (
        '<!-- <a href="old.html"> --><script>let a = \'<a href="s.html">\';</script>'
        f'<a href="{page}q.html" title="a&gt;b">q</a> <img src="{page}u.png">'
        + footnote.replace("#fn1", page + "#fn1")
    )


# The example blog, built by the real engine.

EXAMPLE_BASE = "https://blog.example.com"


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    return build_example(tmp_path_factory.mktemp("example") / "_site")


def test_example_feeds_cover_every_post_and_topic(example):
    post_urls = {
        EXAMPLE_BASE + page_url(example, p)
        for p in html_pages(example)
        if re.match(r"\d{4}/", p.relative_to(example).as_posix())
    }
    site_feed = _parse(example / "feed" / "atom.xml")
    assert {e.link for e in site_feed.entries} == post_urls  # 19 posts, feed_items = 20
    topics = sorted(p.parent.name for p in (example / "topics").glob("*/index.html"))
    for topic in topics:
        for name in ("rss.xml", "atom.xml"):
            parsed = _parse(example / "topics" / topic / name)
            assert parsed.entries, (topic, name)
            assert {e.link for e in parsed.entries} <= post_urls


def test_example_feed_urls_resolve_to_files(example):
    for name in ("rss.xml", "atom.xml"):
        for entry in _parse(example / "feed" / name).entries:
            soup = BeautifulSoup(entry.content[0].value, "lxml")
            urls = [a["href"] for a in soup.find_all("a", href=True)]
            urls += [img["src"] for img in soup.find_all("img")]
            for url in urls:
                assert urlsplit(url).scheme, (entry.link, url)
                if url.startswith(EXAMPLE_BASE):
                    assert local_file(example, url, EXAMPLE_BASE).is_file(), (entry.link, url)
                    fragment = urlsplit(url).fragment
                    if fragment:  # footnotes and heading anchors exist on the target page
                        target = local_file(example, url, EXAMPLE_BASE).read_text(encoding="utf-8")
                        assert BeautifulSoup(target, "lxml").find(id=fragment), url


def test_example_feeds_keep_mathml(example):
    tree = etree.parse(str(example / "feed" / "atom.xml"))
    content = "".join(tree.xpath("//a:content/text()", namespaces={"a": feeds.ATOM}))
    assert "<math" in content and "<mfrac" in content
