"""Shortcodes: templates in templates/shortcodes/ called from Markdown, as Hugo's docs
write the calls (https://gohugo.io/content-management/shortcodes/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st

from foldpress.build import build
from foldpress.errors import BuildError
from foldpress.markdown import create_markdown
from foldpress.render import render_markdown
from foldpress.shortcodes import Shortcodes

POST = "---\ntitle: Calls\ndate: 2024-05-01\n---\n"


def make_site(root: Path, posts: dict[str, str], shortcodes: dict[str, str]) -> Path:
    (root / "posts").mkdir(parents=True)
    (root / "site.toml").write_text('title = "Codes"\nbase_url = "https://codes.example/"\n')
    for name, text in posts.items():
        (root / "posts" / name).write_text(text, encoding="utf-8")
    folder = root / "templates" / "shortcodes"
    folder.mkdir(parents=True)
    for name, text in shortcodes.items():
        (folder / f"{name}.html").write_text(text, encoding="utf-8")
    return root


def post_html(site: Path, slug: str = "calls") -> BeautifulSoup:
    page = site / "_site" / "2024" / "05" / slug / "index.html"
    return BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")


def article(site: Path) -> BeautifulSoup:
    found = post_html(site).find("article")
    assert found is not None
    return found


def test_named_positional_and_inner_content_reach_the_template(tmp_path):
    body = (
        'Intro.\n\n{{< note kind="warning" 7 >}}\nSome **bold** text.\n{{< /note >}}\n\n'
        'An inline {{< badge "new" >}} call.\n'
    )
    site = make_site(
        tmp_path,
        {"calls.md": POST + body},
        {
            "note": '<aside class="{{ args.kind }}" data-n="{{ get(0) }}">{{ inner }}</aside>',
            "badge": '<span class="badge">{{ positional[0] }}</span>',
        },
    )
    build(site)
    found = article(site)
    aside = found.find("aside")
    assert aside["class"] == ["warning"] and aside["data-n"] == "7"
    assert aside.find("strong").get_text() == "bold"  # inner Markdown rendered
    badge = found.find("span", class_="badge")
    assert badge.parent.name == "p" and badge.parent.get_text() == "An inline new call."
    assert "{{<" not in found.get_text()


def test_percent_calls_render_their_output_as_markdown(tmp_path):
    body = "{{% callout %}}\n*emphasis* inside\n{{% /callout %}}\n"
    site = make_site(
        tmp_path,
        {"calls.md": POST + body},
        {"callout": "> {{ inner_markdown.strip() }}\n"},
    )
    build(site)
    quote = article(site).find("blockquote")
    assert quote is not None and quote.find("em").get_text() == "emphasis"


def test_calls_in_code_are_text_and_escaped_calls_show_as_written(tmp_path):
    body = (
        "```\n{{< youtube abc >}}\n```\n\nInline `{{< youtube abc >}}` code.\n\n"
        "Written as {{</* youtube abc */>}} in the docs.\n\n```\n{{%/* details */%}}\n```\n"
    )
    site = make_site(tmp_path, {"calls.md": POST + body}, {})
    build(site)
    found = article(site)
    blocks = [pre.get_text().strip() for pre in found.find_all("pre")]
    assert blocks == ["{{< youtube abc >}}", "{{% details %}}"]
    assert found.find("code", string="{{< youtube abc >}}") is not None
    assert "Written as {{< youtube abc >}} in the docs." in found.get_text()
    assert found.find("iframe") is None


def test_a_call_without_a_template_is_an_error_at_its_line(tmp_path):
    body = "One.\n\nTwo {{< nothing-here x=1 >}}.\n"
    site = make_site(tmp_path, {"calls.md": POST + body}, {})
    with pytest.raises(BuildError) as caught:
        build(site)
    [error] = caught.value.errors
    assert error.path.name == "calls.md" and error.line == 7
    assert "templates/shortcodes/nothing-here.html" in error.message


def test_template_errors_and_stray_closers_are_errors_at_the_call(tmp_path):
    site = make_site(
        tmp_path,
        {
            "calls.md": POST + "Text.\n\n{{< broken >}}\n",
            "other.md": POST.replace("Calls", "Other") + "\n{{< /lonely >}}\n",
            "third.md": POST.replace("Calls", "Third") + "{{< adds a >}}\n",
        },
        {"broken": "{{ args.missing }}", "adds": "{{ get(0) + 1 }}"},
    )
    with pytest.raises(BuildError) as caught:
        build(site)
    found = {(e.path.name, e.line): e.message for e in caught.value.errors}
    assert "missing" in found[("calls.md", 7)] and "broken.html" in found[("calls.md", 7)]
    assert "closes no open shortcode" in found[("other.md", 6)]
    assert "TypeError" in found[("third.md", 5)] and "adds.html:1" in found[("third.md", 5)]


def test_lines_after_a_multi_line_call_keep_their_numbers(tmp_path):
    body = "{{< note >}}\na\n\nb\n{{< /note >}}\n\nBroken $\\frac{a$ math.\n"
    site = make_site(tmp_path, {"calls.md": POST + body}, {"note": "<div>{{ inner }}</div>"})
    with pytest.raises(BuildError) as caught:
        build(site)
    assert [e.line for e in caught.value.errors] == [11]


def test_calls_in_list_items_and_quotes_stay_there(tmp_path):
    body = "- item\n\n  {{< badge x >}}\n- next\n\n> {{< badge y >}}\n"
    site = make_site(tmp_path, {"calls.md": POST + body}, {"badge": "<span>{{ get(0) }}</span>"})
    build(site)
    found = article(site)
    assert [li.find("span").get_text() for li in found.find_all("li") if li.find("span")] == ["x"]
    assert found.find("blockquote").find("span").get_text() == "y"


def test_the_bundled_shortcodes_embed_without_scripts(tmp_path):
    body = (
        "{{< youtube w7Ft2ymGmfc >}}\n\n{{< vimeo 146022717 >}}\n\n"
        '{{< figure src="/img/a.png" caption="A cat" link="/big.png" >}}\n\n'
        "{{< gist spf13 7896402 >}}\n\n{{< x user=SanDiegoZoo id=1453110110599868418 >}}\n\n"
        '{{< instagram CxOWiQNP2MO >}}\n\n{{< details summary="More" >}}\nHidden *text*\n'
        "{{< /details >}}\n"
    )
    site = make_site(tmp_path, {"calls.md": POST + body}, {})
    build(site)
    found = article(site)
    assert found.find("script") is None
    frames = [f["src"] for f in found.find_all("iframe")]
    assert frames[0].startswith("https://www.youtube-nocookie.com/embed/w7Ft2ymGmfc")
    assert frames[1].startswith("https://player.vimeo.com/video/146022717")
    figure = found.find("figure")
    assert figure.find("img")["src"] == "/img/a.png" and figure.figcaption.get_text() == "A cat"
    links = [a["href"] for a in found.find_all("a")]
    assert "https://gist.github.com/spf13/7896402" in links
    assert "https://x.com/SanDiegoZoo/status/1453110110599868418" in links
    assert "https://www.instagram.com/p/CxOWiQNP2MO/" in links
    assert found.find("details").summary.get_text() == "More"
    assert found.find("details").find("em").get_text() == "text"


def test_a_site_template_overrides_the_bundled_one(tmp_path):
    site = make_site(
        tmp_path, {"calls.md": POST + "{{< youtube abc >}}\n"}, {"youtube": "<b>{{ get(0) }}</b>"}
    )
    build(site)
    assert article(site).find("b").get_text() == "abc"


def test_editing_a_shortcode_template_renders_its_callers_again(tmp_path):
    posts = {
        "calls.md": POST + "{{< badge >}}\n",
        "plain.md": POST.replace("Calls", "Plain") + "No calls.\n",
    }
    site = make_site(tmp_path, posts, {"badge": "<b>one</b>"})
    build(site)
    (site / "templates" / "shortcodes" / "badge.html").write_text("<b>two</b>")
    result = build(site)
    assert article(site).find("b").get_text() == "two"
    assert (result.rendered, result.cached) == (1, 1)  # the caller, not the plain post


def test_the_template_sees_the_page_and_the_site(tmp_path):
    site = make_site(
        tmp_path,
        {"calls.md": POST + "{{< where >}}\n"},
        {"where": "<i>{{ page.title }} on {{ site.title }}</i>"},
    )
    build(site)
    assert article(site).find("i").get_text() == "Calls on Codes"


def test_markdown_copies_hold_the_output_not_the_call(tmp_path):
    site = make_site(tmp_path, {"calls.md": POST + "{{< badge >}}\n"}, {"badge": "<b>made</b>"})
    build(site)
    copies = [p.read_text() for p in (site / "_site").rglob("*.md")]
    assert copies and all("{{<" not in c for c in copies)
    assert any("<b>made</b>" in c for c in copies)


@pytest.fixture(scope="module")
def echo_site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("echo")
    folder = site / "templates" / "shortcodes"
    folder.mkdir(parents=True)
    (folder / "echo.html").write_text("<b>[{{ args.v }}]</b>")
    return site


@given(
    value=st.text(
        alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=30
    ),
    before=st.sampled_from(["", "Text ", "- item ", "> quote "]),
)
@settings(max_examples=60, deadline=None)
def test_any_quoted_argument_reaches_the_template_as_written(echo_site, value, before):
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    text = f'{before}{{{{< echo v="{escaped}" >}}}} after\n'
    rendered, problems = render_markdown(
        create_markdown(), text, doc_id="p", shortcodes=Shortcodes(echo_site), context={}
    )
    assert [p for p in problems if not p.warning] == []
    shown = BeautifulSoup(rendered.body_html, "lxml").find("b").get_text()
    assert shown == f"[{value}]"
    assert "foldpress-shortcode" not in rendered.body_html
