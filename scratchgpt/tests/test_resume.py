"""Checkpoints: a resumed run is the uninterrupted run, and a crash never breaks ``latest``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from scratchgpt import checkpoint
from scratchgpt.cli import main
from scratchgpt.ctrl_c import CtrlC
from scratchgpt.training import Trainer

# Dropout on, so the resumed run must also restore the RNG that draws the dropout masks.
DROPOUT = ("model.emb_dropout=0.1", "model.attn_dropout=0.1", "model.resid_dropout=0.1")


def metrics(records: list[dict]) -> list[tuple]:
    """Every logged metric but the timings: step, loss, validation loss, learning rate."""
    return [(r["step"], r["loss"], r["val_loss"], r["lr"]) for r in records]


def weights_bytes(run: Path) -> bytes:
    return (run / "latest" / "model.safetensors").read_bytes()


def test_stopped_then_resumed_equals_uninterrupted_exactly(run_training, tmp_path: Path) -> None:
    # A record every 2 steps: each averages the losses since the one before.
    settings = dict(log_interval=2, eval_interval=4)
    whole = run_training(*DROPOUT, out=str(tmp_path / "whole"), max_steps=9, **settings)
    # Stop at step 5 (the schedule still spans 9 steps), then resume with the larger max_steps.
    part = run_training(
        *DROPOUT, out=str(tmp_path / "part"), max_steps=5, lr_decay_steps=9, **settings
    )
    assert [r["step"] for r in part] == [0, 2, 4, 5]  # the untrained val loss, then the log
    resumed = run_training(out=str(tmp_path / "part"), resume=True, max_steps=9)
    # The stopped run also logged and evaluated its last step, 5; the rest is the same.
    assert [m for m in metrics(resumed) if m[0] != 5] == metrics(whole)
    assert weights_bytes(tmp_path / "part") == weights_bytes(tmp_path / "whole")


KILLED_WRITER = """
import os, sys, torch
save = torch.save

def dying_save(obj, f, *args, **kwargs):
    if obj["step"] == 4:  # half a file on disk, then the process dies as if SIGKILLed
        open(f, "wb").write(b"partial")
        os._exit(137)
    save(obj, f, *args, **kwargs)

torch.save = dying_save
from scratchgpt.cli import main
main(sys.argv[1:])
"""


def test_killed_while_writing_a_checkpoint_resumes_from_the_previous_one(
    run_training, gpt_data: Path, tmp_path: Path
) -> None:
    settings = dict(max_steps=6, checkpoint_interval=2)
    whole = run_training(out=str(tmp_path / "whole"), **settings)

    run = tmp_path / "killed"
    args = cli_settings(run_training, **settings)
    # The same thread count as this process: CPU reductions then add up in the same order.
    env = {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}
    cmd = [sys.executable, "-c", textwrap.dedent(KILLED_WRITER), "train"]
    cmd += ["--data", str(gpt_data), "--out", str(run), *args]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 137, proc.stdout + proc.stderr
    assert checkpoint.latest(run) == (run / "checkpoints" / "step_0000002").resolve()
    assert (run / "checkpoints" / ".tmp-step_0000004" / "training_state.pt").is_file()
    assert not (run / "checkpoints" / "step_0000004").exists()

    resumed = run_training(out=str(run), resume=True)
    assert metrics(resumed) == metrics(whole)
    assert not list((run / "checkpoints").glob(".tmp-*"))


def test_ctrl_c_stops_after_the_step_with_a_checkpoint_and_resumes_exactly(
    run_training, gpt_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Stopped at step 3, between the records of steps 0 and 4: the resumed run's record at
    # step 4 must still average steps 1 to 4, as the uninterrupted run's does.
    settings = dict(max_steps=6, log_interval=4, eval_interval=4, checkpoint_interval=4)
    whole = run_training(*DROPOUT, out=str(tmp_path / "whole"), **settings)

    train_step = Trainer.train_step

    def ctrl_c_during_step_3(self: Trainer):
        loss = train_step(self)
        if self.step == 3:
            os.kill(os.getpid(), signal.SIGINT)  # a real signal, as the terminal sends it
        return loss

    monkeypatch.setattr(Trainer, "train_step", ctrl_c_during_step_3)
    run = tmp_path / "part"
    args = cli_settings(run_training, **settings)
    cmd = ["train", "--data", str(gpt_data), "--out", str(run), *DROPOUT, *args]
    handler = signal.getsignal(signal.SIGINT)
    result = CliRunner().invoke(main, cmd)
    assert result.exit_code == 130, result.output
    assert f"stopped by Ctrl-C at step 3; continue with: scratchgpt train --resume {run}" in (
        result.output
    )
    assert checkpoint.latest(run) == (run / "checkpoints" / "step_0000003").resolve()
    assert signal.getsignal(signal.SIGINT) is handler  # Ctrl-C means "quit now" again

    monkeypatch.undo()
    resumed = run_training(out=str(run), resume=True)
    assert [r["step"] for r in whole] == [0, 4, 6]
    assert metrics(resumed) == metrics(whole)
    assert weights_bytes(run) == weights_bytes(tmp_path / "whole")


def test_a_second_ctrl_c_interrupts_at_once() -> None:
    with CtrlC(announce=False) as ctrl_c:
        os.kill(os.getpid(), signal.SIGINT)
        assert ctrl_c.pressed
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)


def cli_settings(run_training, **settings) -> list[str]:
    """The run_training fixture's settings as ``key=value`` arguments of ``scratchgpt train``."""
    return [f"{k}={v}" for k, v in {**run_training.settings, **settings}.items()]


def test_only_the_newest_checkpoints_are_kept(run_training, tmp_path: Path) -> None:
    run_training(max_steps=8, checkpoint_interval=2, keep_checkpoints=2)
    run = tmp_path / "run"
    kept = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert kept == ["step_0000006", "step_0000008"]
    # A relative link: the run folder can be moved or copied elsewhere.
    assert os.readlink(run / "latest") == os.path.join("checkpoints", "step_0000008")


def test_training_state_loads_without_unpickling_code(run_training, tmp_path: Path) -> None:
    run_training(max_steps=2)
    path = tmp_path / "run" / "latest" / checkpoint.STATE_FILE
    state = torch.load(path, weights_only=True)
    assert state["step"] == 2 and state["config"]["max_steps"] == 2
    assert set(state) >= {"optimizer", "sampler", "rng", "elapsed"}
    assert set(state["rng"][0]) >= {"torch", "numpy", "python"}


def test_the_checkpoint_is_a_model_folder_with_its_tokenizer(
    run_training, gpt_data: Path, tmp_path: Path
) -> None:
    from scratchgpt.data import load_meta
    from scratchgpt.tokenizer import BPETokenizer, load_tokenizer_for_model
    from scratchgpt.weights import load_pretrained

    run_training(max_steps=2)
    latest = tmp_path / "run" / "latest"
    model = load_pretrained(latest)
    assert model.config.vocab_size == load_meta(gpt_data)["vocab_size"]
    assert model.config.n_layer == 2
    assert isinstance(load_tokenizer_for_model(latest), BPETokenizer)


def test_resuming_a_finished_run_does_nothing(run_training, tmp_path: Path, capsys) -> None:
    run_training(max_steps=2)
    before = weights_bytes(tmp_path / "run")
    run_training(resume=True)
    assert "nothing to do" in capsys.readouterr().out
    assert weights_bytes(tmp_path / "run") == before


def test_resume_without_a_checkpoint_is_a_clear_error(run_training, tmp_path: Path) -> None:
    from scratchgpt.training import TrainingError

    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.toml").write_text('preset = "test"\n')
    with pytest.raises(TrainingError, match="no checkpoint to resume from"):
        run_training(resume=True)
