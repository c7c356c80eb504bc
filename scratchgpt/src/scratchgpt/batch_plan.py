"""How one optimizer step's windows are shared among the processes of a run.

A step sees ``batch_size * grad_accum`` windows whatever the number of processes (the global
batch). When the processes divide ``grad_accum``, each runs ``grad_accum / world_size``
micro-batches of ``batch_size`` windows. When they do not, the global batch is kept and cut
differently: each process runs the fewest micro-batches of at most ``batch_size`` windows that
hold its share, and the step's windows are cut into as equal pieces as possible. Each piece's
loss is weighted by its share of the global batch, so the gradient is the global batch's mean
however it was cut. Only a global batch smaller than the number of processes cannot work.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from scratchgpt.messages import count


class BatchPlanError(ValueError):
    """The global batch cannot be shared among the processes; says what would work."""


@dataclass(frozen=True)
class BatchPlan:
    """One step's windows for ``world_size`` processes, each running ``micro_steps`` pieces."""

    batch_size: int
    grad_accum: int
    world_size: int
    micro_steps: int

    @classmethod
    def make(cls, batch_size: int, grad_accum: int, world_size: int) -> BatchPlan:
        windows = batch_size * grad_accum
        if windows < world_size:
            raise BatchPlanError(
                f"a step's {count(windows, 'window')} (batch_size {batch_size} x grad_accum "
                f"{grad_accum}) cannot be shared by {count(world_size, 'process', 'processes')}: "
                f"each needs at least one; make batch_size x grad_accum at least {world_size}"
            )
        micro_steps = math.ceil(windows / (world_size * batch_size))
        return cls(batch_size, grad_accum, world_size, micro_steps)

    @property
    def windows(self) -> int:
        """Windows per optimizer step, over all processes together."""
        return self.batch_size * self.grad_accum

    @property
    def as_configured(self) -> bool:
        """Whether every process runs ``grad_accum / world_size`` full micro-batches."""
        return self.grad_accum % self.world_size == 0

    def pieces(self) -> list[int]:
        """The sizes of the ``world_size * micro_steps`` pieces, rank by rank."""
        n = self.world_size * self.micro_steps
        small, extra = divmod(self.windows, n)
        return [small + (i < extra) for i in range(n)]

    def share(self, starts: torch.Tensor, rank: int) -> tuple[torch.Tensor, ...]:
        """Process ``rank``'s micro-batches of a step's ``windows`` window starts."""
        pieces = starts.split(self.pieces())
        return pieces[rank * self.micro_steps : (rank + 1) * self.micro_steps]

    def describe(self) -> str:
        """One line on what each process runs, for a plan that differs from the config's."""
        sizes = sorted(set(self.pieces()), reverse=True)
        each = f"{sizes[0]} or {sizes[1]} windows" if len(sizes) > 1 else count(sizes[0], "window")
        return (
            f"grad_accum={self.grad_accum} does not divide among "
            f"{count(self.world_size, 'process', 'processes')}: each runs "
            f"{count(self.micro_steps, 'micro-batch', 'micro-batches')} of {each} per "
            f"step, keeping the global batch of {count(self.windows, 'window')}"
        )
