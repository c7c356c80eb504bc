"""The affine projection GPT-2's blocks use, with the weight stored as GPT-2 stores it."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class Projection(nn.Module):
    """``x @ weight + bias``, with ``weight`` of shape ``(in_features, out_features)``.

    This is ``SelfAttentionV1``'s ``x @ W``. ``nn.Linear`` stores the transpose,
    ``(out, in)``; GPT-2's checkpoints store ``(in, out)`` (HuggingFace's ``Conv1D``), so
    its weights load as they are. The layout also matters for speed: generating one token
    multiplies a single row vector by each matrix, and on CPUs that is markedly faster
    when the matrix is ``(in, out)`` in memory.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True) -> None:
        super().__init__()
        self.in_features = in_features
        self.out_features = out_features
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None
        nn.init.normal_(self.weight, std=0.02)

    def forward(self, x: Tensor) -> Tensor:
        # F.linear computes x @ w.T + b in one call; w.T of our weight is a free view.
        return F.linear(x, self.weight.t(), self.bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}"
