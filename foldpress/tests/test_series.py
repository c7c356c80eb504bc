"""Series: "Part N of M" on each post with links along the series, /series/ pages, and the
series in the Markdown copies, llms.txt and the sitemap."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner
from conftest import post_file, soup

from foldpress.build import build
from foldpress.cli import main

FILES = {
    # "Attention" in date order, but part 1 is the newest, by series_part.
    "posts/2025-01-01-queries.md": post_file("Queries and keys", "2025-01-01", series="Attention"),
    "posts/2025-02-01-masks.md": post_file("Causal masks", "2025-02-01", series="Attention"),
    "posts/2025-03-01-why.md": post_file(
        "Why attention?",
        "2025-03-01",
        "Start *here*.\n\n<!--more-->\n\nMore.\n",
        series="attention",  # another spelling of the same series
        series_part=1,
    ),
    "posts/2025-01-15-rust.md": post_file("Rust for Pythonistas", "2025-01-15", series="Rust"),
    "posts/2025-02-15-aside.md": post_file("An aside", "2025-02-15", topics="[Misc]"),
}


@pytest.fixture
def out(make_site):
    site = make_site(FILES)
    build(site)
    return site / "_site"


def series_nav(out, url):
    page = soup(out / url.strip("/") / "index.html")
    return page.select("article .series-nav")


def test_each_part_says_where_it_stands_and_links_along_the_series(out):
    expected = {
        "/2025/03/why/": ("Part 1 of 3", None, "/2025/01/queries/"),
        "/2025/01/queries/": ("Part 2 of 3", "/2025/03/why/", "/2025/02/masks/"),
        "/2025/02/masks/": ("Part 3 of 3", "/2025/01/queries/", None),
        "/2025/01/rust/": ("Part 1 of 1", None, None),
    }
    for url, (part, previous, following) in expected.items():
        navs = series_nav(out, url)
        assert len(navs) == 2, url  # above and below the post
        nav = navs[0]
        series = "Rust" if "rust" in url else "Attention"
        assert nav.p.get_text(" ", strip=True) == f"{part} in {series}"
        assert nav.p.a["href"] == f"/series/{series.lower()}/"
        older, newer = nav.select_one(".older a"), nav.select_one(".newer a")
        assert (older and older["href"]) == previous
        assert (newer and newer["href"]) == following
    assert series_nav(out, "/2025/02/aside/") == []


def test_series_pages_list_parts_in_order_with_their_intros(out):
    page = soup(out / "series/attention/index.html")
    assert page.h1.get_text() == "Attention"
    items = page.select("ol.series-parts > li")
    titles = [item.h2.a.get_text() for item in items]
    assert titles == ["Why attention?", "Queries and keys", "Causal masks"]
    assert items[0].select_one(".intro em").get_text() == "here"
    assert items[0].select_one(".read-more a")["href"] == "/2025/03/why/"

    everything = soup(out / "series/index.html")
    links = [(a["href"], a.get_text()) for a in everything.select("main .series-list a")]
    assert links == [("/series/attention/", "Attention"), ("/series/rust/", "Rust")]
    assert soup(out / "index.html").select_one('nav a[href="/series/"]')


def test_series_in_markdown_copies_llms_txt_and_sitemap(out):
    copy = (out / "2025/01/queries/index.html.md").read_text(encoding="utf-8")
    base = "https://blog.example.com"
    assert (
        f"Part 2 of 3 in [Attention]({base}/series/attention/index.html.md)"
        f" · Previous: [Why attention?]({base}/2025/03/why/index.html.md)"
        f" · Next: [Causal masks]({base}/2025/02/masks/index.html.md)"
    ) in copy
    series_copy = (out / "series/attention/index.html.md").read_text(encoding="utf-8")
    headings = [line for line in series_copy.splitlines() if line.startswith("## ")]
    assert headings == [
        f"## Part 1: [Why attention?]({base}/2025/03/why/index.html.md)",
        f"## Part 2: [Queries and keys]({base}/2025/01/queries/index.html.md)",
        f"## Part 3: [Causal masks]({base}/2025/02/masks/index.html.md)",
    ]
    assert "Start *here*." in series_copy

    llms = (out / "llms.txt").read_text(encoding="utf-8")
    section = llms.split("## Series: Attention\n\n")[1].split("\n\n")[0].splitlines()
    assert [line.split("](")[0] for line in section] == [
        "- [Why attention?",
        "- [Queries and keys",
        "- [Causal masks",
    ]
    assert "## Series: Rust" in llms

    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = [loc.text for loc in ET.parse(out / "sitemap.xml").getroot().iterfind("s:url/s:loc", ns)]
    for path in ("/series/", "/series/attention/", "/series/rust/"):
        assert base + path in urls


def test_a_site_without_series_has_no_series_pages(make_site):
    site = make_site({"posts/2025-01-01-a.md": post_file("A", "2025-01-01")})
    build(site)
    assert not (site / "_site/series").exists()
    assert not soup(site / "_site/index.html").select_one('a[href="/series/"]')


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (  # two posts claim part 2
            {
                "posts/a.md": post_file("A", "2025-01-01", series="S", series_part=2),
                "posts/b.md": post_file("B", "2025-01-02", series="S", series_part=2),
            },
            ["posts/b.md:5: series 'S': part 2 is also claimed by {site}/posts/a.md"],
        ),
        (  # parts 1 and 3 of two: 2 is missing
            {
                "posts/a.md": post_file("A", "2025-01-01", series="S", series_part=1),
                "posts/b.md": post_file("B", "2025-01-02", series="S", series_part=3),
            },
            [
                "posts/b.md:5: series 'S' has 2 parts, so part 3 leaves a gap after part 1 "
                "({site}/posts/a.md)"
            ],
        ),
        (
            {"posts/a.md": post_file("A", "2025-01-01", series_part=1)},
            ["posts/a.md:4: 'series_part' without 'series': name the series too"],
        ),
        (
            {"posts/a.md": post_file("A", "2025-01-01", series="S", series_part=0)},
            ["posts/a.md:5: 'series_part' must be a whole number from 1, not 0"],
        ),
    ],
    ids=["clash", "gap", "part-without-series", "part-zero"],
)
def test_bad_series_parts_are_errors_naming_the_files(make_site, files, expected):
    site = make_site(files)
    result = CliRunner().invoke(main, ["build", str(site)])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if "posts/" in line]
    assert errors == [f"{site}/{line.format(site=site)}" for line in expected]
