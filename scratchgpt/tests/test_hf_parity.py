"""Parity with HuggingFace transformers' GPT2LMHeadModel, the reference implementation."""

import pytest
import torch

transformers = pytest.importorskip("transformers")

from scratchgpt.generation import generate  # noqa: E402
from scratchgpt.model import GPT, GPTConfig  # noqa: E402
from scratchgpt.weights import config_to_hf, load_pretrained, save_pretrained  # noqa: E402

SIZES = [  # (n_layer, n_head, n_embd): odd head counts and a single head included
    (1, 1, 16),
    (2, 3, 48),
    (3, 5, 80),
    (2, 4, 64),
]


def _hf_model(config: GPTConfig):
    hf_config = transformers.GPT2Config(**config_to_hf(config, eot_token=0))
    return transformers.GPT2LMHeadModel(hf_config).eval()


@pytest.mark.parametrize(("n_layer", "n_head", "n_embd"), SIZES)
def test_scratchgpt_weights_in_transformers(n_layer, n_head, n_embd, tmp_path):
    torch.manual_seed(n_embd)
    config = GPTConfig(
        vocab_size=321, context_length=40, n_layer=n_layer, n_head=n_head, n_embd=n_embd
    )
    ours = GPT(config).eval()
    save_pretrained(ours, tmp_path)
    theirs = transformers.GPT2LMHeadModel.from_pretrained(tmp_path).eval()
    idx = torch.randint(0, 321, (3, 40))
    with torch.no_grad():
        torch.testing.assert_close(ours(idx)[0], theirs(idx).logits, atol=1e-4, rtol=0)


@pytest.mark.parametrize(("n_layer", "n_head", "n_embd"), SIZES)
def test_transformers_weights_in_scratchgpt(n_layer, n_head, n_embd, tmp_path):
    torch.manual_seed(n_embd + 1)
    config = GPTConfig(
        vocab_size=321, context_length=40, n_layer=n_layer, n_head=n_head, n_embd=n_embd
    )
    theirs = _hf_model(config)
    with torch.no_grad():  # HF zero-initialises biases and unit LayerNorms; make them matter
        for name, param in theirs.named_parameters():
            if "ln_" in name or name.endswith("bias"):
                param.add_(0.1 * torch.randn_like(param))
    theirs.save_pretrained(tmp_path)
    ours = load_pretrained(tmp_path)
    idx = torch.randint(0, 321, (3, 40))
    with torch.no_grad():
        expected = theirs(idx).logits
    torch.testing.assert_close(ours(idx)[0], expected, atol=1e-4, rtol=0)
    for block in ours.transformer.h:  # the step-by-step attention path too
        block.attn.sdpa = False
    torch.testing.assert_close(ours(idx)[0], expected, atol=1e-4, rtol=0)


@pytest.mark.parametrize("use_cache", [True, False])
def test_greedy_generation_matches_token_for_token(use_cache, tmp_path):
    torch.manual_seed(7)
    config = GPTConfig(vocab_size=321, context_length=64, n_layer=2, n_head=3, n_embd=48)
    ours = GPT(config).eval()
    save_pretrained(ours, tmp_path)
    theirs = transformers.GPT2LMHeadModel.from_pretrained(tmp_path).eval()
    prompt = torch.randint(0, 321, (2, 8))
    expected = theirs.generate(
        prompt,
        attention_mask=torch.ones_like(prompt),
        max_new_tokens=30,
        min_new_tokens=30,
        do_sample=False,
        use_cache=use_cache,
        pad_token_id=0,
    )
    assert torch.equal(generate(ours, prompt, 30, temperature=0, use_cache=use_cache), expected)
