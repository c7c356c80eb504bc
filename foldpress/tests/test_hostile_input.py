"""Sites built from generated hostile content: control characters, broken YAML, bad URLs
and image paths, unbalanced math and HTML, deep nesting, very long lines, bytes that are
not UTF-8. Whatever the input, the build ends with status 0 or 1 and no traceback, every
problem is reported as ``path:line: message``, every XML output is well-formed to a
strict XML parser, and every HTML page parses as HTML5 with its structure whole."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import html5lib
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from foldpress.cli import main

CONTROL = "".join(map(chr, [*range(0, 9), 11, 12, *range(14, 32), 127, 0x85, 0x9B, 0xFFFE]))
ANSI = "\x1b[31mred\x1b[0m"

FRAGMENTS = [
    "Plain text.",
    ANSI,
    "page\x0cbreak",
    "[x](http://[oops)",
    "[y](<http://a b>)",
    "![img](../../../../etc/passwd)",
    "![img](<not a path>)",
    "![](http://[::1)",
    "<img src='http://[bad'>",
    "$x^{$",
    "$$\\frac{a}{$$",
    "$\\begin{matrix} a $",
    "<div><span>unclosed",
    "</div></section>",
    "<script>alert(1)</script>",
    "&#0; &#xD800; &#1114112;",
    "> " * 60 + "deep quote",
    "".join(f"{'  ' * i}- item\n" for i in range(40)),
    "[" * 200 + "]" * 10,
    "a" * 20000,
    "```python\nprint('\x00')\n```",
    "<!--more-->",
    "[^note] and [^note]: the note",
    "| a |\n|---|\n| \x07 |",
    "\u2028line\u2029separators",
]

text = st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from(CONTROL), max_size=60)
body = st.lists(st.sampled_from(FRAGMENTS) | text, max_size=6).map("\n\n".join)
title = st.sampled_from(
    ['"A title"', "Title with: colon", '"Ctrl \x07 title"', "[unclosed", "{a: 1}", '"' + ANSI + '"']
) | text.map(repr)
front = st.fixed_dictionaries(
    {
        "title": title,
        "date": st.sampled_from(["2025-01-02", "2025-02-30", "not a date", "2025-03-04 10:00"]),
    },
    optional={
        "topics": st.sampled_from(["[AI, Python]", "[\x1b]", "AI", "[[nested]]"]),
        "summary": st.sampled_from(['"$x^{$"', '"ok"', "|\n  multi\x0c"]),
        "slug": st.sampled_from(["../escape", "ok-slug", '"\x00"']),
    },
)


@st.composite
def post_files(draw: st.DrawFn) -> bytes:
    matter = "".join(f"{key}: {value}\n" for key, value in draw(front).items())
    data = f"---\n{matter}---\n\n{draw(body)}\n".encode("utf-8", "surrogatepass")
    if draw(st.booleans()) and draw(st.booleans()):  # now and then, bytes that are not UTF-8
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\xff\xfe\xc3" + data[at:]
    return data


sites = st.lists(post_files(), min_size=1, max_size=4)
ERROR_LINE = re.compile(r"^\S[^:]*:\d+: (warning: )?\S.*$")
XML_PARSER = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)


def check_outputs(out: Path) -> None:
    for path in out.rglob("*.xml"):
        etree.parse(str(path), XML_PARSER)  # raises if not well-formed
    for path in out.rglob("*.html"):
        parser = html5lib.HTMLParser(
            tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False
        )
        document = parser.parse(path.read_bytes())
        bad_characters = [e for e in parser.errors if "codepoint" in e[1] or "character" in e[1]]
        assert bad_characters == [], (path, bad_characters)
        # The theme's own structure is whole, whatever HTML a post holds.
        assert document.find("body/header") is not None, path
        assert document.find("body/main") is not None, path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files=sites, page=st.none() | post_files())
def test_hostile_content_never_shows_a_traceback_and_never_publishes_broken_xml(files, page):
    with tempfile.TemporaryDirectory() as temp:
        site = Path(temp)
        (site / "site.toml").write_text(
            'title = "Hostile"\nbase_url = "https://example.org/blog/"\n'
        )
        (site / "posts").mkdir()
        for i, data in enumerate(files):
            (site / "posts" / f"2025-01-0{i + 1}-post{i}.md").write_bytes(data)
        if page is not None:
            (site / "pages").mkdir()
            (site / "pages" / "about.md").write_bytes(page)
        result = CliRunner().invoke(main, ["build", str(site), "--jobs", "1", "--quiet"])
        assert result.exit_code in (0, 1), result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(
            result.exception
        )
        assert "Traceback" not in result.output
        lines = result.stderr.splitlines()
        if result.exit_code == 1:
            assert lines and re.fullmatch(r"Error: build failed with \d+ errors?", lines.pop())
        for line in lines:
            assert ERROR_LINE.match(line), line
        if result.exit_code == 0:
            check_outputs(site / "_site")


# The failures this file was written for, one by one.


def build_one(tmp_path: Path, post: str) -> tuple[int, list[str], Path]:
    site = tmp_path / "site"
    (site / "posts").mkdir(parents=True)
    (site / "site.toml").write_text('title = "T"\nbase_url = "https://example.org/"\n')
    (site / "posts" / "2025-01-02-p.md").write_text(post, encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(site), "--quiet"])
    assert "Traceback" not in result.output and not isinstance(result.exception, Exception)
    return result.exit_code, result.stderr.splitlines(), site


def test_a_form_feed_and_an_ansi_colour_code_never_reach_the_feeds(tmp_path):
    post = f"---\ntitle: Pasted\ndate: 2025-01-02\n---\n\nA page\x0cbreak.\n\nSome {ANSI} text.\n"
    code, lines, site = build_one(tmp_path, post)
    assert code == 0
    path = site / "posts/2025-01-02-p.md"
    assert lines == [
        f"{path}:6: warning: removed 1 control character (U+000C)",
        f"{path}:8: warning: removed 2 control characters (U+001B)",
    ]
    for feed in ("feed/rss.xml", "feed/atom.xml", "sitemap.xml"):
        etree.parse(str(site / "_site" / feed), XML_PARSER)
    assert "Some [31mred[0m text." in (site / "_site/2025/01/p/index.html").read_text()


def test_a_control_character_in_front_matter_is_a_warning_at_its_line(tmp_path):
    code, lines, site = build_one(
        tmp_path, "---\ntitle: Bell\x07 here\ndate: 2025-01-02\n---\n\nHi.\n"
    )
    assert code == 0
    assert lines == [
        f"{site / 'posts/2025-01-02-p.md'}:2: warning: removed 1 control character (U+0007)"
    ]
    assert "<title>Bell here · T</title>" in (site / "_site/2025/01/p/index.html").read_text()


def test_a_malformed_url_is_kept_as_written(tmp_path):
    post = "---\ntitle: Oops\ndate: 2025-01-02\n---\n\n[x](http://[oops) and ![i](http://[::1)\n"
    code, lines, site = build_one(tmp_path, post)
    assert (code, lines) == (0, [])
    assert 'href="http://%5Boops"' in (site / "_site/2025/01/p/index.html").read_text() or (
        'href="http://[oops"' in (site / "_site/2025/01/p/index.html").read_text()
    )
    etree.parse(str(site / "_site/feed/atom.xml"), XML_PARSER)


def test_a_control_character_made_by_a_yaml_escape_is_removed_with_a_warning(make_site):
    """The file's text holds none: YAML's "\\x1b" makes one (found by the test above)."""
    from foldpress.build import build

    post = '---\ntitle: "Colour \\x1b[31m"\ndate: 2025-01-02\ntopics: ["a\\x07b"]\n---\n\nHi.\n'
    site = make_site({"posts/2025-01-02-x.md": post})
    result = build(site)
    for feed in (site / "_site/feed").iterdir():
        etree.parse(str(feed))  # raises if not well-formed
    assert [(w.line, w.message) for w in result.warnings] == [
        (2, "removed 1 control character (U+001B) from 'title'"),
        (4, "removed 1 control character (U+0007) from 'topics'"),
    ]
    assert "Colour [31m" in (site / "_site/2025/01/x/index.html").read_text()
