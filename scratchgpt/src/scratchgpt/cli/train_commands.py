"""Commands that make data and train: prepare, train."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from scratchgpt.messages import count
from scratchgpt.model import PRESETS
from scratchgpt.train_config import CONFIG_FILE, ConfigError


@click.command(short_help="Tokenize text files into a training data folder.")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "-o",
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Data folder to write: train.bin, val.bin, meta.json and the tokenizer.",
)
@click.option(
    "--tokenizer",
    "tokenizer_spec",
    default=None,
    help="'gpt2' (the default), a folder with GPT-2's vocab.bpe and encoder.json, or a "
    "tokenizer file/folder.",
)
@click.option(
    "--train-tokenizer",
    "vocab_size",
    type=click.IntRange(min=257),
    default=None,
    help="Train a byte-level BPE of this vocabulary size on the inputs (no GPT-2 files needed).",
)
@click.option(
    "--val-fraction",
    type=click.FloatRange(0.0, 1.0, max_open=True),
    default=0.1,
    show_default=True,
    help="Share of each document's tokens (its end) kept for validation.",
)
def prepare(
    inputs: tuple[Path, ...],
    out_dir: Path,
    tokenizer_spec: str | None,
    vocab_size: int | None,
    val_fraction: float,
) -> None:
    """Tokenize text files into a training data folder.

    INPUTS are text files or folders (searched recursively for *.md and *.txt; Markdown loses
    its YAML front matter). Each document ends with <|endoftext|>; the last --val-fraction of
    each document's tokens goes to val.bin, the rest to train.bin.

    \b
    Examples:
      scratchgpt prepare corpus.txt -o data/corpus
      scratchgpt prepare posts/ -o data/blog --train-tokenizer 2048
    """
    from scratchgpt import data
    from scratchgpt.cli.model_commands import train_bpe
    from scratchgpt.tokenizer import Tokenizer, load_tokenizer

    if tokenizer_spec is not None and vocab_size is not None:
        raise click.UsageError(
            "--tokenizer and --train-tokenizer contradict each other: use an existing "
            "tokenizer, or train one"
        )
    tokenizer: Tokenizer
    try:
        documents = data.find_documents(inputs)
        if vocab_size is not None:
            docs = count(len(documents), "document")
            click.echo(f"training a {vocab_size}-token BPE tokenizer on {docs}")
            tokenizer = train_bpe(data.read_corpus(documents), vocab_size)
        else:
            tokenizer = load_tokenizer(tokenizer_spec or "gpt2")
        meta = data.prepare(documents, out_dir, tokenizer, val_fraction=val_fraction)
    except (data.DataError, OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"{out_dir}: {meta['train_tokens']:,} train and {meta['val_tokens']:,} val tokens "
        f"from {count(meta['documents'], 'document')} ({meta['tokenizer']}, "
        f"vocab {meta['vocab_size']})"
    )


@click.command(short_help="Train a GPT on a prepared data folder, or resume a run.")
@click.argument("overrides", nargs=-1, metavar="[KEY=VALUE]...")
@click.option("--data", "data_dir", type=click.Path(path_type=Path), help="Prepared data folder.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Run folder to create.")
@click.option(
    "--resume",
    "resume_dir",
    type=click.Path(path_type=Path),
    help="Continue the run in this folder from its latest checkpoint.",
)
@click.option("--preset", default=None, help=f"Model shape: {', '.join(PRESETS)} (default: tiny).")
@click.option("--max-steps", type=int, default=None, help="Optimizer steps to train for.")
@click.option("--seed", type=int, default=None, help="Seed for weights, data order and dropout.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML file of settings (keys as in RUN_DIR/config.toml).",
)
def train(
    overrides: tuple[str, ...],
    data_dir: Path | None,
    out_dir: Path | None,
    resume_dir: Path | None,
    preset: str | None,
    max_steps: int | None,
    seed: int | None,
    config_file: Path | None,
) -> None:
    """Train a GPT on a prepared data folder, or resume a run.

    Settings come from the defaults, then --config FILE.toml, then KEY=VALUE arguments and the
    options (model fields as model.KEY=VALUE; values in TOML syntax). The merged config, every
    key included, is saved as RUN_DIR/config.toml; checkpoints go to RUN_DIR/checkpoints/,
    with RUN_DIR/latest pointing at the newest (a model folder: scratchgpt generate
    RUN_DIR/latest). Ctrl-C stops after the current step with a checkpoint (under torchrun,
    after the next logged step), so --resume continues exactly; a second Ctrl-C quits at
    once. Under torchrun, grad_accum counts micro-batches over all processes.

    \b
    Examples:
      scratchgpt train --data data/blog --out runs/blog --preset tiny --max-steps 500
      scratchgpt train --data data/blog --out runs/b2 lr=3e-4 batch_size=32 model.n_layer=6
      scratchgpt train --resume runs/blog --max-steps 1000
      torchrun --nproc_per_node=8 -m scratchgpt train --data data/owt --out runs/gpt2 --preset gpt2
    """
    import tomllib

    from scratchgpt.data import DataError
    from scratchgpt.train_config import load_config
    from scratchgpt.training import TrainingError, TrainingInterrupted
    from scratchgpt.training import train as run_training

    settings: dict[str, Any] = {"preset": preset, "max_steps": max_steps, "seed": seed}
    try:
        if resume_dir is not None:
            if data_dir is not None or out_dir is not None:
                raise ConfigError("--resume continues a run as saved: drop --data and --out")
            saved = resume_dir / CONFIG_FILE
            if not saved.is_file():
                raise ConfigError(f"{resume_dir} is not a run folder (no {CONFIG_FILE})")
            try:
                base = tomllib.loads(saved.read_text(encoding="utf-8"))
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{saved}: invalid TOML: {exc}") from None
            cfg = load_config(
                base=base,
                toml_file=config_file,
                overrides=overrides,
                out=str(resume_dir),
                **settings,
            )
            for key in ("seed", "data"):  # the run's random streams and windows go on as saved
                if key in base and getattr(cfg, key) != base[key]:
                    raise ConfigError(
                        f"{key} cannot change on --resume ({base[key]!r} in the run, "
                        f"{getattr(cfg, key)!r} now): the run continues from its checkpoint; "
                        "start a new run with --out for another"
                    )
        else:
            if data_dir is not None:
                settings["data"] = str(data_dir.resolve())
            if out_dir is not None:
                settings["out"] = str(out_dir)
            cfg = load_config(toml_file=config_file, overrides=overrides, **settings)
            if not cfg.data or not cfg.out:
                raise ConfigError("give --data DATA_DIR and --out RUN_DIR (or --resume RUN_DIR)")
        run_training(cfg, resume=resume_dir is not None)
    except (ConfigError, DataError, TrainingError) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:  # a folder that cannot be made or read, a full disk
        raise click.ClickException(f"{exc.filename or ''}: {exc.strerror or exc}") from None
    except TrainingInterrupted:
        raise SystemExit(130) from None  # the shell's code for Ctrl-C; the run said where


COMMANDS: list[click.Command] = [prepare, train]
