"""``scratchgpt prepare`` and ``scratchgpt train`` as a user runs them, and their settings."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from scratchgpt.cli import main
from scratchgpt.tokenizer import load_tokenizer
from scratchgpt.train_config import ConfigError, TrainConfig, load_config

POSTS = {
    "2024/first.md": "---\ntitle: First\n---\nAttention lets each token look back at the others.\n",
    "2024/second.md": "---\ntitle: Second\n---\nA causal mask hides the future from each token.\n",
    "notes.txt": "Plain notes: the loss falls as the model learns the text.\n",
}
TRAIN_ARGS = [
    "--preset", "test", "--max-steps", "4", "batch_size=4", "eval_interval=2", "eval_iters=1",
    "log_interval=2", "sample_length=4", "checkpoint_interval=2",
]  # fmt: skip


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_prepare_a_folder_with_a_tokenizer_trained_on_it(tmp_path: Path) -> None:
    for name, text in POSTS.items():
        (tmp_path / "posts" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "posts" / name).write_text(text, encoding="utf-8")
    result = invoke("prepare", tmp_path / "posts", "-o", tmp_path / "data",
                    "--train-tokenizer", "300", "--val-fraction", "0")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "from 3 documents (bpe" in result.output
    tokenizer = load_tokenizer(tmp_path / "data")  # saved beside the token files
    ids = np.fromfile(tmp_path / "data" / "train.bin", dtype=np.uint16).tolist()
    bodies = [text.split("---\n", 2)[-1] for text in POSTS.values()]
    eot = "<|endoftext|>"
    assert tokenizer.decode(ids) == eot.join(bodies) + eot


def test_prepare_with_gpt2_files_from_a_folder(shared_data: Path, tmp_path: Path) -> None:
    corpus = shared_data / "corpora" / "the-verdict.txt"
    result = invoke("prepare", corpus, "-o", tmp_path, "--tokenizer", shared_data / "gpt2")
    assert result.exit_code == 0, result.output
    assert "(gpt2, vocab 50257)" in result.output


def test_prepare_reports_a_missing_input(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["prepare", str(tmp_path / "nope.txt"), "-o", str(tmp_path)])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_train_then_generate_from_latest(gpt_data: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = invoke("train", "--data", gpt_data, "--out", run, *TRAIN_ARGS)
    assert result.exit_code == 0, result.output
    assert "step 4/4" in result.output and "val loss" in result.output
    assert (run / "loss.png").is_file()
    result = invoke("generate", run / "latest", "--prompt", "Once upon", "-n", "5", "--seed", "1")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Once upon")


def test_train_resume_from_the_command_line(gpt_data: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert invoke("train", "--data", gpt_data, "--out", run, *TRAIN_ARGS).exit_code == 0
    result = invoke("train", "--resume", run, "--max-steps", "6", "lr=5e-4")
    assert result.exit_code == 0, result.output
    assert "resuming from" in result.output and "step 6/6" in result.output
    saved = tomllib.loads((run / "config.toml").read_text())
    assert (saved["max_steps"], saved["lr"], saved["preset"]) == (6, 5e-4, "test")


def test_resuming_with_another_model_shape_is_a_clear_error(gpt_data: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    result = invoke("train", "--data", gpt_data, "--out", run, *TRAIN_ARGS, "--max-steps", "1")
    assert result.exit_code == 0, result.output
    before = (run / "config.toml").read_text()
    for args in (["model.n_layer=3"], ["--preset", "tiny"]):
        result = CliRunner().invoke(main, ["train", "--resume", str(run), *args])
        assert result.exit_code == 1, result.output
        assert "cannot resume" in result.output and "model.n_layer = 2 in the run" in result.output
        assert "Traceback" not in result.output
    assert (run / "config.toml").read_text() == before  # the run's settings stay as they were
    # Dropout is no part of the shape: a run may resume with more of it.
    result = invoke("train", "--resume", run, "--max-steps", "2", "model.attn_dropout=0.1")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lrr=0.1"], "unknown config key 'lrr'"),
        (["lr=fast"], "config key 'lr' must be a number, got 'fast'"),
        (["compile=1"], "config key 'compile' must be true or false, got 1"),
        (["model.n_layer=two"], "config key 'model.n_layer' must be an integer, got 'two'"),
        (["model.depth=3"], "unknown config key 'model.depth'"),
        (["--preset", "huge"], "unknown preset 'huge'"),
        (["dtype=float16"], "dtype must be auto, float32 or bfloat16"),
        (["batch_size"], "expected key=value, got 'batch_size'"),
        (["device=gpu"], "unknown device 'gpu'"),
        (["checkpoint_interval=0"], "checkpoint_interval must be at least 1, got 0"),
        (["eval_interval=-1"], "eval_interval must be at least 0, got -1"),
    ],
)
def test_bad_settings_are_clear_errors(gpt_data: Path, tmp_path: Path, args, message) -> None:
    result = CliRunner().invoke(
        main, ["train", "--data", str(gpt_data), "--out", str(tmp_path / "r"), *args]
    )
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_missing_data_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["train", "--data", str(tmp_path / "none"), "--out", str(tmp_path / "r")]
    )
    assert result.exit_code == 1
    assert "is not a prepared data folder" in result.output
    assert "scratchgpt prepare" in result.output


def test_a_nan_loss_exits_nonzero_naming_the_step(gpt_data: Path, tmp_path: Path) -> None:
    # A learning rate this large sends the weights, then the loss, to inf/NaN within steps.
    args = ["--data", gpt_data, "--out", tmp_path / "r", "--preset", "test", "--max-steps", "30"]
    result = invoke("train", *args, "lr=1e30", "warmup_steps=0", "grad_clip=0", "log_interval=30",
                    "eval_interval=0", "checkpoint_interval=100")  # fmt: skip
    assert result.exit_code == 1
    assert "Error: loss is" in result.output and "at step" in result.output
    assert "nothing saved: no run folder left" in result.output
    assert not (tmp_path / "r").exists()  # no half-made run folder


def test_settings_merge_defaults_then_toml_then_command_line(tmp_path: Path) -> None:
    toml = tmp_path / "run.toml"
    toml.write_text('preset = "small"\nlr = 3e-4\nbatch_size = 8\n[model]\nn_layer = 3\n')
    cfg = load_config(
        toml_file=toml, overrides=["lr=1e-3", "model.n_head=2", "device=cpu"], max_steps=7
    )
    assert (cfg.preset, cfg.lr, cfg.batch_size, cfg.max_steps) == ("small", 1e-3, 8, 7)
    assert cfg.model == {"n_layer": 3, "n_head": 2} and cfg.device == "cpu"
    model = cfg.model_config(vocab_size=300)
    assert (model.n_layer, model.n_head, model.n_embd, model.vocab_size) == (3, 2, 384, 300)
    assert TrainConfig(lr=1).lr == 1.0 and isinstance(TrainConfig(lr=1).lr, float)


def test_vocab_size_may_be_padded_up_but_never_cut(tmp_path: Path) -> None:
    assert TrainConfig(model={"vocab_size": 50304}).model_config(50257).vocab_size == 50304
    with pytest.raises(ConfigError, match="smaller than the data's tokenizer"):
        TrainConfig(model={"vocab_size": 100}).model_config(300)


def test_a_bad_toml_file_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("lr = = 1")
    with pytest.raises(ConfigError, match=r"bad\.toml: invalid TOML"):
        load_config(toml_file=bad)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(toml_file=tmp_path / "missing.toml")
