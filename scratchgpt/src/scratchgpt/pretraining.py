"""Pretraining: a GPT learns to predict the next token of random windows of a prepared corpus
(``scratchgpt prepare``), and each evaluation shows a sample of what it writes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from scratchgpt import checkpoint, distributed, weights
from scratchgpt.data import TokenWindows, load_meta
from scratchgpt.generation import generate
from scratchgpt.messages import count, warn
from scratchgpt.model import GPT
from scratchgpt.objectives import Batches, language_modelling
from scratchgpt.precision import autocast
from scratchgpt.tokenizer import Tokenizer, load_tokenizer
from scratchgpt.train_config import TrainConfig


class LanguageModelTask:
    """A GPT of ``cfg.model`` on the token files of ``cfg.data``."""

    command = "scratchgpt train"

    def __init__(self, cfg: TrainConfig, ctx: distributed.Context) -> None:
        self.cfg, self.ctx = cfg, ctx
        self.objective = language_modelling()

    def warn(self, message: str) -> None:
        if self.ctx.is_main:
            warn(message)

    def load(self) -> None:
        """The tokenizer, the model's config, the training and validation windows."""
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
        self.tokens_per_step = cfg.batch_size * cfg.grad_accum * n_ctx

    def say_what_was_adjusted(self) -> None:
        """A warning for each evaluation or sample setting that others make meaningless, for
        a sample that does not fit the context, and for evaluations asking more windows than
        val.bin holds."""
        self.say_what_sampling_ignores()
        cfg = self.cfg
        if isinstance(self.val_data, TokenWindows):
            asked, held = cfg.eval_iters * cfg.batch_size, self.val_data.disjoint_windows
            if held < asked:
                self.warn(
                    f"val.bin holds {count(held, 'window')} of {self.val_data.context_length + 1} "
                    f"tokens, fewer than eval_iters x batch_size = {asked}: each evaluation "
                    "reads each of them once"
                )

    def say_what_sampling_ignores(self) -> None:
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

    def new_model(self) -> nn.Module:
        return GPT(self.model_cfg)

    def load_weights(self, model: nn.Module, start: Path) -> None:
        assert isinstance(model, GPT)
        checkpoint.load_model_weights(start, model)

    def save_model(self, model: nn.Module, folder: Path) -> None:
        assert isinstance(model, GPT)
        weights.save_pretrained(model, folder, tokenizer=self.tokenizer)

    def after_evaluation(self, model: nn.Module, record: dict[str, Any]) -> None:
        """A sample of what the model writes, on the console."""
        if self.ctx.is_main and self.cfg.sample_length:
            assert isinstance(model, GPT)
            print(f"sample: {self.sample(model)!r}", flush=True)

    @torch.no_grad()
    def sample(self, model: GPT) -> str:
        """``sample_prompt`` and its continuation, the same random stream at every evaluation."""
        cfg = self.cfg
        prompt = self.tokenizer.encode(cfg.sample_prompt) or [self.tokenizer.eot_token]
        prompt = prompt[-(self.model_cfg.context_length - 1) :]
        length = min(cfg.sample_length, self.model_cfg.context_length - len(prompt))
        idx = torch.tensor([prompt], device=self.ctx.device)
        generator = torch.Generator(self.ctx.device).manual_seed(cfg.seed)
        model.eval()
        with autocast(self.ctx.device, cfg.dtype):
            out = generate(model, idx, length, temperature=0.8, top_k=50, generator=generator)
        model.train()
        ids = [t for t in out[0].tolist() if t != self.tokenizer.eot_token or cfg.sample_prompt]
        return self.tokenizer.decode(ids)
