"""Shared fixtures for scratchgpt's tests.

Shared read-only resources live in ``$SHARED_DATA_DIR`` or else ``<repo>/../shared/data``.
A test that needs a missing one is skipped, unless ``REQUIRE_TEST_RESOURCES=1`` (as in CI),
where it fails instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def require(path: Path, what: str) -> Path:
    """``path`` if it exists, else skip (or fail under ``REQUIRE_TEST_RESOURCES=1``)."""
    if path.exists():
        return path
    message = f"missing test resource: {what} ({path})"
    if os.environ.get("REQUIRE_TEST_RESOURCES") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared read-only data folder (GPT-2 BPE files, tiktoken cache, corpora)."""
    env = os.environ.get("SHARED_DATA_DIR")
    folder = Path(env) if env else REPO_ROOT.parent / "shared" / "data"
    return require(folder, "shared data folder; set SHARED_DATA_DIR")


@pytest.fixture(scope="session")
def tiktoken_cache(shared_data: Path) -> Path:
    """Point tiktoken at the shared offline cache, so ``get_encoding("gpt2")`` needs no network."""
    cache = require(shared_data / "tiktoken-cache", "tiktoken cache for the gpt2 encoding")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    return cache


# --- Training fixtures (training engineer) ---

STORY = (
    "Once upon a time a small robot lived in a quiet town. Every morning it swept the "
    "square, watered the flowers and said hello to the baker. "
)


@pytest.fixture(scope="session")
def gpt_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A prepared data folder: a short story repeated, with a small trained BPE tokenizer."""
    from scratchgpt.data import prepare
    from scratchgpt.tokenizer import BPETokenizer

    folder = tmp_path_factory.mktemp("gpt-data")
    corpus = folder / "story.txt"
    corpus.write_text(STORY * 200, encoding="utf-8")
    tokenizer = BPETokenizer.train(STORY, 300)
    prepare([corpus], folder / "data", tokenizer, val_fraction=0.1, progress=False)
    return folder / "data"


# What the run_training fixture sets unless told otherwise (a few seconds per run on a CPU).
RUN_SETTINGS = {
    "preset": "test",
    "batch_size": 4,
    "warmup_steps": 2,
    "log_interval": 1,
    "eval_interval": 4,
    "eval_iters": 2,
    "sample_length": 4,
    "checkpoint_interval": 4,
    "max_steps": 8,
}


@pytest.fixture
def run_training(gpt_data: Path, tmp_path: Path):
    """Train the ``test`` preset on ``gpt_data`` in this process; returns the metrics records.

    Keyword arguments are config keys; ``out`` defaults to a new folder under ``tmp_path``.
    """
    import tomllib

    from scratchgpt.metrics import MetricsLog
    from scratchgpt.train_config import load_config
    from scratchgpt.training import train

    def run(*overrides: str, resume: bool = False, **settings):
        defaults = {"data": str(gpt_data), "out": str(tmp_path / "run"), **RUN_SETTINGS}
        if resume:  # the saved config, as `scratchgpt train --resume` reads it
            out = Path(settings.pop("out", defaults["out"]))
            saved = tomllib.loads((out / "config.toml").read_text(encoding="utf-8"))
            cfg = load_config(base=saved, overrides=overrides, **settings)
        else:
            cfg = load_config(base=defaults, overrides=overrides, **settings)
        train(cfg, resume=resume)
        return MetricsLog(Path(cfg.out) / "metrics.jsonl").records()

    run.settings = RUN_SETTINGS  # for a test that starts the same run from the command line
    return run
