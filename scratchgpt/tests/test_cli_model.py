"""The model commands, run through click as a user would."""

import pytest
import torch
from click.testing import CliRunner

from scratchgpt.cli import main
from scratchgpt.generation import generate
from scratchgpt.model import GPT, GPTConfig
from scratchgpt.tokenizer import BPETokenizer, load_tokenizer_for_model
from scratchgpt.weights import load_pretrained, save_pretrained

TEXT = "the fat cat sat on the mat. the cat ate the rat. " * 20


@pytest.fixture
def model_dir(tmp_path):
    torch.manual_seed(0)
    tokenizer = BPETokenizer.train(TEXT, vocab_size=300)
    config = GPTConfig.from_preset("test", vocab_size=tokenizer.vocab_size)
    return save_pretrained(GPT(config), tmp_path / "model", tokenizer=tokenizer)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_generate_prints_prompt_and_greedy_continuation(model_dir):
    result = run("generate", model_dir, "--prompt", "the cat", "-n", "12", "-t", "0")
    assert result.exit_code == 0, result.output
    model = load_pretrained(model_dir)
    tokenizer = load_tokenizer_for_model(model_dir)
    ids = generate(model, torch.tensor([tokenizer.encode("the cat")]), 12, temperature=0)
    assert result.output == tokenizer.decode(ids[0].tolist()) + "\n"


def test_generate_with_a_seed_repeats(model_dir):
    args = ("generate", model_dir, "-p", "the", "-n", "10", "--top-k", "20", "--seed", "3")
    assert run(*args).output == run(*args).output
    assert run(*args, "--no-cache").output == run(*args).output


def _corrupt_weights(folder):
    tokenizer = BPETokenizer.train(TEXT, vocab_size=300)
    config = GPTConfig.from_preset("test", vocab_size=tokenizer.vocab_size)
    model = save_pretrained(GPT(config), folder / "model", tokenizer=tokenizer)
    (model / "model.safetensors").write_bytes(b"not safetensors")
    return model


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: d / "missing", "model folder not found"),
        (lambda d: (d / "config.json").write_text("{") and d, "not valid JSON"),
        (_corrupt_weights, "is not a readable safetensors file"),
    ],
)
def test_generate_reports_bad_folders_in_one_line(tmp_path, setup, message):
    result = run("generate", setup(tmp_path), "-p", "x")
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_generate_reports_an_unknown_device_in_one_line(model_dir):
    result = run("generate", model_dir, "--device", "gpu")
    assert result.exit_code == 1
    assert "Error: unknown device 'gpu'" in result.output
    assert "Traceback" not in result.output


def test_attention_writes_a_png(model_dir, tmp_path):
    out = tmp_path / "new folder" / "att.png"
    result = run("attention", model_dir, "the fat cat sat on the mat", "-o", out, "--layer", "1")
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert run("attention", model_dir, "the cat", "--layer", "5").exit_code == 1


def test_tokenize_shows_ids_and_pieces(model_dir):
    result = run("tokenize", "--tokenizer", model_dir, "the cat")
    assert result.exit_code == 0
    tokenizer = BPETokenizer.train(TEXT, vocab_size=300)
    ids = tokenizer.encode("the cat")
    assert f"ids:    {ids}" in result.output
    assert repr([tokenizer.decode([i]) for i in ids]) in result.output


def test_tokenize_gpt2(tiktoken_cache):
    assert "[15496, 995]" in run("tokenize", "Hello world").output


def test_train_tokenizer_from_a_folder(tmp_path):
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "a.md").write_text(TEXT)
    (tmp_path / "posts" / "b.txt").write_text("more text about cats " * 30)
    out = tmp_path / "tok.json"
    result = run("train-tokenizer", tmp_path / "posts", "-o", out, "--vocab-size", "280")
    assert result.exit_code == 0, result.output
    assert "from 2 files" in result.output
    assert run("tokenize", "--tokenizer", out, "cats").exit_code == 0
