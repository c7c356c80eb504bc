"""The training loop: AdamW with its schedule, gradient accumulation, DDP, evaluation,
checkpoints that resume exactly, and the metrics log. What is trained, on what data and with
which loss is the run's *task* (``scratchgpt.pretraining``, ``scratchgpt.finetuning``).

One optimizer step sees ``batch_size * grad_accum`` items (windows or examples) whatever the
number of processes: they are drawn for the whole step from one seeded sampler, and each of
the ``world_size`` processes runs its share of them (``scratchgpt.batch_plan``). The task's
objective gives each micro-batch's loss as a sum with its count of items (target tokens, or
examples); the counts of the whole step are added up over processes before any backward, so
the step's loss and gradient are the mean over every item of the step, however it was cut.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from scratchgpt import checkpoint, distributed
from scratchgpt.batch_plan import BatchPlan, BatchPlanError
from scratchgpt.ctrl_c import CtrlC
from scratchgpt.messages import count, warn
from scratchgpt.metrics import METRICS_FILE, MetricsLog, RunningLoss, plot_losses
from scratchgpt.objectives import Batches
from scratchgpt.optimization import lr_at, make_optimizer, parameter_counts
from scratchgpt.precision import autocast, weights_dtype
from scratchgpt.rng import rng_state, seed_everything, set_rng_state
from scratchgpt.run_folder import RunFolder, RunFolderError
from scratchgpt.task import Task
from scratchgpt.train_config import ConfigError, TrainConfig


class TrainingError(RuntimeError):
    """The run cannot go on (a non-finite loss, a run folder in the way); says why."""


class TrainingInterrupted(Exception):
    """Ctrl-C stopped the run at a step boundary, after writing a checkpoint there."""


class Trainer:
    """One training run of ``task``, fresh or resumed, in this process (one of ``world_size``).

    Everything that can be checked is checked before the run folder is made: a run whose
    settings cannot work leaves nothing behind.
    """

    def __init__(
        self, cfg: TrainConfig, ctx: distributed.Context, *, resume: bool, task: Task | None = None
    ) -> None:
        if task is None:
            from scratchgpt.pretraining import LanguageModelTask

            task = LanguageModelTask(cfg, ctx)
        self.cfg, self.ctx, self.task = cfg, ctx, task
        try:
            self.plan = BatchPlan.make(cfg.batch_size, cfg.grad_accum, ctx.world_size)
        except BatchPlanError as exc:
            raise ConfigError(str(exc)) from None
        self.folder = RunFolder(Path(cfg.out), task.command)
        try:
            start = self.folder.start(resume)
        except RunFolderError as exc:
            raise TrainingError(str(exc)) from None
        self.run_dir = self.folder.path
        task.load()  # may set the run's length (fine-tuning by epochs)
        self.say_what_was_adjusted()
        if start is not None:
            self.folder.check_same_shape(start, task.model_cfg)

        seed_everything(cfg.seed)
        self.model: nn.Module = task.new_model()  # the same weights in every process
        self.sampler = task.train_data.sampler(cfg.seed)
        self.step = 0
        self.running_loss = RunningLoss()
        self.elapsed_before = 0.0  # seconds spent in earlier sessions of this run
        self.started = time.perf_counter()
        if start is not None:
            task.load_weights(self.model, start)
        self.model.to(ctx.device)
        self.optimizer = make_optimizer(self.model, cfg)
        if start is None:
            # Each process its own dropout masks; the data stay common (the sampler).
            seed_everything(cfg.seed + ctx.rank)
        else:
            self.restore(start)

        self.metrics = MetricsLog(self.run_dir / METRICS_FILE)
        if ctx.device.type == "cuda":
            torch.set_float32_matmul_precision("high")  # TF32 matmuls
        self.autocast = autocast(ctx.device, cfg.dtype, weights_dtype(self.model))
        model: nn.Module = self.model
        self.ddp: DistributedDataParallel | None = None
        if ctx.distributed:
            ids = [ctx.device.index] if ctx.device.type == "cuda" else None
            model = self.ddp = DistributedDataParallel(model, device_ids=ids)
        self.train_model = torch.compile(model) if cfg.compile else model
        self.eval_model = torch.compile(self.model) if cfg.compile else self.model

    def say_what_was_adjusted(self) -> None:
        """One line for each setting the run does not take as written (in its first lines)."""
        cfg = self.cfg
        if cfg.warmup < cfg.warmup_steps:
            self.warn(
                f"warm-up shortened from {cfg.warmup_steps} to {count(cfg.warmup, 'step')}, "
                f"a tenth of the {cfg.decay_steps}-step schedule"
            )
        if not self.plan.as_configured:
            self.warn(self.plan.describe())
        self.task.say_what_was_adjusted()

    def restore(self, start: Path) -> None:
        """Optimizer, step, data sampler, log sums and RNG states as the checkpoint left them."""
        state = checkpoint.load_state(start)
        self.optimizer.load_state_dict(state["optimizer"])
        self.sampler.load_state_dict(state["sampler"])
        self.step = state["step"]
        self.elapsed_before = state["elapsed"]
        if "running_loss" in state:  # absent from checkpoints of older versions
            self.running_loss = RunningLoss(**state["running_loss"])
        ranks, world = len(state["rng"]), self.ctx.world_size
        if ranks == world:
            set_rng_state(state["rng"][self.ctx.rank])
        else:
            self.warn(
                f"a run of {count(ranks, 'process', 'processes')} resumed on {world}: "
                "dropout reseeded"
            )
            seed_everything(self.cfg.seed + self.ctx.rank + 1_000_003 * self.step)
        self.log(f"resuming from {start} at step {self.step}")

    def elapsed(self) -> float:
        """Wall-clock seconds of this run so far, earlier sessions included."""
        return self.elapsed_before + time.perf_counter() - self.started

    def log(self, message: str) -> None:
        if self.ctx.is_main:
            print(message, flush=True)

    def warn(self, message: str) -> None:
        if self.ctx.is_main:
            warn(message)

    def batch(self, indices: torch.Tensor, data: Batches) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = data.batch(indices)
        if self.ctx.device.type == "cuda":
            x, y = (t.pin_memory().to(self.ctx.device, non_blocking=True) for t in (x, y))
            return x, y
        return x.to(self.ctx.device), y.to(self.ctx.device)

    def accumulate(self) -> torch.Tensor:
        """Forward and backward over this process's share of one step's items, leaving in the
        gradients the mean over all the step's items; returns the step's loss (on device)."""
        objective, world = self.task.objective, self.ctx.world_size
        mine = self.plan.share(self.sampler.draw(self.plan.windows), self.ctx.rank)
        batches = [self.batch(indices, self.task.train_data) for indices in mine]
        # Every item of the step, over all processes, before any backward: each micro-batch's
        # sum is divided by it. DDP averages gradients over processes, hence the world size.
        items = distributed.total(
            self.ctx, torch.stack([objective.count(y) for _, y in batches]).sum()
        )
        scale = world / items.clamp(min=1).float()
        total = torch.zeros((), device=self.ctx.device)
        for i, (x, y) in enumerate(batches):
            # Gradients are averaged over processes once per step, on the last micro-batch.
            ddp = None if i == len(batches) - 1 else self.ddp
            with ddp.no_sync() if ddp is not None else contextlib.nullcontext():
                with self.autocast:
                    loss = objective.loss(self.train_model, x, y)
                (loss.total * scale).backward()
            total += loss.total.detach()
        return distributed.total(self.ctx, total) / items.clamp(min=1)

    def train_step(self) -> torch.Tensor:
        """One optimizer step; returns the step's mean loss over all its items (on device)."""
        for group in self.optimizer.param_groups:
            group["lr"] = lr_at(self.step, self.cfg)
        loss = self.accumulate()
        if self.cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        return loss

    @torch.no_grad()
    def evaluate(self) -> dict[str, float]:
        """Validation loss (and accuracy, where the objective has one) over the same items every
        time, split among processes: the mean over all their items."""
        data, objective = self.task.val_data, self.task.objective
        assert data is not None
        self.model.eval()
        indices = data.eval_starts(self.cfg.eval_iters * self.cfg.batch_size, self.cfg.seed)
        mine = indices.tensor_split(self.ctx.world_size)[self.ctx.rank]
        sums = torch.zeros(3, device=self.ctx.device)  # float32: MPS has no float64
        for chunk in mine.split(self.cfg.batch_size):
            x, y = self.batch(chunk, data)
            with self.autocast:
                loss = objective.loss(self.eval_model, x, y)
            sums += torch.stack([loss.total, loss.items, loss.correct]).float()
        self.model.train()
        total, items, correct = distributed.total(self.ctx, sums).tolist()
        out = {"val_loss": total / max(items, 1)}
        if objective.reports_accuracy:
            out["val_accuracy"] = correct / max(items, 1)
        return out

    def save_checkpoint(self) -> Path | None:
        """All processes give their RNG state; rank 0 writes; all wait until it is done."""
        rngs = distributed.gather(self.ctx, rng_state())
        path = None
        if self.ctx.is_main:
            state = {
                "step": self.step,
                "optimizer": self.optimizer.state_dict(),
                "sampler": self.sampler.state_dict(),
                "rng": rngs,
                "elapsed": self.elapsed(),
                "running_loss": dataclasses.asdict(self.running_loss),
                "config": self.cfg.to_dict(),
            }

            def save(folder: Path) -> None:
                self.task.save_model(self.model, folder)

            keep = self.cfg.keep_checkpoints
            path = checkpoint.save(self.run_dir, self.step, save, state, keep=keep)
            self.log(f"checkpoint {path}")
        distributed.barrier(self.ctx)
        return path

    def check_finite(self, pending: list[tuple[int, torch.Tensor]]) -> list[float]:
        """The pending losses as floats; stop the run at the first that is NaN or infinite."""
        if not pending:
            return []
        values = torch.stack([loss for _, loss in pending]).tolist()
        for (step, _), value in zip(pending, values, strict=True):
            if not math.isfinite(value):
                good = checkpoint.latest(self.run_dir)
                where = f"latest is still {good}" if good else "nothing saved: no run folder left"
                raise TrainingError(
                    f"loss is {value} at step {step}; stopping the run ({where}). "
                    "Try a lower lr, more warmup_steps or grad_clip."
                )
        return values

    def run(self) -> None:
        if self.step >= self.cfg.max_steps:
            self.log(
                f"already at step {self.step} of max_steps={self.cfg.max_steps}; nothing to do"
            )
            return
        made = self.folder.make(self.ctx, self.cfg, self.metrics, self.step)
        try:
            self._run()
        except BaseException:
            if made and checkpoint.latest(self.run_dir) is None:
                self.folder.remove()  # a run that saved nothing leaves nothing behind
            raise

    def _run(self) -> None:
        cfg = self.cfg
        eval_every = cfg.eval_every if self.task.val_data is not None else 0
        trainable, total = parameter_counts(self.model)
        what = f"{total / 1e6:.2f}M parameters"
        if trainable < total:
            what = f"{trainable:,} of {total:,} parameters ({trainable / total:.2%})"
        self.log(
            f"training {what} on {self.ctx.device} "
            f"(x{self.ctx.world_size}), {self.task.tokens_per_step:,} tokens per step, "
            f"steps {self.step + 1}..{cfg.max_steps}"
            + (f", evaluating every {count(eval_every, 'step')}" if eval_every else "")
        )
        if self.step == 0 and eval_every:
            # The untrained model's validation loss: where the curve starts (about ln(vocab)).
            record = {"step": 0, "loss": None, "val_loss": None, "lr": None,
                      "tokens_per_s": None, "elapsed": self.elapsed()}  # fmt: skip
            self._evaluate_into(record, 0)
        pending: list[tuple[int, torch.Tensor]] = []
        interval_start, interval_steps = time.perf_counter(), 0
        with CtrlC(announce=self.ctx.is_main) as ctrl_c:
            while self.step < cfg.max_steps:
                pending.append((self.step + 1, self.train_step()))
                interval_steps += 1
                step, last = self.step, self.step == cfg.max_steps
                do_eval = eval_every > 0 and (step % eval_every == 0 or last)
                # Records fall on the same steps whatever the run's interruptions; the last
                # step's record, off that grid, leaves the running sums for a longer run.
                on_grid = step % cfg.log_interval == 0 or (do_eval and not last)
                do_record = on_grid or last
                do_save = step % cfg.checkpoint_interval == 0 or last
                stop = not last and self._stop_requested(ctrl_c, do_record or do_save)
                if not (do_record or do_save or stop):
                    continue
                self.running_loss.add(self.check_finite(pending))
                pending.clear()
                if do_record:
                    seconds = time.perf_counter() - interval_start
                    self._record(
                        step, do_eval, self.task.tokens_per_step * interval_steps / seconds
                    )
                    if on_grid:
                        self.running_loss.reset()
                    interval_start, interval_steps = time.perf_counter(), 0
                if do_save or stop:
                    self.save_checkpoint()
                if stop:
                    self.log(
                        f"stopped by Ctrl-C at step {step}; continue with: "
                        f"{self.task.command} --resume {self.run_dir}"
                    )
                    raise TrainingInterrupted(f"stopped by Ctrl-C at step {step}")
        self.log(f"done: step {self.step}, model in {self.run_dir / checkpoint.LATEST}")

    def _record(self, step: int, evaluate: bool, tokens_per_s: float) -> None:
        """Log a step's metrics (and evaluate) on the console, in metrics.jsonl and loss.png."""
        cfg = self.cfg
        record = {
            "step": step,
            "loss": self.running_loss.mean(),
            "val_loss": None,
            "lr": lr_at(step - 1, cfg),
            "tokens_per_s": tokens_per_s,
            "elapsed": self.elapsed(),
        }
        self.log(
            f"step {step}/{cfg.max_steps}: loss {record['loss']:.4f}, "
            f"lr {record['lr']:.2e}, {record['tokens_per_s']:,.0f} tokens/s"
        )
        if evaluate:
            self._evaluate_into(record, step)
        elif self.ctx.is_main:
            self.metrics.append(record)
        if self.ctx.is_main and (evaluate or step == cfg.max_steps):
            plot_losses(self.metrics.records(), self.folder.plot)

    def _evaluate_into(self, record: dict[str, Any], step: int) -> None:
        """Evaluate, say the results and let the task add its own, then log the record."""
        found = self.evaluate()
        record.update(found)
        self.log(f"step {step}: val loss {found['val_loss']:.4f}")
        if step:  # the untrained model has nothing more to show
            self.task.after_evaluation(self.model, record)
        if self.ctx.is_main:
            self.metrics.append(record)

    def _stop_requested(self, ctrl_c: CtrlC, report: bool) -> bool:
        """Whether to stop after this step. A lone process looks at every step; under
        torchrun the processes agree at the steps they report, where they wait for each
        other anyway, so that all stop at the same step."""
        if not self.ctx.distributed:
            return ctrl_c.pressed
        return report and distributed.any_process(self.ctx, ctrl_c.pressed)


def train(
    cfg: TrainConfig,
    *,
    resume: bool = False,
    task: type[Any] | None = None,
) -> Path:
    """Run (or continue) training as configured; returns the run folder.

    Under torchrun every process calls this; the process group is joined and left here.
    ``task`` is the kind of run, a class taking ``(cfg, ctx)`` (pretraining by default).
    """
    try:
        ctx = distributed.setup(cfg.device)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    try:
        Trainer(cfg, ctx, resume=resume, task=task(cfg, ctx) if task else None).run()
    finally:
        distributed.teardown()
    return Path(cfg.out)
