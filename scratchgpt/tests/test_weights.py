"""Saving and loading the HuggingFace GPT-2 layout."""

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

import scratchgpt
from scratchgpt.model import GPT, GPTConfig
from scratchgpt.tokenizer import TOKENIZER_FILE, BPETokenizer
from scratchgpt.weights import load_pretrained, save_pretrained, state_dict_to_hf


@pytest.fixture
def model():
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=300, context_length=32, n_embd=48, n_layer=2, n_head=3)).eval()


def test_round_trip_keeps_logits_and_config(model, tmp_path):
    save_pretrained(model, tmp_path / "m")
    loaded = load_pretrained(tmp_path / "m")
    assert loaded.config == model.config
    assert not loaded.training
    assert loaded.lm_head.weight is loaded.transformer.wte.weight
    idx = torch.randint(0, 300, (2, 16))
    assert torch.equal(loaded(idx)[0], model(idx)[0])


def test_files_use_gpt2_names_and_conv1d_shapes(model, tmp_path):
    save_pretrained(model, tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model_type"] == "gpt2"
    assert config["architectures"] == ["GPT2LMHeadModel"]
    assert (config["n_positions"], config["n_embd"], config["n_head"]) == (32, 48, 3)
    tensors = load_file(tmp_path / "model.safetensors")
    assert tensors["transformer.h.0.attn.c_attn.weight"].shape == (48, 144)  # (in, out)
    assert tensors["transformer.h.1.mlp.c_proj.weight"].shape == (192, 48)
    assert "lm_head.weight" not in tensors


def test_loads_published_names_without_prefix_and_with_mask_buffers(model, tmp_path):
    save_pretrained(model, tmp_path)
    tensors = {
        k.removeprefix("transformer."): v
        for k, v in load_file(tmp_path / "model.safetensors").items()
    }
    for layer in range(2):  # as in OpenAI's GPT-2 release converted by HuggingFace
        tensors[f"h.{layer}.attn.bias"] = torch.ones(1, 1, 32, 32).tril()
        tensors[f"h.{layer}.attn.masked_bias"] = torch.tensor(-1e4)
    save_file(tensors, tmp_path / "model.safetensors")
    idx = torch.randint(0, 300, (1, 10))
    torch.testing.assert_close(load_pretrained(tmp_path)(idx)[0], model(idx)[0])


def test_dtype_and_trained_tokenizer_travel(model, tmp_path):
    tokenizer = BPETokenizer.train("the cat sat on the mat " * 10, vocab_size=270)
    save_pretrained(model, tmp_path, tokenizer=tokenizer)
    assert (tmp_path / TOKENIZER_FILE).is_file()
    eos = json.loads((tmp_path / "config.json").read_text())["eos_token_id"]
    assert eos == tokenizer.eot_token
    half = load_pretrained(tmp_path, dtype=torch.bfloat16)
    assert half.transformer.h[0].attn.c_attn.weight.dtype == torch.bfloat16


def test_projections_are_stored_as_in_gpt2_files(model):
    # GPT-2's Conv1D layout, (in, out), in the model and the files alike: no transposes.
    tensors = state_dict_to_hf(model)
    fc = model.transformer.h[0].mlp.c_fc
    assert fc.weight.shape == (48, 192)
    assert torch.equal(tensors["transformer.h.0.mlp.c_fc.weight"], fc.weight)
    x = torch.randn(5, 48)
    torch.testing.assert_close(fc(x), x @ fc.weight + fc.bias)


def test_clear_errors(model, tmp_path):
    with pytest.raises(FileNotFoundError, match="model folder not found"):
        load_pretrained(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match=r"no config\.json"):
        load_pretrained(tmp_path)
    (tmp_path / "config.json").write_text("{oops")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_pretrained(tmp_path)
    (tmp_path / "config.json").write_text('{"n_embd": 48}')
    with pytest.raises(ValueError, match="lacks a GPT-2 setting"):
        load_pretrained(tmp_path)
    save_pretrained(model, tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    config["n_layer"] = 3
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match="missing"):
        load_pretrained(tmp_path)


def test_never_unpickles():
    for path in Path(scratchgpt.__path__[0]).rglob("*.py"):
        for line in path.read_text().splitlines():
            if "torch.load(" in line:
                assert "weights_only=True" in line, f"{path}: {line.strip()}"
