"""Fine-tuning runs: the training loop of ``scratchgpt.training`` on labelled texts or
instructions, from a model folder (or hub id) or fresh weights, on all layers, the last few,
or LoRA adapters.

A run folder is a training run's (``config.toml``, ``metrics.jsonl``, ``loss.png``,
``checkpoints/``, ``latest``), and resumes the same way. What changes is the data (a file of
examples, split into training and validation), the model (a classifier, or the GPT itself
trained on responses only), which parameters train, and what each evaluation reports
(accuracy, or sample responses).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from scratchgpt import checkpoint, distributed, hub, lora, weights
from scratchgpt.classify import (
    GPTClassifier,
    LabelledTexts,
    load_classifier,
    read_labelled,
    save_classifier,
)
from scratchgpt.data import DataError, EpochSampler
from scratchgpt.instruct import IGNORE, Record, encode_example, read_records, respond
from scratchgpt.messages import warn
from scratchgpt.model import GPT
from scratchgpt.objectives import classification, instruction_following
from scratchgpt.precision import autocast, weights_dtype
from scratchgpt.tokenizer import GPT2Tokenizer, Tokenizer, load_tokenizer_for_model
from scratchgpt.train_config import ConfigError, TrainConfig
from scratchgpt.training import train

TASKS = ("classify", "instruct")
ADAPTER_DIR = "adapter"
# Responses shown at each evaluation of an instruction run.
SAMPLED_RESPONSES = 3


@dataclass
class FinetuneConfig(TrainConfig):
    """A training run's settings plus what a fine-tuning run adds."""

    task: str = "classify"  # classify or instruct
    base_model: str = ""  # a model folder or hub id; empty: fresh weights of `preset`
    epochs: float = 0.0  # passes over the training split; 0: max_steps decides
    val_fraction: float = 0.1  # share of the examples held out (per label for classify)
    train_layers: int = 0  # train only the last N blocks (+ final norm, + head); 0: all
    lora_rank: int = 0  # train LoRA adapters of this rank instead; 0: no LoRA
    lora_alpha: float = 0.0  # LoRA scaling numerator; 0: 2 * lora_rank
    lora_targets: str = "c_attn,c_proj,c_fc"  # projections that get adapters

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.task not in TASKS:
            raise ConfigError(f"task must be one of {', '.join(TASKS)}, got {self.task!r}")
        if not 0 < self.val_fraction < 1:
            raise ConfigError(f"val_fraction must be between 0 and 1, got {self.val_fraction}")
        for key in ("epochs", "train_layers", "lora_rank", "lora_alpha"):
            if getattr(self, key) < 0:
                raise ConfigError(f"{key} must be at least 0, got {getattr(self, key)}")
        if self.lora_rank and self.train_layers:
            raise ConfigError("choose train_layers or lora_rank, not both")
        defaults = FinetuneConfig.__dataclass_fields__
        idle = [
            key
            for key in ("lora_alpha", "lora_targets")
            if getattr(self, key) != defaults[key].default
        ]
        if idle and not self.lora_rank:
            flags = ", ".join(f"--{k.replace('_', '-')} ({k})" for k in idle)
            raise ConfigError(f"{flags} without --lora (lora_rank) would change nothing")
        try:
            lora.check_targets(self.targets)
        except ValueError as e:
            raise ConfigError(f"lora_targets: {e}") from None

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(t.strip() for t in self.lora_targets.split(",") if t.strip())


class Examples:
    """Tokenized examples, batched by index by the objective's ``collate``."""

    def __init__(
        self,
        items: list[tuple[list[int], Any]],
        collate_fn: Callable[[list[Any]], tuple[Tensor, Tensor]],
    ) -> None:
        self.items = items
        self.collate = collate_fn

    def __len__(self) -> int:
        return len(self.items)

    def batch(self, indices: Tensor) -> tuple[Tensor, Tensor]:
        return self.collate([self.items[i] for i in indices.tolist()])

    def eval_starts(self, count: int, seed: int) -> Tensor:
        """Every example, the same at every evaluation: the validation split is the split."""
        return torch.arange(len(self))

    def sampler(self, seed: int) -> EpochSampler:
        """Epochs of examples, each seen once per epoch."""
        return EpochSampler(len(self), seed)


def split_indices(labels: list[Any], fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """Training and validation indices; the validation share is taken from each label apart
    (at least one example of each), so a rare class is in both."""
    rng = random.Random(seed)
    train, val = [], []
    for label in sorted(set(labels), key=str):
        members = [i for i, x in enumerate(labels) if x == label]
        rng.shuffle(members)
        n_val = max(1, round(len(members) * fraction)) if len(members) > 1 else 0
        val += members[:n_val]
        train += members[n_val:]
    return sorted(train), sorted(val)


class FinetuneTask:
    """Training on a file of examples: a classifier or an instruction model, from a model
    folder (or hub id) or fresh weights, with a choice of the parameters that train."""

    def __init__(self, cfg: FinetuneConfig, ctx: distributed.Context) -> None:
        self.cfg, self.ctx = cfg, ctx
        self.command = f"scratchgpt finetune {cfg.task}"

    def log(self, message: str) -> None:
        if self.ctx.is_main:
            print(message, flush=True)

    def warn(self, message: str) -> None:
        if self.ctx.is_main:
            warn(message)

    def load(self) -> None:
        cfg = self.cfg
        # The examples first: a problem in them is reported before anything is loaded.
        if cfg.task == "classify":
            data = read_labelled(cfg.data)
        else:
            self.records = read_records(cfg.data)
        self.base_dir = hub.resolve_model(cfg.base_model) if cfg.base_model else None
        if self.base_dir is not None:
            self.tokenizer: Tokenizer = load_tokenizer_for_model(self.base_dir)
            self.model_cfg = weights.read_config(self.base_dir)
            if cfg.model:
                raise ConfigError("model.* settings shape fresh weights; drop them with --model")
        else:
            self.tokenizer = GPT2Tokenizer.from_tiktoken()
            self.model_cfg = cfg.model_config(self.tokenizer.vocab_size)
            if (cfg.lora_rank or cfg.train_layers) and self.ctx.is_main:
                what = "--lora" if cfg.lora_rank else "--train-layers"
                warn(f"{what} on fresh weights: most of the model stays random; give --model")
        items, keys = self.encode(data if cfg.task == "classify" else None)
        train_idx, val_idx = split_indices(keys, cfg.val_fraction, cfg.seed)
        if not train_idx or not val_idx:
            raise DataError(f"{cfg.data}: too few examples to split off a validation set")
        collate_fn = self.objective.collate
        assert collate_fn is not None
        self.train_data = Examples([items[i] for i in train_idx], collate_fn)
        self.val_data = Examples([items[i] for i in val_idx], collate_fn)
        self.val_index = [self.kept[i] for i in val_idx]  # the records the samples show
        mean_len = sum(len(items[i][0]) for i in train_idx) / len(train_idx)
        self.tokens_per_step = int(cfg.batch_size * cfg.grad_accum * mean_len)
        self.steps_per_epoch = math.ceil(len(train_idx) / (cfg.batch_size * cfg.grad_accum))
        if cfg.epochs:
            cfg.max_steps = max(1, math.ceil(cfg.epochs * self.steps_per_epoch))
            if cfg.eval_interval == "auto":  # evaluate (report the accuracy) once per epoch
                cfg.eval_interval = self.steps_per_epoch
        self.log(
            f"{cfg.data}: {len(train_idx)} training and {len(val_idx)} validation examples, "
            f"{self.steps_per_epoch} steps per epoch"
        )

    def encode(self, data: LabelledTexts | None) -> tuple[list[tuple[list[int], Any]], list[Any]]:
        """The examples as token ids cut to the context, with the keys the split is made by
        (the labels); sets the objective. An instruction record left with no response token
        is skipped with a warning at its index."""
        n_ctx = self.model_cfg.context_length
        eot = self.tokenizer.eot_token
        items: list[tuple[list[int], Any]]
        if data is not None:
            self.objective = classification(eot)
            self.labels = sorted(set(data.labels))
            ids = [self.tokenizer.encode(t) or [eot] for t in data.texts]
            cut = sum(len(x) > n_ctx for x in ids)
            label_ids = [self.labels.index(y) for y in data.labels]
            items = [(x[:n_ctx], y) for x, y in zip(ids, label_ids, strict=True)]
            self.kept = list(range(len(items)))
            keys: list[Any] = data.labels
        else:
            self.objective = instruction_following(eot)
            raw = [encode_example(r, self.tokenizer, 1 << 30) for r in self.records]
            cut = sum(len(x) > n_ctx for x, _ in raw)
            items, self.kept = [], []
            for i, (x, y) in enumerate(raw):
                if all(t == IGNORE for t in y[:n_ctx]):
                    self.warn(
                        f"{self.cfg.data}: record {i} skipped: its prompt fills the context "
                        f"of {n_ctx} tokens, leaving no response token to learn"
                    )
                    continue
                items.append((x[:n_ctx], y[:n_ctx]))
                self.kept.append(i)
            keys = [0] * len(items)
        if cut:
            self.warn(f"{cut} of {len(raw) if data is None else len(items)} examples cut to the "
                      f"context of {n_ctx} tokens")  # fmt: skip
        return items, keys

    def new_model(self) -> nn.Module:
        cfg = self.cfg
        if self.base_dir is not None:
            gpt = weights.load_pretrained(self.base_dir).train()
            dtype = str(gpt.transformer.wte.weight.dtype).removeprefix("torch.")
            if dtype != "float32" and not cfg.lora_rank:
                # AdamW's small updates vanish in bfloat16 and overflow in float16.
                self.log(
                    f"{cfg.base_model} is {dtype}: its weights train in float32 "
                    f"(--lora trains float32 adapters beside the {dtype} weights instead)"
                )
                gpt.float()
        else:
            gpt = GPT(self.model_cfg)
        model: nn.Module = gpt
        if cfg.task == "classify":
            model = GPTClassifier(gpt, self.labels, self.tokenizer.eot_token)
        if cfg.lora_rank:
            lora.add_lora(model, cfg.lora_rank, cfg.lora_alpha or None, cfg.targets)
        elif cfg.train_layers:
            if cfg.train_layers > len(gpt.transformer.h):
                raise ConfigError(
                    f"train_layers={cfg.train_layers}, but the model has "
                    f"{len(gpt.transformer.h)} blocks"
                )
            model.requires_grad_(False)
            gpt.transformer.h[-cfg.train_layers :].requires_grad_(True)
            gpt.transformer.ln_f.requires_grad_(True)
        if isinstance(model, GPTClassifier):
            model.score.requires_grad_(True)
        return model

    def load_weights(self, model: nn.Module, start: Path) -> None:
        if self.cfg.lora_rank:
            _, tensors = lora.read_adapter(start / ADAPTER_DIR)
            lora.load_adapter_weights(model, tensors, self.rename(model))
            if isinstance(model, GPTClassifier):
                with torch.no_grad():
                    model.score.weight.copy_(tensors["score.weight"])
        elif isinstance(model, GPTClassifier):
            saved = load_classifier(start)
            model.load_state_dict(saved.state_dict())
        else:
            assert isinstance(model, GPT)
            checkpoint.load_model_weights(start, model)

    @staticmethod
    def rename(model: nn.Module) -> dict[str, str]:
        """scratchgpt's module names -> transformers' (a classifier's GPT is ``gpt.``)."""
        return {"gpt.": ""} if isinstance(model, GPTClassifier) else {}

    def save_model(self, model: nn.Module, folder: Path) -> None:
        merged = lora.merge_lora(model) if self.cfg.lora_rank else model
        if isinstance(merged, GPTClassifier):
            save_classifier(merged, folder, self.tokenizer)
        else:
            assert isinstance(merged, GPT)
            weights.save_pretrained(merged, folder, self.tokenizer)
        if self.cfg.lora_rank:
            head = (
                {"score.weight": model.score.weight} if isinstance(model, GPTClassifier) else None
            )
            lora.save_adapter(
                model,
                folder / ADAPTER_DIR,
                base_model=self.cfg.base_model,
                task_type="SEQ_CLS" if head else "CAUSAL_LM",
                rename=self.rename(model),
                modules_to_save=head,
            )

    def say_what_was_adjusted(self) -> None:
        """Nothing more than ``load`` said."""

    def after_evaluation(self, model: nn.Module, record: dict[str, Any]) -> None:
        """A classifier's accuracy; an instruction model's responses to the first validation
        records."""
        step = record["step"]
        when = f"epoch {step / self.steps_per_epoch:.3g}" if self.cfg.epochs else f"step {step}"
        if "val_accuracy" in record:
            n = len(self.val_data)
            right = round(record["val_accuracy"] * n)
            self.log(f"{when}: val accuracy {record['val_accuracy']:.4f} ({right}/{n})")
        if self.cfg.task != "instruct" or not self.ctx.is_main or not self.cfg.sample_length:
            return
        assert isinstance(model, GPT)
        for i in self.val_index[:SAMPLED_RESPONSES]:
            r: Record = self.records[i]
            with autocast(self.ctx.device, self.cfg.dtype, weights_dtype(model)):
                text = "".join(
                    respond(model, self.tokenizer, r.instruction, r.input,
                            max_new_tokens=self.cfg.sample_length, say_crops=False)
                )  # fmt: skip
            self.log(f"{when}: {r.instruction!r} -> {text.strip()!r}")


def finetune(cfg: FinetuneConfig, *, resume: bool = False) -> Path:
    """Run (or continue) a fine-tuning run as configured; returns the run folder."""
    return train(cfg, resume=resume, task=FinetuneTask)
