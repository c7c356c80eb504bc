"""Number formats in training: bf16 autocast, where the weights allow it.

(LoRA adapters and a classifier head stay float32 on a bfloat16 or float16 base, with casts:
see ``scratchgpt.lora`` and ``scratchgpt.classify``.)"""

from __future__ import annotations

import contextlib
from typing import Any

import torch


def autocast(
    device: torch.device, dtype: str, weights: torch.dtype = torch.float32
) -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast when ``dtype`` resolves to bfloat16, else nothing.

    A model whose (frozen) ``weights`` are float16 computes in float16 as it is: autocast to
    bfloat16 would feed bfloat16 activations to its float16 LayerNorms.
    """
    if weights == torch.float16:
        return contextlib.nullcontext()
    if dtype == "auto":
        dtype = (
            "bfloat16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "float32"
        )
    if dtype == "bfloat16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def weights_dtype(model: torch.nn.Module) -> torch.dtype:
    """The dtype most of a model's parameters are in (its frozen base's, under LoRA)."""
    sizes: dict[torch.dtype, int] = {}
    for param in model.parameters():
        sizes[param.dtype] = sizes.get(param.dtype, 0) + param.numel()
    return max(sizes, key=lambda d: sizes[d]) if sizes else torch.float32
