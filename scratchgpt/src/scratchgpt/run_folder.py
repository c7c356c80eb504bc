"""A run folder: where a training run keeps its config, metrics, plot and checkpoints.

A fresh run never lands on an existing one, and a run that fails before its first step
leaves no folder behind.
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from scratchgpt import checkpoint, distributed, weights
from scratchgpt.metrics import METRICS_FILE, PLOT_FILE, MetricsLog
from scratchgpt.model import GPTConfig
from scratchgpt.train_config import CONFIG_FILE, ConfigError, TrainConfig

# The GPTConfig fields that fix the parameters' shapes: a resumed run cannot change them.
SHAPE_FIELDS = ("vocab_size", "context_length", "n_embd", "n_layer", "n_head", "bias")


class RunFolderError(RuntimeError):
    """The run folder is not what the command needs (missing, or already holding a run)."""


@dataclass(frozen=True)
class RunFolder:
    path: Path
    command: str  # the command that continues the run, for hints

    @property
    def plot(self) -> Path:
        return self.path / PLOT_FILE

    def start(self, resume: bool) -> Path | None:
        """The checkpoint to resume from; a fresh run must not land on an existing one."""
        start = checkpoint.latest(self.path)
        if resume and start is None:
            raise RunFolderError(f"{self.path} has no checkpoint to resume from")
        if not resume and (start is not None or (self.path / CONFIG_FILE).exists()):
            raise RunFolderError(
                f"{self.path} already holds a run; continue it with "
                f"`{self.command} --resume {self.path}`, or choose another --out"
            )
        if self.path.exists() and not self.path.is_dir():
            raise RunFolderError(f"--out {self.path} is a file, not a folder")
        return start

    def check_same_shape(self, start: Path, now: GPTConfig) -> None:
        """A resumed run keeps its model's shape (dropout and the attention path may change)."""
        then = weights.read_config(start)
        changed = [
            f"model.{key} = {getattr(then, key)!r} in the run, {getattr(now, key)!r} now"
            for key in SHAPE_FIELDS
            if getattr(then, key) != getattr(now, key)
        ]
        if changed:
            raise ConfigError(
                f"cannot resume {self.path} with another model shape ({'; '.join(changed)}); "
                "resume with the run's own model settings, or start a new run with --out"
            )

    def make(
        self, ctx: distributed.Context, cfg: TrainConfig, metrics: MetricsLog, step: int
    ) -> bool:
        """Rank 0 makes the folder (if new), saves the config and forgets metrics after
        ``step``; whether it made the folder."""
        made = False
        if ctx.is_main:
            made = not self.path.exists()
            self.path.mkdir(parents=True, exist_ok=True)
            cfg.save(self.path / CONFIG_FILE)
            metrics.truncate(step)
        distributed.barrier(ctx)
        return made

    def remove(self) -> None:
        """Delete what a run wrote (and the folder, if nothing else is in it)."""
        for name in (CONFIG_FILE, METRICS_FILE, PLOT_FILE, checkpoint.CHECKPOINTS):
            path = self.path / name
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.path.rmdir()
