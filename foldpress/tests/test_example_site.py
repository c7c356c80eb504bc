"""examples/site built once per session: what a reader of the demo blog sees."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import EXAMPLE_SITE, soup

from foldpress.cache import BuildCache
from foldpress.config import load_config
from foldpress.content import load_content


@pytest.fixture(scope="module")
def source():
    config = load_config(EXAMPLE_SITE / "site.toml")
    content = load_content(EXAMPLE_SITE, config, BuildCache(), drafts=True, jobs=1)
    assert content.errors == []
    return config, content.posts, content.pages


def html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_every_post_is_at_its_dated_url_and_drafts_are_not(built_example, source):
    _, posts, _ = source
    drafts = [p for p in posts if p.draft]
    assert drafts, "the example site should have a draft"
    for post in posts:
        page = built_example / post.url.strip("/") / "index.html"
        assert page.exists() != post.draft, post.url
        assert re.fullmatch(r"/\d{4}/\d{2}/[a-z0-9-]+/", post.url)
    front = (built_example / "index.html").read_text()
    for draft in drafts:
        assert draft.title not in front


def test_front_page_intros_and_read_more(built_example, source):
    config, posts, _ = source
    published = sorted((p for p in posts if not p.draft), key=lambda p: p.date, reverse=True)
    front = soup(built_example / "index.html")
    articles = front.find_all("article", class_="summary")
    assert [a.h2.get_text() for a in articles] == [
        p.title for p in published[: config.posts_per_page]
    ]
    for article, post in zip(articles, published, strict=False):
        read_more = article.find("p", class_="read-more")
        assert (read_more is not None) == post.has_more
        assert read_more is None or read_more.a["href"] == post.url
        meta = " ".join(article.find("p", class_="post-meta").get_text().split())
        assert meta.startswith(f"Posted on {post.date.day} {post.date:%B %Y}")
    assert any(a.find("p", class_="read-more") for a in articles)


def test_pagination_covers_every_post_once(built_example, source):
    _, posts, _ = source
    seen, url = [], "/"
    while url:
        page = soup(built_example / url.strip("/") / "index.html")
        seen += [a.h2.a["href"] for a in page.find_all("article", class_="summary")]
        older = page.find("nav", class_="pagination")
        link = older.find("a", rel="next") if older else None
        url = link["href"] if link else None
    assert sorted(seen) == sorted(p.url for p in posts if not p.draft)


def test_topic_pages_list_their_posts(built_example, source):
    _, posts, _ = source
    topics = soup(built_example / "topics/index.html").find("ul", class_="topics")
    links = topics.find_all("a")
    assert len(links) >= 3
    for link in links:
        page = soup(built_example / link["href"].strip("/") / "index.html")
        name = link.get_text()
        assert page.h1.get_text() == f"Posts about {name}"
        titles = [a.h2.get_text() for a in page.find_all("article", class_="summary")]
        expected = [p.title for p in posts if not p.draft and name in {t.name for t in p.topics}]
        assert set(titles) <= set(expected) and titles


def test_archive_lists_every_published_post(built_example, source):
    _, posts, _ = source
    archive = soup(built_example / "archive/index.html")
    linked = {a["href"] for a in archive.find("main").find_all("a")}
    assert linked == {p.url for p in posts if not p.draft}
    assert len(archive.find_all("h3")) >= 3  # several months


def test_math_code_footnotes_tables_and_image(built_example, source):
    pages = [soup(p) for p in html_files(built_example)]
    assert any(m.get("display") == "block" for p in pages for m in p.find_all("math"))
    assert any(m.get("display") == "inline" for p in pages for m in p.find_all("math"))
    languages = {
        c for p in pages for pre in p.find_all("pre", class_="highlight") for c in pre.code["class"]
    }
    assert len(languages) >= 3
    assert any(p.find("section", class_="footnotes") for p in pages)
    assert any(p.find("table") for p in pages)
    assert any(p.find("img") for p in pages)
    for page in source[2]:
        assert soup(built_example / page.url.strip("/") / "index.html").h1.get_text() == page.title


def test_every_local_link_and_image_resolves(built_example):
    """Links to HTML pages, images and styles; feeds and Markdown copies are tested elsewhere."""
    missing = []
    for path in html_files(built_example):
        page = soup(path)
        for tag, attr in (("a", "href"), ("img", "src"), ("link", "href")):
            for element in page.find_all(tag, attrs={attr: True}):
                url = urlsplit(element[attr])
                if url.scheme or url.netloc or not url.path.startswith("/"):
                    continue
                if url.path.endswith((".xml", ".txt", ".md")):
                    continue
                target = built_example / url.path.lstrip("/")
                if url.path.endswith("/"):
                    target = target / "index.html"
                if not target.exists():
                    missing.append(f"{path.relative_to(built_example)}: {element[attr]}")
    assert missing == []


def test_fragment_links_point_at_ids_on_the_same_page(built_example):
    for path in html_files(built_example):
        page = soup(path)
        for link in page.find_all("a", href=re.compile(r"^#")):
            assert page.find(id=link["href"][1:]) is not None, (path, link["href"])
