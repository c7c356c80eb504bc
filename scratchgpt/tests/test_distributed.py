"""torchrun + DDP on CPU (gloo): two processes train the model a single process trains."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from scratchgpt import distributed
from scratchgpt.metrics import MetricsLog

SETTINGS = (
    "preset=test",
    # 9 windows a step, over all processes together: 2 processes cannot run 3 micro-batches
    # each, so each runs 2 of at most 3 windows (3+2 and 2+2), weighted by their share.
    "batch_size=3",
    "grad_accum=3",
    "warmup_steps=2",
    "log_interval=1",
    "eval_interval=3",
    "eval_iters=2",
    "sample_length=4",
    "checkpoint_interval=3",
)


# Rank 0 presses Ctrl-C on torchrun after step 3, as a user at the terminal would; torchrun
# passes the signal on to both processes. Rank 0 then waits a moment, so the signal has
# surely arrived before its step ends: the run then stops at step 3, not a later one.
CTRL_C_AFTER_STEP_3 = """
import os, signal, sys, time
from scratchgpt.training import Trainer
step = Trainer.train_step

def train_step(self):
    loss = step(self)
    if self.step == 3 and self.ctx.rank == 0:
        os.kill(os.getppid(), signal.SIGINT)
        time.sleep(2)
    return loss

Trainer.train_step = train_step
from scratchgpt.cli import main
main(sys.argv[1:])
"""


def torchrun(
    *args: str, script: Path | None = None, ok: bool = True
) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    cmd += [str(script)] if script else ["-m", "scratchgpt"]
    cmd += ["train", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert (proc.returncode == 0) == ok, proc.stdout + proc.stderr
    return proc


def records(run: Path) -> list[dict]:
    return MetricsLog(run / "metrics.jsonl").records()


def test_two_processes_match_one_and_resume_the_same(
    run_training, gpt_data: Path, tmp_path: Path
) -> None:
    one = run_training(*SETTINGS, out=str(tmp_path / "one"), max_steps=6)

    two = tmp_path / "two"
    proc = torchrun("--data", str(gpt_data), "--out", str(two), "max_steps=6", *SETTINGS)
    assert proc.stdout.count("step 6/6:") == 1  # only rank 0 logs
    said = "warning: grad_accum=3 does not divide among 2 processes: each runs 2 micro-batches"
    assert proc.stderr.count(said) == 1, proc.stderr
    got = records(two)
    assert [r["step"] for r in got] == [0, 1, 2, 3, 4, 5, 6]  # and writes the metrics once
    for a, b in zip(got, one, strict=True):
        for key in ("loss", "val_loss"):
            assert (a[key] is None) == (b[key] is None)
            if a[key] is not None:
                assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-5)

    part = tmp_path / "part"
    script = tmp_path / "ctrl_c.py"
    script.write_text(CTRL_C_AFTER_STEP_3)
    args = ["--data", str(gpt_data), "--out", str(part), "max_steps=6", *SETTINGS]
    proc = torchrun(*args, script=script, ok=False)  # torchrun itself exits 1 on a signal
    assert proc.stdout.count("stopped by Ctrl-C at step 3") == 1, proc.stdout + proc.stderr
    assert (part / "latest").resolve().name == "step_0000003"
    torchrun("--resume", str(part))
    assert [(r["step"], r["loss"]) for r in records(part)] == [(r["step"], r["loss"]) for r in got]


def test_a_plain_process_is_a_world_of_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    ctx = distributed.setup("cpu")
    assert (ctx.rank, ctx.world_size, ctx.is_main, ctx.distributed) == (0, 1, True, False)
    assert ctx.device == torch.device("cpu")
    value = torch.tensor([1.0, 2.0])
    assert distributed.mean(ctx, value) is value
    assert distributed.gather(ctx, {"a": 1}) == [{"a": 1}]


def test_device_names_resolve() -> None:
    assert distributed.pick_device("cpu") == torch.device("cpu")
    if torch.cuda.is_available():
        assert distributed.pick_device("cuda", local_rank=0) == torch.device("cuda", 0)
    else:
        with pytest.raises(ValueError, match="no CUDA GPU"):
            distributed.pick_device("cuda")
    with pytest.raises(ValueError, match="unknown device 'gpu'"):
        distributed.pick_device("gpu")
    if not torch.cuda.is_available() and not torch.backends.mps.is_available():
        assert distributed.pick_device("auto") == torch.device("cpu")
