"""Seeing inside: the attention weights of every layer and head, as heatmaps."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only; no display needed

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import Tensor

from scratchgpt.model import GPT


@torch.inference_mode()
def attention_weights(model: GPT, idx: Tensor) -> Tensor:
    """Attention weights ``(n_layer, n_head, T, T)`` for one sequence of ids ``(T,)``.

    Runs the step-by-step attention path in eval mode and records what enters each
    layer's ``attn_dropout``: the softmax of the masked scores.
    """
    captured: list[Tensor] = []
    blocks = list(model.transformer.h)
    was_training = model.training
    saved = [b.attn.sdpa for b in blocks]
    hooks = [
        b.attn.attn_dropout.register_forward_hook(lambda _m, args, _out: captured.append(args[0]))
        for b in blocks
    ]
    try:
        model.eval()
        for b in blocks:
            b.attn.sdpa = False
        model(idx.reshape(1, -1), last_only=True)
    finally:
        for hook in hooks:
            hook.remove()
        for b, sdpa in zip(blocks, saved, strict=True):
            b.attn.sdpa = sdpa
        model.train(was_training)
    return torch.stack([w[0] for w in captured])


def plot_attention(
    weights: Tensor,
    tokens: Sequence[str],
    path: str | os.PathLike[str],
    layers: Sequence[int] | None = None,
) -> Path:
    """Save a grid of heatmaps (a row per layer, a column per head) as an image.

    Rows are queries, columns are keys. Cells the causal mask hides (above the diagonal)
    are left blank, so the empty upper triangle shows.
    """
    layers = list(range(weights.size(0))) if layers is None else list(layers)
    n_head, T = weights.size(1), weights.size(2)
    labels = [repr(t)[1:-1] for t in tokens]  # show spaces and newlines
    cell = max(1.6, 0.28 * T)
    fig, axes = plt.subplots(
        len(layers),
        n_head,
        figsize=(cell * n_head + 1.5, cell * len(layers) + 1.0),
        squeeze=False,
        layout="constrained",
    )
    cmap = plt.get_cmap("viridis").with_extremes(bad="white")
    hidden = np.triu(np.ones((T, T), dtype=bool), k=1)
    image: Any = None  # the last heatmap, for the colour bar
    for row, layer in enumerate(layers):
        for head in range(n_head):
            ax = axes[row, head]
            data = np.ma.masked_array(weights[layer, head].float().cpu().numpy(), mask=hidden)
            image = ax.imshow(data, cmap=cmap, vmin=0.0, vmax=1.0)
            ax.set_xticks(range(T), labels if row == len(layers) - 1 else [], rotation=90)
            ax.set_yticks(range(T), labels if head == 0 else [])
            ax.tick_params(labelsize=7, length=0)
            ax.set_title(f"layer {layer} head {head}", fontsize=8)
    fig.colorbar(image, ax=axes, shrink=0.6, label="attention weight")
    fig.suptitle("Attention weights (rows: queries, columns: keys)")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
