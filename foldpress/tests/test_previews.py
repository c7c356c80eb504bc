"""Link previews: Open Graph and Twitter card tags and JSON-LD on every page, read back
with a real HTML parser and a JSON parser."""

from __future__ import annotations

import json

import pytest
from _sites import html_pages
from conftest import SITE_TOML, post_file, soup

from foldpress.build import build

BASE = "https://blog.example.com"
FILES = {
    "posts/2025-03-01-cover.md": post_file(
        "A post with a cover",
        "2025-03-01 09:30",
        "The intro. More of it.\n\n<!--more-->\n\n![a diagram](diagram.png)\n",
        image="/images/cover.png",
        updated="2025-03-05 10:00",
        topics="[AI]",
    ),
    "posts/2025-02-01-inline.md": post_file(
        "Its first image",
        "2025-02-01",
        "Text first.\n\n![chart](/images/chart.png) and ![later](/images/later.png)\n",
        summary='"Summed up, <in> one line."',
    ),
    "posts/2025-01-01-plain.md": post_file("No image at all", "2025-01-01", "Just words.\n"),
    "pages/about.md": "---\ntitle: About\n---\n\nI write here. Often.\n",
}


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    site = tmp_path_factory.mktemp("previews") / "site"
    site.mkdir()
    (site / "site.toml").write_text(SITE_TOML + 'image = "/images/site-card.png"\n')
    for name, text in FILES.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text, encoding="utf-8")
    build(site)
    return site / "_site"


def meta(page, name: str) -> str | None:
    tag = page.find("meta", attrs={"property": name}) or page.find("meta", attrs={"name": name})
    return tag["content"] if tag else None


def json_ld(page) -> list[dict]:
    return [json.loads(s.string) for s in page.find_all("script", type="application/ld+json")]


def test_a_post_is_an_article_with_its_dates_image_and_summary(out):
    page = soup(out / "2025/03/cover/index.html")
    url = f"{BASE}/2025/03/cover/"
    assert meta(page, "og:title") == "A post with a cover"
    assert meta(page, "og:type") == "article"
    assert meta(page, "og:url") == url == page.find("link", rel="canonical")["href"]
    assert meta(page, "og:description") == "The intro."
    assert meta(page, "description") == "The intro."
    assert meta(page, "og:image") == f"{BASE}/images/cover.png"  # front matter wins
    assert meta(page, "og:site_name") == "Test blog"
    assert meta(page, "article:published_time") == "2025-03-01T09:30:00+00:00"
    assert meta(page, "article:modified_time") == "2025-03-05T10:00:00+00:00"
    assert meta(page, "twitter:card") == "summary_large_image"
    assert meta(page, "twitter:image") == f"{BASE}/images/cover.png"
    [data] = json_ld(page)
    assert data == {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": "A post with a cover",
        "url": url,
        "mainEntityOfPage": url,
        "datePublished": "2025-03-01T09:30:00+00:00",
        "dateModified": "2025-03-05T10:00:00+00:00",
        "author": {"@type": "Person", "name": "Tester"},
        "publisher": {"@type": "Organization", "name": "Test blog"},
        "description": "The intro.",
        "image": f"{BASE}/images/cover.png",
        "keywords": ["AI"],
    }


def test_a_post_without_an_image_key_shows_its_first_image_else_the_sites(out):
    inline = soup(out / "2025/02/inline/index.html")
    assert meta(inline, "og:image") == f"{BASE}/images/chart.png"
    assert meta(inline, "og:description") == "Summed up, <in> one line."
    assert json_ld(inline)[0]["description"] == "Summed up, <in> one line."
    assert "<in>" not in str(inline.find("script", type="application/ld+json"))  # escaped
    plain = soup(out / "2025/01/plain/index.html")
    assert meta(plain, "og:image") == f"{BASE}/images/site-card.png"
    assert meta(plain, "article:published_time") == "2025-01-01T00:00:00+00:00"
    assert meta(plain, "article:modified_time") == "2025-01-01T00:00:00+00:00"


def test_the_front_page_is_the_website(out):
    page = soup(out / "index.html")
    assert meta(page, "og:type") == "website"
    assert meta(page, "og:url") == f"{BASE}/"
    assert meta(page, "og:description") == "A blog for tests."
    assert meta(page, "og:image") == f"{BASE}/images/site-card.png"
    assert meta(page, "article:published_time") is None
    assert json_ld(page) == [
        {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": "Test blog",
            "url": f"{BASE}/",
            "description": "A blog for tests.",
        }
    ]
    about = soup(out / "about/index.html")
    assert meta(about, "og:title") == "About"
    assert meta(about, "og:description") == "I write here."
    assert json_ld(about) == []


def test_every_page_has_a_card(out):
    for path in html_pages(out):
        page = soup(path)
        canonical = page.find("link", rel="canonical")["href"]
        assert meta(page, "og:url") == canonical, path
        assert meta(page, "og:title") and meta(page, "twitter:title"), path
        assert meta(page, "og:type") in ("article", "website"), path
        assert meta(page, "twitter:card") in ("summary", "summary_large_image"), path
