"""Content written for Hugo, Jekyll and Pelican builds as it is: their file names, front
matter keys and dates, addresses set in front matter, and redirects from old addresses."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from conftest import SITE_TOML, soup, write_files

from foldpress.build import build
from foldpress.cli import main
from foldpress.config import SiteConfig
from foldpress.reader import read_post

# A Hugo post (https://gohugo.io/content-management/front-matter/), with a custom
# taxonomy and keys foldpress does not use.
HUGO_POST = """\
---
title: "Spring cleaning"
date: 2015-05-21T11:00:00+02:00
lastmod: 2015-06-01
description: "What went, what stayed."
tags: [housekeeping, Python]
categories: [Life]
url: /blog/spring-cleaning/
aliases:
  - /posts/spring-cleaning/
  - /2015/05/21/spring-cleaning.html
layout: wide
comments: true
series: [Chores]
---

Out with the old.
"""

# A Jekyll post (https://jekyllrb.com/docs/posts/): the date in the file name only.
JEKYLL_POST = """\
---
layout: post
title:  "Welcome to Jekyll!"
categories: jekyll update
redirect_from: /jekyll/update/welcome.html
published: true
---

You'll find this post in your `_posts` directory.
"""

HIDDEN_POST = """\
---
title: Not yet
date: 2015-05-22 11:00:00
published: false
---

Draft.
"""

JEKYLL_PAGE = """\
---
layout: page
title: About
permalink: /about.html
---

About me.
"""

TYPO_POST = """\
---
title: "Typo"
date: 2015-07-01
tpoics: [Python]
---

Hello.
"""

TEMPLATE = """\
{% extends "base.html" %}
{% block main %}
<h1>{{ post.title }}</h1>
<p class="layout">{{ post.extra.get("layout", "-") }}</p>
<p class="series">{{ post.series }}</p>
{{ post.body_html|safe }}
{% endblock %}
"""


@pytest.fixture
def site(make_site) -> Path:
    return make_site(
        {
            "posts/spring-cleaning.md": HUGO_POST,
            "posts/2014-11-20-welcome-to-jekyll.markdown": JEKYLL_POST,
            "posts/2015-05-22-hidden.mdown": HIDDEN_POST,
            "pages/about.md": JEKYLL_PAGE,
            "templates/post.html": TEMPLATE,
        }
    )


def test_other_engines_posts_build_as_they_are(site):
    result = build(site)
    out = site / "_site"
    assert result.posts == 2 and result.pages == 1  # the unpublished one left out
    hugo = soup(out / "blog/spring-cleaning/index.html")
    assert hugo.select_one("p.layout").text == "wide"
    assert hugo.select_one("p.series").text == "Chores"  # Hugo's series taxonomy, a series
    assert "Out with the old." in hugo.text
    jekyll = soup(out / "2014/11/welcome-to-jekyll/index.html")
    assert jekyll.select_one("h1").text == "Welcome to Jekyll!"
    assert (out / "about.html").is_file() and (out / "about.html.md").is_file()
    assert not (out / "2015/05/hidden").exists()
    topics = {p.parent.name for p in (out / "topics").glob("*/index.html")}
    assert topics == {"housekeeping", "python", "life", "jekyll", "update"}
    front = soup(out / "index.html")
    assert "What went, what stayed." in front.text  # description is the summary
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert "https://blog.example.com/about.html<" in sitemap
    assert "2015-06-01T00:00:00+01:00" in sitemap  # lastmod, in the site's timezone


def test_every_old_address_redirects_without_javascript(site):
    build(site)
    out = site / "_site"
    olds = {
        "posts/spring-cleaning/index.html": "https://blog.example.com/blog/spring-cleaning/",
        "2015/05/21/spring-cleaning.html": "https://blog.example.com/blog/spring-cleaning/",
        "jekyll/update/welcome.html": "https://blog.example.com/2014/11/welcome-to-jekyll/",
    }
    for old, new in olds.items():
        page = soup(out / old)
        assert page.find("link", rel="canonical")["href"] == new
        refresh = page.find("meta", attrs={"http-equiv": "refresh"})["content"]
        assert refresh == f"0; url={new}"
        assert page.find("a")["href"] == new
        assert page.find("script") is None
        assert (out / new.removeprefix("https://blog.example.com/") / "index.html").is_file()
    assert (out / "_redirects").read_text(encoding="utf-8").splitlines() == [
        "/2015/05/21/spring-cleaning.html /blog/spring-cleaning/ 301",
        "/jekyll/update/welcome.html /2014/11/welcome-to-jekyll/ 301",
        "/posts/spring-cleaning/ /blog/spring-cleaning/ 301",
    ]


def test_a_likely_typo_warns_with_its_line_every_build(make_site):
    site = make_site({"posts/typo.md": TYPO_POST})
    runner = CliRunner()
    expected = f"{site / 'posts/typo.md'}:4: warning: unknown front matter key 'tpoics'"
    for run in ("first", "cached"):
        result = runner.invoke(main, ["build", str(site)])
        assert result.exit_code == 0, result.output
        assert expected in result.stderr, run
        assert "did you mean 'topics'?" in result.stderr
    assert "0 rendered, 1 from the cache" in result.stdout


def test_unknown_keys_that_are_no_typos_pass_quietly(site):
    assert build(site).warnings == []


def test_strict_turns_unknown_keys_into_errors(make_site):
    site = make_site({"posts/p.md": HUGO_POST}, site_toml=SITE_TOML + "strict = true\n")
    result = CliRunner().invoke(main, ["build", str(site)])
    assert result.exit_code == 1
    assert f"{site / 'posts/p.md'}:12: unknown front matter key 'layout'" in result.stderr


def test_the_permalink_pattern_sets_every_post_address(make_site):
    site = make_site(
        {"posts/2014-11-20-welcome.markdown": JEKYLL_POST},
        site_toml=SITE_TOML + 'permalink = "/{year}/{month}/{day}/{slug}.html"\n',
    )
    build(site)
    assert (site / "_site/2014/11/20/welcome.html").is_file()
    assert (site / "_site/2014/11/20/welcome.html.md").is_file()


LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("written", "meant"),
    [
        ("2015-05-21 11:00:00", datetime(2015, 5, 21, 11, tzinfo=LONDON)),  # Jekyll, naive
        ("2015-05-21", datetime(2015, 5, 21, tzinfo=LONDON)),
        ("2015-05-21T11:00:00Z", datetime(2015, 5, 21, 12, tzinfo=LONDON)),  # RFC 3339
        ("2015-05-21T11:00:00+02:00", datetime(2015, 5, 21, 10, tzinfo=LONDON)),
        ("2015-05-21 11:00:00 +0200", datetime(2015, 5, 21, 10, tzinfo=LONDON)),  # Jekyll
        ('"2015-05-21 11:00"', datetime(2015, 5, 21, 11, tzinfo=LONDON)),  # Pelican
    ],
)
def test_dates_as_other_engines_write_them(tmp_path, written, meant):
    path = tmp_path / "p.md"
    config = SiteConfig(timezone="Europe/London")
    post, errors = read_post(path, config, f"---\ntitle: T\ndate: {written}\n---\n".encode())
    assert errors == []
    assert post.date == meant


def test_the_file_name_date_is_used_only_without_a_date_key(tmp_path):
    config = SiteConfig(timezone="Europe/London")
    path = tmp_path / "2014-11-20-welcome.md"
    post, _ = read_post(path, config, b"---\ntitle: T\n---\n")
    assert post.date == datetime(2014, 11, 20, tzinfo=LONDON)
    post, _ = read_post(path, config, b"---\ntitle: T\ndate: 2014-12-01 08:00\n---\n")
    assert post.date == datetime(2014, 12, 1, 8, tzinfo=LONDON)


def test_two_claims_on_one_address_name_both_files(make_site):
    other = "---\ntitle: Other\ndate: 2016-01-01\naliases: [/blog/spring-cleaning]\n---\n"
    site = make_site({"posts/spring-cleaning.md": HUGO_POST, "posts/other.md": other})
    result = CliRunner().invoke(main, ["build", str(site)])
    assert result.exit_code == 1
    assert (
        f"{site / 'posts/spring-cleaning.md'}:8: URL /blog/spring-cleaning/ is already used by "
        f"{site / 'posts/other.md'}" in result.stderr
    ) or (
        f"{site / 'posts/other.md'}:4: old address /blog/spring-cleaning/ is already used by "
        f"{site / 'posts/spring-cleaning.md'}" in result.stderr
    )


def test_markdown_files_are_found_by_every_common_suffix(make_site):
    post = "---\ntitle: {0}\ndate: 2020-01-0{1}\n---\n\n{0}.\n"
    files = {
        f"posts/{name}": post.format(name.split(".")[0], i)
        for i, name in enumerate(["a.md", "b.markdown", "c.mdown", "d.MD"], 1)
    }
    write_files(make_site(), {**files, "posts/notes.txt": "not a post"})
    assert build(make_site()).posts == 4


def test_any_yaml_value_is_kept_in_extra_and_cached(make_site):
    # Hugo's page resources and dates, and YAML's rarer kinds (a set, a number as a key).
    post = (
        "---\ntitle: T\ndate: 2020-01-01\nexpiryDate: 2024-01-01\n"
        "resources:\n  - src: a.png\n    params: {1: one}\nmarks: !!set {b, a}\n---\n\nHi.\n"
    )
    template = TEMPLATE.replace(
        '<p class="series">{{ post.series }}</p>',
        '<p class="extra">{{ post.extra.expiryDate }} {{ post.extra.resources[0].params["1"] }}'
        ' {{ post.extra.marks|join(",") }}</p>',
    )
    site = make_site({"posts/p.md": post, "templates/post.html": template})
    for run in ("first", "cached"):
        result = build(site)
        page = soup(site / "_site/2020/01/p/index.html")
        assert page.select_one("p.extra").text == "2024-01-01 one a,b", run
    assert result.cached == 1
