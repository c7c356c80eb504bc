"""Checkpoints that a crash cannot break.

A run folder holds ``checkpoints/step_0000500/`` folders, each a model folder in the HuggingFace
GPT-2 layout (``config.json`` + ``model.safetensors``, plus the tokenizer when it is not GPT-2,
so ``scratchgpt generate`` loads it) and ``training_state.pt``: optimizer, step, sampler and RNG
states and the run config, tensors and plain containers only, so it loads with
``torch.load(weights_only=True)``.

A checkpoint is written into a hidden temporary folder and renamed into place when complete;
only then is ``RUN_DIR/latest``, a relative symlink to it, replaced (also by a rename). A crash
at any moment leaves ``latest`` pointing at a whole checkpoint.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from scratchgpt import weights

if TYPE_CHECKING:
    from scratchgpt.model import GPT

CHECKPOINTS = "checkpoints"
LATEST = "latest"
STATE_FILE = "training_state.pt"
_TMP_PREFIX = ".tmp-"


def step_name(step: int) -> str:
    return f"step_{step:07d}"


def save(
    run_dir: str | os.PathLike[str],
    step: int,
    save_model: Callable[[Path], None],
    state: dict[str, Any],
    *,
    keep: int = 3,
) -> Path:
    """Write the checkpoint for ``step``, point ``latest`` at it, keep the newest ``keep``.

    ``save_model(folder)`` writes the model folder (``weights.save_pretrained`` for a GPT;
    a fine-tuned classifier, or a LoRA run's merged model and adapter, otherwise).
    """
    run = Path(run_dir)
    root = run / CHECKPOINTS
    root.mkdir(parents=True, exist_ok=True)
    final = root / step_name(step)
    tmp = root / f"{_TMP_PREFIX}{final.name}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    save_model(tmp)
    torch.save(state, tmp / STATE_FILE)
    if final.exists():  # the same step written again after a resume
        shutil.rmtree(final)
    os.replace(tmp, final)
    link = run / f"{_TMP_PREFIX}{LATEST}"
    link.unlink(missing_ok=True)
    link.symlink_to(final.relative_to(run), target_is_directory=True)
    os.replace(link, run / LATEST)
    _prune(root, keep, final)
    return final


def latest(run_dir: str | os.PathLike[str]) -> Path | None:
    """The checkpoint ``latest`` points at, or None before the first one."""
    link = Path(run_dir) / LATEST
    if not link.is_symlink():
        return None
    target = link.resolve()
    return target if (target / STATE_FILE).is_file() else None


def load_state(checkpoint: str | os.PathLike[str]) -> dict[str, Any]:
    """A checkpoint's training state (tensors and plain containers only: no pickled code)."""
    return torch.load(Path(checkpoint) / STATE_FILE, map_location="cpu", weights_only=True)


def load_model_weights(checkpoint: str | os.PathLike[str], model: GPT) -> None:
    """Load a checkpoint's safetensors into ``model`` in place, exactly as saved."""
    tensors = weights.read_tensors(checkpoint)
    model.load_state_dict(weights.state_dict_from_hf(tensors, model.config))
    model.tie_weights()


def _prune(root: Path, keep: int, current: Path) -> None:
    """Delete all but the newest ``keep`` checkpoints, and any abandoned temporary folder."""
    for tmp in root.glob(f"{_TMP_PREFIX}*"):
        shutil.rmtree(tmp, ignore_errors=True)
    done = sorted(p for p in root.glob("step_*") if p.is_dir())
    for old in done[: max(len(done) - max(keep, 1), 0)]:
        if old != current:
            shutil.rmtree(old, ignore_errors=True)
