"""Bad input: every kind is reported as path:line: message, the build exits non-zero,
every error of a run is reported together, and the previous output stays untouched."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SITE_TOML, post_file, write_files

from foldpress.cli import main

GOOD = {"posts/2025-01-05-good.md": post_file("Good", "2025-01-05", "Fine $x$.\n")}

# (id, files to add, file the error names, its line, part of the message)
CASES = [
    (
        "yaml",
        {"posts/p.md": "---\ntitle: Fine\ndate: [2025\n---\n"},
        "posts/p.md",
        4,
        "bad front matter YAML",
    ),
    ("no-front-matter", {"posts/p.md": "Just text.\n"}, "posts/p.md", 1, "no front matter"),
    (
        "unclosed",
        {"posts/p.md": "---\ntitle: T\ndate: 2025-01-01\n"},
        "posts/p.md",
        1,
        "never closed",
    ),
    ("not-a-mapping", {"posts/p.md": "---\n- a\n- b\n---\n"}, "posts/p.md", 2, "'key: value'"),
    (
        "missing-title",
        {"posts/p.md": "---\ndate: 2025-01-01\n---\n"},
        "posts/p.md",
        1,
        "missing 'title'",
    ),
    ("missing-date", {"posts/p.md": "---\ntitle: T\n---\n"}, "posts/p.md", 1, "missing 'date'"),
    (
        "empty-title",
        {"posts/p.md": "---\ntitle:\ndate: 2025-01-01\n---\n"},
        "posts/p.md",
        2,
        "'title' is empty",
    ),
    (
        "bad-date",
        {"posts/p.md": post_file("T", "next tuesday")},
        "posts/p.md",
        3,
        "bad date 'next tuesday'",
    ),
    (
        "impossible-date",
        {"posts/p.md": post_file("T", "2025-02-30")},
        "posts/p.md",
        3,
        "bad value for 'date'",
    ),
    (
        "title-type",
        {"posts/p.md": "---\ntitle: [a, b]\ndate: 2025-01-01\n---\n"},
        "posts/p.md",
        2,
        "'title' must be text",
    ),
    (
        "draft-type",
        {"posts/p.md": post_file("T", "2025-01-01", draft="maybe")},
        "posts/p.md",
        4,
        "'draft' must be true or false",
    ),
    (
        "topics-type",
        {"posts/p.md": post_file("T", "2025-01-01", topics="{a: 1}")},
        "posts/p.md",
        4,
        "'topics' must be a list",
    ),
    (
        "unknown-key-strict",
        {
            "site.toml": SITE_TOML + "strict = true\n",
            "posts/p.md": post_file("T", "2025-01-01", tpoics="[A]"),
        },
        "posts/p.md",
        4,
        "unknown front matter key 'tpoics'; did you mean 'topics'?",
    ),
    (
        "url-clash",
        {"posts/p.md": post_file("T", "2025-01-01", url="/2025/01/good/")},
        "posts/p.md",
        4,
        "URL /2025/01/good/ is already used by ",
    ),
    (
        "alias-clash",
        {"pages/old.md": "---\ntitle: Old\nredirect_from: [/2025/01/good]\n---\n"},
        "pages/old.md",
        3,
        "old address /2025/01/good/ is already used by ",
    ),
    (
        "alias-full-url",
        {"posts/p.md": post_file("T", "2025-01-01", aliases="[https://x.example/a/]")},
        "posts/p.md",
        4,
        "not a full URL",
    ),
    (
        "alias-reserved",
        {"posts/p.md": post_file("T", "2025-01-01", aliases="[/feed/]")},
        "posts/p.md",
        4,
        "used by the site itself",
    ),
    (
        "alias-over-static",
        {
            "static/old/index.html": "<p>kept</p>",
            "posts/p.md": post_file("T", "2025-01-01", aliases="[/old/]"),
        },
        "posts/p.md",
        None,
        "output /old/index.html is also written by",
    ),
    (
        "toml-permalink",
        {"site.toml": SITE_TOML + 'permalink = "/{year}/{title}/"\n'},
        "site.toml",
        7,
        "not {title}",
    ),
    (
        "duplicate-key",
        {"posts/p.md": "---\ntitle: A\ndate: 2025-01-01\ntitle: B\n---\n"},
        "posts/p.md",
        4,
        "'title' given twice",
    ),
    (
        "duplicate-url",
        {"posts/2025-01-06-good.md": post_file("Other", "2025-01-06")},
        "posts/2025-01-06-good.md",
        2,
        "URL /2025/01/good/ is already used by ",
    ),
    (
        "slug-escapes",
        {"posts/p.md": post_file("T", "2025-01-01", slug="../../etc")},
        "posts/p.md",
        4,
        "would escape the output folder",
    ),
    (
        "empty-slug",
        {"posts/p.md": post_file("T", "2025-01-01", slug="'!!!'")},
        "posts/p.md",
        4,
        "no letters or digits",
    ),
    (
        "bad-topic",
        {"posts/p.md": post_file("T", "2025-01-01", topics="['???']")},
        "posts/p.md",
        4,
        "has no letters or digits",
    ),
    (
        "latex-inline",
        {"posts/p.md": post_file("T", "2025-01-01", "Ok.\n\nBad $x^$ here.\n")},
        "posts/p.md",
        8,
        "broken LaTeX in $x^$",
    ),
    (
        "latex-display",
        {"posts/p.md": post_file("T", "2025-01-01", "$$\n\\frac{1}{\n$$\n")},
        "posts/p.md",
        6,
        "broken LaTeX",
    ),
    (
        "latex-summary",
        {"posts/p.md": post_file("T", "2025-01-01", summary="'$\\left( x$'")},
        "posts/p.md",
        4,
        "\\left without a matching \\right",
    ),
    (
        "latex-unknown",
        {"posts/p.md": post_file("T", "2025-01-01", "$\\alpah$\n")},
        "posts/p.md",
        6,
        "unknown LaTeX command \\alpah",
    ),
    (
        "not-utf8",
        {"posts/p.md": b"---\ntitle: T\ndate: 2025-01-01\n---\n\ncaf\xe9\n"},
        "posts/p.md",
        6,
        "not UTF-8",
    ),
    ("toml-syntax", {"site.toml": 'title = "T"\nposts_per_page = \n'}, "site.toml", 2, "bad TOML"),
    (
        "toml-unknown",
        {"site.toml": SITE_TOML + 'colour = "red"\n'},
        "site.toml",
        7,
        "unknown setting 'colour'",
    ),
    ("toml-type", {"site.toml": "title = 5\n"}, "site.toml", 1, "'title' must be a string"),
    (
        "toml-timezone",
        {"site.toml": 'timezone = "Mars/Olympus"\n'},
        "site.toml",
        1,
        "unknown timezone",
    ),
    (
        "page-reserved",
        {"pages/topics.md": "---\ntitle: Topics\n---\n"},
        "pages/topics.md",
        2,
        "used by the site itself",
    ),
    ("page-no-title", {"pages/x.md": "---\nslug: x\n---\n"}, "pages/x.md", 1, "missing 'title'"),
    (
        "template-syntax",
        {"templates/post.html": "{% extends 'base.html' %}\n{% block main %}\n"},
        "templates/post.html",
        2,
        "template",
    ),
]


def run_build(site: Path, out: Path, *args: str):
    return CliRunner().invoke(main, ["build", str(site), "-o", str(out), *args])


def snapshot(folder: Path) -> dict[Path, bytes]:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def built(make_site, tmp_path):
    """A good site already built to tmp_path/out."""
    site = make_site(GOOD)
    out = tmp_path / "out"
    assert run_build(site, out).exit_code == 0
    return site, out, snapshot(out)


@pytest.mark.parametrize(
    ("files", "where", "line", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_is_reported_and_the_old_site_kept(built, tmp_path, files, where, line, message):
    site, out, before = built
    write_files(site, files)
    result = run_build(site, out)
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    expected = f"{site / where}:{line}: " if line else f"{site / where}: "
    assert any(row.startswith(expected) and message in row for row in lines), result.stderr
    assert len(lines) == 2, "one mistake, one error (and the closing line)"
    if "already used by" in message:  # a clash names both files
        assert str(site / "posts/2025-01-05-good.md") in result.stderr
    assert "build failed" in lines[-1]
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "site"]


def test_kinds_of_bad_input_tested():
    assert len(CASES) >= 15


def test_unreadable_file(built):
    site, out, before = built
    (site / "posts/gone.md").symlink_to(site / "nowhere.md")
    result = run_build(site, out)
    assert result.exit_code == 1
    assert f"{site / 'posts/gone.md'}: cannot read file" in result.stderr
    assert snapshot(out) == before


def test_static_file_clashing_with_a_page(built):
    site, out, before = built
    write_files(site, {"static/index.html": "<p>mine</p>"})
    result = run_build(site, out)
    assert result.exit_code == 1
    assert (
        f"{site / 'static/index.html'}: output /index.html is also written by foldpress itself"
        in result.stderr
    )
    assert snapshot(out) == before


def test_every_error_of_a_run_is_reported_at_once(built):
    site, out, before = built
    write_files(
        site,
        {
            "site.toml": SITE_TOML + "colour = 1\n",
            "posts/a.md": post_file("A", "someday"),
            "posts/b.md": post_file("B", "2025-01-01", "$x^$\n", published="maybe"),
        },
    )
    result = run_build(site, out)
    assert result.exit_code == 1
    errors = result.stderr.splitlines()[:-1]
    assert [e.split(": ")[0] for e in errors] == [
        f"{site}/posts/a.md:3",
        f"{site}/posts/b.md:4",
        f"{site}/posts/b.md:7",
        f"{site}/site.toml:7",
    ]
    assert snapshot(out) == before


@pytest.mark.parametrize("generated", ["llms.txt", "sitemap.xml", "feed/atom.xml", "404.html"])
def test_a_static_file_at_a_generated_address_is_an_error_not_a_toss_up(built, generated):
    site, out, before = built
    write_files(site, {f"static/{generated}": "mine\n"})
    for _ in range(2):  # the same answer every build
        result = run_build(site, out)
        assert result.exit_code == 1
        mine = site / "static" / generated
        assert f"{mine}: output /{generated} clashes with foldpress's own" in result.stderr or (
            f"{mine}: output /{generated} is also written by foldpress itself" in result.stderr
        )
        assert snapshot(out) == before


def test_a_static_file_where_a_page_needs_a_folder(built):
    site, out, before = built
    page = "---\ntitle: About\n---\n\nAbout.\n"
    write_files(site, {"static/about": "a file named about\n", "pages/about.md": page})
    result = run_build(site, out)
    assert result.exit_code == 1
    # Both sources are named.
    [error] = [line for line in result.stderr.splitlines() if "output" in line]
    assert error.startswith(f"{site / 'static/about'}: output /about is in the way of ")
    assert error.endswith(f"/about/index.html, written by {site / 'pages/about.md'}")
    assert snapshot(out) == before


def test_a_static_file_inside_a_post_folder(built):
    site, out, before = built
    write_files(site, {"static/2025/01/good/index.html": "<p>mine</p>\n"})
    result = run_build(site, out)
    assert result.exit_code == 1
    assert (
        f"{site / 'static/2025/01/good/index.html'}: output /2025/01/good/index.html is also "
        f"written by {site / 'posts/2025-01-05-good.md'}"
    ) in result.stderr
    assert snapshot(out) == before


def test_static_links_that_leave_the_site_are_not_published(built, tmp_path):
    site, out, _ = built
    secret = tmp_path / "secret.txt"
    secret.write_text("private\n")
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "key").write_text("private\n")
    (site / "assets").mkdir()
    (site / "assets" / "logo.svg").write_text("<svg/>\n")
    (site / "static").mkdir(exist_ok=True)
    (site / "static" / "secret.txt").symlink_to(secret)
    (site / "static" / "private").symlink_to(tmp_path / "private")
    (site / "static" / "dangling").symlink_to(tmp_path / "nothing")
    (site / "static" / "logo.svg").symlink_to(site / "assets" / "logo.svg")  # inside: fine
    (site / "static" / "loop").symlink_to(site / "static")
    result = run_build(site, out)
    assert result.exit_code == 0, result.stderr
    assert (out / "logo.svg").read_text() == "<svg/>\n"
    assert not (out / "secret.txt").exists() and not (out / "private").exists()
    assert not (out / "dangling").exists()
    assert "private" not in "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    warnings = sorted(line for line in result.stderr.splitlines() if ": warning: " in line)
    assert warnings == [
        f"{site / 'static/dangling'}: warning: not published: a symbolic link to nowhere",
        f"{site / 'static/private'}: warning: not published: a symbolic link to outside the "
        "site folder",
        f"{site / 'static/secret.txt'}: warning: not published: a symbolic link to outside the "
        "site folder",
    ]
