"""The attention view in headless Chromium: what it draws is the model's weights.

`scratchgpt attention --html` on a small random model whose heads look in different places;
the page is opened from disk with every network request refused. Screenshots go to
``test-artifacts/`` at the repository root (for people to look at, never committed).
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from conftest import REPO_ROOT, require
from test_attention_view import TEXT, sharpened_model

from scratchgpt.cli import main
from scratchgpt.tokenizer import BPETokenizer
from scratchgpt.visualize import attention_weights
from scratchgpt.weights import save_pretrained

playwright = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SENTENCE = "the fat cat sat on the mat. the cat ate"
LAYER, HEAD = 2, 3


@pytest.fixture(scope="module")
def browser() -> Iterator:
    require(CHROMIUM, "Chromium (Debian's chromium package)")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def view(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, torch.Tensor, list[str]]:
    """The HTML view of a 3-layer, 4-head model on SENTENCE, and its weights from Python."""
    folder = tmp_path_factory.mktemp("view")
    tokenizer = BPETokenizer.train(TEXT, vocab_size=300)
    model = sharpened_model()
    model_dir = save_pretrained(model, folder / "model", tokenizer=tokenizer)
    html = folder / "view.html"
    result = CliRunner().invoke(main, ["attention", str(model_dir), SENTENCE, "--html", str(html)])
    assert result.exit_code == 0, result.output
    ids = tokenizer.encode(SENTENCE)
    return html, attention_weights(model, torch.tensor(ids)), [tokenizer.decode([i]) for i in ids]


@pytest.fixture
def artifacts() -> Path:
    folder = REPO_ROOT / "test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_offline(browser, url: str, **context_options):
    """A page at ``url`` that fails the test on any request that is not a local file."""
    context = browser.new_context(**context_options)
    refused: list[str] = []

    def refuse(route) -> None:
        refused.append(route.request.url)
        route.abort()

    context.route(lambda u: not u.startswith("file:"), refuse)
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector(".av-app")
    return page, refused, requested, errors


def drawn_lines(page) -> list[dict[str, float]]:
    """The lines drawn in ``page`` (a page or a locator of one view)."""
    return page.locator("svg.av-lines line").evaluate_all(
        """lines => lines.map(l => ({head: +l.dataset.head, layer: +l.dataset.layer,
             query: +l.dataset.query, key: +l.dataset.key,
             opacity: +getComputedStyle(l).strokeOpacity}))""",
    )


def choose(page, layer: int, heads: list[int]) -> None:
    page.locator(".av-controls select").select_option(str(layer))
    for box in page.locator(".av-heads input").all():
        box.set_checked(int(box.get_attribute("value")) in heads)


def test_hovering_a_token_draws_the_models_weights(browser, view, artifacts):
    html, weights, tokens = view
    page, refused, requested, errors = open_offline(
        browser, html.as_uri(), viewport={"width": 1100, "height": 900}
    )
    T = len(tokens)
    query = T - 3
    choose(page, LAYER, [HEAD])
    page.hover(f".av-query[data-index='{query}']")

    lines = drawn_lines(page)
    assert [line["key"] for line in lines] == list(range(query + 1))  # none into the future
    for line in lines:
        assert (line["layer"], line["head"], line["query"]) == (LAYER, HEAD, query)
        expected = weights[LAYER, HEAD, query, line["key"]].item()
        assert line["opacity"] == pytest.approx(expected, abs=1e-3)
    futures = page.eval_on_selector_all(".av-key.av-future", "ks => ks.map(k => +k.dataset.index)")
    assert futures == list(range(query + 1, T))  # the causal mask: greyed, no line

    # Several heads at once, each in its own colour.
    choose(page, LAYER, [0, HEAD])
    page.hover(".av-query[data-index='4']")
    lines = drawn_lines(page)
    assert sorted({line["head"] for line in lines}) == [0, HEAD]
    colours = page.eval_on_selector_all(
        "svg.av-lines line", "lines => lines.map(l => l.getAttribute('stroke'))"
    )
    assert len(set(colours)) == 2
    page.screenshot(path=artifacts / "attention-view-heads.png", full_page=True)

    # The keyboard does what the mouse does.
    page.focus(".av-query[data-index='1']")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.dataset.index") == "2"
    assert {line["query"] for line in drawn_lines(page)} == {2}

    assert refused == [] and errors == []
    assert set(requested) == {html.as_uri()}


def test_model_view_mask_and_dropout(browser, view, artifacts):
    html, weights, tokens = view
    T = len(tokens)
    page, refused, _, errors = open_offline(
        browser, html.as_uri(), viewport={"width": 1100, "height": 900}
    )
    page.click(".av-tab[data-view='model']")
    assert page.locator(".av-thumb").count() == 3 * 4
    page.click(f".av-thumb[data-layer='{LAYER}'][data-head='{HEAD}']")
    cells = page.eval_on_selector_all(
        ".av-enlarged rect[data-weight]",
        "rs => rs.map(r => [+r.dataset.query, +r.dataset.key, +r.dataset.weight])",
    )
    assert len(cells) == T * (T + 1) // 2
    for i, j, w in cells:
        assert w == pytest.approx(weights[LAYER, HEAD, i, j].item(), abs=1e-3)
    assert page.locator(".av-enlarged rect.av-masked").count() == T * (T - 1) // 2
    page.screenshot(path=artifacts / "attention-view-model.png", full_page=True)
    page.keyboard.press("Escape")
    assert page.locator(".av-enlarged").is_hidden()

    page.click(".av-tab[data-view='mask']")
    assert page.locator(".av-panel[data-view='mask'] rect.av-masked").count() == T * (T - 1) // 2

    page.click(".av-tab[data-view='dropout']")
    choose(page, LAYER, [HEAD])
    p = 0.25  # the model's attention dropout, which the panel starts from

    def sample() -> list[list[float]]:
        return page.eval_on_selector_all(
            ".av-dropout rect:not(.av-masked)",
            "rs => rs.map(r => [+r.dataset.query, +r.dataset.key, r.dataset.weight === undefined"
            " ? -1 : +r.dataset.weight])",
        )

    first = sample()
    assert len(first) == T * (T + 1) // 2
    dropped = [c for c in first if c[2] == -1]
    assert 0 < len(dropped) < len(first)
    for i, j, w in first:
        if w != -1:  # kept: scaled by 1/(1-p), as nn.Dropout does in training
            assert w == pytest.approx(weights[LAYER, HEAD, i, j].item() / (1 - p), abs=1e-3)
    page.click(".av-sample")
    assert sample() != first  # a new sample at a click
    page.fill(".av-p", "0.5")
    page.press(".av-p", "Enter")
    page.locator(".av-dropout[data-p='0.5']").wait_for()
    for i, j, w in sample():
        if w != -1:
            assert w == pytest.approx(weights[LAYER, HEAD, i, j].item() / 0.5, abs=1e-3)
    page.screenshot(path=artifacts / "attention-view-dropout.png", full_page=True)
    assert refused == [] and errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_readable_at_phone_width_in_light_and_dark(browser, view, artifacts, scheme):
    html, _, _ = view
    page, _, _, errors = open_offline(
        browser, html.as_uri(), viewport={"width": 390, "height": 844}, color_scheme=scheme
    )
    for tab in ("heads", "model", "dropout"):
        page.click(f".av-tab[data-view='{tab}']")
        overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"the {tab} panel is wider than a phone"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == ("rgb(19, 19, 22)" if scheme == "dark" else "rgb(255, 255, 255)")
    page.click(".av-tab[data-view='heads']")
    page.screenshot(path=artifacts / f"attention-view-phone-{scheme}.png", full_page=True)
    assert errors == []


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_the_example_blogs_post_draws_the_models_weights_through_the_shortcode(
    browser, view, artifacts, tmp_path
):
    """What `make demo` does, with this test's model: the JSON into the example blog's
    static folder, the blog built by foldpress, the causal-attention post served."""
    foldpress_build = pytest.importorskip("foldpress.build", reason="foldpress not installed")
    example = require(REPO_ROOT / "examples" / "site", "the example blog (examples/site)")
    html, weights, tokens = view
    site = tmp_path / "site"
    shutil.copytree(example, site, ignore=shutil.ignore_patterns("_site*", ".foldpress-*"))
    data = site / "static" / "attention" / "demo.json"
    data.parent.mkdir(parents=True, exist_ok=True)
    model_dir = html.parent / "model"
    result = CliRunner().invoke(main, ["attention", str(model_dir), SENTENCE, "--json", str(data)])
    assert result.exit_code == 0, result.output
    foldpress_build.build(site)

    with serving(site / "_site") as root:
        context = browser.new_context(viewport={"width": 900, "height": 1000})
        outside: list[str] = []
        context.route(
            lambda u: not u.startswith(root),
            lambda route: (outside.append(route.request.url), route.abort()),
        )
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(root + "2025/03/causal-attention/")
        embed = page.locator(".attention-view")
        embed.locator(".av-app").wait_for()
        assert embed.locator(".av-fallback").is_hidden()
        query = len(tokens) - 2
        choose(embed, LAYER, [HEAD])
        embed.locator(f".av-query[data-index='{query}']").hover()
        lines = drawn_lines(embed)
        assert [line["key"] for line in lines] == list(range(query + 1))
        for line in lines:
            expected = weights[LAYER, HEAD, query, line["key"]].item()
            assert line["opacity"] == pytest.approx(expected, abs=1e-3)
        embed.scroll_into_view_if_needed()
        page.screenshot(path=artifacts / "attention-embed-causal-post.png", full_page=False)
        assert outside == [] and errors == []
