"""Commands for fine-tuning and using fine-tuned models: finetune (classify, instruct),
classify, chat, download."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from scratchgpt.messages import count, warn
from scratchgpt.model import PRESETS
from scratchgpt.train_config import CONFIG_FILE, ConfigError

# What each task starts from, before --config, KEY=VALUE and the options; tuned so that the
# book's examples work as they are (see the README for the figures).
TASK_DEFAULTS: dict[str, dict[str, Any]] = {
    "classify": {
        "epochs": 1.0,
        "batch_size": 16,
        "lr": 1e-3,
        "min_lr": 1e-4,
        "warmup_steps": 20,
        "weight_decay": 0.1,
        "log_interval": 50,
        "checkpoint_interval": 1000,
        "keep_checkpoints": 1,
        "eval_iters": 40,
        "sample_length": 0,
    },
    "instruct": {
        "epochs": 2.0,
        "batch_size": 8,
        "lr": 5e-5,
        "min_lr": 5e-6,
        "warmup_steps": 10,
        "weight_decay": 0.1,
        "log_interval": 10,
        "checkpoint_interval": 1000,
        "keep_checkpoints": 1,
        "eval_iters": 10,
        "sample_length": 48,
    },
}


def _fail(exc: BaseException) -> click.ClickException:
    return click.ClickException(str(exc))


def finetune_options(task: str) -> Callable[[Callable[..., None]], click.Command]:
    """The options both tasks share, and the command that runs the task's fine-tuning."""

    def decorate(func: Callable[..., None]) -> click.Command:
        @click.argument("overrides", nargs=-1, metavar="[KEY=VALUE]...")
        @click.option(
            "--data",
            "data_file",
            type=click.Path(path_type=Path),
            help="The examples (a .tsv, .csv or .jsonl file; .json for instructions).",
        )
        @click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Run folder.")
        @click.option(
            "--resume",
            "resume_dir",
            type=click.Path(path_type=Path),
            help="Continue the run in this folder from its latest checkpoint.",
        )
        @click.option(
            "--model",
            "base_model",
            help="Start from this model: a model folder or a Hugging Face hub id (gpt2).",
        )
        @click.option(
            "--preset", default=None, help=f"Start from fresh weights: {', '.join(PRESETS)}."
        )
        @click.option("--epochs", type=float, default=None, help="Passes over the training split.")
        @click.option("--max-steps", type=int, default=None, help="Optimizer steps instead.")
        @click.option("--seed", type=int, default=None, help="Seed for split, weights and order.")
        @click.option(
            "--train-layers",
            type=click.IntRange(1),
            default=None,
            help="Train only the last N blocks and the final norm (and the head); default all.",
        )
        @click.option("--lora", "lora_rank", type=click.IntRange(1), help="Train LoRA adapters.")
        @click.option("--lora-alpha", type=float, default=None, help="LoRA alpha (2 x rank).")
        @click.option(
            "--lora-targets",
            default=None,
            help="Projections with adapters, of c_attn,c_proj,c_fc (default all three).",
        )
        @click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="TOML file of settings (keys as in RUN/config.toml).",
        )
        @functools.wraps(func)
        def command(**options: Any) -> None:
            _run_finetune(task, **options)

        return click.command(task, short_help=(func.__doc__ or "").splitlines()[0])(command)

    return decorate


def _run_finetune(
    task: str,
    overrides: tuple[str, ...],
    data_file: Path | None,
    out_dir: Path | None,
    resume_dir: Path | None,
    base_model: str | None,
    preset: str | None,
    epochs: float | None,
    max_steps: int | None,
    seed: int | None,
    train_layers: int | None,
    lora_rank: int | None,
    lora_alpha: float | None,
    lora_targets: str | None,
    config_file: Path | None,
) -> None:
    import tomllib

    from scratchgpt.data import DataError
    from scratchgpt.finetuning import FinetuneConfig, finetune
    from scratchgpt.train_config import load_config
    from scratchgpt.training import TrainingError, TrainingInterrupted

    settings: dict[str, Any] = {
        "preset": preset,
        "max_steps": max_steps,
        "seed": seed,
        "train_layers": train_layers,
        "lora_rank": lora_rank,
        "lora_alpha": lora_alpha,
        "lora_targets": lora_targets,
        "base_model": base_model,
        "epochs": epochs,
    }
    if max_steps is not None and epochs is not None:
        raise _fail(ConfigError("give --epochs or --max-steps, not both"))
    if max_steps is not None and epochs is None:
        settings["epochs"] = 0.0  # --max-steps decides the length
    out: str | None
    try:
        if resume_dir is not None:
            if data_file or out_dir or base_model or preset:
                raise ConfigError("--resume continues a run as saved: drop --data, --out, --model")
            saved = resume_dir / CONFIG_FILE
            if not saved.is_file():
                raise ConfigError(f"{resume_dir} is not a run folder (no {CONFIG_FILE})")
            base = tomllib.loads(saved.read_text(encoding="utf-8"))
            if base.get("task") != task:
                raise ConfigError(f"{resume_dir} is a {base.get('task')!r} run, not {task!r}")
            out = str(resume_dir)
        else:
            if base_model and preset:
                raise ConfigError("give --model or --preset, not both")
            base = {**TASK_DEFAULTS[task], "task": task}
            out = str(out_dir) if out_dir else None
            if data_file is not None:
                settings["data"] = str(data_file.resolve())
        cfg = load_config(
            base=base,
            toml_file=config_file,
            overrides=overrides,
            config_class=FinetuneConfig,
            out=out,
            **settings,
        )
        if not cfg.data or not cfg.out:
            raise ConfigError("give --data FILE and --out RUN (or --resume RUN)")
        finetune(cfg, resume=resume_dir is not None)
    except (ConfigError, DataError, TrainingError, OSError, ValueError) as exc:
        raise _fail(exc) from None
    except TrainingInterrupted:
        raise SystemExit(130) from None


@click.group(short_help="Fine-tune a GPT: a text classifier, or an instruction follower.")
def finetune() -> None:
    """Fine-tune a GPT into a text classifier or an instruction follower.

    Both take the training settings of `scratchgpt train` (--config, KEY=VALUE, --seed,
    --max-steps) plus --epochs, and write a run folder as it does: RUN/config.toml,
    metrics.jsonl, loss.png, checkpoints/ and RUN/latest, the model folder. --resume RUN
    continues a run. Start from --model (a folder or a hub id) or --preset (fresh weights);
    train all layers (default), the last N (--train-layers N), or LoRA adapters (--lora R),
    in which case RUN/latest holds the merged model and RUN/latest/adapter/ the adapter in
    PEFT's format.
    """


@finetune_options("classify")
def finetune_classify() -> None:
    """Fine-tune a GPT into a text classifier (spam or not, sentiment, ...).

    --data is a .tsv or .csv with a header naming `text` and `label` columns, a headerless
    .tsv of LABEL<TAB>TEXT lines, or a .jsonl of {"text", "label"} objects. A share of each
    label's examples (val_fraction, 0.1) is held out; the accuracy on it is reported after
    each epoch. RUN/latest loads in transformers as GPT2ForSequenceClassification; use it
    with `scratchgpt classify RUN/latest TEXT`.

    \b
    Examples:
      scratchgpt finetune classify --data sms-spam.tsv --out runs/spam --preset tiny
      scratchgpt finetune classify --data sms.tsv --out runs/spam2 --model gpt2 --train-layers 1
      scratchgpt finetune classify --data reviews.csv --out runs/rev --model gpt2 --lora 8
    """


@finetune_options("instruct")
def finetune_instruct() -> None:
    """Fine-tune a GPT to follow instructions (Alpaca-style records).

    --data is a .json list or a .jsonl of {"instruction", "input", "output"} objects (input
    may be empty). The loss is on the response and its end-of-text only; sample responses
    to validation instructions are shown at each evaluation. RUN/latest is a GPT-2 model
    folder: `scratchgpt generate RUN/latest --instruction TEXT`, `scratchgpt chat RUN/latest`.

    \b
    Examples:
      scratchgpt finetune instruct --data instructions.json --out runs/inst --model gpt2-medium
      scratchgpt finetune instruct --data instructions.json --out runs/lora --model gpt2 --lora 16
    """


finetune.add_command(finetune_classify)
finetune.add_command(finetune_instruct)


@click.command(short_help="Classify texts with a fine-tuned classifier.")
@click.argument("model")
@click.argument("texts", nargs=-1)
@click.option(
    "--file",
    "text_file",
    type=click.Path(path_type=Path),
    help="Texts to classify: a labelled file as for finetune, or one text per line.",
)
@click.option(
    "--batch-size",
    default=32,
    show_default=True,
    type=click.IntRange(1),
    help="Texts classified at once (more: faster, more memory).",
)
def classify(model: str, texts: tuple[str, ...], text_file: Path | None, batch_size: int) -> None:
    """Print LABEL<TAB>PROBABILITY<TAB>TEXT for each TEXT, or each text of --file.

    MODEL is a classifier folder (RUN/latest of `scratchgpt finetune classify`, or a
    GPT2ForSequenceClassification saved by transformers) or a hub id. When --file carries
    labels, a confusion matrix and the accuracy follow.

    \b
    Examples:
      scratchgpt classify runs/spam/latest "WINNER! Claim your prize now" "See you at 6?"
      scratchgpt classify runs/spam/latest --file test.tsv
    """
    from scratchgpt.classify import confusion_matrix, load_classifier, predict, read_labelled
    from scratchgpt.data import DataError
    from scratchgpt.hub import resolve_model
    from scratchgpt.tokenizer import load_tokenizer_for_model
    from scratchgpt.weights import resolve_model_dir

    if bool(texts) == bool(text_file):
        raise click.UsageError("give TEXT arguments or --file FILE")
    try:
        folder = resolve_model_dir(resolve_model(model))
        classifier = load_classifier(folder)
        tokenizer = load_tokenizer_for_model(folder)
        if text_file is not None:
            data = read_labelled(text_file, need_labels=False)
            texts, truth = tuple(data.texts), data.labels
        else:
            truth = []
    except (OSError, ValueError, DataError) as exc:
        raise _fail(exc) from None
    n_ctx = classifier.config.context_length
    ids = [tokenizer.encode(t) or [tokenizer.eot_token] for t in texts]
    cut = sum(len(x) > n_ctx for x in ids)
    if cut:
        warn(f"{cut} of {count(len(ids), 'text')} cut to the context of {n_ctx} tokens")
    ids = [x[:n_ctx] for x in ids]
    probs = predict(classifier, ids, batch_size)
    best, index = probs.max(dim=-1)
    predicted = [classifier.labels[i] for i in index.tolist()]
    for label, p, text in zip(predicted, best.tolist(), texts, strict=True):
        click.echo(f"{label}\t{p:.4f}\t{text}")
    if truth:
        unknown = sorted(set(truth) - set(classifier.labels))
        if unknown:
            click.echo(f"warning: labels the model does not know: {', '.join(unknown)}", err=True)
        right = sum(t == p for t, p in zip(truth, predicted, strict=True))
        labels = sorted(set(classifier.labels) | set(truth))
        click.echo(confusion_matrix(labels, truth, predicted))
        click.echo(f"accuracy: {right / len(truth):.4f} ({right}/{len(truth)})")


@click.command(short_help="Talk to an instruction-tuned model on the terminal.")
@click.argument("model")
@click.option(
    "--max-new-tokens",
    "-n",
    default=256,
    show_default=True,
    type=click.IntRange(1),
    help="Longest response, in tokens.",
)
@click.option(
    "--temperature",
    "-t",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Sampling temperature; 0 always takes the likeliest token.",
)
@click.option("--top-k", type=click.IntRange(1), help="Sample only from the k likeliest tokens.")
@click.option("--seed", type=int, help="Seed for reproducible sampling.")
@click.option("--device", default="auto", show_default=True, help="cpu, cuda, mps or auto.")
def chat(
    model: str,
    max_new_tokens: int,
    temperature: float,
    top_k: int | None,
    seed: int | None,
    device: str,
) -> None:
    """Read an instruction per line, print the model's response; an empty line or Ctrl-D ends.

    Each line is a new instruction in the Alpaca format the model was fine-tuned on (the
    model does not see earlier turns). Write `INSTRUCTION ||| INPUT` to give an input too.
    """
    import torch

    from scratchgpt.cli.model_commands import load_model
    from scratchgpt.instruct import respond

    gpt, tokenizer = load_model(model, device)
    generator = None
    if seed is not None:
        generator = torch.Generator(gpt.transformer.wte.weight.device).manual_seed(seed)
    interactive = sys.stdin.isatty()
    while True:
        try:
            line = input("> ") if interactive else sys.stdin.readline()
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        if not line.strip():
            return
        instruction, _, extra = line.strip().partition("|||")
        for piece in respond(
            gpt,
            tokenizer,
            instruction.strip(),
            extra.strip(),
            max_new_tokens=max_new_tokens,
            temperature=temperature,
            top_k=top_k,
            generator=generator,
        ):
            click.echo(piece, nl=False)
        click.echo()


@click.command(short_help="Download a GPT-2 model from the Hugging Face hub.")
@click.argument("repo_id")
@click.option(
    "--output",
    "-o",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write (default: Hugging Face's cache, where hub ids resolve).",
)
def download(repo_id: str, output: Path | None) -> None:
    """Fetch REPO_ID's config.json and safetensors weights (never pickles).

    Without -o the files go to Hugging Face's cache (HF_HOME / HF_HUB_CACHE), where every
    command that takes a MODEL finds them by hub id, offline too (HF_HUB_OFFLINE=1).

    \b
    Examples:
      scratchgpt download gpt2
      scratchgpt download openai-community/gpt2-medium -o models/gpt2-medium
    """
    from scratchgpt.hub import download as fetch
    from scratchgpt.weights import read_config

    try:
        folder = fetch(repo_id, output)
        config = read_config(folder)
    except (OSError, ValueError) as exc:
        raise _fail(exc) from None
    click.echo(
        f"{repo_id}: {config.n_layer} layers, {config.n_embd} dims, vocabulary "
        f"{config.vocab_size}, in {folder}"
    )


COMMANDS: list[click.Command] = [finetune, classify, chat, download]
