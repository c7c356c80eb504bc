"""The attention steps: each agrees with the last, masks the future, and drops out as taught."""

import pytest
import torch

from scratchgpt.attention import (
    CausalAttention,
    KVCache,
    MultiHeadAttention,
    SelfAttentionV1,
    SelfAttentionV2,
    causal_mask,
)


def test_v1_and_v2_agree_given_the_same_matrices():
    torch.manual_seed(0)
    v2 = SelfAttentionV2(6, 4)
    v1 = SelfAttentionV1(6, 4)
    with torch.no_grad():
        v1.W_query.copy_(v2.W_query.weight.T)
        v1.W_key.copy_(v2.W_key.weight.T)
        v1.W_value.copy_(v2.W_value.weight.T)
    x = torch.randn(5, 6)
    torch.testing.assert_close(v1(x), v2(x))


def test_self_attention_is_a_weighted_sum_of_values():
    torch.manual_seed(0)
    attn = SelfAttentionV1(3, 2)
    x = torch.randn(4, 3)
    q, k, v = x @ attn.W_query, x @ attn.W_key, x @ attn.W_value
    weights = torch.softmax(q[2] @ k.T / 2**0.5, dim=0)
    torch.testing.assert_close(attn(x)[2], weights @ v)


def _capture_weights(module):
    seen = []
    module.dropout.register_forward_hook(lambda _m, args, out: seen.append((args[0], out)))
    return seen


def test_causal_attention_masks_the_future_before_the_softmax():
    torch.manual_seed(0)
    attn = CausalAttention(4, 4, context_length=8, dropout=0.0)
    seen = _capture_weights(attn)
    attn(torch.randn(1, 6, 4))
    weights = seen[0][0][0]
    assert torch.all(weights.triu(diagonal=1) == 0)
    torch.testing.assert_close(weights.sum(-1), torch.ones(6))
    assert torch.all(weights[causal_mask(6, 6)] > 0)


def test_causal_attention_output_ignores_later_tokens():
    torch.manual_seed(0)
    attn = CausalAttention(4, 4, context_length=8, dropout=0.0)
    x = torch.randn(1, 6, 4)
    y = x.clone()
    y[0, 4:] = torch.randn(2, 4)
    torch.testing.assert_close(attn(x)[0, :4], attn(y)[0, :4])
    assert not torch.allclose(attn(x)[0, 4:], attn(y)[0, 4:])


def test_dropout_only_in_training_and_survivors_scaled():
    torch.manual_seed(0)
    p = 0.5
    attn = CausalAttention(4, 4, context_length=16, dropout=p)
    seen = _capture_weights(attn)
    x = torch.randn(1, 16, 4)
    attn.eval()
    assert torch.equal(attn(x), attn(x))
    assert torch.equal(seen[-1][0], seen[-1][1])  # nothing dropped at inference
    attn.train()
    out_a, out_b = attn(x), attn(x)
    assert not torch.equal(out_a, out_b)
    weights, dropped = seen[-1]
    kept = dropped != 0
    assert 0 < kept.float().mean() < 1
    torch.testing.assert_close(dropped[kept], weights[kept] / (1 - p))


def test_dropout_keeps_the_expected_value():
    torch.manual_seed(0)
    attn = CausalAttention(4, 4, context_length=8, dropout=0.3)
    x = torch.randn(1, 8, 4)
    attn.eval()
    expected = attn(x)
    attn.train()
    with torch.no_grad():  # each batch row draws its own dropout mask
        mean = attn(x.expand(4000, -1, -1)).mean(0, keepdim=True)
    torch.testing.assert_close(mean, expected, atol=0.03, rtol=0)


@pytest.mark.parametrize("n_head", [1, 3, 4])
@pytest.mark.parametrize("training", [False, True])
def test_step_by_step_path_equals_the_fast_path(n_head, training):
    torch.manual_seed(0)
    fast = MultiHeadAttention(12 * n_head, n_head, attn_dropout=0.0, sdpa=True)
    slow = MultiHeadAttention(12 * n_head, n_head, attn_dropout=0.0, sdpa=False)
    slow.load_state_dict(fast.state_dict())
    fast.train(training)
    slow.train(training)
    x = torch.randn(2, 9, 12 * n_head)
    torch.testing.assert_close(fast(x), slow(x), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("sdpa", [True, False])
def test_kv_cache_in_chunks_equals_the_full_sequence(sdpa):
    torch.manual_seed(0)
    attn = MultiHeadAttention(16, 4, sdpa=sdpa).eval()
    x = torch.randn(2, 10, 16)
    full = attn(x)
    cache = KVCache(1, 2, 4, 4, max_len=10)
    parts = []
    for start, end in [(0, 4), (4, 7), (7, 8), (8, 10)]:  # prefill, chunk, one, chunk
        parts.append(attn(x[:, start:end], cache, 0))
        cache.advance(end - start)
    torch.testing.assert_close(torch.cat(parts, dim=1), full, atol=1e-5, rtol=1e-5)


def test_kv_cache_refuses_to_overflow():
    cache = KVCache(1, 1, 1, 2, max_len=3)
    cache.update(0, torch.zeros(1, 1, 3, 2), torch.zeros(1, 1, 3, 2))
    cache.advance(3)
    with pytest.raises(ValueError, match="full"):
        cache.update(0, torch.zeros(1, 1, 1, 2), torch.zeros(1, 1, 1, 2))


def test_causal_mask_aligns_queries_with_the_last_keys():
    assert causal_mask(2, 4).tolist() == [[True, True, True, False], [True, True, True, True]]


def test_head_count_must_divide_the_width():
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 3)
