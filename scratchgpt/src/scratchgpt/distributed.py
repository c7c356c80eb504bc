"""Processes and devices: a plain process, or one of N started by ``torchrun``.

torchrun sets ``RANK``, ``LOCAL_RANK`` and ``WORLD_SIZE`` (and the rendezvous address) in each
process's environment; ``setup`` joins the process group from them, with NCCL on CUDA and
gloo on CPU. Everything here is PyTorch's own ``torch.distributed``; the helpers only spare the
training loop from asking "am I distributed?" at every turn.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Context:
    """This process's place in the run."""

    rank: int
    local_rank: int
    world_size: int
    device: torch.device

    @property
    def is_main(self) -> bool:
        """Rank 0 writes checkpoints, logs and plots; the others only train."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def pick_device(name: str = "auto", local_rank: int = 0) -> torch.device:
    """``auto`` is CUDA (this process's GPU), else Apple's MPS, else the CPU.

    A named device that this machine lacks is a ``ValueError`` that says so.
    """
    if name != "auto":
        try:
            device = torch.device(name)
        except RuntimeError:
            raise ValueError(
                f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps"
            ) from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {name!r}: this torch sees no CUDA GPU")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise ValueError(f"device {name!r}: MPS is not available here")
        if device.type == "cuda" and device.index is None:
            device = torch.device("cuda", local_rank)
        return device
    if torch.cuda.is_available():
        return torch.device("cuda", local_rank)
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def setup(device: str = "auto") -> Context:
    """Join the torchrun process group when there is one, and pick this process's device."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = pick_device(device, local_rank)
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    if world_size > 1 and not dist.is_initialized():
        if dev.type == "cuda":
            dist.init_process_group("nccl", device_id=dev)
        else:
            dist.init_process_group("gloo")
    return Context(rank, local_rank, world_size, dev)


def teardown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def mean(ctx: Context, value: torch.Tensor) -> torch.Tensor:
    """The mean of a tensor over all processes (the tensor itself when alone)."""
    if not ctx.distributed:
        return value
    total = value.clone()
    dist.all_reduce(total)  # SUM: gloo has no AVG reduction
    return total / ctx.world_size


def total(ctx: Context, value: torch.Tensor) -> torch.Tensor:
    """The sum of a tensor over all processes (the tensor itself when alone)."""
    if not ctx.distributed:
        return value
    out = value.clone()
    dist.all_reduce(out)  # SUM
    return out


def any_process(ctx: Context, flag: bool) -> bool:
    """Whether ``flag`` is true in any process (every process gets the same answer)."""
    if not ctx.distributed:
        return flag
    count = torch.tensor([float(flag)], device=ctx.device)
    dist.all_reduce(count)  # SUM
    return count.item() > 0


def barrier(ctx: Context) -> None:
    if ctx.distributed:
        dist.barrier()


def gather(ctx: Context, obj: Any) -> list[Any]:
    """Every process's ``obj``, in rank order, on every process."""
    if not ctx.distributed:
        return [obj]
    out: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(out, obj)
    return out
