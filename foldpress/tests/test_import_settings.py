"""Settings read where each engine keeps them: Hugo's config directory
(``config/_default/`` then ``config/production/``, one file per key, languages and
menus), Jekyll's ``url`` + ``baseurl``, Pelican's ``publishconf.py``; a multilingual
Hugo site brings its default language; the new navigation shows the old menu's pages.
Fixtures follow Hugo's "Configuration directory", "Multilingual" and "Menus" docs,
Jekyll's configuration docs and minima's ``header_pages``, and Pelican's settings."""

from __future__ import annotations

import csv
import tomllib
from pathlib import Path

from click.testing import CliRunner
from conftest import soup, write_tree

from foldpress.build import build
from foldpress.cli import main


def import_(tmp_path: Path, files: dict[str, str]):
    src = write_tree(tmp_path / "old", files)
    result = CliRunner().invoke(main, ["import", str(src), str(tmp_path / "new")])
    assert result.exit_code == 0, result.output
    return src, tmp_path / "new", result


def settings(dest: Path) -> dict:
    return tomllib.loads((dest / "site.toml").read_text(encoding="utf-8"))


def nav_of(page) -> list[str]:
    return [a.get_text() for a in page.find("nav").find_all("a")]


HUGO_DIR = {
    "config/_default/hugo.toml": (
        'baseURL = "http://localhost:1313/"\ntitle = "Default title"\n'
        'defaultContentLanguage = "en"\ntimeZone = "Europe/Paris"\n'
    ),
    "config/_default/params.toml": 'description = "Notes on things"\n',
    "config/_default/languages.en.toml": 'title = "Notes"\nweight = 1\n',
    "config/_default/languages.fr.toml": 'title = "Carnet"\nweight = 2\n',
    "config/_default/menus.en.toml": (
        '[[main]]\nname = "About"\npageRef = "/about"\nweight = 1\n'
        '[[main]]\nname = "Posts"\npageRef = "/posts"\nweight = 2\n'
    ),
    "config/production/hugo.toml": 'baseURL = "https://notes.example.org/"\n',
    "content/about.md": "---\ntitle: About\n---\nWho.\n",
    "content/about.fr.md": "---\ntitle: À propos\n---\nQui.\n",
    "content/contact.md": "---\ntitle: Contact\n---\nMail.\n",
    "content/posts/hello.md": "---\ntitle: Hello\ndate: 2024-02-03T10:00:00+01:00\n---\nHi.\n",
    "content/posts/hello.fr.md": "---\ntitle: Bonjour\ndate: 2024-02-03T10:00:00+01:00\n---\n",
}


def test_hugo_config_directory_languages_and_menus(tmp_path):
    _, dest, result = import_(tmp_path, HUGO_DIR)
    toml = settings(dest)
    assert toml["base_url"] == "https://notes.example.org/"  # production's
    assert toml["title"] == "Notes"  # the default language's own title
    assert toml["description"] == "Notes on things"
    assert toml["timezone"] == "Europe/Paris"
    assert "a multilingual site: en imported, not fr" in result.stderr
    with (dest / "import-ledger.csv").open(encoding="utf-8", newline="") as file:
        rows = {row["source"]: row for row in csv.DictReader(file)}
    assert rows["content/about.fr.md"]["outcome"] == "skipped"
    assert "only en, the default language" in rows["content/posts/hello.fr.md"]["why"]
    assert rows["config/_default/menus.en.toml"]["outcome"] == "ignored"
    build(dest)
    page = soup(dest / "_site/posts/hello/index.html")
    assert page.find("link", rel="canonical")["href"] == "https://notes.example.org/posts/hello/"
    nav = nav_of(page)
    assert "About" in nav and "Contact" not in nav  # the menu's pages, no others
    assert (dest / "_site/contact/index.html").is_file()  # still published


def test_a_hugo_page_in_the_menu_by_its_front_matter_is_in_the_navigation(tmp_path):
    _, dest, _ = import_(
        tmp_path,
        {
            "hugo.yaml": "title: H\nbaseURL: https://h.example.org/\n",
            "content/about.md": "---\ntitle: About\nmenu: main\n---\nA.\n",
            "content/colophon.md": "---\ntitle: Colophon\nmenu:\n  main:\n    weight: 2\n---\nC.\n",
            "content/imprint.md": "---\ntitle: Imprint\n---\nI.\n",
        },
    )
    build(dest)
    nav = nav_of(soup(dest / "_site/index.html"))
    assert "About" in nav and "Colophon" in nav and "Imprint" not in nav


def test_jekyll_url_and_baseurl_make_the_absolute_url_and_header_pages_the_menu(tmp_path):
    _, dest, _ = import_(
        tmp_path,
        {
            "_config.yml": (
                "title: J\nurl: https://someone.github.io\nbaseurl: /blog\n"
                "header_pages:\n  - about.md\n"
            ),
            "_posts/2020-05-06-first.md": "---\ntitle: First\n---\nF.\n",
            "about.md": "---\ntitle: About\n---\nA.\n",
            "uses.md": "---\ntitle: Uses\n---\nU.\n",
        },
    )
    assert settings(dest)["base_url"] == "https://someone.github.io/blog/"
    build(dest)
    page = soup(dest / "_site/2020/05/06/first.html")
    assert page.find("link", rel="canonical")["href"].startswith("https://someone.github.io/blog/")
    assert "About" in nav_of(page) and "Uses" not in nav_of(page)


def test_pelican_site_url_from_publishconf_and_hidden_pages_off_the_menu(tmp_path):
    _, dest, _ = import_(
        tmp_path,
        {
            "pelicanconf.py": "SITENAME = 'P'\nSITEURL = ''\n",
            "publishconf.py": "from pelicanconf import *\nSITEURL = 'https://p.example.net'\n",
            "content/a.md": "Title: A\nDate: 2020-01-01\n\nA.\n",
            "content/pages/about.md": "Title: About\n\nAbout.\n",
            "content/pages/thanks.md": "Title: Thanks\nStatus: hidden\n\nThanks.\n",
        },
    )
    assert settings(dest)["base_url"] == "https://p.example.net/"
    build(dest)
    nav = nav_of(soup(dest / "_site/index.html"))
    assert "About" in nav and "Thanks" not in nav
    assert (dest / "_site/pages/thanks.html").is_file()
