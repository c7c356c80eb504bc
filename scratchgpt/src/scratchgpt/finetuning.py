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

import functools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from scratchgpt import checkpoint, hub, lora, weights
from scratchgpt.classify import (
    GPTClassifier,
    load_classifier,
    pad_batch,
    predict,
    read_labelled,
    save_classifier,
)
from scratchgpt.data import DataError
from scratchgpt.instruct import Record, collate, encode_example, read_records, respond
from scratchgpt.messages import warn
from scratchgpt.model import GPT
from scratchgpt.tokenizer import GPT2Tokenizer, Tokenizer, load_tokenizer_for_model
from scratchgpt.train_config import ConfigError, TrainConfig
from scratchgpt.training import Trainer, train

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
        try:
            lora.check_targets(self.targets)
        except ValueError as e:
            raise ConfigError(f"lora_targets: {e}") from None

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(t.strip() for t in self.lora_targets.split(",") if t.strip())


class Examples:
    """Tokenized examples, batched by index and padded to the longest of each batch."""

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
        """The first ``count`` examples (all, if fewer): the same ones at every evaluation."""
        return torch.arange(min(count, len(self)))


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


def _collate_labelled(
    batch: list[tuple[list[int], int]], pad_token_id: int
) -> tuple[Tensor, Tensor]:
    return pad_batch([x for x, _ in batch], pad_token_id), torch.tensor([y for _, y in batch])


class FinetuneTrainer(Trainer):
    """``Trainer`` with a file of examples, a classifier or instruction model, and a choice
    of the parameters that train."""

    cfg: FinetuneConfig

    @property
    def command(self) -> str:  # type: ignore[override]
        return f"scratchgpt finetune {self.cfg.task}"

    def load_data(self) -> None:
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
        n_ctx = self.model_cfg.context_length
        eot = self.tokenizer.eot_token
        items: list[tuple[list[int], Any]]
        if cfg.task == "classify":
            self.labels = sorted(set(data.labels))
            ids = [self.tokenizer.encode(t) or [eot] for t in data.texts]
            cut = sum(len(x) > n_ctx for x in ids)
            label_ids = [self.labels.index(y) for y in data.labels]
            items = [(x[:n_ctx], y) for x, y in zip(ids, label_ids, strict=True)]
            keys: list[Any] = data.labels
            collate_fn = functools.partial(_collate_labelled, pad_token_id=eot)
        else:
            raw = [encode_example(r, self.tokenizer, 1 << 30) for r in self.records]
            cut = sum(len(x) > n_ctx for x, _ in raw)
            items = [(x[:n_ctx], y[:n_ctx]) for x, y in raw]
            keys = [0] * len(items)
            collate_fn = functools.partial(collate, eot_token=eot)
        if cut:
            self.warn(f"{cut} of {len(items)} examples cut to the context of {n_ctx} tokens")
        train_idx, val_idx = split_indices(keys, cfg.val_fraction, cfg.seed)
        if not train_idx or not val_idx:
            raise DataError(f"{cfg.data}: too few examples to split off a validation set")
        lengths = [len(item[0]) for item in items]
        self.train_data = Examples([items[i] for i in train_idx], collate_fn)
        self.val_examples = Examples([items[i] for i in val_idx], collate_fn)
        self.val_data = self.val_examples
        self.val_index = val_idx
        mean_len = sum(lengths[i] for i in train_idx) / len(train_idx)
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

    def new_model(self) -> nn.Module:
        cfg = self.cfg
        if self.base_dir is not None:
            gpt = weights.load_pretrained(self.base_dir).train()
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

    def load_weights(self, start: Path) -> None:
        cfg = self.cfg
        if cfg.lora_rank:
            _, tensors = lora.read_adapter(start / ADAPTER_DIR)
            lora.load_adapter_weights(self.model, tensors, self.rename)
            if isinstance(self.model, GPTClassifier):
                with torch.no_grad():
                    self.model.score.weight.copy_(tensors["score.weight"])
        elif isinstance(self.model, GPTClassifier):
            saved = load_classifier(start)
            self.model.load_state_dict(saved.state_dict())
        else:
            checkpoint.load_model_weights(start, self.gpt)

    @property
    def rename(self) -> dict[str, str]:
        """scratchgpt's module names -> transformers' (a classifier's GPT is ``gpt.``)."""
        return {"gpt.": ""} if isinstance(self.model, GPTClassifier) else {}

    def save_model(self, folder: Path) -> None:
        model = lora.merge_lora(self.model) if self.cfg.lora_rank else self.model
        if isinstance(model, GPTClassifier):
            save_classifier(model, folder, self.tokenizer)
        else:
            assert isinstance(model, GPT)
            weights.save_pretrained(model, folder, self.tokenizer)
        if self.cfg.lora_rank:
            head = (
                {"score.weight": self.model.score.weight}
                if isinstance(self.model, GPTClassifier)
                else None
            )
            lora.save_adapter(
                self.model,
                folder / ADAPTER_DIR,
                base_model=self.cfg.base_model,
                task_type="SEQ_CLS" if head else "CAUSAL_LM",
                rename=self.rename,
                modules_to_save=head,
            )

    def after_evaluation(self, record: dict[str, Any]) -> None:
        step = record["step"]
        when = f"epoch {step / self.steps_per_epoch:.3g}" if self.cfg.epochs else f"step {step}"
        if self.cfg.task == "classify":
            assert isinstance(self.model, GPTClassifier)
            sequences = [x for x, _ in self.val_examples.items]
            truth = torch.tensor([y for _, y in self.val_examples.items])
            with self.autocast:
                probs = predict(self.model, sequences, self.cfg.batch_size)
            right = int((probs.argmax(-1) == truth).sum())
            record["val_accuracy"] = right / len(truth)
            self.log(f"{when}: val accuracy {record['val_accuracy']:.4f} ({right}/{len(truth)})")
        elif self.ctx.is_main and self.cfg.sample_length:
            for i in self.val_index[:SAMPLED_RESPONSES]:
                r: Record = self.records[i]
                with self.autocast:
                    text = "".join(
                        respond(
                            self.gpt,
                            self.tokenizer,
                            r.instruction,
                            r.input,
                            max_new_tokens=self.cfg.sample_length,
                        )
                    )
                self.log(f"{when}: {r.instruction!r} -> {text.strip()!r}")


def finetune(cfg: FinetuneConfig, *, resume: bool = False) -> Path:
    """Run (or continue) a fine-tuning run as configured; returns the run folder."""
    return train(cfg, resume=resume, trainer=FinetuneTrainer)
