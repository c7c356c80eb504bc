"""Old addresses keep working after an import: a last segment with a dot stays a
folder with its bundle beside it; old tag, category, archive and pagination pages
redirect to foldpress's; old feed addresses get real feeds, read by feedparser.

Fixtures follow each engine's documentation: Hugo's page bundles, taxonomies and RSS
(``/index.xml``, each section's ``index.xml``); Pelican's TAG_URL, CATEGORY_URL,
ARCHIVES_URL, FEED_ALL_ATOM and pagination (``index2.html``); jekyll-feed,
jekyll-archives and jekyll-paginate.
"""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner
from conftest import soup, write_tree

from foldpress.build import build
from foldpress.cli import main
from foldpress.config import check_settings

FIXTURES = Path(__file__).parent / "fixtures"
PNG = (FIXTURES / "hugo/static/images/sunset.png").read_bytes()


def import_and_build(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    src = write_tree(tmp_path / "old", files)
    result = CliRunner().invoke(main, ["import", str(src), str(tmp_path / "new")])
    assert result.exit_code == 0, result.output
    build(tmp_path / "new")
    return tmp_path / "new" / "_site"


def redirect_target(out: Path, address: str) -> str:
    path = out / address.lstrip("/")
    page = soup(path / "index.html" if address.endswith("/") else path)
    refresh = page.find("meta", attrs={"http-equiv": "refresh"})
    assert refresh is not None, address
    return refresh["content"].partition("url=")[2]


def post(title: str, date: str, extra: str = "") -> str:
    return f"---\ntitle: {title}\ndate: {date}\n{extra}---\n\nAbout {title}.\n"


def test_a_last_segment_with_a_dot_stays_a_folder_with_its_bundle_beside_it(tmp_path):
    out = import_and_build(
        tmp_path,
        {
            "hugo.toml": 'title = "Notes"\n',
            "content/notes/model-v1.5/index.md": post("Model v1.5", "2024-05-01")
            + "\n![chart](chart.png)\n",
            "content/notes/model-v1.5/chart.png": PNG,
        },
    )
    page = soup(out / "notes/model-v1.5/index.html")
    assert page.find("h1").get_text() == "Model v1.5"
    image = page.find("main").find("img")
    assert (out / "notes/model-v1.5" / image["src"]).is_file() or (
        out / image["src"].lstrip("/")
    ).is_file()
    assert not (out / "notes/model-v1.5").is_file()


def test_hugo_taxonomy_pages_and_feeds_keep_their_addresses(tmp_path):
    posts = {
        f"content/posts/p{n}.md": post(f"Post {n}", f"2024-01-{n:02d}", "tags: [Deep Learning]\n")
        for n in range(1, 4)
    }
    out = import_and_build(
        tmp_path,
        {
            "hugo.toml": (
                'title = "H"\nbaseURL = "https://h.example.org/"\npaginate = 2\n'
                "[taxonomies]\ntag = 'tags'\ncategory = 'categories'\n"
            ),
            **posts,
        },
    )
    assert redirect_target(out, "/tags/deep-learning/").endswith("/topics/deep-learning/")
    assert redirect_target(out, "/tags/").endswith("/topics/")
    assert redirect_target(out, "/posts/").endswith("/archive/")
    assert (out / "page/2/index.html").is_file()  # Hugo's and foldpress's pagination agree
    for feed_address in ("index.xml", "posts/index.xml"):
        feed = feedparser.parse((out / feed_address).read_bytes())
        assert feed.version == "rss20", feed_address
        assert [e.title for e in feed.entries] == ["Post 3", "Post 2", "Post 1"]
        assert feed.entries[0].link == "https://h.example.org/posts/p3/"


def test_pelican_tag_category_archive_pagination_and_feed_addresses(tmp_path):
    articles = {
        f"content/python/a{n}.md": f"Title: Article {n}\nDate: 2020-02-0{n}\nTags: Web Dev\n\nA.\n"
        for n in range(1, 4)
    }
    out = import_and_build(
        tmp_path,
        {
            "pelicanconf.py": "SITENAME = 'P'\nDEFAULT_PAGINATION = 1\nFEED_ALL_ATOM = None\n",
            "publishconf.py": (
                "from pelicanconf import *\nSITEURL = 'https://p.example.com'\n"
                "FEED_ALL_ATOM = 'feeds/all.atom.xml'\nFEED_ALL_RSS = 'feeds/all.rss.xml'\n"
            ),
            **articles,
        },
    )
    assert redirect_target(out, "/tag/web-dev.html").endswith("/topics/web-dev/")
    assert redirect_target(out, "/category/python.html").endswith("/topics/python/")
    assert redirect_target(out, "/archives.html").endswith("/archive/")
    assert redirect_target(out, "/tags.html").endswith("/topics/")
    assert redirect_target(out, "/index2.html").endswith("/page/2/")
    assert redirect_target(out, "/index3.html").endswith("/page/3/")
    atom = feedparser.parse((out / "feeds/all.atom.xml").read_bytes())
    assert atom.version == "atom10" and len(atom.entries) == 3
    assert atom.feed.links[0].href == "https://p.example.com/"
    rss = feedparser.parse((out / "feeds/all.rss.xml").read_bytes())
    assert rss.version == "rss20" and len(rss.entries) == 3


def test_jekyll_feed_archives_and_paginate_addresses(tmp_path):
    out = import_and_build(
        tmp_path,
        {
            "_config.yml": (
                "title: J\nurl: https://j.example.com\n"
                "paginate: 1\npaginate_path: /blog/page:num/\n"
                "plugins:\n  - jekyll-feed\n  - jekyll-archives\n  - jekyll-paginate\n"
            ),
            "_posts/2021-03-01-one.md": "---\ntitle: One\ntags: [ml]\n---\nOne.\n",
            "_posts/2021-03-02-two.md": "---\ntitle: Two\ncategory: notes\n---\nTwo.\n",
            "tags.html": "---\nlayout: default\n---\n{% for t in site.tags %}{{ t }}{% endfor %}\n",
        },
    )
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    assert feed.version == "rss20" and [e.title for e in feed.entries] == ["Two", "One"]
    assert redirect_target(out, "/tag/ml/").endswith("/topics/ml/")
    assert redirect_target(out, "/category/notes/").endswith("/topics/notes/")
    assert redirect_target(out, "/blog/page2/").endswith("/page/2/")
    assert redirect_target(out, "/tags.html").endswith("/topics/")


def test_an_old_address_the_new_site_answers_itself_is_left_to_it(tmp_path):
    out = import_and_build(
        tmp_path,
        {
            "hugo.toml": 'title = "H"\n',
            "content/posts/a.md": post("A", "2024-01-01", "tags: [x]\n"),
            "content/tags/_index.md": "---\ntitle: All my tags\n---\nMy own tag page.\n",
        },
    )
    page = soup(out / "tags/index.html")
    assert page.find("meta", attrs={"http-equiv": "refresh"}) is None
    assert page.find("h1").get_text() == "All my tags"


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("old_topic_urls", ["/tags/"], "must contain {slug}"),
        ("redirects", ["/only-one/"], "'OLD NEW'"),
        ("old_feeds", ["https://elsewhere.example/feed"], "not a full URL"),
        ("old_feeds", "/feed.xml", "must be a list of strings"),
    ],
)
def test_bad_old_address_settings_are_errors(key, value, problem, tmp_path):
    errors = check_settings({key: value}, tmp_path / "site.toml", "")
    assert errors and problem in errors[0].message
