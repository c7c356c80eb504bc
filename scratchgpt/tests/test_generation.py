"""Generation: greedy and sampling, seeds, end-of-text, batches, context limits, the cache."""

import pytest
import torch

from scratchgpt.generation import generate, sample_next, stream
from scratchgpt.model import GPT, GPTConfig


@pytest.fixture
def model():
    torch.manual_seed(0)
    return GPT(GPTConfig.from_preset("test", context_length=24))


def test_greedy_with_and_without_cache_agree_past_the_context(model):
    prompt = torch.randint(0, 512, (2, 10))
    with_cache = generate(model, prompt, 40, temperature=0, use_cache=True)
    without = generate(model, prompt, 40, temperature=0, use_cache=False)
    assert with_cache.shape == (2, 50)
    assert torch.equal(with_cache, without)
    assert torch.equal(with_cache[:, :10], prompt)


def test_greedy_is_the_argmax_of_the_model(model):
    prompt = torch.randint(0, 512, (1, 6))
    out = generate(model, prompt, 3, temperature=0)
    seq = prompt
    for _ in range(3):
        logits, _ = model.eval()(seq)
        seq = torch.cat([seq, logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    assert torch.equal(out, seq)


def test_sampling_with_a_seed_is_reproducible(model):
    prompt = torch.randint(0, 512, (1, 5))

    def run(seed, use_cache=True):
        g = torch.Generator().manual_seed(seed)
        return generate(model, prompt, 20, top_k=50, top_p=0.95, generator=g, use_cache=use_cache)

    assert torch.equal(run(1), run(1))
    assert torch.equal(run(1), run(1, use_cache=False))
    assert not torch.equal(run(1), run(2))


def test_top_k_one_is_greedy(model):
    prompt = torch.randint(0, 512, (1, 5))
    g = torch.Generator().manual_seed(0)
    sampled = generate(model, prompt, 10, temperature=1.5, top_k=1, generator=g)
    assert torch.equal(sampled, generate(model, prompt, 10, temperature=0))


def _draws(logits, n=2000, **kwargs):
    g = torch.Generator().manual_seed(0)
    return sample_next(logits.expand(n, -1), generator=g, **kwargs)


def test_top_k_and_top_p_keep_only_the_likeliest():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    assert set(_draws(logits, top_k=2).tolist()) == {0, 1}
    assert set(_draws(logits, top_p=0.7).tolist()) == {0, 1}  # 0.5 < 0.7 <= 0.8
    assert set(_draws(logits, top_p=0.5).tolist()) == {0}
    assert set(_draws(logits).tolist()) == {0, 1, 2, 3}


def test_temperature_sharpens_and_flattens():
    logits = torch.log(torch.tensor([[0.6, 0.4]]))
    cold = (_draws(logits, temperature=0.2) == 0).float().mean()
    hot = (_draws(logits, temperature=5.0) == 0).float().mean()
    assert cold > 0.85
    assert 0.45 < hot < 0.6
    with pytest.raises(ValueError, match="temperature"):
        sample_next(logits, temperature=-1)


def test_stops_at_end_of_text_and_pads_finished_rows(model):
    prompt = torch.randint(0, 512, (2, 5))
    free = generate(model, prompt, 12, temperature=0)
    eos = int(free[0, 8])  # the first row's 4th new token
    stopped = generate(model, prompt, 12, temperature=0, eos_token=eos)
    first_stop = (free[0, 5:] == eos).nonzero()[0].item()
    assert torch.all(stopped[0, 5 + first_stop :] == eos)
    if not (free[1, 5:] == eos).any():  # the other row runs on to the full length
        assert stopped.size(1) == 17
        assert torch.equal(stopped[1], free[1])


def test_a_batch_equals_its_rows_one_by_one(model):
    prompts = torch.randint(0, 512, (3, 7))
    batch = generate(model, prompts, 8, temperature=0)
    for row in range(3):
        assert torch.equal(batch[row], generate(model, prompts[row], 8, temperature=0))


def test_stream_yields_the_tokens_generate_returns(model):
    prompt = torch.randint(0, 512, (1, 4))
    tokens = [int(t) for t in stream(model, prompt, 6, temperature=0)]
    assert tokens == generate(model, prompt, 6, temperature=0)[0, 4:].tolist()


def test_generation_restores_training_mode(model):
    model.train()
    generate(model, torch.zeros(1, 1, dtype=torch.long), 2)
    assert model.training
