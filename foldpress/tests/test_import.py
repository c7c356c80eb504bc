"""``foldpress import``: small Hugo, Jekyll and Pelican sites (tests/fixtures/, written
from each engine's documentation) imported, then built: every post and page arrives,
every old address answers, every image is published, and what could not be converted
is reported at its line."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from click.testing import CliRunner
from conftest import soup

from foldpress.build import build
from foldpress.cli import main
from foldpress.importers._syntax import kramdown_math, unescape_math

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass
class Expected:
    posts: dict[str, str]  # old address -> title
    pages: dict[str, str]
    redirects: dict[str, str]  # old address that redirected in the old site -> title
    files: list[str]  # static files, at their old addresses
    unconverted: list[str]  # report lines, the path relative to the old site
    skipped: list[str]  # files not imported, relative to the old site
    summary: str
    # What the first build found showing as text: report lines, relative to the new site.
    leftovers: list[str] = field(default_factory=list)
    html: list[tuple[str, str]] = field(default_factory=list)  # (address, CSS selector)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (address, text shown)
    written: list[tuple[str, str]] = field(default_factory=list)  # (file in the new site, text)


EXPECTED = {
    "jekyll": Expected(
        posts={
            "/jekyll/update/2014/11/20/welcome-to-jekyll.html": "Welcome to Jekyll!",
            "/notes/2015/05/21/math-and-links.html": "Math, links and images",
            "/custom/address/": "An address of its own",
        },
        pages={"/about/": "About"},
        redirects={"/old/math-and-links/": "Math, links and images"},
        files=["/assets/images/chart.png", "/assets/files/paper.pdf", "/favicon.png"],
        unconverted=[
            "_posts/2015-05-21-math-and-links.md:29: Liquid tag {% include note.html",
            "_posts/2015-05-21-math-and-links.md:31: Liquid output {{ page.title }} not converted",
        ],
        skipped=["404.html", "_drafts/a-draft-post.md", "index.markdown"],
        summary="3 posts, 1 page, 3 static files, 1 old address redirected; "
        "3 constructs left in place (shown as text on pages), 3 files skipped",
        leftovers=[
            "posts/2015-05-21-math-and-links.md:33: leftover syntax shows on the page as text "
            "(a Liquid or Jinja tag): {% include note.html",
            "posts/2015-05-21-math-and-links.md:35: leftover syntax shows on the page as text "
            "(a template expression): {{ page.title }}.",
            # {% raw %}{{ page.title }}{% endraw %}: meant to show, and shown, and counted
            "posts/2015-05-21-math-and-links.md:38: leftover syntax shows on the page as text "
            "(a template expression): {{ page.title }} to show",
        ],
        html=[
            ("/jekyll/update/2014/11/20/welcome-to-jekyll.html", "pre .nf"),  # highlighted
            ("/notes/2015/05/21/math-and-links.html", "p math:not([display=block])"),
            ("/notes/2015/05/21/math-and-links.html", "math[display=block]"),
            ("/notes/2015/05/21/math-and-links.html", "td math"),
        ],
        texts=[("/notes/2015/05/21/math-and-links.html", "write {{ page.title }} to show")],
        written=[
            ("site.toml", 'math_errors = "warn"'),
            ("posts/2015-05-21-math-and-links.md", "the set $\\left\\{ x \\right\\}$."),
        ],
    ),
    "hugo": Expected(
        posts={
            "/2023/01/my-first-post/": "My First Post",
            "/2023/02/second/": "Second post",
            "/notes/json-note/": "A note in JSON",
        },
        pages={"/about/": "About"},
        redirects={
            "/old/first-post/": "My First Post",
            "/2023/01/15/my-first-post.html": "My First Post",
            "/2023/first/": "My First Post",  # relative to the page's folder, /2023/01/
        },
        files=["/images/sunset.png", "/2023/02/second/cover.png"],
        unconverted=[],  # youtube and gist: foldpress has them
        skipped=["content/_index.md", "content/posts/_index.md"],
        summary="3 posts, 1 page, 2 static files, 3 old addresses redirected; "
        "0 constructs left in place (shown as text on pages), 2 files skipped",
        html=[
            ("/2023/01/my-first-post/", "pre .kd"),
            ("/2023/01/my-first-post/", "figure img[src='/images/sunset.png'] + figcaption"),
            ("/2023/01/my-first-post/", "iframe[src^='https://www.youtube-nocookie.com/embed/0R']"),
            ("/2023/02/second/", "a[href='https://gist.github.com/spf13/7896402']"),
            ("/topics/getting-started/", "h1"),  # a custom taxonomy is a topic
        ],
        texts=[("/2023/01/my-first-post/", "To embed a video, write {{< youtube ID >}}.")],
    ),
    "pelican": Expected(
        posts={
            "/posts/2010/Dec/03/my-super-post/": "My super title",
            "/posts/2012/Oct/19/second-article/": "Second article",
        },
        pages={"/pages/about/": "About"},
        redirects={},
        files=["/images/han.png", "/robots.txt"],
        unconverted=[
            "pelicanconf.py:36: THEME is not a plain value: not read",
            "content/2010-12-03-my-super-post.md:16: Pelican link {author}alexis not converted",
        ],
        skipped=["content/my-rst-post.rst"],
        summary="2 posts, 1 page, 2 static files, 0 old addresses redirected; "
        "0 constructs left in place (shown as text on pages), 1 file skipped",
        html=[
            ("/posts/2010/Dec/03/my-super-post/", "pre .k"),
            ("/posts/2010/Dec/03/my-super-post/", "a[href='/topics/pelican/']"),
            ("/topics/python/", "h1"),  # the folder's name is the category
        ],
    ),
}


@dataclass
class Imported:
    src: Path
    dest: Path
    out: Path
    before: dict[str, bytes]
    stdout: str
    stderr: str
    exit_code: int


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def imported(request, tmp_path_factory) -> tuple[str, Imported]:
    engine = request.param
    src = FIXTURES / engine
    before = files_of(src)
    dest = tmp_path_factory.mktemp(engine) / "site"
    result = CliRunner().invoke(main, ["import", str(src), str(dest)])
    build(dest)
    return engine, Imported(
        src, dest, dest / "_site", before, result.stdout, result.stderr, result.exit_code
    )


def file_at(out: Path, address: str) -> Path:
    """The file the built site answers ``address`` with."""
    path = unquote(urlsplit(address).path)
    target = out / path.lstrip("/")
    target = target / "index.html" if path.endswith("/") else target
    assert target.is_file(), f"{address} does not resolve"
    return target


def page_at(out: Path, address: str):
    """The page the built site answers ``address`` with, after one redirect if it is one."""
    page = soup(file_at(out, address))
    refresh = page.find("meta", attrs={"http-equiv": "refresh"})
    if refresh is None:
        return page
    return soup(file_at(out, refresh["content"].partition("url=")[2]))


def title_of(page) -> str:
    return page.find("h1").get_text(strip=True)


def test_the_import_reports_its_counts_and_each_construct_left_at_its_line(imported):
    engine, site = imported
    expected = EXPECTED[engine]
    assert site.exit_code == 0, site.stderr
    assert expected.summary in site.stdout
    lines = site.stderr.splitlines()
    for line in expected.unconverted:
        assert any(row.startswith(f"{site.src}/{line}") for row in lines), (line, lines)
    for name in expected.skipped:
        assert any(row.startswith(f"{site.src / name}: ") for row in lines), (name, lines)
    for line in expected.leftovers:
        assert any(row.startswith(f"{site.dest}/{line}") for row in lines), (line, lines)
    shown = len(expected.unconverted) + len(expected.skipped) + len(expected.leftovers)
    assert len(lines) == shown, lines


def test_every_post_and_page_arrives_at_its_old_address(imported):
    engine, site = imported
    expected = EXPECTED[engine]
    for address, title in {**expected.posts, **expected.pages}.items():
        page = page_at(site.out, address)
        assert page.find("meta", attrs={"http-equiv": "refresh"}) is None, address
        assert title_of(page) == title, address
    assert len(list((site.dest / "posts").rglob("*.md"))) == len(expected.posts)
    assert len(list((site.dest / "pages").rglob("*.md"))) == len(expected.pages)


def test_every_old_redirect_still_answers(imported):
    engine, site = imported
    for address, title in EXPECTED[engine].redirects.items():
        assert title_of(page_at(site.out, address)) == title, address


def test_images_and_files_are_published_at_their_old_addresses(imported):
    engine, site = imported
    for address in EXPECTED[engine].files:
        assert (site.out / address.lstrip("/")).is_file(), address


def test_every_local_link_and_image_of_an_imported_post_resolves(imported):
    engine, site = imported
    expected = EXPECTED[engine]
    for address in {**expected.posts, **expected.pages}:
        page = page_at(site.out, address)
        main_part = page.find("main") or page
        for tag, attribute in (("a", "href"), ("img", "src")):
            for element in main_part.find_all(tag):
                url = urlsplit(element.get(attribute, ""))
                if url.scheme or url.netloc or not url.path or "{" in unquote(url.path):
                    continue  # elsewhere, or a construct reported as left in place
                target = url.path if url.path.startswith("/") else address + url.path
                if file_at(site.out, target).suffix == ".html":
                    page_at(site.out, target)


def test_syntax_converted_the_way_the_old_engine_showed_it(imported):
    engine, site = imported
    for address, selector in EXPECTED[engine].html:
        assert page_at(site.out, address).select(selector), (address, selector)
    for address, text in EXPECTED[engine].texts:
        assert text in page_at(site.out, address).get_text(), (address, text)
    for name, text in EXPECTED[engine].written:
        assert text in (site.dest / name).read_text(encoding="utf-8"), (name, text)


def test_the_old_site_is_never_written_to_nor_run(imported):
    _, site = imported
    assert files_of(site.src) == site.before
    assert not (site.src / "RAN").exists()  # pelicanconf.py would make it


def test_a_folder_with_anything_in_it_is_refused(tmp_path):
    dest = tmp_path / "taken"
    dest.mkdir()
    (dest / "notes.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(FIXTURES / "jekyll"), str(dest)])
    assert result.exit_code == 1
    assert f"{dest} is not empty" in result.stderr
    assert files_of(dest) == {"notes.txt": b"mine"}


def test_a_site_with_nothing_to_import_exits_1(tmp_path):
    src = tmp_path / "empty"
    src.mkdir()
    (src / "_config.yml").write_text("title: Empty\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(src), str(tmp_path / "new")])
    assert result.exit_code == 1
    assert "nothing in" in result.stderr


def test_the_engine_is_told_by_the_config_file_unless_given(tmp_path):
    runner = CliRunner()
    forced = runner.invoke(
        main, ["import", "--from", "hugo", str(FIXTURES / "jekyll"), str(tmp_path / "a")]
    )
    assert forced.exit_code == 1
    assert "has no hugo.toml" in forced.stderr
    plain = tmp_path / "plain"
    shutil.copytree(FIXTURES / "jekyll" / "_posts", plain / "_posts")
    unknown = runner.invoke(main, ["import", str(plain), str(tmp_path / "b")])
    assert unknown.exit_code == 1
    assert "--from hugo|jekyll|pelican" in unknown.stderr


@pytest.mark.parametrize(
    ("kramdown", "foldpress"),
    [
        ("the loss $$L$$ falls", "the loss $L$ falls"),  # in a sentence: inline
        ("| a | $$x^2$$ |", "| a | $x^2$ |"),  # in a table cell: inline
        ("Text.\n\n$$\nx = 1\n$$\n\nMore.", "Text.\n\n$$\nx = 1\n$$\n\nMore."),  # a block
        ("$$x = 1$$", "$$x = 1$$"),  # a block of one line
        ("`$$x$$` and\n\n```\n$$y$$ here\n```\n", "`$$x$$` and\n\n```\n$$y$$ here\n```\n"),
    ],
)
def test_kramdown_math_inline_or_display(kramdown, foldpress):
    assert kramdown_math(kramdown) == foldpress


def test_markdown_escaped_formulas_are_written_as_plain_tex():
    # As blogs wrote TeX for MathJax behind a Markdown engine that ate one backslash.
    body = (
        "Sets $\\left\\\\{ x \\right\\\\}$ and $a \\* b$, kept $\\{a\\}$.\n\n"
        "```\n$\\left\\\\{ code \\right\\\\}$\n```\n"
    )
    assert unescape_math(body) == (
        "Sets $\\left\\{ x \\right\\}$ and $a * b$, kept $\\{a\\}$.\n\n"
        "```\n$\\left\\\\{ code \\right\\\\}$\n```\n"
    )


def test_a_broken_config_is_reported_and_the_posts_still_come_over(tmp_path):
    src = tmp_path / "old"
    shutil.copytree(FIXTURES / "jekyll" / "_posts", src / "_posts")
    (src / "_config.yml").write_text("title: [unclosed\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(src), str(tmp_path / "new")])
    assert result.exit_code == 0, result.output
    assert f"{src / '_config.yml'}: not read: " in result.stderr
    assert "3 posts" in result.stdout
    assert build(tmp_path / "new").posts == 3
