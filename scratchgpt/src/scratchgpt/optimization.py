"""The optimizer and its schedule: AdamW (weight decay on matrices only), linear warm-up
then cosine decay of the learning rate."""

from __future__ import annotations

import math
from typing import Any

import torch

from scratchgpt.train_config import TrainConfig


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Learning rate for update ``step`` (0-based): linear warm-up, then cosine to ``min_lr``.

    The warm-up is ``cfg.warmup``: ``warmup_steps``, at most a tenth of the schedule.
    """
    warmup = cfg.warmup
    if step < warmup:
        return cfg.lr * (step + 1) / warmup
    decay = cfg.decay_steps - warmup
    if decay <= 0 or step >= cfg.decay_steps:
        return cfg.min_lr
    progress = (step - warmup) / decay
    return cfg.min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (cfg.lr - cfg.min_lr)


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices (weights, embeddings) only, never on biases or
    LayerNorm gains; the fused kernel where the device has one."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    options: dict[str, Any] = {"lr": cfg.lr, "betas": (cfg.beta1, cfg.beta2)}
    try:
        return torch.optim.AdamW(groups, fused=True, **options)
    except RuntimeError:  # no fused AdamW for this device
        return torch.optim.AdamW(groups, **options)


def parameter_counts(model: torch.nn.Module) -> tuple[int, int]:
    """``(trainable, total)`` parameters, a tied (shared) tensor counted once."""
    params = {id(p): p for p in model.parameters()}.values()
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)
