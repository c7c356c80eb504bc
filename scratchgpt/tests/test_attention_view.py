"""The interactive attention view's files: the data holds the model's weights to 1e-3, the HTML
page holds everything it needs, and the blog theme serves the very same script."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from conftest import REPO_ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchgpt import attention_view
from scratchgpt.cli import main
from scratchgpt.model import GPT, GPTConfig
from scratchgpt.tokenizer import BPETokenizer
from scratchgpt.visualize import attention_weights
from scratchgpt.weights import save_pretrained

TEXT = "the fat cat sat on the mat. the cat ate the rat. " * 20
THEME_STATIC = REPO_ROOT / "foldpress" / "src" / "foldpress" / "themes" / "default" / "static"


def sharpened_model(n_layer: int = 3, n_head: int = 4, attn_dropout: float = 0.25) -> GPT:
    """A random model whose heads look in different places (fresh weights attend uniformly)."""
    torch.manual_seed(0)
    config = GPTConfig(
        vocab_size=300,
        n_layer=n_layer,
        n_head=n_head,
        n_embd=32,
        context_length=64,
        attn_dropout=attn_dropout,
    )
    model = GPT(config)
    with torch.no_grad():
        for block in model.transformer.h:
            block.attn.c_attn.weight.mul_(40)
    return model.eval()


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    tokenizer = BPETokenizer.train(TEXT, vocab_size=300)
    return save_pretrained(sharpened_model(), tmp_path / "model", tokenizer=tokenizer)


def decode(data: dict, layer: int, head: int) -> torch.Tensor:
    """The full (T, T) weights of one head, back from the stored lower triangle."""
    T = len(data["tokens"])
    full = torch.zeros(T, T)
    rows, cols = torch.tril_indices(T, T)
    full[rows, cols] = torch.tensor(data["weights"][layer][head], dtype=torch.float) / 1000
    return full


@settings(max_examples=15, deadline=None)
@given(
    n_layer=st.integers(1, 3),
    n_head=st.integers(1, 4),
    T=st.integers(1, 12),
    sharpness=st.floats(0.1, 50),
)
def test_data_holds_every_weight_to_a_thousandth(n_layer, n_head, T, sharpness):
    scores = torch.randn(n_layer, n_head, T, T) * sharpness
    mask = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    weights = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
    data = attention_view.view_data(weights, [f"t{i}" for i in range(T)])
    assert data["layers"] == list(range(n_layer))
    assert [len(heads) for heads in data["weights"]] == [n_head] * n_layer
    for layer in range(n_layer):
        for head in range(n_head):
            diff = (decode(data, layer, head) - weights[layer, head]).abs().max().item()
            assert diff <= 0.0005 + 1e-6


def test_data_for_gpt2_small_on_24_tokens_is_well_under_2_mb():
    # GPT-2 124M's shape: 12 layers of 12 heads. Sharp and flat heads alike, so that every
    # weight takes its full number of digits somewhere.
    scores = torch.randn(12, 12, 24, 24) * torch.linspace(0.1, 10, 12).view(1, 12, 1, 1)
    mask = torch.triu(torch.ones(24, 24, dtype=torch.bool), diagonal=1)
    weights = torch.softmax(scores.masked_fill(mask, float("-inf")), dim=-1)
    data = attention_view.view_data(weights, [" token"] * 24, model="gpt2", text="x" * 100)
    json_size = len(attention_view.to_json(data).encode())
    html_size = len(attention_view.to_html(data).encode())
    assert json_size < 250_000
    assert html_size < json_size + 60_000  # the script and stylesheet add little
    assert html_size < 2_000_000


def test_data_refuses_tokens_that_do_not_match_the_weights():
    with pytest.raises(ValueError, match="3 tokens for weights over 2 positions"):
        attention_view.view_data(torch.ones(1, 1, 2, 2), ["a", "b", "c"])


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


class Resources(HTMLParser):
    """Every attribute of the page that could make a browser fetch something."""

    def __init__(self) -> None:
        super().__init__()
        self.fetching: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "srcset", "data", "poster", "action"}:
                self.fetching.append((tag, name, value or ""))


def test_html_and_json_from_the_command_line(model_dir, tmp_path):
    text = "the fat cat sat on the mat"
    html, data_file = tmp_path / "out" / "view.html", tmp_path / "view.json"
    result = run("attention", model_dir, text, "--html", html, "--json", data_file)
    assert result.exit_code == 0, result.output
    assert re.search(r"wrote .*view\.json \(\d+ tokens, 3 layers, \d+ KiB\)", result.output)
    assert not (Path.cwd() / "attention.png").exists()  # no PNG unless asked for
    data = json.loads(data_file.read_text(encoding="utf-8"))
    assert data["format"] == "scratchgpt-attention"
    assert data["dropout"] == 0.25  # the model's own attention dropout
    assert "".join(data["tokens"]) == text

    from scratchgpt.tokenizer import load_tokenizer_for_model
    from scratchgpt.weights import load_pretrained

    model = load_pretrained(model_dir)
    ids = load_tokenizer_for_model(model_dir).encode(text)
    expected = attention_weights(model, torch.tensor(ids))
    for layer in range(3):
        for head in range(4):
            torch.testing.assert_close(
                decode(data, layer, head), expected[layer, head], atol=5e-4, rtol=0
            )

    page = html.read_text(encoding="utf-8")
    embedded = re.search(r'<script type="application/json">(.*?)</script>', page, re.S)
    assert embedded and json.loads(embedded.group(1)) == data
    assert attention_view.read_static("attention-view.js") in page
    resources = Resources()
    resources.feed(page)
    assert resources.fetching == []  # everything inline: nothing for a browser to fetch


def test_layers_and_dropout_options(model_dir, tmp_path):
    out = tmp_path / "v.json"
    result = run(
        "attention",
        model_dir,
        "the cat",
        "--json",
        out,
        "-l",
        "2",
        "-l",
        "0",
        "--dropout",
        "0.5",
        "-o",
        tmp_path / "v",
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "v.png").read_bytes()[:4] == b"\x89PNG"
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["layers"] == [0, 2]
    assert len(data["weights"]) == 2
    assert data["dropout"] == 0.5


def test_a_script_closing_tag_in_the_text_stays_inside_the_data(model_dir, tmp_path):
    text = "the </script><b>cat"
    out = tmp_path / "v.html"
    assert run("attention", model_dir, text, "--html", out).exit_code == 0
    page = out.read_text(encoding="utf-8")
    embedded = re.search(r'<script type="application/json">(.*?)</script>', page, re.S)
    assert embedded and json.loads(embedded.group(1))["text"] == text


def test_the_blog_theme_serves_the_same_script_and_stylesheet():
    for name in attention_view.STATIC:
        theirs = THEME_STATIC / name
        assert theirs.read_text(encoding="utf-8") == attention_view.read_static(name), (
            f"{theirs} differs from scratchgpt/src/scratchgpt/static/{name}, which it copies: "
            f"cp scratchgpt/src/scratchgpt/static/{name} {theirs}"
        )


def test_a_view_too_large_for_a_browser_is_said(model_dir, tmp_path, monkeypatch):
    from scratchgpt.cli import model_commands

    args = ("attention", model_dir, "the cat sat", "--json", tmp_path / "v.json")
    assert "slowly" not in run(*args).output
    monkeypatch.setattr(model_commands, "VIEW_WARN_BYTES", 100)
    result = run(*args)
    assert result.exit_code == 0
    assert "a browser opens it slowly" in result.output


def test_a_gpt2_from_the_hub_cache_with_gpt2s_tokenizer(tmp_path, tiktoken_cache):
    from test_hub import _hub_cache, _scratchgpt

    torch.manual_seed(0)
    config = GPTConfig.from_preset("test", vocab_size=50257)
    model_dir = save_pretrained(GPT(config), tmp_path / "m")
    _hub_cache(tmp_path / "hub", "openai-community/gpt2", model_dir)
    env = {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub")}
    out = tmp_path / "gpt2.json"
    text = "The cat sat on the mat"
    done = _scratchgpt("attention", "openai-community/gpt2", text, "--json", out, env=env)
    assert done.returncode == 0, done.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["tokens"] == ["The", " cat", " sat", " on", " the", " mat"]  # GPT-2's BPE
    assert data["model"] == "openai-community/gpt2"
    assert len(data["weights"]) == 2 and len(data["weights"][0]) == 2
