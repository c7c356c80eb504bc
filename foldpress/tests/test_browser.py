"""The served example blog in headless Chromium: intros, MathML, live reload, the error
overlay; and a sample of the math corpus laid out as MathML.

Debian's Chromium, driven by Playwright (which cannot download its own browser here).
Screenshots go to ``test-artifacts/`` at the repository root, or to the folder in
``FOLDPRESS_TEST_ARTIFACTS``; they are for people to look at, never committed.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import EXAMPLE_SITE, REPO, SITE_TOML, post_file, require_resource
from playwright.sync_api import expect
from test_serve import Served, save, serving

from foldpress.build import build

WAIT_MS = 30_000  # a bound for each wait, never reached when all is well
POST = "posts/2025-09-07-temperature-top-k-top-p.md"
POST_TITLE = "Temperature, top-k and top-p sampling"
SENTENCE = "Three small knobs sit between those extremes."
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def artifacts() -> Path:
    folder = Path(os.environ.get("FOLDPRESS_TEST_ARTIFACTS") or REPO / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The example blog, copied so that edits leave the repository alone, and served."""
    require_resource(EXAMPLE_SITE / "site.toml", "the example site (examples/site)")
    site = tmp_path / "site"
    shutil.copytree(EXAMPLE_SITE, site, ignore=shutil.ignore_patterns("_site*", ".foldpress-*"))
    with serving(site) as served:
        yield served


def url(served: Served, path: str = "/") -> str:
    return served.server.url.rstrip("/") + path


def test_reading_a_post_and_seeing_an_edit_without_reloading(browser, served, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url(served))

    summaries = page.locator("article.summary")
    expect(summaries).to_have_count(5)  # posts_per_page in the example's site.toml
    for summary in summaries.all():
        assert summary.locator(".intro").inner_text().strip()
    read_more = page.get_by_role("link", name=re.compile(r"^Read more: "))
    assert read_more.count() >= 3
    page.screenshot(path=artifacts / "front-page.png", full_page=True)

    page.get_by_role("link", name=f"Read more: {POST_TITLE}").click()
    expect(page).to_have_url(re.compile(r"/2025/09/temperature-top-k-top-p/$"))
    expect(page.locator("h1")).to_have_text(POST_TITLE)
    equation = page.locator(".math-display math").first
    box = equation.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0
    fraction = equation.locator("mfrac").first.bounding_box()  # laid out as MathML, not text
    assert fraction and fraction["height"] > box["height"] / 2
    page.screenshot(path=artifacts / "post.png", full_page=True)

    page.evaluate("window.notReloaded = true")  # gone once the page reloads itself
    source = served.site / POST
    save(source, source.read_text().replace(SENTENCE, "Three knobs, edited live."))
    expect(page.locator("article.post")).to_contain_text(
        "Three knobs, edited live.", timeout=WAIT_MS
    )
    assert page.evaluate("window.notReloaded") is None
    page.close()


NOTEBOOK_POST = "/2025/04/attention-weights-in-a-notebook/"


def test_a_notebook_post_shows_its_plot_and_highlighted_code(browser, served, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url(served, NOTEBOOK_POST))
    expect(page.locator("h1")).to_have_text("Attention weights in a notebook")
    plot = page.locator("article img").first
    plot.scroll_into_view_if_needed()
    expect(plot).to_have_js_property("complete", True, timeout=WAIT_MS)
    assert plot.evaluate("img => img.naturalWidth") == int(plot.get_attribute("width") or 0) > 0
    # Highlighted: Pygments' keyword spans are coloured unlike the code around them.
    keyword = page.locator("pre.highlight code.language-python .kn").first
    text = page.locator("pre.highlight code.language-python").first
    colour = "el => getComputedStyle(el).color"
    assert keyword.evaluate(colour) != text.evaluate(colour)
    output = page.locator("pre:has(> code.language-output)").first
    assert "row sums" in page.locator("article").inner_text()
    assert output.evaluate("el => getComputedStyle(el).borderLeftWidth") == "4px"
    download = page.get_by_role("link", name="Download this notebook")
    response = page.request.get(url(served, NOTEBOOK_POST) + download.get_attribute("href"))
    assert response.ok and response.json()["nbformat"] == 4
    page.screenshot(path=artifacts / "notebook-post.png", full_page=True)
    page.close()


def test_a_build_error_shows_over_the_last_good_page(browser, served, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url(served, "/2025/09/temperature-top-k-top-p/"))
    overlay = page.locator("foldpress-error")
    expect(page.locator("h1")).to_have_text(POST_TITLE)

    source = served.site / POST
    good = source.read_text()
    save(source, good.replace("date: 2025-09-07", "date: 2025-09-31"))
    expect(overlay).to_be_visible(timeout=WAIT_MS)
    expect(overlay).to_contain_text(f"{source}:3: bad value for 'date'")
    expect(page.locator("h1")).to_have_text(POST_TITLE)  # the last good page, still there
    page.screenshot(path=artifacts / "build-error-overlay.png")

    page.get_by_role("button", name="Dismiss").click()
    expect(overlay).to_be_hidden()

    # A page opened while the build is broken shows the errors at once.
    other = browser.new_page()
    other.goto(url(served))
    expect(other.locator("foldpress-error")).to_contain_text("bad value for 'date'")

    save(source, good.replace(SENTENCE, "Fixed, and reloaded."))
    for each in (page, other):
        expect(each.locator("main")).to_contain_text("Fixed, and reloaded.", timeout=WAIT_MS)
        expect(each.locator("foldpress-error")).to_have_count(0)
    other.close()
    page.close()


# For each element: how far its content overflows it, across and down.
OVERFLOW_JS = (
    "els => els.map(e => [e.scrollWidth - e.clientWidth, e.scrollHeight - e.clientHeight])"
)


def test_on_a_phone_no_page_scrolls_sideways_and_no_equation_is_cut(browser, served, artifacts):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    posts = [f"/{p.parent.relative_to(served.out)}/" for p in served.out.glob("2*/*/*/index.html")]
    assert len(posts) == 20
    too_wide, cut, scrolled = {}, {}, 0
    for path in [*posts, "/", "/topics/", "/archive/", "/about/"]:
        page.goto(url(served, path))
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[path] = width
        # A wide equation scrolls inside its block; a tall one must not lose its ink.
        for across, down in page.locator(".math-display").evaluate_all(OVERFLOW_JS):
            scrolled += across > 0
            if down > 0:
                cut.setdefault(path, []).append(down)
    page.goto(url(served, "/2025/09/temperature-top-k-top-p/"))
    page.screenshot(path=artifacts / "post-phone.png", full_page=True)
    context.close()
    assert too_wide == {}
    assert cut == {}
    assert scrolled >= 1  # the example has an equation wider than a phone: the case is covered


@pytest.fixture
def static_host(tmp_path: Path, built_example: Path) -> Iterator[str]:
    """The built example blog on Python's plain static file server: no foldpress."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(built_example))
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def test_search_finds_a_post_by_its_title_first(browser, served, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url(served))
    page.get_by_role("link", name="Search").click()
    box = page.get_by_role("searchbox")
    expect(box).to_be_enabled(timeout=WAIT_MS)  # the index has loaded
    box.fill("multi head")
    results = page.locator("#search-results > li")
    expect(results.first.locator("h2 a")).to_have_text(
        "Multi-head attention: many small heads instead of one big one"
    )
    # Posts that only mention it in their text come after the one it names.
    assert results.count() > 1
    marks = [m.inner_text() for m in results.first.locator("h2 mark").all()]
    assert marks == ["Multi", "head", "heads"]  # the last word typed is a prefix
    expect(results.first.locator(".post-meta")).to_contain_text("13 April 2025")
    expect(page.locator("#search-status")).to_contain_text("posts match “multi head”")
    expect(page).to_have_url(re.compile(r"/search/\?q=multi\+head$"))
    page.screenshot(path=artifacts / "search-title.png", full_page=True)
    results.first.locator("h2 a").click()
    expect(page).to_have_url(re.compile(r"/2025/04/multi-head-attention/$"))
    page.close()


def test_search_on_a_static_host_finds_a_word_of_a_body(browser, static_host, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(static_host + "search/?q=feynman")  # a quotation below an intro
    results = page.locator("#search-results > li")
    expect(results).to_have_count(1, timeout=WAIT_MS)
    link = results.first.locator("h2 a")
    expect(link).to_have_text("Why build a language model from scratch?")
    assert link.get_attribute("href") == "/2025/01/why-build-an-llm-from-scratch/"
    # The snippet comes from the post's text, around the word, marked.
    expect(results.first.locator(".snippet mark")).to_have_text("Feynman", timeout=WAIT_MS)
    expect(results.first.locator(".snippet")).to_contain_text("Richard Feynman")
    page.screenshot(path=artifacts / "search-body.png", full_page=True)
    page.get_by_role("searchbox").fill("zyzzyva")
    expect(page.locator("#search-status")).to_have_text("No posts match “zyzzyva”.")
    expect(results).to_have_count(0)
    page.close()


def test_without_javascript_the_search_page_points_to_the_archive(browser, static_host):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(static_host + "search/")
    notice = page.locator("main p", has_text="Search needs JavaScript")
    expect(notice).to_be_visible()
    assert notice.get_by_role("link", name="archive").get_attribute("href") == "/archive/"
    context.close()


MATH_CORPUS = REPO / "bench" / "math_corpus"


def corpus_sample(step: int) -> list[tuple[str, bool]]:
    """Every ``step``-th formula of the math corpus (bench/math_corpus): (LaTeX, display)."""
    formulas = []
    for path in sorted(MATH_CORPUS.glob("*.tex")):
        records = re.split(r"^%% (inline|display)\n", path.read_text(encoding="utf-8"), flags=re.M)
        formulas += [(tex.strip("\n"), kind == "display") for kind, tex in pairs(records[1:])]
    return formulas[::step]


def pairs(items: list[str]) -> list[tuple[str, str]]:
    return list(zip(items[::2], items[1::2], strict=True))


def test_real_formulas_in_every_form_are_laid_out_as_mathml(browser, make_site, artifacts):
    require_resource(MATH_CORPUS, "the math corpus (bench/math_corpus)")
    sample = corpus_sample(6)
    # Each formula as MathJax-era posts wrote it: inline ones between \( \) in a sentence,
    # display ones between $$ on lines of their own; then an environment of its own.
    body = "\n\n".join(
        f"$$\n{tex}\n$$" if display else f"Inline \\({tex.replace(chr(10), ' ')}\\) here."
        for tex, display in sample
    )
    body += "\n\n\\begin{align}\na &= b + c \\\\\nd &= e\n\\end{align}\n"
    site = make_site(
        {"posts/2025-01-01-corpus.md": post_file("Corpus", "2025-01-01", body)},
        site_toml=SITE_TOML + 'math_errors = "warn"\n',
    )
    result = build(site)
    failed = [w for w in result.warnings if "broken LaTeX" in w.message]
    assert len(failed) <= len(sample) // 10  # the corpus benchmark has the exact share

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto((site / "_site/2025/01/corpus/index.html").as_uri())
    formulas = page.locator("article math")
    expect(formulas).to_have_count(len(sample) - len(failed) + 1)
    sizes = formulas.evaluate_all(
        "ms => ms.map(m => [m.getAttribute('display'), m.getBoundingClientRect().width,"
        " m.getBoundingClientRect().height])"
    )
    assert [size for size in sizes if not (size[1] > 0 and size[2] > 0)] == []
    shown = sorted({display for display, *_ in sizes})
    assert shown == ["block", "inline"]
    # The environment is a table of two rows, one above the other.
    rows = page.locator(".math-display").last.locator("mtr")
    first, second = rows.nth(0).bounding_box(), rows.nth(1).bounding_box()
    assert first and second and second["y"] >= first["y"] + first["height"] - 1
    page.screenshot(path=artifacts / "math-corpus-sample.png", full_page=True)
    page.close()
