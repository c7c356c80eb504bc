"""Incremental builds: after any edit, a build that reuses the cache and the previous
output makes exactly the files, byte for byte, that a clean build of the same sources
makes; and it does not render what did not change."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import post_file, write_files

from foldpress import cache, content
from foldpress.build import build
from foldpress.cache import CACHE_DIR
from foldpress.cli import main

SITE_TOML = """\
title = "Incremental"
description = "Edits, rebuilt."
author = "Tester"
base_url = "https://inc.example.com/blog/"
timezone = "Europe/London"
posts_per_page = 2
feed_items = 3
llms_recent_posts = 2
"""


def sample_post(n: int, topics: str, *, fold: bool = True, **front: object) -> str:
    intro = f"Intro {n} with $x^{n}$ and a note.[^a]"
    rest = f"## Part {n}\n\n```python\nprint({n})\n```\n\n| a | b |\n|---|---|\n| {n} | 2 |\n"
    body = f"{intro}\n\n{'<!--more-->' if fold else ''}\n\n{rest}\n[^a]: Note {n}.\n"
    return post_file(f"Post {n}", f"2025-0{n}-1{n} 09:00", body, topics=topics, **front)


FILES = {
    "posts/2025-01-11-p1.md": sample_post(1, "[Python, AI]", series="Basics"),
    "posts/2025-02-12-p2.md": sample_post(2, "[Python]", fold=False),
    "posts/2025-03-13-p3.md": sample_post(3, "[AI, Math]", series="Basics"),
    "posts/2025-04-14-p4.md": sample_post(
        4,
        "[Math]",
        summary='"Four, summed up."',
        fold=False,
        aliases="[/old/p4/, /p4.html]",
        mood="calm",
    ),
    "posts/2025-05-15-p5.md": sample_post(5, "[Python, Tools]", series="Basics"),
    "posts/2025-06-16-draft.md": sample_post(6, "[Python]", draft="true"),
    "pages/about.md": "---\ntitle: About\n---\n\nAbout [this blog](/).\n",
    "static/images/logo.svg": "<svg/>\n",
}


@pytest.fixture
def site(make_site) -> Path:
    return make_site(FILES, site_toml=SITE_TOML)


def files_of(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


def clean_build(site: Path, where: Path, **options: object) -> dict[str, bytes]:
    """Build a copy of ``site`` without its cache or output, and return its files."""
    if where.exists():
        shutil.rmtree(where)
    shutil.copytree(site, where, ignore=shutil.ignore_patterns(CACHE_DIR, "_site"))
    build(where, **options)
    return files_of(where / "_site")


def assert_same_as_clean(site: Path, tmp_path: Path, **options: object):
    """Build ``site`` incrementally; check it against a clean build; return the result."""
    result = build(site, **options)
    built, clean = files_of(site / "_site"), clean_build(site, tmp_path / "clean", **options)
    assert sorted(built) == sorted(clean)
    assert [name for name in clean if built[name] != clean[name]] == []
    return result


def edit(site: Path, name: str, old: str, new: str) -> None:
    path = site / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


TEMPLATE = """\
{% extends "base.html" %}
{% block main %}
<h1>{{ post.title }}</h1>
<p class="count">One of {{ index.posts|length }}; newest: {{ index.posts[0].title }}</p>
<p class="mood">{{ post.extra.get("mood", "") }}</p>
{{ post.body_html|safe }}
{% endblock %}
"""

MATHJAX_POST = post_file(
    "TeX",
    "2025-08-02",
    "Inline \\(a*b*c\\), escaped $\\left\\\\{ x \\right\\\\}$, money $5 and $10.\n\n"
    "\\begin{align}\na &= b \\\\\nc &= d\n\\end{align}\n",
    topics="[Math]",
)

EDITS: dict[str, Callable[[Path], object]] = {
    "body below the fold": lambda s: edit(s, "posts/2025-05-15-p5.md", "print(5)", "print(55)"),
    "body above the fold": lambda s: edit(s, "posts/2025-03-13-p3.md", "Intro 3", "Opening 3"),
    "body of a post without fold": lambda s: edit(s, "posts/2025-02-12-p2.md", "Note 2", "N2"),
    "title": lambda s: edit(s, "posts/2025-03-13-p3.md", '"Post 3"', '"Post three <&>"'),
    "topics": lambda s: edit(s, "posts/2025-01-11-p1.md", "[Python, AI]", "[Rust]"),
    "date": lambda s: edit(s, "posts/2025-01-11-p1.md", "2025-01-11", "2025-07-01"),
    "summary": lambda s: edit(s, "posts/2025-04-14-p4.md", "Four, summed", "Four, put"),
    "add a post": lambda s: write_files(
        s, {"posts/2025-08-01-new.md": sample_post(8, "[New, AI]")}
    ),
    "delete a post": lambda s: (s / "posts/2025-03-13-p3.md").unlink(),
    "rename a topic by majority": lambda s: write_files(
        s,
        {f"posts/2025-0{n}-02-lower{n}.md": sample_post(n, "[python]") for n in (7, 8, 9)},
    ),
    "join a series": lambda s: edit(s, "posts/2025-02-12-p2.md", "date:", "series: Basics\ndate:"),
    "reorder a series": lambda s: edit(
        s, "posts/2025-05-15-p5.md", "series: Basics", "series: Basics\nseries_part: 1"
    ),
    "leave a series": lambda s: edit(s, "posts/2025-01-11-p1.md", "series: Basics", ""),
    "old address": lambda s: edit(s, "posts/2025-04-14-p4.md", "/old/p4/", "/older/p4/"),
    "redirect_from added": lambda s: edit(
        s, "posts/2025-02-12-p2.md", "topics:", "redirect_from: /two.html\ntopics:"
    ),
    "extra": lambda s: edit(s, "posts/2025-04-14-p4.md", "mood: calm", "mood: tense"),
    "permalink": lambda s: edit(
        s,
        "site.toml",
        "posts_per_page = 2",
        'posts_per_page = 2\npermalink = "/{year}/{day}/{slug}/"',
    ),
    "page title": lambda s: edit(s, "pages/about.md", "title: About", "title: About me"),
    "template": lambda s: write_files(s, {"templates/post.html": TEMPLATE}),
    "site.toml": lambda s: edit(s, "site.toml", 'title = "Incremental"', 'title = "Renamed"'),
    "static file": lambda s: write_files(s, {"static/images/logo.svg": "<svg><g/></svg>\n"}),
    "MathJax-era math": lambda s: write_files(s, {"posts/2025-08-02-tex.md": MATHJAX_POST}),
    "math settings": lambda s: (
        write_files(s, {"posts/2025-08-03-broken.md": post_file("B", "2025-08-03", "$x^$\n")}),
        edit(
            s,
            "site.toml",
            "feed_items = 3",
            'feed_items = 3\nmath_paren = false\nmath_errors = "warn"',
        ),
    ),
    "nothing": lambda s: None,
}


def _static_file_becomes_a_page(site: Path) -> None:
    (site / "static/docs").unlink()
    write_files(site, {"pages/docs.md": "---\ntitle: Docs\n---\n\nThe docs.\n"})


def _page_becomes_a_static_file(site: Path) -> None:
    (site / "pages/about.md").unlink()
    write_files(site, {"static/about": "plain text at /about\n"})


# A file of the previous build where this build puts a folder, and the other way round.
KIND_CHANGES: dict[str, tuple[dict[str, str], Callable[[Path], None]]] = {
    "static file -> page folder": ({"static/docs": "docs\n"}, _static_file_becomes_a_page),
    "page folder -> static file": ({}, _page_becomes_a_static_file),
}


@pytest.mark.parametrize("change", list(KIND_CHANGES))
def test_an_output_that_changes_between_file_and_folder(site, tmp_path, change):
    before, change_site = KIND_CHANGES[change]
    write_files(site, before)
    build(site)
    build(site)  # the spare (the site two builds ago) has the old kind too
    change_site(site)
    assert_same_as_clean(site, tmp_path)
    assert_same_as_clean(site, tmp_path)


@pytest.mark.parametrize("change", list(EDITS))
def test_one_edit_rebuilds_to_what_a_clean_build_makes(site, tmp_path, change):
    build(site)
    EDITS[change](site)
    assert_same_as_clean(site, tmp_path)


def test_a_series_of_edits_matches_a_clean_build_after_each(site, tmp_path):
    # Several builds in a row, so that the spare site from two builds ago is reused too;
    # the custom template comes early so that later edits run with it.
    build(site)
    order = ["template", *[name for name in EDITS if name != "template"]]
    for change in order:
        EDITS[change](site)
        assert_same_as_clean(site, tmp_path)
    # A post added while the site's own template is in use.
    write_files(site, {"posts/2025-09-09-late.md": sample_post(9, "[Python]")})
    assert_same_as_clean(site, tmp_path)
    shutil.rmtree(site / "templates")
    assert_same_as_clean(site, tmp_path)


def test_unchanged_posts_are_not_rendered_again(site, monkeypatch):
    first = build(site)
    assert (first.rendered, first.cached) == (7, 0)  # 6 posts (a draft) and a page
    calls = []
    render = content.render_markdown
    monkeypatch.setattr(
        content, "render_markdown", lambda *a, **k: calls.append(a[1]) or render(*a, **k)
    )
    again = build(site)
    assert (again.rendered, again.cached, again.written) == (0, 7, 0)
    assert again.reused == again.files and calls == []

    out = site / "_site"
    pages = ["2025/05/p5/index.html", "2025/04/p4/index.html", "index.html", "about/index.html"]
    before = {page: (out / page).stat().st_ino for page in pages}
    edit(site, "posts/2025-05-15-p5.md", "print(5)", "print(55)")
    edited = build(site)
    assert (edited.rendered, edited.cached) == (1, 6)
    assert len(calls) == 1 and "print(55)" in calls[0]
    # Its page is made again; its neighbour's shows its title and link, the front
    # page its intro, the about page neither: all three are linked as they were.
    assert 0 < edited.written < edited.files // 2
    after = {page: (out / page).stat().st_ino for page in pages}
    assert [page for page in pages if after[page] != before[page]] == [pages[0]]


def test_a_title_edit_in_a_series_updates_its_neighbours_and_the_series_page(site, tmp_path):
    build(site)
    neighbours = [site / "_site/2025/01/p1/index.html", site / "_site/2025/05/p5/index.html"]
    front = site / "_site/index.html"  # p5 and p4: no link to p3
    before = front.stat().st_ino
    edit(site, "posts/2025-03-13-p3.md", '"Post 3"', '"Part two, renamed"')
    assert_same_as_clean(site, tmp_path)
    for page in [*neighbours, site / "_site/series/basics/index.html"]:
        assert "Part two, renamed" in page.read_text(encoding="utf-8"), page
    assert front.stat().st_ino == before


def test_listings_are_rewritten_only_when_an_intro_they_show_changes(site):
    build(site)
    front = site / "_site/index.html"
    before = front.stat().st_ino
    edit(site, "posts/2025-05-15-p5.md", "print(5)", "print(55)")  # below the fold
    build(site)
    assert front.stat().st_ino == before  # the same file, linked
    edit(site, "posts/2025-05-15-p5.md", "Intro 5", "Opening 5")
    build(site)
    assert front.stat().st_ino != before
    assert "Opening 5" in front.read_text(encoding="utf-8")


@pytest.mark.parametrize("damage", [b"", b"not msgpack", b"\x80\x05garbage", b"\x93\x01\x02"])
def test_a_damaged_cache_is_ignored_with_one_warning(site, tmp_path, damage):
    build(site)
    (site / CACHE_DIR / "build.msgpack").write_bytes(damage)
    result = assert_same_as_clean(site, tmp_path)
    assert result.rendered == 7 and result.cached == 0
    [warning] = result.warnings
    assert warning.path == site / CACHE_DIR / "build.msgpack"
    assert "build cache ignored and rebuilt" in warning.message
    assert build(site).warnings == []  # the new cache is good


class _CreatesAFile:
    """Unpickling this runs ``open(path, "w")``: what a crafted cache would do."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def test_a_crafted_pickle_in_the_cache_runs_nothing(site, tmp_path):
    import pickle

    marker = tmp_path / "pwned"
    payload = pickle.dumps(_CreatesAFile(marker))
    cache = site / CACHE_DIR
    cache.mkdir()
    for name in ("build.pickle", "build.msgpack"):  # the old cache's name and the new one's
        (cache / name).write_bytes(payload)
    result = build(site)
    assert not marker.exists()
    assert result.rendered == 7
    assert [w.path.name for w in result.warnings] == ["build.msgpack"]
    assert not (cache / "build.pickle").exists()  # an old cache is removed, never read


def test_the_cache_is_the_same_however_the_site_folder_is_spelled(site, monkeypatch):
    build(site)
    monkeypatch.chdir(site)
    result = build(Path("."))
    assert (result.rendered, result.cached, result.written) == (0, 7, 0)
    monkeypatch.chdir(site.parent)
    result = build(Path(site.name))
    assert (result.rendered, result.cached, result.written) == (0, 7, 0)


def test_a_change_to_foldpress_itself_renders_everything_again(site, monkeypatch):
    build(site)
    monkeypatch.setattr(cache, "engine_version", lambda: b"another engine")
    result = build(site)
    assert result.rendered == 7 and result.reused == 0
    assert result.warnings == []  # an outdated cache is no problem to warn about


def test_the_engine_version_covers_foldpress_code_and_templates(tmp_path):
    package = tmp_path / "foldpress"
    shutil.copytree(Path(cache.__file__).parent, package)
    before = cache.code_digest(package)
    for name in ("markdown_html.py", "themes/default/templates/base.html"):
        with (package / name).open("a") as f:
            f.write("\n")
        assert cache.code_digest(package) != before
        before = cache.code_digest(package)


def test_a_deleted_cache_or_output_is_rebuilt(site, tmp_path):
    build(site)
    shutil.rmtree(site / CACHE_DIR)
    assert assert_same_as_clean(site, tmp_path).cached == 0
    shutil.rmtree(site / "_site")
    assert assert_same_as_clean(site, tmp_path).written > 0


def test_an_output_file_edited_by_hand_is_made_again(site, tmp_path):
    build(site)
    page = site / "_site/2025/05/p5/index.html"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("Post 5", "Post X"), encoding="utf-8")  # same size
    extra = site / "_site/extra.html"
    extra.write_text("by hand")
    assert_same_as_clean(site, tmp_path)
    assert not extra.exists()


def test_drafts_toggled_on_and_off(site, tmp_path):
    build(site)
    with_drafts = assert_same_as_clean(site, tmp_path, drafts=True)
    assert with_drafts.posts == 6
    assert (site / "_site/2025/06/draft/index.html").exists()
    without = assert_same_as_clean(site, tmp_path)
    assert without.posts == 5 and without.rendered == 0
    assert not (site / "_site/2025/06/draft").exists()


def test_a_failed_build_keeps_the_site_and_the_next_good_build_is_complete(site, tmp_path):
    build(site)
    before = files_of(site / "_site")
    edit(site, "posts/2025-05-15-p5.md", "title:", "titel:")
    with pytest.raises(Exception, match="missing 'title'"):
        build(site)
    assert files_of(site / "_site") == before
    edit(site, "posts/2025-05-15-p5.md", "titel:", "title:")
    edit(site, "posts/2025-03-13-p3.md", "Intro 3", "Opening 3")
    assert_same_as_clean(site, tmp_path)


def test_the_cli_reports_what_was_rendered_and_reused(site):
    runner = CliRunner()
    first = runner.invoke(main, ["build", str(site)])
    assert first.exit_code == 0, first.output
    assert "7 rendered, 0 from the cache" in first.output
    second = runner.invoke(main, ["build", str(site)])
    assert "0 rendered, 7 from the cache; 0 files written" in second.output
    quiet = runner.invoke(main, ["build", "--quiet", str(site)])
    assert quiet.exit_code == 0 and quiet.output == ""
