"""A site published under a sub-path (``base_url = "https://example.org/blog/"``, as a
GitHub Pages project site is): every link, asset and redirect of every output stays under
``/blog/``; and ``relative_urls = true``, a site whose links work opened from disk."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import post_file

from foldpress.build import build

FILES = {
    "posts/2025-01-05-first.md": post_file(
        "First",
        "2025-01-05",
        "Intro with [the second](/2025/01/second/).\n\n<!--more-->\n\n[Back](../second/).\n",
        topics="[Python]",
    ),
    "posts/2025-01-09-second.md": post_file(
        "Second",
        "2025-01-09",
        "A ![logo](/images/logo.svg) and [about](/about/#who)"
        ' and <a href="/2025/01/first/">raw HTML</a> and [out](https://elsewhere.example/x).\n',
        topics="[Python, AI]",
    ),
    "pages/about.md": "---\ntitle: About\n---\n\n## Who\n\nMe. [Home](/).\n",
    "static/images/logo.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n",
}
HOST = "https://example.org"


@pytest.fixture
def sub_path_site(make_site) -> Path:
    site = make_site(
        FILES, site_toml=f'title = "Sub"\nbase_url = "{HOST}/blog/"\nposts_per_page = 1\n'
    )
    build(site)
    return site / "_site"


def html_urls(page: Path) -> list[str]:
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html5lib")
    urls = []
    for tag in soup.find_all(True):
        for name in ("href", "src", "poster"):
            if tag.get(name) is not None:
                urls.append(tag[name])
        if tag.get("srcset"):
            urls += [c.split()[0] for c in tag["srcset"].split(",")]
    return urls


def text_urls(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".xml":
        root = ET.fromstring(text.encode())
        found = [e.text or "" for e in root.iter()] + [
            v for e in root.iter() for v in e.attrib.values()
        ]
        for html_text in list(found):
            if "<" in html_text:
                found += re.findall(r'(?:href|src)="([^"]+)"', html_text)
        return [u for u in found if u.startswith(("http://", "https://", "/"))]
    return re.findall(r"https?://[^\s)\"'<>]+", text)


def test_every_link_and_asset_of_every_output_stays_under_the_sub_path(sub_path_site):
    out = sub_path_site
    checked = 0
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        if path.suffix == ".html":
            urls = html_urls(path)
        elif path.suffix in (".xml", ".txt", ".md"):
            urls = text_urls(path)
        else:
            continue
        page_url = "/" + path.parent.relative_to(out).as_posix() + "/"
        for url in urls:
            absolute = urljoin(f"{HOST}/blog{page_url.replace('/./', '/')}", url)
            if absolute.startswith(HOST) or url.startswith("/"):
                assert absolute.startswith(f"{HOST}/blog/"), (path.relative_to(out), url)
                # ... and it names a file of the site.
                site_path = unquote(urlsplit(absolute).path).removeprefix("/blog")
                target = out / site_path.lstrip("/")
                target = target / "index.html" if site_path.endswith("/") else target
                assert target.is_file(), (path.relative_to(out), url)
                checked += 1
    assert checked > 100


def test_root_relative_links_in_posts_are_taken_as_site_paths(sub_path_site):
    second = (sub_path_site / "2025/01/second/index.html").read_text(encoding="utf-8")
    assert 'src="/blog/images/logo.svg"' in second
    assert 'href="/blog/about/#who"' in second
    assert 'href="/blog/2025/01/first/"' in second  # in raw HTML too
    assert 'href="https://elsewhere.example/x"' in second
    first = (sub_path_site / "2025/01/first/index.html").read_text(encoding="utf-8")
    assert 'href="../second/"' in first  # relative: as written
    assert '<link rel="stylesheet" href="/blog/theme/style.css">' in second


def test_relative_urls_make_a_site_that_works_from_disk(make_site):
    site = make_site(FILES, site_toml='title = "Disk"\nrelative_urls = true\nposts_per_page = 1\n')
    build(site)
    out = site / "_site"
    checked = 0
    for page in sorted(out.rglob("*.html")):
        for url in html_urls(page):
            parts = urlsplit(url)
            if parts.scheme or url.startswith("#") or url == "../second/":
                continue
            assert not url.startswith("/"), (page.relative_to(out), url)
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), (page.relative_to(out), url)  # a file, not a folder
            checked += 1
    assert checked > 50
    front = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="theme/style.css"' in front
    assert 'href="2025/01/second/index.html"' in front


def test_a_sites_own_template_links_alike_with_the_function_and_the_filter(make_site):
    # link() in a site's templates, and |link in the bundled theme's: one link either way,
    # in a loop and in an included template too.
    post = (
        '{% extends "base.html" %}{% block main %}'
        '{% for topic in post.topics %}<a class=f href="{{ link(topic.url) }}">f</a>'
        '<a class=g href="{{ topic.url|link }}">g</a>{% endfor %}{% include "_post_meta.html" %}'
        "{% endblock %}"
    )
    files = {**FILES, "templates/post.html": post}
    site = make_site(files, site_toml='title = "Disk"\nrelative_urls = true\n')
    build(site)
    page = BeautifulSoup((site / "_site/2025/01/second/index.html").read_text(), "html5lib")
    by_function = [a["href"] for a in page.find_all("a", class_="f")]
    assert by_function == [a["href"] for a in page.find_all("a", class_="g")]
    assert by_function == ["../../../topics/python/index.html", "../../../topics/ai/index.html"]
    meta = [a["href"] for a in page.select(".post-meta a")]
    assert meta == by_function
