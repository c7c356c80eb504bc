"""The `attention` shortcode: scratchgpt's attention view inline in a post, its script and
stylesheet served once per site from the theme, a fallback for readers without JavaScript
or without the data. (That the view draws the model's weights is checked in scratchgpt's
tests, which make the data; here the data is written by hand.)"""

from __future__ import annotations

import functools
import json
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import EXAMPLE_SITE, REPO, require_resource

from foldpress.build import build

POST = "---\ntitle: Cat\ndate: 2024-05-01\n---\nIntro.\n\n"
CALL = (
    '{{< attention src="/attention/cat.json" png="/attention/cat.png" view="dropout" '
    'caption="Where the cat looks." >}}\nThe *heatmap* above, without JavaScript.\n'
    "{{< /attention >}}\n"
)
# Two tokens, one layer, one head: "the" sees itself; "cat" gives 0.25 to "the", 0.75 to itself.
DATA = {
    "format": "scratchgpt-attention",
    "version": 1,
    "model": "hand-made",
    "text": "the cat",
    "tokens": ["the", " cat"],
    "layers": [0],
    "n_head": 1,
    "dropout": 0.1,
    "scale": 1000,
    "weights": [[[1000, 250, 750]]],
}
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201ef6b3f430000000049454e44ae426082"
)


def make_site(root: Path, body: str, base_url: str = "https://cats.example/") -> Path:
    (root / "posts").mkdir(parents=True)
    (root / "site.toml").write_text(f'title = "Cats"\nbase_url = "{base_url}"\n')
    (root / "posts" / "cat.md").write_text(POST + body, encoding="utf-8")
    return root


def with_data(site: Path) -> Path:
    folder = site / "static" / "attention"
    folder.mkdir(parents=True)
    (folder / "cat.json").write_text(json.dumps(DATA), encoding="utf-8")
    (folder / "cat.png").write_bytes(PNG)
    return site


def post(site: Path) -> BeautifulSoup:
    page = site / "_site" / "2024" / "05" / "cat" / "index.html"
    return BeautifulSoup(page.read_text(encoding="utf-8"), "lxml")


def test_the_call_becomes_a_figure_with_its_fallback_and_the_themes_script(tmp_path):
    site = with_data(make_site(tmp_path, CALL))
    build(site)
    figure = post(site).find("figure", class_="attention-view")
    assert figure["data-src"] == "/attention/cat.json"
    assert figure["data-view"] == "dropout"
    fallback = figure.find(class_="av-fallback")
    assert fallback.find("img")["src"] == "/attention/cat.png"
    assert fallback.find("em").get_text() == "heatmap"  # the inner Markdown, rendered
    assert figure.find("figcaption").get_text() == "Where the cat looks."
    assert figure.find("script")["src"] == "/theme/attention-view.js"
    assert figure.find("link", rel="stylesheet")["href"] == "/theme/attention-view.css"
    for name in ("attention-view.js", "attention-view.css"):
        assert (site / "_site" / "theme" / name).stat().st_size > 0


def test_under_a_sub_path_the_scripts_address_follows_the_site(tmp_path):
    site = make_site(tmp_path, CALL, base_url="https://example.org/blog/")
    build(site)
    figure = post(site).find("figure", class_="attention-view")
    assert figure.find("script")["src"] == "/blog/theme/attention-view.js"
    # data-src stays as written: the script reads it under the root it was served from.
    assert figure["data-src"] == "/attention/cat.json"


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def open_page(browser, url: str, javascript: bool = True):
    context = browser.new_context(java_script_enabled=javascript)
    outside: list[str] = []
    context.route(
        lambda u: not u.startswith("http://127.0.0.1:"),
        lambda route: (outside.append(route.request.url), route.abort()),
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    return page, outside, errors


def test_the_view_draws_the_data_and_without_javascript_the_png_shows(browser, tmp_path):
    site = with_data(make_site(tmp_path, CALL + "\n" + CALL.replace("dropout", "heads")))
    build(site)
    with serving(site / "_site") as root:
        page, outside, errors = open_page(browser, root + "2024/05/cat/")
        page.wait_for_selector(".av-app")
        views = page.locator(".attention-view")
        assert views.count() == 2
        assert page.locator(".av-fallback img").first.is_hidden()
        assert (
            views.nth(0).locator(".av-tab[aria-selected='true']").get_attribute("data-view")
            == "dropout"
        )
        second = views.nth(1)
        second.locator(".av-query[data-index='1']").hover()
        drawn = second.locator(".av-lines line").evaluate_all(
            "ls => ls.map(l => [+l.dataset.key, +getComputedStyle(l).strokeOpacity])"
        )
        assert drawn == [[0, 0.25], [1, 0.75]]
        assert outside == [] and errors == []

        page, outside, _ = open_page(browser, root + "2024/05/cat/", javascript=False)
        image = page.locator(".av-fallback img").first
        assert image.is_visible()
        assert image.evaluate("i => i.complete && i.naturalWidth") == 1
        assert page.locator(".av-fallback em").first.is_visible()
        assert outside == []


def test_the_example_posts_without_the_demos_data_say_so(browser, tmp_path):
    require_resource(EXAMPLE_SITE / "site.toml", "the example site (examples/site)")
    site = tmp_path / "site"
    shutil.copytree(
        EXAMPLE_SITE, site, ignore=shutil.ignore_patterns("_site*", ".foldpress-*", "attention")
    )
    build(site)
    with serving(site / "_site") as root:
        for path in ("2025/03/causal-attention/", "2025/04/multi-head-attention/"):
            page, outside, errors = open_page(browser, root + path)
            note = page.locator(".attention-view .av-error")
            note.wait_for()
            assert "run make demo" in note.inner_text()
            assert page.locator(".attention-view .av-fallback").is_visible()
            assert outside == [] and errors == []
    shot = REPO / "test-artifacts"
    shot.mkdir(exist_ok=True)
    page.screenshot(path=shot / "attention-embed-without-demo.png")


def test_a_call_without_src_is_an_error_at_its_line(tmp_path):
    from foldpress.errors import BuildError

    site = make_site(tmp_path, 'Text.\n\n{{< attention png="a.png" >}}\n')
    with pytest.raises(BuildError) as error:
        build(site)
    assert "cat.md:9: shortcode 'attention'" in str(error.value)  # the call's line
    assert "attention_needs_src" in str(error.value)


def test_a_json_that_is_not_an_attention_view_is_said_and_the_fallback_stays(browser, tmp_path):
    site = with_data(make_site(tmp_path, CALL))
    (site / "static" / "attention" / "cat.json").write_text('{"tokens": []}', encoding="utf-8")
    build(site)
    with serving(site / "_site") as root:
        page, _, errors = open_page(browser, root + "2024/05/cat/")
        note = page.locator(".av-error")
        note.wait_for()
        assert "not the data of scratchgpt attention" in note.inner_text()
        assert page.locator(".av-fallback img").is_visible()
        assert errors == []
