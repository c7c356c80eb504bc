"""/sitemap.xml against the sitemaps.org protocol, and /robots.txt."""

from __future__ import annotations

import re
import urllib.robotparser
from datetime import datetime

from _index import TZ, days, page, post, site
from _sites import build_example, build_small_site, html_pages, local_file
from lxml import etree

from foldpress.outputs import sitemap

BASE = "https://blog.example.org"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
W3C_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


def _index():
    d = days(3)
    edited = datetime(2025, 6, 2, 10, 0, tzinfo=TZ)
    posts = [
        post("One", d[0], slug="one", topics=("AI",), updated=edited),
        post("Two", d[1], slug="two", topics=("AI",)),
        post("Three", d[2], slug="three"),
    ]
    about = page("About", "Hi.\n", "about")
    return site(posts, [about], per_page=2)


def test_sitemap_lists_every_page_with_lastmod(tmp_path):
    sitemap.write(_index(), tmp_path, None)
    tree = etree.parse(str(tmp_path / "sitemap.xml"))
    assert tree.getroot().tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    entries = {
        url.findtext("s:loc", namespaces=NS): url.findtext("s:lastmod", namespaces=NS)
        for url in tree.getroot()
    }
    assert entries == {
        f"{BASE}/": "2025-01-11T09:30:00+00:00",  # Three and Two
        f"{BASE}/page/2/": "2025-06-02T10:00:00+01:00",  # One, edited in June
        f"{BASE}/topics/ai/": "2025-06-02T10:00:00+01:00",
        f"{BASE}/2025/01/one/": "2025-06-02T10:00:00+01:00",
        f"{BASE}/2025/01/two/": "2025-01-06T09:30:00+00:00",
        f"{BASE}/2025/01/three/": "2025-01-11T09:30:00+00:00",
        f"{BASE}/about/": None,  # no date known: lastmod is optional
        f"{BASE}/topics/": "2025-06-02T10:00:00+01:00",
        f"{BASE}/archive/": "2025-06-02T10:00:00+01:00",
        f"{BASE}/search/": None,  # a script's page: no content of its own
    }
    assert all(W3C_DATETIME.fullmatch(v) for v in entries.values() if v)


def test_robots_txt_allows_all_and_names_the_sitemap(tmp_path):
    sitemap.write(_index(), tmp_path, None)
    robots = urllib.robotparser.RobotFileParser()
    robots.parse((tmp_path / "robots.txt").read_text(encoding="utf-8").splitlines())
    assert robots.can_fetch("AnyBot", f"{BASE}/2025/01/one/")
    assert robots.site_maps() == [f"{BASE}/sitemap.xml"]


def test_example_sitemap_lists_every_html_page(tmp_path):
    out = build_example(tmp_path / "_site")
    tree = etree.parse(str(out / "sitemap.xml"))
    locs = tree.xpath("//s:url/s:loc/text()", namespaces=NS)
    assert len(locs) == len(set(locs))
    base = "https://blog.example.com"
    assert {local_file(out, loc, base) for loc in locs} == set(html_pages(out))
    lastmods = tree.xpath("//s:url/s:lastmod/text()", namespaces=NS)
    assert len(lastmods) == len(locs) - 2  # all but About and Search, which have no date
    assert all(W3C_DATETIME.fullmatch(value) for value in lastmods)
    robots = (out / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {base}/sitemap.xml" in robots.splitlines()


def test_an_authors_robots_txt_is_kept(tmp_path):
    post_text = "---\ntitle: One\ndate: 2025-01-01\n---\nHello.\n"
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "robots.txt").write_text("User-agent: *\nDisallow: /\n")
    out = build_small_site(tmp_path, {"one.md": post_text})
    assert (out / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n"
    assert (out / "sitemap.xml").is_file()
