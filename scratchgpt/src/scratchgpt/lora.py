"""LoRA: train a low-rank update ``x @ A.T @ B.T * alpha / rank`` beside frozen projections.

A projection's weight ``W`` (``(in, out)``, GPT-2's layout) stays as it is; the model learns
``A`` (``(rank, in)``, random) and ``B`` (``(out, rank)``, zeros, so training starts from the
base model exactly). Merging adds ``(B @ A).T * alpha / rank`` to ``W``.

The adapter is saved in PEFT's format (``adapter_config.json`` + ``adapter_model.safetensors``,
``fan_in_fan_out`` as for GPT-2's ``Conv1D``), so ``peft.PeftModel.from_pretrained`` puts it
on the base model in ``transformers``. Targets are matched by module name as PEFT matches
them: ``c_proj`` is both the attention's and the MLP's output projection.
"""

from __future__ import annotations

import copy
import json
import math
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor, nn

from scratchgpt.projection import Projection
from scratchgpt.weights import follow_umask

ADAPTER_CONFIG = "adapter_config.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
TARGETS = ("c_attn", "c_proj", "c_fc")
# PEFT's names: tensors under the wrapped model, the classifier head as a module it saves.
_PEFT_PREFIX = "base_model.model."


class LoRAProjection(nn.Module):
    """A frozen ``Projection`` plus its trainable low-rank update."""

    def __init__(self, base: Projection, rank: int, alpha: float) -> None:
        super().__init__()
        self.base = base
        self.rank = rank
        self.alpha = alpha
        self.scaling = alpha / rank
        for param in base.parameters():
            param.requires_grad_(False)
        # The adapters are float32 whatever the base's dtype (as PEFT keeps them): AdamW's
        # small updates vanish in bfloat16 and overflow in float16. Inputs are cast in, the
        # update cast back out.
        device = base.weight.device
        self.lora_A = nn.Parameter(torch.empty(rank, base.in_features, device=device))
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, rank, device=device))
        # PEFT's (and nn.Linear's) initialisation of A; B at zero makes the update start at 0.
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))

    def forward(self, x: Tensor) -> Tensor:
        out = self.base(x)
        update = (x.to(self.lora_A.dtype) @ self.lora_A.t() @ self.lora_B.t()) * self.scaling
        return out + update.to(out.dtype)

    def merged(self) -> Projection:
        """A plain ``Projection`` whose weight includes the update."""
        out = copy.deepcopy(self.base)
        with torch.no_grad():
            delta = (self.lora_B @ self.lora_A).t() * self.scaling
            out.weight.copy_((out.weight.float() + delta).to(out.weight.dtype))
        out.requires_grad_(True)
        return out


def check_targets(targets: tuple[str, ...]) -> None:
    """A ``ValueError`` unless ``targets`` names some of GPT-2's projections, and only them."""
    unknown = sorted(set(targets) - set(TARGETS))
    if unknown or not targets:
        known = ", ".join(TARGETS)
        raise ValueError(f"unknown LoRA target(s) {', '.join(unknown)}; known: {known}")


def add_lora(
    model: nn.Module, rank: int, alpha: float | None = None, targets: tuple[str, ...] = TARGETS
) -> list[str]:
    """Freeze every parameter of ``model`` and wrap its ``targets`` projections with LoRA.

    Returns the wrapped modules' names. ``alpha`` defaults to ``2 * rank``. Parameters that
    should train besides the adapters (a classifier head) are unfrozen by the caller.
    """
    if rank < 1:
        raise ValueError(f"LoRA rank must be at least 1, got {rank}")
    check_targets(targets)
    model.requires_grad_(False)
    wrapped = []
    for name, module in list(model.named_modules()):
        if isinstance(module, Projection) and name.rsplit(".", 1)[-1] in targets:
            parent, _, attr = name.rpartition(".")
            lora = LoRAProjection(module, rank, float(alpha if alpha is not None else 2 * rank))
            setattr(model.get_submodule(parent), attr, lora)
            wrapped.append(name)
    return wrapped


def lora_modules(model: nn.Module) -> dict[str, LoRAProjection]:
    return {n: m for n, m in model.named_modules() if isinstance(m, LoRAProjection)}


def merge_lora(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with every ``LoRAProjection`` folded into a plain ``Projection``."""
    merged = copy.deepcopy(model)
    for name, module in lora_modules(merged).items():
        parent, _, attr = name.rpartition(".")
        setattr(merged.get_submodule(parent), attr, module.merged())
    return merged


def adapter_tensors(
    model: nn.Module, rename: dict[str, str] | None = None, extra: dict[str, Tensor] | None = None
) -> dict[str, Tensor]:
    """The adapters' tensors under PEFT's names.

    ``rename`` maps a prefix of scratchgpt's module names to the Hugging Face model's (a
    classifier's ``gpt.transformer.`` is ``transformer.``); ``extra`` adds whole tensors by
    their Hugging Face name (the classifier head, a module PEFT saves whole).
    """
    tensors = {}
    for name, module in lora_modules(model).items():
        for old, new in (rename or {}).items():
            if name.startswith(old):
                name = new + name[len(old) :]
        tensors[f"{_PEFT_PREFIX}{name}.lora_A.weight"] = module.lora_A.detach()
        tensors[f"{_PEFT_PREFIX}{name}.lora_B.weight"] = module.lora_B.detach()
    for name, tensor in (extra or {}).items():
        tensors[_PEFT_PREFIX + name] = tensor.detach()
    return {k: v.cpu().contiguous() for k, v in tensors.items()}


def save_adapter(
    model: nn.Module,
    folder: str | os.PathLike[str],
    *,
    base_model: str,
    task_type: str,
    rename: dict[str, str] | None = None,
    modules_to_save: dict[str, Tensor] | None = None,
) -> Path:
    """Write ``adapter_config.json`` and ``adapter_model.safetensors`` as PEFT does.

    ``task_type`` is PEFT's (``CAUSAL_LM``, ``SEQ_CLS``); ``modules_to_save`` are whole
    tensors trained beside the adapters, by Hugging Face name (``score.weight``).
    """
    modules = lora_modules(model)
    if not modules:
        raise ValueError("the model has no LoRA adapters to save")
    first = next(iter(modules.values()))
    targets = sorted({name.rsplit(".", 1)[-1] for name in modules})
    config: dict[str, Any] = {
        "peft_type": "LORA",
        "task_type": task_type,
        "base_model_name_or_path": base_model,
        "r": first.rank,
        "lora_alpha": int(first.alpha) if first.alpha == int(first.alpha) else first.alpha,
        "lora_dropout": 0.0,
        "target_modules": targets,
        "fan_in_fan_out": True,  # GPT-2's Conv1D stores weights (in, out)
        "bias": "none",
        "modules_to_save": sorted({k.split(".")[0] for k in modules_to_save or {}}) or None,
        "init_lora_weights": True,
        "inference_mode": True,
    }
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ADAPTER_CONFIG).write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    tensors = adapter_tensors(model, rename, modules_to_save)
    save_file(tensors, str(folder / ADAPTER_WEIGHTS), metadata={"format": "pt"})
    follow_umask(folder / ADAPTER_WEIGHTS)
    return folder


def read_adapter(folder: str | os.PathLike[str]) -> tuple[dict[str, Any], dict[str, Tensor]]:
    """An adapter folder's config and tensors (PEFT names, prefix removed)."""
    folder = Path(folder)
    try:
        config = json.loads((folder / ADAPTER_CONFIG).read_text(encoding="utf-8"))
        tensors = load_file(str(folder / ADAPTER_WEIGHTS))
    except (OSError, ValueError, SafetensorError) as e:
        raise ValueError(f"{folder} is not a readable LoRA adapter: {e}") from None
    return config, {k.removeprefix(_PEFT_PREFIX): v for k, v in tensors.items()}


def load_adapter_weights(
    model: nn.Module, tensors: dict[str, Tensor], rename: dict[str, str] | None = None
) -> None:
    """Copy adapter tensors (as ``read_adapter`` returns them) into ``model``'s adapters."""
    for name, module in lora_modules(model).items():
        for old, new in (rename or {}).items():
            if name.startswith(old):
                name = new + name[len(old) :]
        with torch.no_grad():
            module.lora_A.copy_(tensors[f"{name}.lora_A.weight"])
            module.lora_B.copy_(tensors[f"{name}.lora_B.weight"])
