"""/sitemap.xml against the sitemaps.org protocol, and /robots.txt."""

from __future__ import annotations

import re
import urllib.robotparser
from datetime import datetime

from _index import TZ, days, page, post, site
from foldpress.outputs import sitemap
from lxml import etree

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
    }
    assert all(W3C_DATETIME.fullmatch(v) for v in entries.values() if v)


def test_robots_txt_allows_all_and_names_the_sitemap(tmp_path):
    sitemap.write(_index(), tmp_path, None)
    robots = urllib.robotparser.RobotFileParser()
    robots.parse((tmp_path / "robots.txt").read_text(encoding="utf-8").splitlines())
    assert robots.can_fetch("AnyBot", f"{BASE}/2025/01/one/")
    assert robots.site_maps() == [f"{BASE}/sitemap.xml"]
