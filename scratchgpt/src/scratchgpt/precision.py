"""Number formats in training: bf16 autocast, and trainable parameters of a low-precision model
kept in float32."""

from __future__ import annotations

import contextlib
from typing import Any

import torch


def autocast(device: torch.device, dtype: str) -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast when ``dtype`` resolves to bfloat16, else nothing."""
    if dtype == "auto":
        dtype = (
            "bfloat16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "float32"
        )
    if dtype == "bfloat16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()
