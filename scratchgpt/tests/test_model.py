"""The GPT model: GPT-2's sizes, causality, loss, dropout, the KV cache and initialisation."""

import math

import pytest
import torch
import torch.nn.functional as F

from scratchgpt.model import GPT, PRESETS, GPTConfig


@pytest.mark.parametrize(
    ("preset", "count"),
    [
        ("gpt2", 124_439_808),
        ("gpt2-medium", 354_823_168),
        ("gpt2-large", 774_030_080),
        ("gpt2-xl", 1_557_611_200),
    ],
)
def test_parameter_counts_equal_gpt2(preset, count):
    with torch.device("meta"):  # no memory, no init time
        model = GPT(GPTConfig.from_preset(preset))
    assert model.num_parameters() == count
    assert model.num_parameters(non_embedding=True) == count - 1024 * model.config.n_embd


def test_presets_and_overrides():
    assert {"gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl", "tiny", "test"} <= PRESETS.keys()
    config = GPTConfig.from_preset("tiny", vocab_size=1000, attn_dropout=0.1)
    assert (config.n_layer, config.n_head, config.n_embd) == (4, 4, 128)
    assert (config.vocab_size, config.attn_dropout) == (1000, 0.1)
    assert PRESETS["tiny"].vocab_size == 50257  # the preset itself is untouched
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        GPTConfig.from_preset("nope")
    with pytest.raises(ValueError, match="divisible"):
        GPTConfig(n_embd=10, n_head=3)


@pytest.fixture
def model():
    torch.manual_seed(0)
    return GPT(GPTConfig.from_preset("test")).eval()


def test_changing_a_later_token_never_changes_earlier_logits(model):
    idx = torch.randint(0, 512, (1, 20))
    later = idx.clone()
    later[0, 12:] = torch.randint(0, 512, (8,))
    a, _ = model(idx)
    b, _ = model(later)
    torch.testing.assert_close(a[:, :12], b[:, :12])
    assert not torch.allclose(a[:, 12:], b[:, 12:])


def test_loss_is_mean_cross_entropy_with_ignore_index(model):
    idx = torch.randint(0, 512, (2, 10))
    targets = torch.randint(0, 512, (2, 10))
    targets[0, :3] = -100
    logits, loss = model(idx, targets)
    keep = targets != -100
    expected = F.cross_entropy(logits[keep], targets[keep])
    torch.testing.assert_close(loss, expected)
    assert model(idx)[1] is None


def test_untrained_loss_is_near_uniform(model):
    idx, targets = torch.randint(0, 512, (2, 4, 32))
    _, loss = model(idx, targets)
    assert abs(loss.item() - math.log(512)) < 0.3


def test_last_only_gives_the_last_position(model):
    idx = torch.randint(0, 512, (2, 10))
    full, _ = model(idx)
    last, _ = model(idx, last_only=True)
    assert last.shape == (2, 1, 512)
    torch.testing.assert_close(last[:, 0], full[:, -1])


@pytest.mark.parametrize("sdpa", [True, False])
def test_kv_cache_equals_the_full_forward(sdpa):
    torch.manual_seed(0)
    model = GPT(GPTConfig.from_preset("test", sdpa=sdpa)).eval()
    idx = torch.randint(0, 512, (2, 12))
    full, _ = model(idx)
    cache = model.new_kv_cache(2)
    parts = [model(idx[:, a:b], kv_cache=cache)[0] for a, b in [(0, 5), (5, 6), (6, 12)]]
    assert cache.pos == 12
    torch.testing.assert_close(torch.cat(parts, dim=1), full, atol=1e-5, rtol=1e-5)


def test_sequence_longer_than_context_is_refused(model):
    with pytest.raises(ValueError, match="context length 64"):
        model(torch.zeros(1, 65, dtype=torch.long))


def test_dropout_acts_in_training_only():
    torch.manual_seed(0)
    config = GPTConfig.from_preset("test", emb_dropout=0.1, attn_dropout=0.1, resid_dropout=0.1)
    model = GPT(config)
    idx = torch.randint(0, 512, (1, 16))
    model.train()
    assert not torch.equal(model(idx)[0], model(idx)[0])
    model.eval()
    assert torch.equal(model(idx)[0], model(idx)[0])


def test_head_is_tied_and_init_follows_gpt2():
    torch.manual_seed(0)
    model = GPT(GPTConfig.from_preset("tiny"))
    assert model.lm_head.weight is model.transformer.wte.weight
    block = model.transformer.h[0]
    assert block.attn.c_attn.weight.std().item() == pytest.approx(0.02, rel=0.05)
    residual = 0.02 / math.sqrt(2 * 4)
    assert block.attn.c_proj.weight.std().item() == pytest.approx(residual, rel=0.05)
    assert block.mlp.c_proj.weight.std().item() == pytest.approx(residual, rel=0.05)
    assert torch.all(block.attn.c_attn.bias == 0)


def test_a_few_steps_memorise_a_sequence():
    torch.manual_seed(0)
    model = GPT(GPTConfig.from_preset("test"))
    idx = torch.randint(0, 512, (1, 33))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(60):
        _, loss = model(idx[:, :-1], idx[:, 1:])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]
