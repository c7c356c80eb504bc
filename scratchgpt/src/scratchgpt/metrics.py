"""What a run records: ``metrics.jsonl``, its plot ``loss.png``, and the running training loss
between two records."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

METRICS_FILE = "metrics.jsonl"
PLOT_FILE = "loss.png"


class MetricsLog:
    """``metrics.jsonl``: one JSON record per line (step, loss, val_loss, lr, tokens/s, time)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def records(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def append(self, record: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")

    def truncate(self, step: int) -> None:
        """Forget records after ``step``: a resumed run writes them again."""
        kept = [r for r in self.records() if r["step"] <= step]
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
        os.replace(tmp, self.path)


def plot_losses(records: list[dict[str, Any]], path: str | os.PathLike[str]) -> None:
    """Draw training and validation loss against step into a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4), dpi=100)
    for key, label, style in (("loss", "train", "-"), ("val_loss", "validation", "o-")):
        points = [(r["step"], r[key]) for r in records if r.get(key) is not None]
        if points:
            ax.plot(*zip(*points, strict=True), style, label=label, markersize=4)
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy loss")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(".tmp-" + path.name)
    fig.savefig(tmp, format="png")
    plt.close(fig)
    os.replace(tmp, path)


@dataclass
class RunningLoss:
    """The training losses since the last metrics record, summed in step order.

    Saved in checkpoints: a resumed run's records then average the same steps, in the same
    order, as the uninterrupted run's, so every logged loss is the same at every step.
    """

    total: float = 0.0
    steps: int = 0

    def add(self, losses: list[float]) -> None:
        for loss in losses:
            self.total += loss
            self.steps += 1

    def mean(self) -> float:
        return self.total / self.steps

    def reset(self) -> None:
        self.total, self.steps = 0.0, 0
