"""The training loop: AdamW, warm-up then cosine learning rate, gradient accumulation, DDP,
evaluation with a sample, checkpoints that resume exactly, and a metrics log with its plot.

One optimizer step sees ``batch_size * grad_accum`` windows whatever the number of processes:
the windows are drawn for the whole step from one seeded generator, and each of the
``world_size`` processes runs its share of them (``scratchgpt.batch_plan``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import random
import shutil
import signal
import threading
import time
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch.nn.parallel import DistributedDataParallel

from scratchgpt import checkpoint, distributed, weights
from scratchgpt.batch_plan import BatchPlan, BatchPlanError
from scratchgpt.data import TokenWindows, WindowSampler, load_meta
from scratchgpt.generation import generate
from scratchgpt.messages import count, warn
from scratchgpt.model import GPT
from scratchgpt.tokenizer import Tokenizer, load_tokenizer
from scratchgpt.train_config import CONFIG_FILE, ConfigError, TrainConfig

METRICS_FILE = "metrics.jsonl"
PLOT_FILE = "loss.png"
# The GPTConfig fields that fix the parameters' shapes: a resumed run cannot change them.
SHAPE_FIELDS = ("vocab_size", "context_length", "n_embd", "n_layer", "n_head", "bias")


class TrainingError(RuntimeError):
    """The run cannot go on (a non-finite loss, a run folder in the way); says why."""


class TrainingInterrupted(Exception):
    """Ctrl-C stopped the run at a step boundary, after writing a checkpoint there."""


class CtrlC:
    """While active, the first Ctrl-C (SIGINT) only sets ``pressed``; a second one
    interrupts at once, as usual.

    The training loop looks at ``pressed`` between steps, so a run stops with its model,
    optimizer and RNG states consistent, and can checkpoint them. Under torchrun, the
    launcher passes the signal on to every process. Python takes signals in its main thread
    only; elsewhere this does nothing.
    """

    def __init__(self, announce: bool = True) -> None:
        self.announce = announce
        self.pressed = False
        self._previous: Any = None

    def __enter__(self) -> CtrlC:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _handle(self, signum: int, frame: object) -> None:
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True
        if self.announce:  # os.write: print() is not safe inside a signal handler
            os.write(
                2, b"\nCtrl-C: stopping after this step, with a checkpoint (again: quit now)\n"
            )


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Learning rate for update ``step`` (0-based): linear warm-up, then cosine to ``min_lr``.

    The warm-up is ``cfg.warmup``: ``warmup_steps``, at most a tenth of the schedule.
    """
    warmup = cfg.warmup
    if step < warmup:
        return cfg.lr * (step + 1) / warmup
    decay = cfg.decay_steps - warmup
    if decay <= 0 or step >= cfg.decay_steps:
        return cfg.min_lr
    progress = (step - warmup) / decay
    return cfg.min_lr + 0.5 * (1.0 + math.cos(math.pi * progress)) * (cfg.lr - cfg.min_lr)


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices (weights, embeddings) only, never on biases or
    LayerNorm gains; the fused kernel where the device has one."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    options: dict[str, Any] = {"lr": cfg.lr, "betas": (cfg.beta1, cfg.beta2)}
    try:
        return torch.optim.AdamW(groups, fused=True, **options)
    except RuntimeError:  # no fused AdamW for this device
        return torch.optim.AdamW(groups, **options)


def parameter_counts(model: torch.nn.Module) -> tuple[int, int]:
    """``(trainable, total)`` parameters, a tied (shared) tensor counted once."""
    params = {id(p): p for p in model.parameters()}.values()
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)


def autocast(device: torch.device, dtype: str) -> contextlib.AbstractContextManager[Any]:
    """bf16 autocast when ``dtype`` resolves to bfloat16, else nothing."""
    if dtype == "auto":
        dtype = (
            "bfloat16" if device.type == "cuda" and torch.cuda.is_bf16_supported() else "float32"
        )
    if dtype == "bfloat16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


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


def rng_state() -> dict[str, Any]:
    """This process's torch, CUDA, numpy and Python RNG states, as tensors and plain values."""
    _, keys, pos, has_gauss, cached = typing.cast(tuple, np.random.get_state(legacy=True))
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    keys = n["keys"].numpy().astype(np.uint32)
    np.random.set_state(("MT19937", keys, n["pos"], n["has_gauss"], n["cached_gaussian"]))
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"])


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


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


class Batches(Protocol):
    """Training or validation data as the loop reads it: ``TokenWindows``, or a fine-tuning
    task's examples."""

    def __len__(self) -> int: ...

    def batch(self, starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and targets of the items at ``starts``."""
        ...

    def eval_starts(self, count: int, seed: int) -> torch.Tensor:
        """The items of every evaluation, at most ``count``."""
        ...


class Trainer:
    """One training run, fresh or resumed, in this process (one of ``world_size``).

    Everything that can be checked is checked before the run folder is made: a run whose
    settings cannot work leaves nothing behind.
    """

    command = "scratchgpt train"  # the command that runs this kind of training, for hints

    def __init__(self, cfg: TrainConfig, ctx: distributed.Context, *, resume: bool) -> None:
        self.cfg = cfg
        self.ctx = ctx
        try:
            self.plan = BatchPlan.make(cfg.batch_size, cfg.grad_accum, ctx.world_size)
        except BatchPlanError as exc:
            raise ConfigError(str(exc)) from None
        self.run_dir = Path(cfg.out)
        start = self._find_start(resume)

        self.load_data()
        if start is not None:
            self._check_same_shape(start)
        self._say_what_was_adjusted()

        seed_everything(cfg.seed)
        self.model: torch.nn.Module = self.new_model()  # the same weights in every process
        self.sampler = WindowSampler(len(self.train_data), cfg.seed)
        self.step = 0
        self.running_loss = RunningLoss()
        self.elapsed_before = 0.0  # seconds spent in earlier sessions of this run
        self.started = time.perf_counter()
        if start is not None:
            self.load_weights(start)
        self.model.to(ctx.device)
        self.optimizer = make_optimizer(self.model, cfg)
        if start is None:
            # Each process its own dropout masks; the data windows stay common (the sampler).
            seed_everything(cfg.seed + ctx.rank)
        else:
            self._restore(start)

        self.metrics = MetricsLog(self.run_dir / METRICS_FILE)
        if ctx.device.type == "cuda":
            torch.set_float32_matmul_precision("high")  # TF32 matmuls
        self.autocast = autocast(ctx.device, cfg.dtype)
        model: torch.nn.Module = self.model
        self.ddp: DistributedDataParallel | None = None
        if ctx.distributed:
            ids = [ctx.device.index] if ctx.device.type == "cuda" else None
            model = self.ddp = DistributedDataParallel(model, device_ids=ids)
        self.train_model = torch.compile(model) if cfg.compile else model
        self.eval_model = torch.compile(self.model) if cfg.compile else self.model

    def load_data(self) -> None:
        """The tokenizer, the model's config, the training and validation data."""
        cfg = self.cfg
        meta = load_meta(cfg.data)
        self.tokenizer: Tokenizer = load_tokenizer(cfg.data)
        self.model_cfg = cfg.model_config(meta["vocab_size"])
        n_ctx = self.model_cfg.context_length
        data_dir = Path(cfg.data)
        self.train_data: Batches = TokenWindows(data_dir / "train.bin", meta["dtype"], n_ctx)
        self.val_data: Batches | None = None
        if cfg.eval_every:
            if meta["val_tokens"] > n_ctx:
                self.val_data = TokenWindows(data_dir / "val.bin", meta["dtype"], n_ctx)
            else:
                self.warn(
                    f"val.bin holds {count(meta['val_tokens'], 'token')}, too few for a "
                    f"window of {n_ctx + 1}: no validation loss in this run"
                )
        self.tokens_per_step = self.plan.windows * n_ctx

    def new_model(self) -> torch.nn.Module:
        """The model to train, before any checkpoint is loaded: ``model(x, y)`` gives
        ``(logits, loss)``; its parameters that require gradients are trained."""
        return GPT(self.model_cfg)

    @property
    def gpt(self) -> GPT:
        """``self.model`` as the language model it is in a pretraining run."""
        assert isinstance(self.model, GPT)
        return self.model

    def load_weights(self, start: Path) -> None:
        """Put a checkpoint's weights into ``self.model``."""
        checkpoint.load_model_weights(start, self.gpt)

    def save_model(self, folder: Path) -> None:
        """Write ``self.model`` as a model folder (a checkpoint's, and ``latest``'s)."""
        weights.save_pretrained(self.gpt, folder, tokenizer=self.tokenizer)

    def after_evaluation(self, record: dict[str, Any]) -> None:
        """Report more than the validation loss (here a sample); may add to ``record``."""
        if self.ctx.is_main and self.cfg.sample_length:
            self.log(f"sample: {self.sample()!r}")

    def _find_start(self, resume: bool) -> Path | None:
        """The checkpoint to resume from; a fresh run must not land on an existing one."""
        start = checkpoint.latest(self.run_dir)
        if resume and start is None:
            raise TrainingError(f"{self.run_dir} has no checkpoint to resume from")
        if not resume and (start is not None or (self.run_dir / CONFIG_FILE).exists()):
            raise TrainingError(
                f"{self.run_dir} already holds a run; continue it with "
                f"`{self.command} --resume {self.run_dir}`, or choose another --out"
            )
        if self.run_dir.exists() and not self.run_dir.is_dir():
            raise TrainingError(f"--out {self.run_dir} is a file, not a folder")
        return start

    def _say_what_was_adjusted(self) -> None:
        """One line for each setting the run does not take as written (in its first lines)."""
        cfg = self.cfg
        if cfg.warmup < cfg.warmup_steps:
            self.warn(
                f"warm-up shortened from {cfg.warmup_steps} to {count(cfg.warmup, 'step')}, "
                f"a tenth of the {cfg.decay_steps}-step schedule"
            )
        if not self.plan.as_configured:
            self.warn(self.plan.describe())
        self._say_what_sampling_ignores()
        if isinstance(self.val_data, TokenWindows):
            asked = cfg.eval_iters * cfg.batch_size
            held = self.val_data.disjoint_windows
            if held < asked:
                self.warn(
                    f"val.bin holds {count(held, 'window')} of {self.val_data.context_length + 1} "
                    f"tokens, fewer than eval_iters x batch_size = {asked}: each evaluation "
                    f"reads each of them once"
                )

    def _say_what_sampling_ignores(self) -> None:
        """A warning for each evaluation or sample setting that others make meaningless, and
        for a sample that does not fit the context."""
        cfg, default = self.cfg, TrainConfig()
        if cfg.eval_every == 0:
            keys = ("eval_iters", "sample_prompt", "sample_length")
            ignored = [k for k in keys if getattr(cfg, k) != getattr(default, k)]
            if ignored:
                self.warn(f"{', '.join(ignored)} ignored: eval_interval=0 turns evaluations off")
            return
        if not cfg.sample_length:
            if cfg.sample_prompt:
                self.warn("sample_prompt ignored: sample_length=0 turns samples off")
            return
        n_ctx = self.model_cfg.context_length
        prompt = len(self.tokenizer.encode(cfg.sample_prompt)) or 1
        if prompt > n_ctx - 1:
            self.warn(
                f"sample_prompt is {count(prompt, 'token')}, longer than the context of {n_ctx} "
                f"leaves room for: samples start from its last {n_ctx - 1}"
            )
        elif prompt + cfg.sample_length > n_ctx:
            self.warn(
                f"sample_length={cfg.sample_length} cut to {n_ctx - prompt}: the prompt and "
                f"the sample fit in the context of {n_ctx} tokens"
            )

    def _check_same_shape(self, start: Path) -> None:
        """A resumed run keeps its model's shape (dropout and the attention path may change)."""
        then, now = weights.read_config(start), self.model_cfg
        changed = [
            f"model.{key} = {getattr(then, key)!r} in the run, {getattr(now, key)!r} now"
            for key in SHAPE_FIELDS
            if getattr(then, key) != getattr(now, key)
        ]
        if changed:
            raise ConfigError(
                f"cannot resume {self.run_dir} with another model shape ({'; '.join(changed)}); "
                "resume with the run's own model settings, or start a new run with --out"
            )

    def _restore(self, start: Path) -> None:
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

    def batch(self, starts: torch.Tensor, data: Batches) -> tuple[torch.Tensor, ...]:
        x, y = data.batch(starts)
        if self.ctx.device.type == "cuda":
            return tuple(t.pin_memory().to(self.ctx.device, non_blocking=True) for t in (x, y))
        return x.to(self.ctx.device), y.to(self.ctx.device)

    def train_step(self) -> torch.Tensor:
        """One optimizer step; returns the step's mean loss over all processes (on device)."""
        cfg, plan = self.cfg, self.plan
        lr = lr_at(self.step, cfg)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        mine = plan.share(self.sampler.draw(plan.windows), self.ctx.rank)
        total = torch.zeros((), device=self.ctx.device)
        for i, micro in enumerate(mine):
            x, y = self.batch(micro, self.train_data)
            # Each piece weighs its share of the global batch; DDP's all-reduce averages over
            # processes, hence the world size: the gradient is the mean over the step's windows.
            weight = len(micro) * plan.world_size / plan.windows
            # Gradients are averaged over processes once per step, on the last micro-batch.
            ddp = None if i == len(mine) - 1 else self.ddp
            sync = ddp.no_sync() if ddp is not None else contextlib.nullcontext()
            with sync:
                with self.autocast:
                    _, loss = self.train_model(x, y)
                (loss * weight).backward()
            total += loss.detach() * weight
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), cfg.grad_clip)
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        return distributed.mean(self.ctx, total)

    @torch.no_grad()
    def evaluate(self) -> float:
        """Mean validation loss over the same windows every time, split among processes."""
        assert self.val_data is not None
        cfg = self.cfg
        self.model.eval()
        starts = self.val_data.eval_starts(cfg.eval_iters * cfg.batch_size, cfg.seed)
        mine = starts.tensor_split(self.ctx.world_size)[self.ctx.rank]
        total = torch.zeros(2, device=self.ctx.device)  # float32: MPS has no float64
        for chunk in mine.split(cfg.batch_size):
            x, y = self.batch(chunk, self.val_data)
            with self.autocast:
                _, loss = self.eval_model(x, y)
            total[0] += loss.float() * len(chunk)
            total[1] += len(chunk)
        self.model.train()
        total = distributed.mean(self.ctx, total)
        return (total[0] / total[1]).item()

    @torch.no_grad()
    def sample(self) -> str:
        """``sample_prompt`` and its continuation, the same random stream at every evaluation."""
        cfg = self.cfg
        prompt = self.tokenizer.encode(cfg.sample_prompt) or [self.tokenizer.eot_token]
        prompt = prompt[-(self.model_cfg.context_length - 1) :]
        length = min(cfg.sample_length, self.model_cfg.context_length - len(prompt))
        idx = torch.tensor([prompt], device=self.ctx.device)
        generator = torch.Generator(self.ctx.device).manual_seed(cfg.seed)
        self.model.eval()
        with self.autocast:
            out = generate(self.gpt, idx, length, temperature=0.8, top_k=50, generator=generator)
        self.model.train()
        ids = [t for t in out[0].tolist() if t != self.tokenizer.eot_token or cfg.sample_prompt]
        return self.tokenizer.decode(ids)

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
            path = checkpoint.save(
                self.run_dir,
                self.step,
                self.save_model,
                state,
                keep=self.cfg.keep_checkpoints,
            )
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
                where = f"latest is still {good}" if good else "no checkpoint was written"
                raise TrainingError(
                    f"loss is {value} at step {step}; stopping the run ({where}). "
                    "Try a lower lr, more warmup_steps or grad_clip."
                )
        return values

    def run(self) -> None:
        cfg = self.cfg
        if self.step >= cfg.max_steps:
            self.log(f"already at step {self.step} of max_steps={cfg.max_steps}; nothing to do")
            return
        first_step = self.step
        made = self._make_run_dir()
        try:
            self._run()
        except BaseException:
            if made and self.step == first_step:
                self._remove_run_dir()  # a failed start leaves nothing behind
            raise

    def _make_run_dir(self) -> bool:
        """Rank 0 makes the run folder (if new) and saves the config; whether it made it."""
        made = False
        if self.ctx.is_main:
            made = not self.run_dir.exists()
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self.cfg.save(self.run_dir / CONFIG_FILE)
            self.metrics.truncate(self.step)
        distributed.barrier(self.ctx)
        return made

    def _remove_run_dir(self) -> None:
        for name in (CONFIG_FILE, METRICS_FILE, PLOT_FILE, checkpoint.CHECKPOINTS):
            path = self.run_dir / name
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            self.run_dir.rmdir()  # only if nothing else is in it

    def _run(self) -> None:
        cfg = self.cfg
        eval_every = cfg.eval_every if self.val_data is not None else 0
        trainable, total = parameter_counts(self.model)
        what = f"{total / 1e6:.2f}M parameters"
        if trainable < total:
            what = f"{trainable:,} of {total:,} parameters ({trainable / total:.2%})"
        self.log(
            f"training {what} on {self.ctx.device} "
            f"(x{self.ctx.world_size}), {self.tokens_per_step:,} tokens per step, "
            f"steps {self.step + 1}..{cfg.max_steps}"
            + (f", evaluating every {count(eval_every, 'step')}" if eval_every else "")
        )
        if self.step == 0 and eval_every:
            # The untrained model's validation loss: where the curve starts (about ln(vocab)).
            val_loss = self.evaluate()
            self.log(f"step 0: val loss {val_loss:.4f}")
            if self.ctx.is_main:
                self.metrics.append(
                    {"step": 0, "loss": None, "val_loss": val_loss, "lr": None,
                     "tokens_per_s": None, "elapsed": self.elapsed()}
                )  # fmt: skip
        pending: list[tuple[int, torch.Tensor]] = []
        interval_start = time.perf_counter()
        interval_steps = 0
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
                    self._record(step, do_eval, self.tokens_per_step * interval_steps / seconds)
                    if on_grid:
                        self.running_loss.reset()
                    interval_start, interval_steps = time.perf_counter(), 0
                if do_save or stop:
                    self.save_checkpoint()
                if stop:
                    self.log(
                        f"stopped by Ctrl-C at step {step}; continue with: "
                        f"{self.command} --resume {self.run_dir}"
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
            record["val_loss"] = self.evaluate()
            self.log(f"step {step}: val loss {record['val_loss']:.4f}")
            self.after_evaluation(record)
        if self.ctx.is_main:
            self.metrics.append(record)
            if evaluate or step == cfg.max_steps:
                plot_losses(self.metrics.records(), self.run_dir / PLOT_FILE)

    def _stop_requested(self, ctrl_c: CtrlC, report: bool) -> bool:
        """Whether to stop after this step. A lone process looks at every step; under
        torchrun the processes agree at the steps they report, where they wait for each
        other anyway, so that all stop at the same step."""
        if not self.ctx.distributed:
            return ctrl_c.pressed
        return report and distributed.any_process(self.ctx, ctrl_c.pressed)


def train(cfg: TrainConfig, *, resume: bool = False, trainer: type[Trainer] = Trainer) -> Path:
    """Run (or continue) training as configured; returns the run folder.

    Under torchrun every process calls this; the process group is joined and left here.
    ``trainer`` is the kind of run (fine-tuning passes its own).
    """
    try:
        ctx = distributed.setup(cfg.device)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    try:
        trainer(cfg, ctx, resume=resume).run()
    finally:
        distributed.teardown()
    return Path(cfg.out)
