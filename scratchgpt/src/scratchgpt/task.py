"""The task protocol: what a training run trains, as the loop in ``scratchgpt.training``
sees it. ``scratchgpt.pretraining`` and ``scratchgpt.finetuning`` hold the tasks."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from torch import nn

from scratchgpt.model import GPTConfig
from scratchgpt.objectives import Batches, Objective
from scratchgpt.tokenizer import Tokenizer


class Task(Protocol):
    """What a run trains: its data, model and objective, how its model is saved and loaded,
    and what an evaluation reports besides the loss. ``load`` reads the data (and says what
    it adjusts); the rest is valid after it."""

    command: str  # the command that runs this kind of training, for hints
    objective: Objective
    tokenizer: Tokenizer
    model_cfg: GPTConfig
    train_data: Batches
    val_data: Batches | None
    tokens_per_step: int

    def load(self) -> None: ...

    def say_what_was_adjusted(self) -> None: ...

    def new_model(self) -> nn.Module: ...

    def load_weights(self, model: nn.Module, start: Path) -> None: ...

    def save_model(self, model: nn.Module, folder: Path) -> None: ...

    def after_evaluation(self, model: nn.Module, record: dict[str, Any]) -> None: ...
