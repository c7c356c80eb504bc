"""The training run's settings: one flat ``TrainConfig``, merged defaults -> TOML -> command line.

Training keys are flat (``lr``, ``batch_size``, ...). The model is a preset from
``scratchgpt.model.PRESETS`` plus overrides of ``GPTConfig`` fields kept under ``model``: a
``[model]`` table in TOML, ``model.n_layer=2`` on the command line. The vocabulary size comes
from the prepared data's tokenizer unless ``model.vocab_size`` asks for a larger (padded) one.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from scratchgpt.model import PRESETS, GPTConfig

CONFIG_FILE = "config.toml"
# Lower bounds of the numeric settings (0 turns eval_interval, sample_length, grad_clip off).
_AT_LEAST = {
    "max_steps": 1,
    "batch_size": 1,
    "grad_accum": 1,
    "log_interval": 1,
    "checkpoint_interval": 1,
    "keep_checkpoints": 1,
    "eval_iters": 1,
    "sample_length": 0,
    "warmup_steps": 0,
    "lr_decay_steps": 0,
    "grad_clip": 0,
    "weight_decay": 0,
    "lr": 0,
    "min_lr": 0,
}


class ConfigError(ValueError):
    """A setting that is unknown or of the wrong type, named in the message."""


@dataclass
class TrainConfig:
    """Everything that defines a training run; saved as ``RUN_DIR/config.toml``."""

    data: str = ""  # prepared data folder (scratchgpt prepare)
    out: str = ""  # run folder: config, metrics, loss.png, checkpoints
    preset: str = "tiny"  # model preset, see scratchgpt.model.PRESETS
    model: dict[str, Any] = field(default_factory=dict)  # GPTConfig overrides
    seed: int = 1337
    max_steps: int = 2000  # optimizer steps to train for
    batch_size: int = 16  # windows per micro-batch, per process
    grad_accum: int = 1  # micro-batches per optimizer step, over all processes together
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup_steps: int = 100
    lr_decay_steps: int = 0  # cosine decay ends here; 0 means max_steps
    weight_decay: float = 0.1
    beta1: float = 0.9
    beta2: float = 0.95
    grad_clip: float = 1.0  # max gradient norm; 0 disables clipping
    eval_interval: int | str = "auto"  # steps between validation losses and samples; 0: none
    eval_iters: int = 20  # validation batches per evaluation
    sample_prompt: str = ""  # empty: start from <|endoftext|>
    sample_length: int = 64  # tokens generated per sample; 0 disables samples
    log_interval: int = 10
    checkpoint_interval: int = 250  # the last step is always checkpointed
    keep_checkpoints: int = 3
    dtype: str = "auto"  # auto (bfloat16 on CUDA when supported), float32, bfloat16
    compile: bool = False
    device: str = "auto"  # auto (cuda > mps > cpu), or a torch device string

    def __post_init__(self) -> None:
        _check_types(self, "")
        if self.preset not in PRESETS:
            raise ConfigError(
                f"preset: unknown preset {self.preset!r}; known: {', '.join(PRESETS)}"
            )
        known = {f.name for f in dataclasses.fields(GPTConfig)}
        for key in self.model:
            if key not in known:
                raise ConfigError(
                    f"unknown config key 'model.{key}'; GPTConfig has: {_names(known)}"
                )
        _check_types(GPTConfig(), "model.", self.model)
        if isinstance(self.eval_interval, str) and self.eval_interval != "auto":
            raise ConfigError(
                f"eval_interval must be a number of steps, 0 (none) or auto, "
                f"got {self.eval_interval!r}"
            )
        if isinstance(self.eval_interval, int) and self.eval_interval < 0:
            raise ConfigError(f"eval_interval must be at least 0, got {self.eval_interval}")
        for key, least in _AT_LEAST.items():
            if getattr(self, key) < least:
                raise ConfigError(f"{key} must be at least {least}, got {getattr(self, key)}")
        if self.min_lr > self.lr:
            raise ConfigError(f"min_lr ({self.min_lr}) is above lr ({self.lr}): decay goes down")
        if self.dtype not in ("auto", "float32", "bfloat16"):
            raise ConfigError(f"dtype must be auto, float32 or bfloat16, got {self.dtype!r}")

    @property
    def decay_steps(self) -> int:
        """Where the cosine decay ends: ``lr_decay_steps``, by default ``max_steps``."""
        return self.lr_decay_steps or self.max_steps

    @property
    def warmup(self) -> int:
        """The warm-up in steps: ``warmup_steps``, at most a tenth of the schedule, so that a
        short run does not spend itself warming up."""
        return min(self.warmup_steps, self.decay_steps // 10)

    @property
    def eval_every(self) -> int:
        """Steps between evaluations (0: none); ``auto`` is a tenth of the run, at most 250."""
        if self.eval_interval == "auto":
            return min(250, max(1, self.max_steps // 10))
        return int(self.eval_interval)

    def model_config(self, vocab_size: int) -> GPTConfig:
        """The model's config: preset, then overrides, with the data's vocabulary size."""
        overrides = {"vocab_size": vocab_size, **self.model}
        if overrides["vocab_size"] < vocab_size:
            raise ConfigError(
                f"model.vocab_size={overrides['vocab_size']} is smaller than the data's "
                f"tokenizer vocabulary ({vocab_size})"
            )
        try:
            return GPTConfig.from_preset(self.preset, **overrides)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the config as TOML (atomically: a reader never sees half a file)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(tomli_w.dumps(self.to_dict()), encoding="utf-8")
        os.replace(tmp, path)


def load_config(
    *,
    toml_file: str | os.PathLike[str] | None = None,
    overrides: typing.Sequence[str] = (),
    base: dict[str, Any] | None = None,
    **settings: Any,
) -> TrainConfig:
    """Merge ``base`` (e.g. a saved run's config), a TOML file, ``key=value`` overrides, and
    ``settings`` (command-line options), later ones winning, into a validated ``TrainConfig``."""
    merged: dict[str, Any] = {"model": {}}
    layers = [base or {}]
    if toml_file is not None:
        try:
            with open(toml_file, "rb") as f:
                layers.append(tomllib.load(f))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {toml_file}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{toml_file}: invalid TOML: {exc}") from None
    layers.append(_parse_overrides(overrides))
    layers.append({k: v for k, v in settings.items() if v is not None})
    for layer in layers:
        for key, value in layer.items():
            if key == "model":
                if not isinstance(value, dict):
                    raise ConfigError("model must be a table of GPTConfig fields")
                merged["model"].update(value)
            else:
                merged[key] = value
    known = {f.name for f in dataclasses.fields(TrainConfig)}
    for key in merged:
        if key not in known:
            raise ConfigError(f"unknown config key {key!r}; known keys: {_names(known)}")
    return TrainConfig(**merged)


def _parse_overrides(overrides: typing.Sequence[str]) -> dict[str, Any]:
    """``key=value`` strings into a nested dict; values are TOML (``lr=3e-4``, ``compile=true``),
    and a value that is not valid TOML is taken as a string (``device=cuda``)."""
    parsed: dict[str, Any] = {"model": {}}
    for item in overrides:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"expected key=value, got {item!r}")
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        table, _, sub = key.partition(".")
        if sub:
            if table != "model":
                raise ConfigError(f"unknown config key {key!r}; only model.* keys are nested")
            parsed["model"][sub] = value
        else:
            parsed[key] = value
    return parsed


def _check_types(obj: Any, prefix: str, values: dict[str, Any] | None = None) -> None:
    """Check (and coerce int -> float) ``values`` against ``obj``'s dataclass field types."""
    hints = typing.get_type_hints(type(obj))
    in_place = values is None
    items = dataclasses.asdict(obj) if values is None else values
    for key, value in list(items.items()):
        expected = hints[key]
        if typing.get_origin(expected) is dict:
            continue
        ok = _matches(value, expected)
        if ok is None:
            raise ConfigError(
                f"config key '{prefix}{key}' must be {_type_name(expected)}, got {value!r}"
            )
        items[key] = ok[0]
        if in_place:
            setattr(obj, key, ok[0])


def _matches(value: Any, expected: Any) -> tuple[Any] | None:
    """``(value,)`` coerced to ``expected``, or None when it does not fit."""
    if typing.get_origin(expected) in (typing.Union, types.UnionType):
        for option in typing.get_args(expected):
            if (ok := _matches(value, option)) is not None:
                return ok
        return None
    if expected is type(None):
        return (None,) if value is None else None
    if isinstance(value, bool):
        return (value,) if expected is bool else None
    if expected is float and isinstance(value, int):
        return (float(value),)
    return (value,) if isinstance(value, expected) else None


def _type_name(expected: Any) -> str:
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}
    if typing.get_origin(expected) in (typing.Union, types.UnionType):
        return " or ".join(_type_name(option) for option in typing.get_args(expected))
    return names.get(expected, str(expected))


def _names(keys: typing.Iterable[str]) -> str:
    return ", ".join(sorted(keys))
