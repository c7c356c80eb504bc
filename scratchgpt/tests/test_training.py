"""The training loop: it learns, it schedules, it logs, and it stops on a bad loss."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import matplotlib.image
import pytest
import torch

from scratchgpt import distributed
from scratchgpt.model import GPT, GPTConfig
from scratchgpt.train_config import ConfigError, TrainConfig, load_config
from scratchgpt.training import Trainer, TrainingError, lr_at, make_optimizer


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
        if targets is not None and self.training:
            calls["n"] += 1
            if calls["n"] == 6:  # the 6th training forward: step 6
                loss = loss * math.nan
        return logits, loss

    monkeypatch.setattr(GPT, "forward", poisoned)
    with pytest.raises(TrainingError, match=r"loss is nan at step 6.*step_0000004"):
        run_training(max_steps=8, checkpoint_interval=4, log_interval=4)
    run = tmp_path / "run"
    assert (run / "latest").resolve().name == "step_0000004"
    assert not (run / "checkpoints" / "step_0000008").exists()


def test_grad_accum_must_divide_among_processes(gpt_data: Path, tmp_path: Path) -> None:
    cfg = TrainConfig(data=str(gpt_data), out=str(tmp_path / "r"), preset="test", grad_accum=3)
    two = distributed.Context(rank=0, local_rank=0, world_size=2, device=torch.device("cpu"))
    with pytest.raises(ConfigError, match=r"grad_accum \(3\) must be a multiple"):
        Trainer(cfg, two, resume=False)


def test_a_fresh_run_never_overwrites_an_existing_one(run_training) -> None:
    run_training(max_steps=2)
    with pytest.raises(TrainingError, match=r"already holds a run.*--resume"):
        run_training(max_steps=2)


def test_missing_data_folder_is_a_clear_error(run_training, tmp_path: Path) -> None:
    from scratchgpt.data import DataError

    with pytest.raises(DataError, match="not a prepared data folder"):
        run_training(data=str(tmp_path / "nowhere"))
