"""The training loop: it learns, it schedules, it logs, and it stops on a bad loss."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import matplotlib.image
import pytest
import torch

from scratchgpt import distributed
from scratchgpt.batch_plan import BatchPlan
from scratchgpt.model import GPT, GPTConfig
from scratchgpt.optimization import lr_at, make_optimizer
from scratchgpt.train_config import ConfigError, TrainConfig, load_config
from scratchgpt.training import Trainer, TrainingError


def test_loss_on_a_repeating_story_falls_far_below_its_start(run_training, tmp_path: Path) -> None:
    records = run_training(max_steps=60, lr=1e-2, eval_interval=20, checkpoint_interval=60)
    losses = [r["loss"] for r in records if r["loss"] is not None]
    assert len(losses) == 60
    # A uniform guess over ~270 tokens costs ln(270) ~ 5.6; memorising the story costs ~0.
    assert losses[0] > 5.0
    assert sum(losses[-5:]) / 5 < 0.5 * losses[0]
    val = [r["val_loss"] for r in records if r["val_loss"] is not None]
    assert len(val) == 4 and val[0] > 5.0 and val[-1] < 0.5 * val[0]  # steps 0, 20, 40, 60


def test_metrics_log_and_loss_plot(run_training, tmp_path: Path) -> None:
    records = run_training(max_steps=6, eval_interval=3, log_interval=2)
    # The untrained model's val loss, every 2 steps, and each evaluation.
    assert [r["step"] for r in records] == [0, 2, 3, 4, 6]
    assert set(records[0]) == {"step", "loss", "val_loss", "lr", "tokens_per_s", "elapsed"}
    assert records[0]["loss"] is None and records[0]["val_loss"] is not None
    assert records[1]["val_loss"] is None and records[2]["val_loss"] is not None
    assert all(r["tokens_per_s"] > 0 for r in records[1:])
    assert [r["elapsed"] for r in records] == sorted(r["elapsed"] for r in records)
    image = matplotlib.image.imread(tmp_path / "run" / "loss.png")
    assert image.ndim == 3 and image.shape[0] > 100


def test_the_run_config_is_saved_and_reloads_identically(run_training, tmp_path: Path) -> None:
    import tomllib

    run_training("model.n_layer=1", max_steps=2)
    saved = tomllib.loads((tmp_path / "run" / "config.toml").read_text())
    assert saved["model"] == {"n_layer": 1} and saved["max_steps"] == 2
    assert load_config(base=saved) == TrainConfig(**saved)


def test_lr_warms_up_linearly_then_decays_by_cosine_to_min_lr() -> None:
    cfg = TrainConfig(lr=1.0, min_lr=0.1, warmup_steps=10, max_steps=110)
    lrs = [lr_at(step, cfg) for step in range(130)]
    assert lrs[:10] == pytest.approx([(s + 1) / 10 for s in range(10)])
    assert lrs[10] == pytest.approx(1.0)
    assert lrs[60] == pytest.approx(0.55)  # half way down the cosine
    assert all(a >= b for a, b in itertools.pairwise(lrs[10:]))
    assert lrs[110:] == [0.1] * 20
    stretched = TrainConfig(lr=1.0, min_lr=0.1, warmup_steps=10, max_steps=50, lr_decay_steps=110)
    assert [lr_at(s, stretched) for s in range(50)] == lrs[:50]


def test_weight_decay_applies_to_matrices_only() -> None:
    model = GPT(GPTConfig.from_preset("test"))
    optimizer = make_optimizer(model, TrainConfig(weight_decay=0.1))
    decayed, plain = optimizer.param_groups
    assert (decayed["weight_decay"], plain["weight_decay"]) == (0.1, 0.0)
    names = {id(p): n for n, p in model.named_parameters()}
    assert all(p.dim() == 2 for p in decayed["params"])
    assert all(p.dim() == 1 for p in plain["params"])
    assert any(names[id(p)] == "transformer.wte.weight" for p in decayed["params"])
    assert any(names[id(p)].endswith("ln_1.weight") for p in plain["params"])
    # The tied head is one parameter, stepped once.
    assert len(decayed["params"]) + len(plain["params"]) == len(list(model.parameters()))


def test_a_nan_loss_stops_the_run_naming_the_step(
    run_training, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forward = GPT.forward
    calls = {"n": 0}

    def poisoned(self, idx, targets=None, kv_cache=None, **kwargs):
        logits, loss = forward(self, idx, targets, kv_cache, **kwargs)
        if self.training:
            calls["n"] += 1
            if calls["n"] == 6:  # the 6th training forward: step 6
                logits = logits * math.nan
        return logits, loss

    monkeypatch.setattr(GPT, "forward", poisoned)
    with pytest.raises(TrainingError, match=r"loss is nan at step 6.*step_0000004"):
        run_training(max_steps=8, checkpoint_interval=4, log_interval=4)
    run = tmp_path / "run"
    assert (run / "latest").resolve().name == "step_0000004"
    assert not (run / "checkpoints" / "step_0000008").exists()

    # Before its first checkpoint, a run stopped by NaN leaves no half-made run folder.
    calls["n"] = 0
    with pytest.raises(TrainingError, match=r"loss is nan at step 6.*no run folder left"):
        run_training(max_steps=8, checkpoint_interval=8, log_interval=8, out=str(tmp_path / "b"))
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    ("batch_size", "grad_accum", "world_size", "micro_steps", "pieces"),
    [
        (4, 2, 2, 1, [4, 4]),  # as configured: grad_accum / world_size full micro-batches
        (16, 1, 2, 1, [8, 8]),  # every preset's default on two processes: the batch is split
        (3, 3, 2, 2, [3, 2, 2, 2]),  # 9 windows: the fewest micro-batches of at most 3
        (2, 1, 2, 1, [1, 1]),
    ],
)
def test_a_step_is_shared_among_processes_keeping_the_global_batch(
    batch_size, grad_accum, world_size, micro_steps, pieces
) -> None:
    plan = BatchPlan.make(batch_size, grad_accum, world_size)
    assert (plan.micro_steps, plan.pieces()) == (micro_steps, pieces)
    assert max(pieces) <= batch_size
    starts = torch.arange(plan.windows)
    shares = [plan.share(starts, rank) for rank in range(world_size)]
    assert all(len(share) == micro_steps for share in shares)
    assert torch.cat([t for share in shares for t in share]).tolist() == starts.tolist()
    assert plan.as_configured == (grad_accum % world_size == 0)
    if not plan.as_configured:
        assert f"keeping the global batch of {batch_size * grad_accum} windows" in plan.describe()


def test_a_global_batch_smaller_than_the_world_is_a_clear_error(
    gpt_data: Path, tmp_path: Path
) -> None:
    cfg = TrainConfig(data=str(gpt_data), out=str(tmp_path / "r"), preset="test", batch_size=1)
    two = distributed.Context(rank=0, local_rank=0, world_size=2, device=torch.device("cpu"))
    with pytest.raises(ConfigError, match=r"a step's 1 window .* cannot be shared by 2 processes"):
        Trainer(cfg, two, resume=False)
    assert not (tmp_path / "r").exists()


def test_a_fresh_run_never_overwrites_an_existing_one(run_training) -> None:
    run_training(max_steps=2)
    with pytest.raises(TrainingError, match=r"already holds a run.*--resume"):
        run_training(max_steps=2)


def test_missing_data_folder_is_a_clear_error(run_training, tmp_path: Path) -> None:
    from scratchgpt.data import DataError

    with pytest.raises(DataError, match="not a prepared data folder"):
        run_training(data=str(tmp_path / "nowhere"))


def test_a_warmup_longer_than_a_tenth_of_the_run_is_shortened_and_said(
    gpt_data: Path, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from scratchgpt.cli import main

    cfg = TrainConfig(lr=1.0, warmup_steps=100, max_steps=40)
    assert cfg.warmup == 4 and cfg.decay_steps == 40  # lr_decay_steps defaults to max_steps
    assert [lr_at(s, cfg) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert TrainConfig(warmup_steps=100, max_steps=5000).warmup == 100  # long runs: as asked

    args = ["train", "--data", str(gpt_data), "--out", str(tmp_path / "r"), "--preset", "test",
            "--max-steps", "10", "batch_size=1", "eval_interval=0", "warmup_steps=5"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    said = "warning: warm-up shortened from 5 to 1 step, a tenth of the 10-step schedule\n"
    assert result.stderr.startswith(said)  # the run's first line
    assert said not in result.stdout


def test_evaluation_reads_no_more_windows_than_the_validation_split_holds(
    gpt_data: Path, run_training, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from scratchgpt.data import TokenWindows, load_meta

    meta = load_meta(gpt_data)
    val = TokenWindows(gpt_data / "val.bin", meta["dtype"], context_length=64)
    held = (meta["val_tokens"] - 1) // 64
    assert val.disjoint_windows == held < 20 * 4
    starts = val.eval_starts(20 * 4, seed=1)  # more asked than exist: each once, side by side
    assert starts.tolist() == [64 * i for i in range(held)]
    assert len(val.eval_starts(3, seed=1)) == 3  # fewer asked than exist: as many as asked

    read = []
    batch = TokenWindows.batch
    monkeypatch.setattr(
        TokenWindows,
        "batch",
        lambda self, s: read.append((self.path.name, len(s))) or batch(self, s),
    )
    run_training(max_steps=2, eval_iters=20, eval_interval=2, sample_length=0)
    assert sum(n for name, n in read if name == "val.bin") == 2 * held  # steps 0 and 2
    assert f"val.bin holds {held} windows of 65 tokens" in capsys.readouterr().err


def test_evaluations_default_to_a_tenth_of_the_run(run_training) -> None:
    assert [TrainConfig(max_steps=n).eval_every for n in (5, 40, 300, 2500, 19073)] == [
        1, 4, 30, 250, 250
    ]  # fmt: skip
    records = run_training(
        max_steps=10, eval_interval="auto", log_interval=5, batch_size=1, eval_iters=1,
        sample_length=0, checkpoint_interval=10,
    )  # fmt: skip
    assert [r["step"] for r in records if r["val_loss"] is not None] == list(range(11))
