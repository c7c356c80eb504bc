"""Attention, one step at a time.

The classes follow the order in which the idea is usually taught: self-attention with
explicit weight matrices, the same with ``nn.Linear``, causal attention with dropout, and
finally the multi-head attention the GPT model uses. Each earlier step is importable and
tested, so a reader can run and compare them.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from scratchgpt.projection import Projection


def causal_mask(n_queries: int, n_keys: int, device: torch.device | None = None) -> Tensor:
    """Boolean mask, True where query ``i`` may attend key ``j``.

    Queries are the last ``n_queries`` positions of the ``n_keys`` keys, so with a KV cache
    (more keys than queries) the diagonal shifts right.
    """
    ones = torch.ones(n_queries, n_keys, dtype=torch.bool, device=device)
    return ones.tril(diagonal=n_keys - n_queries)


class SelfAttentionV1(nn.Module):
    """Self-attention with trainable weights, written with explicit matrices.

    Each input embedding is projected into a query, a key and a value by the matrices
    ``W_query``, ``W_key`` and ``W_value``. The attention score of query ``i`` for key ``j``
    is their dot product, scaled by ``1/sqrt(d_out)`` so that the softmax does not saturate as
    the dimension grows. The softmax turns each row of scores into attention weights that sum
    to one, and each context vector is the weighted sum of the values.
    """

    def __init__(self, d_in: int, d_out: int) -> None:
        super().__init__()
        self.W_query = nn.Parameter(torch.randn(d_in, d_out) / math.sqrt(d_in))
        self.W_key = nn.Parameter(torch.randn(d_in, d_out) / math.sqrt(d_in))
        self.W_value = nn.Parameter(torch.randn(d_in, d_out) / math.sqrt(d_in))

    def forward(self, x: Tensor) -> Tensor:
        """``x``: ``(..., T, d_in)`` -> context vectors ``(..., T, d_out)``."""
        queries = x @ self.W_query
        keys = x @ self.W_key
        values = x @ self.W_value
        scores = queries @ keys.transpose(-2, -1)
        weights = torch.softmax(scores / math.sqrt(keys.size(-1)), dim=-1)
        return weights @ values


class SelfAttentionV2(nn.Module):
    """The same self-attention, with ``nn.Linear`` layers as the projections.

    ``nn.Linear`` stores the transposed matrix and has a better initialisation; with
    ``bias=False`` it computes exactly ``x @ W``, so ``SelfAttentionV1`` given
    ``W = linear.weight.T`` gives the same output.
    """

    def __init__(self, d_in: int, d_out: int, qkv_bias: bool = False) -> None:
        super().__init__()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)

    def forward(self, x: Tensor) -> Tensor:
        """``x``: ``(..., T, d_in)`` -> context vectors ``(..., T, d_out)``."""
        queries, keys, values = self.W_query(x), self.W_key(x), self.W_value(x)
        scores = queries @ keys.transpose(-2, -1)
        weights = torch.softmax(scores / math.sqrt(keys.size(-1)), dim=-1)
        return weights @ values


class CausalAttention(nn.Module):
    mask: Tensor  # a buffer
    """Self-attention that never looks ahead, with dropout on the attention weights.

    A language model predicts token ``i + 1`` from tokens ``0..i``, so query ``i`` must not
    see keys after ``i``. The scores above the diagonal are set to ``-inf`` *before* the
    softmax: ``exp(-inf) = 0``, so those weights are exactly zero and each row still sums
    to one. (Zeroing weights after the softmax instead would leave rows that no longer
    sum to one.)

    Dropout then zeroes random attention weights during training and scales the survivors
    by ``1/(1-p)``, which keeps every output's expected value unchanged; in eval mode
    nothing is dropped.
    """

    def __init__(
        self, d_in: int, d_out: int, context_length: int, dropout: float, qkv_bias: bool = False
    ) -> None:
        super().__init__()
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", causal_mask(context_length, context_length), persistent=False)

    def forward(self, x: Tensor) -> Tensor:
        """``x``: ``(batch, T, d_in)`` -> context vectors ``(batch, T, d_out)``."""
        T = x.size(-2)
        queries, keys, values = self.W_query(x), self.W_key(x), self.W_value(x)
        scores = queries @ keys.transpose(-2, -1)
        scores = scores.masked_fill(~self.mask[:T, :T], float("-inf"))
        weights = torch.softmax(scores / math.sqrt(keys.size(-1)), dim=-1)
        return self.dropout(weights) @ values


class KVCache:
    """Keys and values of the positions already seen, for every layer.

    When generating, token ``t`` only needs its own query; the keys and values of the
    earlier tokens do not change, so they are kept here instead of being recomputed. The
    tensors are allocated once at full length (``max_len``) and filled in place, which avoids
    a copy per step; only the filled part is ever read. ``pos`` is the number of positions
    filled; the model advances it after each forward pass.
    """

    def __init__(
        self,
        n_layer: int,
        batch_size: int,
        n_head: int,
        head_dim: int,
        max_len: int,
        *,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        shape = (n_layer, batch_size, n_head, max_len, head_dim)
        self.keys = torch.empty(shape, device=device, dtype=dtype)
        self.values = torch.empty(shape, device=device, dtype=dtype)
        self.max_len = max_len
        self.pos = 0

    def update(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Store ``k``, ``v`` (``(batch, heads, T, head_dim)``) after ``pos``; return all so far."""
        end = self.pos + k.size(2)
        if end > self.max_len:
            raise ValueError(f"KV cache is full: {end} positions > max_len {self.max_len}")
        self.keys[layer, :, :, self.pos : end] = k
        self.values[layer, :, :, self.pos : end] = v
        return self.keys[layer, :, :, :end], self.values[layer, :, :, :end]

    def advance(self, n: int) -> None:
        """Mark ``n`` more positions as filled (called once per forward pass, after all layers)."""
        self.pos += n


class MultiHeadAttention(nn.Module):
    """Causal multi-head attention, laid out as GPT-2's.

    ``n_head`` causal attentions run in parallel, each on its own ``n_embd // n_head``
    slice of the projections, so each head can attend to different relations; their
    context vectors are concatenated and mixed by the output projection ``c_proj``. The
    query, key and value projections of all heads are one fused matrix, ``c_attn``. Both
    are a ``Projection``, ``x @ W + b`` with ``W`` stored ``(in, out)`` as in
    ``SelfAttentionV1`` and in GPT-2's files, so its published weights load unchanged.

    Two paths compute the same thing. The fast one (``sdpa=True``) calls
    ``F.scaled_dot_product_attention``, a fused kernel. The step-by-step one spells out
    scores, mask, softmax and dropout like ``CausalAttention``; its attention weights pass
    through the ``attn_dropout`` module, which is where ``scratchgpt.visualize`` observes
    them. Both paths take an optional ``KVCache``.
    """

    def __init__(
        self,
        n_embd: int,
        n_head: int,
        *,
        attn_dropout: float = 0.0,
        resid_dropout: float = 0.0,
        bias: bool = True,
        sdpa: bool = True,
    ) -> None:
        super().__init__()
        if n_embd % n_head:
            raise ValueError(f"n_embd ({n_embd}) must be divisible by n_head ({n_head})")
        self.n_head = n_head
        self.n_embd = n_embd
        self.sdpa = sdpa
        self.c_attn = Projection(n_embd, 3 * n_embd, bias=bias)
        self.c_proj = Projection(n_embd, n_embd, bias=bias)
        self.attn_dropout = nn.Dropout(attn_dropout)
        self.resid_dropout = nn.Dropout(resid_dropout)

    def forward(self, x: Tensor, kv_cache: KVCache | None = None, layer: int = 0) -> Tensor:
        """``x``: ``(batch, T, n_embd)`` -> ``(batch, T, n_embd)``.

        With ``kv_cache``, ``x`` holds the positions after ``kv_cache.pos`` and attends to
        all cached positions as well; ``layer`` selects this layer's slot in the cache.
        """
        B, T, C = x.shape
        head_dim = C // self.n_head
        # (B, T, 3C) -> three (B, n_head, T, head_dim) views, heads as a batch dimension.
        q, k, v = self.c_attn(x).view(B, T, 3, self.n_head, head_dim).permute(2, 0, 3, 1, 4)
        past = 0
        if kv_cache is not None:
            past = kv_cache.pos
            k, v = kv_cache.update(layer, k, v)
        y = self._fast(q, k, v, past) if self.sdpa else self._step_by_step(q, k, v)
        y = y.transpose(1, 2).reshape(B, T, C)
        return self.resid_dropout(self.c_proj(y))

    def _fast(self, q: Tensor, k: Tensor, v: Tensor, past: int) -> Tensor:
        p = self.attn_dropout.p if self.training else 0.0
        if past == 0:
            return F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        if q.size(2) == 1:  # one new token may see every cached position
            return F.scaled_dot_product_attention(q, k, v, dropout_p=p)
        # is_causal aligns the mask top-left; with a cache it must be bottom-right.
        mask = causal_mask(q.size(2), k.size(2), device=q.device)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)

    def _step_by_step(self, q: Tensor, k: Tensor, v: Tensor) -> Tensor:
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))
        mask = causal_mask(q.size(2), k.size(2), device=q.device)
        scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return self.attn_dropout(weights) @ v
