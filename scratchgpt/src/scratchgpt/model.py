"""The GPT model: embeddings, a stack of transformer blocks, and a tied output head.

The module and parameter names are GPT-2's (``transformer.h.0.attn.c_attn`` and so on), and
the projections store their weights as GPT-2's files do, so ``scratchgpt.weights`` converts
to and from the published layout with a key map alone.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from scratchgpt.attention import KVCache, MultiHeadAttention
from scratchgpt.projection import Projection


@dataclass
class GPTConfig:
    """Shape and regularisation of a GPT model; the defaults are GPT-2 (124M).

    Dropouts default to 0.0, as is usual when pretraining from scratch; GPT-2 was trained
    with 0.1, which its ``config.json`` carries. ``sdpa`` picks the attention path at run
    time and is not saved with the weights.
    """

    vocab_size: int = 50257
    context_length: int = 1024
    n_embd: int = 768
    n_layer: int = 12
    n_head: int = 12
    emb_dropout: float = 0.0
    attn_dropout: float = 0.0
    resid_dropout: float = 0.0
    bias: bool = True
    layer_norm_epsilon: float = 1e-5
    sdpa: bool = True

    def __post_init__(self) -> None:
        if self.n_embd % self.n_head:
            raise ValueError(f"n_embd ({self.n_embd}) must be divisible by n_head ({self.n_head})")

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> GPTConfig:
        """The preset ``name`` (see ``PRESETS``) with some fields replaced."""
        try:
            preset = PRESETS[name]
        except KeyError:
            known = ", ".join(PRESETS)
            raise ValueError(f"unknown preset {name!r}; known presets: {known}") from None
        return dataclasses.replace(preset, **overrides)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a plain dict (for JSON or TOML)."""
        return dataclasses.asdict(self)


PRESETS: dict[str, GPTConfig] = {
    # The published GPT-2 sizes.
    "gpt2": GPTConfig(n_layer=12, n_head=12, n_embd=768),
    "gpt2-medium": GPTConfig(n_layer=24, n_head=16, n_embd=1024),
    "gpt2-large": GPTConfig(n_layer=36, n_head=20, n_embd=1280),
    "gpt2-xl": GPTConfig(n_layer=48, n_head=25, n_embd=1600),
    # Small ones: a laptop model, one that trains on a CPU in a minute, one for unit tests.
    "small": GPTConfig(n_layer=6, n_head=6, n_embd=384, context_length=256),
    "tiny": GPTConfig(n_layer=4, n_head=4, n_embd=128, context_length=128),
    "test": GPTConfig(vocab_size=512, n_layer=2, n_head=2, n_embd=32, context_length=64),
}


class MLP(nn.Module):
    """The position-wise feed-forward network: widen 4x, GELU, project back."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.c_fc = Projection(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.c_proj = Projection(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.resid_dropout)

    def forward(self, x: Tensor) -> Tensor:
        # GPT-2 used the tanh approximation of GELU; the exact form would not match its weights.
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")))


class Block(nn.Module):
    """A transformer block: attention then MLP, each with a pre-LayerNorm and a residual."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon, bias=config.bias)
        self.attn = MultiHeadAttention(
            config.n_embd,
            config.n_head,
            attn_dropout=config.attn_dropout,
            resid_dropout=config.resid_dropout,
            bias=config.bias,
            sdpa=config.sdpa,
        )
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, x: Tensor, kv_cache: KVCache | None = None, layer: int = 0) -> Tensor:
        x = x + self.attn(self.ln_1(x), kv_cache, layer)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """A GPT-2-style language model.

    Token and position embeddings are summed, passed through ``n_layer`` blocks and a final
    LayerNorm, and projected to vocabulary logits by ``lm_head``, whose weight is the token
    embedding matrix itself (tied, as in GPT-2).
    """

    # GPT-2's module names (wte, wpe, drop, h, ln_f); Any, as ModuleDict types its items
    # only as Module.
    transformer: Any

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.transformer = nn.ModuleDict(
            {
                "wte": nn.Embedding(config.vocab_size, config.n_embd),
                "wpe": nn.Embedding(config.context_length, config.n_embd),
                "drop": nn.Dropout(config.emb_dropout),
                "h": nn.ModuleList(Block(config) for _ in range(config.n_layer)),
                "ln_f": nn.LayerNorm(
                    config.n_embd, eps=config.layer_norm_epsilon, bias=config.bias
                ),
            }
        )
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.tie_weights()
        # GPT-2's initialisation: N(0, 0.02) for embeddings and projections (Projection does
        # its own), and the projections into the residual stream scaled by 1/sqrt(number of
        # residual additions), so the stream's variance does not grow with depth.
        nn.init.normal_(self.transformer.wte.weight, std=0.02)
        nn.init.normal_(self.transformer.wpe.weight, std=0.02)
        residual_std = 0.02 / math.sqrt(2 * config.n_layer)
        for name, param in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(param, mean=0.0, std=residual_std)

    def tie_weights(self) -> None:
        """Make ``lm_head`` share the token embedding matrix (again, after loading weights)."""
        self.lm_head.weight = self.transformer.wte.weight

    def num_parameters(self, non_embedding: bool = False) -> int:
        """Number of parameters, the tied head counted once.

        ``non_embedding=True`` leaves out the position embeddings; the token embeddings
        stay, since they are also the output head (nanoGPT counts the same way).
        """
        n = sum(p.numel() for p in self.parameters())
        if non_embedding:
            n -= self.transformer.wpe.weight.numel()
        return n

    def new_kv_cache(self, batch_size: int, max_len: int | None = None) -> KVCache:
        """An empty ``KVCache`` for this model, on its device and in its dtype."""
        c = self.config
        weight = self.transformer.wte.weight
        return KVCache(
            c.n_layer,
            batch_size,
            c.n_head,
            c.n_embd // c.n_head,
            max_len or c.context_length,
            device=weight.device,
            dtype=weight.dtype,
        )

    def forward(
        self,
        idx: Tensor,
        targets: Tensor | None = None,
        kv_cache: KVCache | None = None,
        *,
        last_only: bool = False,
    ) -> tuple[Tensor, Tensor | None]:
        """Logits ``(batch, T, vocab)`` for token ids ``idx`` ``(batch, T)``, and the loss.

        ``targets`` (same shape as ``idx``, ``-100`` to ignore a position) gives the mean
        cross-entropy as the loss, else the loss is None. With ``kv_cache``, ``idx`` holds
        the positions after those cached, and the cache is advanced by ``T``.
        ``last_only=True`` computes logits for the last position only (``T`` becomes 1),
        which is all generation needs and saves most of the output head's work.
        """
        T = idx.size(1)
        start = kv_cache.pos if kv_cache is not None else 0
        if start + T > self.config.context_length:
            raise ValueError(
                f"sequence of {start + T} tokens is longer than the context length "
                f"{self.config.context_length}"
            )
        pos = torch.arange(start, start + T, device=idx.device)
        x = self.transformer.drop(self.transformer.wte(idx) + self.transformer.wpe(pos))
        for layer, block in enumerate(self.transformer.h):
            x = block(x, kv_cache, layer)
        if kv_cache is not None:
            kv_cache.advance(T)
        x = self.transformer.ln_f(x)
        if targets is not None:
            logits = self.lm_head(x)
            loss = F.cross_entropy(
                logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-100
            )
            return logits, loss
        if last_only:
            x = x[:, -1:, :]
        return self.lm_head(x), None
