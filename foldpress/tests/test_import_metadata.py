"""Each engine's metadata read by its own rules, and the old 404 page as the new one.

The fixtures are written from the engines' documentation: Python-Markdown's meta
extension (which Pelican's Markdown reader uses), Pelican's FAQ on 404 pages,
Jekyll's front matter docs (``date: YYYY-MM-DD HH:MM:SS +/-TTTT``) and Hugo's
front matter dates (RFC 3339 and the other layouts Hugo parses).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from conftest import soup, write_tree

from foldpress.build import build
from foldpress.cli import main
from foldpress.importers._dates import old_date


def imported(tmp_path: Path, files: dict[str, str]) -> Path:
    src = write_tree(tmp_path / "old", files)
    result = CliRunner().invoke(main, ["import", str(src), str(tmp_path / "new")])
    assert result.exit_code == 0, result.output
    assert "skipped with a reason" in result.stdout
    return tmp_path / "new"


def front_of(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


PELICAN_CONF = "SITENAME = 'Old'\nTIMEZONE = 'America/Los_Angeles'\n"


def test_pelican_metadata_is_key_value_lines_not_yaml(tmp_path):
    dest = imported(
        tmp_path,
        {
            "pelicanconf.py": PELICAN_CONF,
            # Python-Markdown's meta: "---" delimiters allowed, a value continued by a
            # line indented four spaces, keys in any case, the block ends at a blank line.
            "content/bayes.md": (
                "---\nTitle: Frequentism and Bayesianism: A Practical Introduction\n"
                "date: 2014-06-06 2:00\nTags: statistics,\n    bayes\n"
                "Summary: It is: a summary [x]\n---\n\nBody: with a colon.\n"
            ),
            "content/cycling.md": (
                "Title: Is Seattle Really Seeing an Uptick In Cycling?\n"
                "Date: 2012/10/19 10:20\n\nText.\n"
            ),
        },
    )
    bayes = front_of(dest / "posts/bayes.md")
    assert bayes["title"] == "Frequentism and Bayesianism: A Practical Introduction"
    assert bayes["summary"] == "It is: a summary [x]"
    assert bayes["topics"] == ["statistics", "bayes"]
    assert "Body: with a colon." in (dest / "posts/bayes.md").read_text(encoding="utf-8")
    result = build(dest)
    assert result.posts == 2
    page = soup(dest / "_site/frequentism-and-bayesianism-a-practical-introduction.html")
    assert page.find("h1").get_text(strip=True).startswith("Frequentism and Bayesianism: A")
    assert page.find("time")["datetime"].startswith("2014-06-06T02:00:00-07:00")
    assert (dest / "_site/is-seattle-really-seeing-an-uptick-in-cycling.html").is_file()


def test_pelican_reads_a_yaml_block_as_yaml_only_with_its_yaml_plugin(tmp_path):
    dest = imported(
        tmp_path,
        {
            "pelicanconf.py": PELICAN_CONF + "PLUGINS = ['yaml_metadata']\n",
            "content/a.md": "---\ntitle: 'Quoted: yes'\ndate: 2020-01-02\ntags: [a, b]\n---\nA.\n",
        },
    )
    front = front_of(dest / "posts/a.md")
    assert front["title"] == "Quoted: yes"
    assert front["topics"] == ["a", "b"]


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("2014-06-06 2:00", datetime(2014, 6, 6, 2, 0)),  # Pelican (dateutil)
        ("2012/10/19 10:20", datetime(2012, 10, 19, 10, 20)),  # Pelican
        (
            "2016-09-26 21:00 -0700",
            datetime(2016, 9, 26, 21, 0, tzinfo=timezone(timedelta(hours=-7))),
        ),
        (
            "2016-09-26 21:00:00 -0700",  # Jekyll's documented form
            datetime(2016, 9, 26, 21, 0, tzinfo=timezone(timedelta(hours=-7))),
        ),
        (
            "2023-01-15T10:00:00+09:00",
            datetime(2023, 1, 15, 10, tzinfo=timezone(timedelta(hours=9))),
        ),
        (
            "Mon, 02 Jan 2006 15:04:05 -0700",  # Hugo: RFC 1123 with a numeric zone
            datetime(2006, 1, 2, 15, 4, 5, tzinfo=timezone(timedelta(hours=-7))),
        ),
        ("2006-01-02", datetime(2006, 1, 2)),
    ],
)
def test_every_date_form_the_old_engines_accept_is_read(written, meant):
    tz = timezone(timedelta(hours=1))
    when, _ = old_date(written, tz)
    expected = meant.replace(tzinfo=tz) if meant.tzinfo is None else meant
    assert when == expected


def test_a_date_no_engine_reads_is_a_skip_with_its_reason(tmp_path):
    src = write_tree(
        tmp_path / "old",
        {
            "pelicanconf.py": PELICAN_CONF,
            "content/ok.md": "Title: Fine\nDate: 2014-06-06\n\nA.\n",
            "content/bad.md": "Title: Bad\nDate: sometime soon\n\nB.\n",
        },
    )
    result = CliRunner().invoke(main, ["import", str(src), str(tmp_path / "new")])
    assert result.exit_code == 0, result.output
    assert f"{src / 'content/bad.md'}: a date Pelican cannot read either: 'sometime soon'" in (
        result.stderr
    )
    assert "Source posts and pages: 2 = 1 published (0 of them drafts) + 1 skipped" in result.stdout


def test_jekyll_and_hugo_dates_with_zones_keep_their_moment(tmp_path):
    jekyll = imported(
        tmp_path / "j",
        {
            "_config.yml": "title: J\ntimezone: UTC\n",
            "_posts/2016-09-26-late.md": (
                "---\ntitle: Late\ndate: 2016-09-26 21:00 -0700\n---\nL.\n"
            ),
        },
    )
    build(jekyll)
    # Jekyll shows the time in the site's zone: the next day in UTC, and its address too.
    assert (jekyll / "_site/2016/09/27/late.html").is_file()
    hugo = imported(
        tmp_path / "h",
        {
            "hugo.toml": 'title = "H"\n',
            "content/posts/zoned.md": (
                "---\ntitle: Zoned\ndate: Mon, 02 Jan 2006 15:04:05 -0700\n"
                "lastmod: 2006-01-03 10:00:00 +01:00\n---\nZ.\n"
            ),
        },
    )
    build(hugo)
    page = soup(hugo / "_site/posts/zoned/index.html")
    assert page.find("time")["datetime"].startswith("2006-01-02T22:04:05")


def test_the_old_404_page_is_the_new_site_s_404_page(tmp_path):
    # Jekyll's docs, "Custom 404 page": a 404.md with permalink /404.html.
    dest = imported(
        tmp_path,
        {
            "_config.yml": "title: J\n",
            "_posts/2020-01-01-hello.md": "---\ntitle: Hello\n---\nHi.\n",
            "404.md": "---\npermalink: /404.html\ntitle: Lost\n---\n\nNothing *here*.\n",
        },
    )
    result = build(dest)
    page = soup(dest / "_site/404.html")
    assert page.find("h1").get_text() == "Lost"
    assert page.find("em").get_text() == "here"
    assert result.pages == 1
    front_page = soup(dest / "_site/index.html")
    assert "Lost" not in front_page.find("nav").get_text()  # not a page to list


def test_a_foldpress_site_s_own_pages_404_md_is_its_404_page(tmp_path):
    site = write_tree(
        tmp_path / "site",
        {
            "site.toml": 'title = "Mine"\n',
            "posts/2024-01-01-a.md": "---\ntitle: A\ndate: 2024-01-01\n---\nA.\n",
            "pages/404.md": "---\ntitle: Gone fishing\n---\nTry the archive.\n",
        },
    )
    build(site)
    assert soup(site / "_site/404.html").find("h1").get_text() == "Gone fishing"
    assert not (site / "_site/404/index.html").exists()
    assert "Gone fishing" not in soup(site / "_site/index.html").find("nav").get_text()


def test_jekyll_theme_image_tables_a_built_source_folder_and_json_files(tmp_path):
    # Minimal Mistakes' `image: {path:, feature:}`; `source:` naming a folder a build
    # step makes from src/; a JSON file, which has no front matter for Jekyll.
    src = write_tree(
        tmp_path / "old",
        {
            "_config.yml": "title: MM\nsource: .tmp/src\n",
            "src/_posts/2019-01-02-a.md": (
                "---\ntitle: A\nimage:\n  path: /assets/a.jpg\n  width: 800\n---\nA.\n"
            ),
            "src/manifest.json": '{"name": "mm"}\n',
        },
    )
    result = CliRunner().invoke(main, ["import", str(src), str(tmp_path / "new")])
    assert result.exit_code == 0, result.output
    assert "source .tmp/src does not exist: src/ read" in result.stderr
    assert front_of(tmp_path / "new/posts/2019-01-02-a.md")["image"] == "/assets/a.jpg"
    assert (tmp_path / "new/static/manifest.json").is_file()
    assert build(tmp_path / "new").posts == 1


def test_chinese_titles_and_tags_and_empty_values_build(tmp_path):
    dest = imported(
        tmp_path,
        {
            "pelicanconf.py": PELICAN_CONF,
            "content/notes.md": (
                "Title: 函数调用\nDate: 2015-03-04\nTags: 游记, C++\nSlug:\n\n正文。\n"
            ),
            "content/pages/about.md": "Title: 关于\nSummary:\n\n我。\n",
        },
    )
    assert build(dest).posts == 1
    assert (dest / "_site/topics/游记/index.html").is_file()
    # Pelican's address: its slugify transliterates the title with Unidecode's tables.
    assert (dest / "_site/han-shu-diao-yong.html").is_file()
