"""Leftovers: other engines' syntax that shows on a page as text is counted and
reported at its line, from what the page shows (not code, not attributes)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from foldpress.build import build
from foldpress.cli import main

POST = "---\ntitle: Old\ndate: 2024-05-01\n---\n"  # the body starts on line 5


def write_site(root: Path, body: str, shortcodes: dict[str, str] | None = None) -> Path:
    (root / "posts").mkdir(parents=True)
    (root / "site.toml").write_text('title = "Old"\nbase_url = "https://old.example/"\n')
    (root / "posts" / "old.md").write_text(POST + body, encoding="utf-8")
    for name, text in (shortcodes or {}).items():
        folder = root / "templates" / "shortcodes"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.html").write_text(text)
    return root


def leftovers(result) -> dict[int, str]:
    return {w.line: w.message for w in result.warnings if "leftover" in w.message}


def test_each_kind_is_reported_at_its_line_with_a_count(tmp_path):
    body = (
        "![cat](/cat.png)\n{: .center}\n\n"  # line 5: a kramdown IAL under an image
        "{% img /a.png %} and {% video /b.mp4 %}\n\n"  # 8: two Liquid tags
        "Hello {{ page.title }} and $$ x\n\n"  # 10
        "<div>{% include note.html %}</div>\n\n"  # 12: in an HTML block's text
        "\\\\[ not math \\\\begin{align}\n"  # 14: shown as \[ and \begin{
    )
    result = build(write_site(tmp_path, body))
    found = leftovers(result)
    assert sorted(found) == [6, 8, 10, 12, 14]
    assert "a kramdown attribute list" in found[6] and "{: .center}" in found[6]
    assert "2 × a Liquid or Jinja tag" in found[8]
    assert "a template expression" in found[10] and "unrendered math" in found[10]
    assert "a Liquid or Jinja tag" in found[12]
    assert "unrendered math" in found[14] and "LaTeX environment" in found[14]
    assert result.leftovers == 8
    assert "8 leftover syntax shown as text" in result.summary()


def test_code_attributes_math_and_quoted_calls_are_not_leftovers(tmp_path):
    body = (
        "```liquid\n{% raw %}{{ page.title }}{% endraw %}\n```\n\n"
        "Inline `{% img %}` code.\n\n"
        '<a title="{{ x }}" href="/">link</a> and <code>{: .c}</code>\n\n'
        "<pre>\n{{< x >}}\n</pre>\n\n"
        "$$\n\\begin{aligned} a &= b \\end{aligned}\n$$\n\n"
        "Hugo's docs write {{</* figure */>}}.\n"
    )
    result = build(write_site(tmp_path, body))
    assert leftovers(result) == {} and result.leftovers == 0
    assert "leftover" not in result.summary()


def test_a_shortcode_s_output_is_scanned_at_the_call_s_line(tmp_path):
    body = "Text.\n\n{{< old >}}\n"
    site = write_site(tmp_path, body, {"old": "<p>{{ '{%' }} include x %}</p>"})
    found = leftovers(build(site))
    assert list(found) == [7] and "{% include x %}" in found[7]


def test_warnings_come_back_from_the_cache(tmp_path):
    site = write_site(tmp_path, "{:toc}\n")
    first = build(site)
    again = build(site)
    assert again.cached == 1 and leftovers(again) == leftovers(first) == {5: leftovers(first)[5]}


def test_the_import_counts_what_its_first_build_shows(tmp_path):
    old = tmp_path / "old"
    (old / "_posts").mkdir(parents=True)
    (old / "_config.yml").write_text("title: Old\n")
    (old / "_posts" / "2015-01-02-a.md").write_text(
        "---\ntitle: A\n---\nText {% unknown_tag x %} here.\n\n{{ site.nope }}\n"
    )
    result = CliRunner().invoke(main, ["import", str(old), str(tmp_path / "new")])
    assert result.exit_code == 0, result.output
    assert "2 constructs left in place (shown as text on pages)" in result.stdout
    new_post = tmp_path / "new" / "posts" / "2015-01-02-a.md"
    lines = new_post.read_text().splitlines()
    for shown in ("{% unknown_tag", "{{ site.nope"):
        line = next(n for n, text in enumerate(lines, 1) if shown in text)
        assert f"{new_post}:{line}: leftover syntax" in result.stderr
