"""Text generation: pick the next token, append it, repeat.

``stream`` yields one new token per row and step; ``generate`` collects them. Prompts are
a ``(batch, T)`` tensor, so a batch's prompts have equal length (no padding).

Length: a model sees at most ``context_length`` tokens. Without a cache the window is
cropped to the last ``context_length`` tokens. With a cache, the prompt is cropped the same
way, and the cache is used while the sequence fits in the context; after that every step
recomputes the cropped window, exactly as without a cache, so both paths give the same
tokens at any length.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

import torch
from torch import Tensor

from scratchgpt.model import GPT


def sample_next(
    logits: Tensor,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
) -> Tensor:
    """Choose the next token ``(batch,)`` from last-position logits ``(batch, vocab)``.

    ``temperature`` 0 is greedy (the argmax). Otherwise the logits are divided by the
    temperature (below 1 sharpens, above 1 flattens), ``top_k`` keeps the k likeliest
    tokens, ``top_p`` keeps the smallest set whose probabilities sum to at least ``p``
    (nucleus sampling), and one token is drawn from what is left.
    """
    if temperature == 0:
        return logits.argmax(dim=-1)
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0: {temperature}")
    logits = logits.float() / temperature
    if top_k is not None:
        kth = torch.topk(logits, min(top_k, logits.size(-1)), dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = torch.softmax(sorted_logits, dim=-1)
        # Drop a token when the tokens before it already reach top_p; the first always stays.
        drop = probs.cumsum(dim=-1) - probs >= top_p
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = torch.empty_like(logits).scatter_(-1, order, sorted_logits)
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, num_samples=1, generator=generator).squeeze(-1)


@torch.inference_mode()
def stream(
    model: GPT,
    idx: Tensor,
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    eos_token: int | None = None,
    use_cache: bool = True,
    generator: torch.Generator | None = None,
) -> Iterator[Tensor]:
    """Yield the next token of every row, ``(batch,)``, up to ``max_new_tokens`` times.

    A row that has produced ``eos_token`` keeps yielding it; the stream ends when every
    row has. The model runs in eval mode (no dropout) and is put back as it was.
    """
    was_training = model.training
    model.eval()
    try:
        context = model.config.context_length
        # Room for every position this call feeds the model, up to the context length.
        room = min(context, idx.size(1) + max_new_tokens)
        cache = model.new_kv_cache(idx.size(0), room) if use_cache else None
        done = torch.zeros(idx.size(0), dtype=torch.bool, device=idx.device)
        seq = idx
        for _ in range(max_new_tokens):
            if cache is not None and seq.size(1) > context:
                cache = None  # full: from here on, recompute the cropped window each step
            # With a cache only the positions not cached yet go in; else the whole window.
            window = seq[:, cache.pos :] if cache is not None else seq[:, -context:]
            logits, _ = model(window, kv_cache=cache, last_only=True)
            token = sample_next(
                logits[:, -1],
                temperature=temperature,
                top_k=top_k,
                top_p=top_p,
                generator=generator,
            )
            if eos_token is not None:
                token = token.masked_fill(done, eos_token)
                done |= token == eos_token
            yield token
            if eos_token is not None and bool(done.all()):
                return
            seq = torch.cat([seq, token[:, None]], dim=1)
    finally:
        model.train(was_training)


def stream_text(
    tokens: Iterable[Tensor], decode: Callable[[list[int]], str], eos_token: int | None
) -> Iterator[str]:
    """The text of a one-row token stream, piece by piece, up to ``eos_token``.

    A piece that would end in part of a multi-byte character waits for the rest of it.
    """
    ids: list[int] = []
    shown = 0
    for token in tokens:
        if int(token) == eos_token:
            break
        ids.append(int(token))
        text = decode(ids)
        if not text.endswith("\ufffd"):
            yield text[shown:]
            shown = len(text)
    rest = decode(ids)[shown:]
    if rest:
        yield rest


def generate(
    model: GPT,
    idx: Tensor,
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    eos_token: int | None = None,
    use_cache: bool = True,
    generator: torch.Generator | None = None,
) -> Tensor:
    """``idx`` ``(batch, T)`` followed by up to ``max_new_tokens`` new tokens per row.

    Rows that stop at ``eos_token`` early are padded with it. See ``stream`` for the
    options; a 1-D prompt gives a 1-D result.
    """
    squeeze = idx.dim() == 1
    if squeeze:
        idx = idx[None]
    tokens = list(
        stream(
            model,
            idx,
            max_new_tokens,
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            eos_token=eos_token,
            use_cache=use_cache,
            generator=generator,
        )
    )
    out = torch.cat([idx, *(t[:, None] for t in tokens)], dim=1)
    return out[0] if squeeze else out
