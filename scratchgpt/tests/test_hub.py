"""Hub ids resolve through Hugging Face's cache, offline: the cache is laid out here as
``huggingface_hub`` lays it out (blobs named by hash, snapshot links, refs/main)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import torch
from click.testing import CliRunner

from scratchgpt.cli import main
from scratchgpt.model import GPT, GPTConfig
from scratchgpt.weights import save_pretrained

REVISION = "607a30d783dfa663caf39e06633721c8d4cfcd7e"


def _hub_cache(root: Path, repo_id: str, model_dir: Path) -> Path:
    """``root/models--ORG--NAME/{blobs,snapshots/REV,refs/main}`` holding ``model_dir``."""
    repo = root / f"models--{repo_id.replace('/', '--')}"
    (repo / "blobs").mkdir(parents=True)
    snapshot = repo / "snapshots" / REVISION
    snapshot.mkdir(parents=True)
    for file in model_dir.iterdir():
        data = file.read_bytes()
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        (snapshot / file.name).symlink_to(os.path.relpath(blob, snapshot))
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(REVISION)
    return snapshot


def _scratchgpt(*args: object, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scratchgpt", *map(str, args)],
        capture_output=True, text=True, env={**os.environ, **env}, timeout=120,
    )  # fmt: skip


def test_a_hub_id_resolves_offline_through_the_cache(tmp_path, tiktoken_cache):
    torch.manual_seed(0)
    model_dir = save_pretrained(
        GPT(GPTConfig.from_preset("test", vocab_size=50257)), tmp_path / "m"
    )
    _hub_cache(tmp_path / "hub", "openai-community/gpt2", model_dir)
    env = {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub")}
    args = ("-p", "Hello", "-n", 4, "-t", 0)
    from_hub = _scratchgpt("generate", "openai-community/gpt2", *args, env=env)
    assert from_hub.returncode == 0, from_hub.stderr
    from_folder = CliRunner().invoke(main, ["generate", str(model_dir), *map(str, args)])
    assert from_hub.stdout == from_folder.output and from_hub.stdout.startswith("Hello")

    copied = _scratchgpt("download", "openai-community/gpt2", "-o", tmp_path / "copy", env=env)
    assert copied.returncode == 0, copied.stderr
    assert "2 layers, 32 dims, vocabulary 50257" in copied.stdout
    for name in ("config.json", "model.safetensors"):
        assert (tmp_path / "copy" / name).read_bytes() == (model_dir / name).read_bytes()


def test_a_hub_id_not_in_the_cache_is_a_one_line_error(tmp_path):
    env = {"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "empty")}
    result = _scratchgpt("generate", "openai-community/gpt2-xl", "-p", "Hi", env=env)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: openai-community/gpt2-xl: not in the Hugging Face")
    assert result.stderr.count("\n") == 1
