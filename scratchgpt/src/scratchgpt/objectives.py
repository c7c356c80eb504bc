"""What a run learns: each objective says how a batch is made, what its loss is, and how many
items (target tokens, or examples) that loss is summed over.

A loss here is a SUM over the batch's items, never a mean. The training loop adds up the
sums and the item counts of every micro-batch of every process and divides once, so a step's
loss is the mean over all the items of the step, however they were cut into micro-batches and
shared among processes (as ``transformers`` does with ``num_items_in_batch`` since 4.46). A
mean of per-batch means would weigh a short answer as much as a long one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor

from scratchgpt.classify import pad_batch
from scratchgpt.instruct import IGNORE, collate


class Sampler(Protocol):
    """Where each step's items come from; its state goes into checkpoints."""

    def draw(self, count: int) -> Tensor: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


class Batches(Protocol):
    """Training or validation data as the loop reads it: token windows, or examples."""

    def __len__(self) -> int: ...

    def batch(self, indices: Tensor) -> tuple[Tensor, Tensor]:
        """Inputs and targets of the items at ``indices``."""
        ...

    def eval_starts(self, count: int, seed: int) -> Tensor:
        """The items of every evaluation, at most ``count``."""
        ...

    def sampler(self, seed: int) -> Sampler:
        """How training draws the items of each step."""
        ...


@dataclass(frozen=True)
class LossSum:
    """A batch's summed loss, how many items it sums over, and how many it got right."""

    total: Tensor
    items: Tensor
    correct: Tensor


@dataclass(frozen=True)
class Objective:
    """One kind of training: its item (``unit``), its batches and its loss.

    ``collate`` turns a list of tokenized examples into ``(inputs, targets)`` (None for
    token windows, which are batched by the data itself).
    """

    name: str
    unit: str  # what the loss is a mean over: "token" or "example"
    collate: Callable[[list[Any]], tuple[Tensor, Tensor]] | None = None
    reports_accuracy: bool = False

    @staticmethod
    def count(targets: Tensor) -> Tensor:
        """The items a batch's loss is summed over: its targets that are not ``IGNORE``."""
        return (targets != IGNORE).sum()

    def loss(self, model: Callable[..., Any], inputs: Tensor, targets: Tensor) -> LossSum:
        """The cross-entropy summed over the batch's items (computed in float32)."""
        logits, _ = model(inputs)
        logits = logits.reshape(-1, logits.size(-1)).float()
        flat = targets.reshape(-1)
        total = F.cross_entropy(logits, flat, ignore_index=IGNORE, reduction="sum")
        correct = torch.zeros((), dtype=torch.long, device=flat.device)
        if self.reports_accuracy:  # an argmax over a vocabulary's logits is not free
            with torch.no_grad():
                correct = ((logits.argmax(-1) == flat) & (flat != IGNORE)).sum()
        return LossSum(total, self.count(targets), correct)


def language_modelling() -> Objective:
    """Pretraining: every token of a window predicts the next."""
    return Objective("language modelling", "token")


def instruction_following(eot_token: int) -> Objective:
    """The response's tokens and its end-of-text are targets, the prompt's are not."""
    return Objective(
        "instruction following", "token", functools.partial(collate, eot_token=eot_token)
    )


def classification(pad_token_id: int) -> Objective:
    """One label per text; texts padded on the right to the batch's longest."""

    def labelled(examples: list[tuple[list[int], int]]) -> tuple[Tensor, Tensor]:
        texts = pad_batch([x for x, _ in examples], pad_token_id)
        return texts, torch.tensor([y for _, y in examples])

    return Objective("classification", "example", labelled, reports_accuracy=True)
