"""Nothing silent: a model folder says what it needs, a run folder means its latest, and every
crop, fallback and ignored option is said in one line on stderr."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from scratchgpt.cli import main
from scratchgpt.tokenizer import TOKENIZER_FILE, load_tokenizer

QUICK = ["--preset", "test", "batch_size=2", "eval_iters=1", "sample_length=4"]


def invoke(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args])


def warnings(result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("warning: ")]


@pytest.fixture(scope="module")
def run(gpt_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 2-step run of the test preset on the story data."""
    out = tmp_path_factory.mktemp("said") / "run"
    result = invoke("train", "--data", gpt_data, "--out", out, "--max-steps", "2", *QUICK)
    assert result.exit_code == 0, result.output
    return out


def test_a_model_folder_holds_its_tokenizer_and_says_where_it_came_from(
    run: Path, gpt_data: Path, tmp_path: Path
) -> None:
    latest = run / "latest"
    config = json.loads((latest / "config.json").read_text())
    source = str((gpt_data / TOKENIZER_FILE).resolve())
    assert config["scratchgpt_tokenizer_source"] == source
    assert (latest / TOKENIZER_FILE).read_bytes() == (gpt_data / TOKENIZER_FILE).read_bytes()

    copy = tmp_path / "copy"  # config.json and model.safetensors only
    copy.mkdir()
    for name in ("config.json", "model.safetensors"):
        shutil.copy(latest / name, copy / name)
    result = invoke("generate", copy, "-p", "Once")
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {copy} lacks {TOKENIZER_FILE}, which its {config['vocab_size']}-token "
        f"vocabulary (not GPT-2's) needs; it was saved with the tokenizer from {source}: "
        f"copy that file into {copy}\n"
    )
    shutil.copy(source, copy)
    assert invoke("generate", copy, "-p", "Once", "-n", "3").exit_code == 0


def test_a_run_folder_means_its_latest(run: Path, tmp_path: Path) -> None:
    by_run = invoke("generate", run, "-p", "Once upon", "-n", "5", "--seed", "1")
    by_latest = invoke("generate", run / "latest", "-p", "Once upon", "-n", "5", "--seed", "1")
    assert by_run.exit_code == 0, by_run.output
    assert by_run.stdout == by_latest.stdout and by_run.stdout.startswith("Once upon")
    assert invoke("attention", run, "Once upon", "-o", tmp_path / "a.png").exit_code == 0
    tokenized = invoke("tokenize", "--tokenizer", run, "Once upon")
    assert tokenized.exit_code == 0 and "(bpe, vocabulary" in tokenized.stdout


def test_crops_and_ignored_options_are_one_line_warnings(run: Path, tmp_path: Path) -> None:
    tokenizer = load_tokenizer(run)
    long_prompt = "Once upon a time a small robot lived in a quiet town. " * 8
    n = len(tokenizer.encode(long_prompt))
    assert n > 64
    result = invoke("generate", run, "-p", long_prompt, "-n", "2", "-t", "0", "--top-k", "5")
    assert result.exit_code == 0, result.output
    assert warnings(result) == [
        f"warning: the prompt is {n} tokens, longer than the model's context of 64: the model "
        "sees only its last 64",
        "warning: --top-k ignored: --temperature 0 is greedy decoding",
    ]
    assert result.stdout.startswith(long_prompt)  # the prompt as given; the warning said the rest

    result = invoke("generate", run, "-p", "Once", "-n", "100", "--top-k", "9999")
    assert result.exit_code == 0, result.output
    assert warnings(result) == [
        "warning: the prompt and 100 new tokens exceed the model's context of 64: past it, each "
        "new token sees only the last 64",
        f"warning: --top-k 9999 keeps every token of the {tokenizer.vocab_size}-token vocabulary",
    ]

    result = invoke("attention", run, long_prompt, "-o", tmp_path / "a", "--layer", "1")
    assert result.exit_code == 0, result.output
    assert warnings(result) == [
        f"warning: TEXT is {n} tokens, longer than the model's context of 64: drawing its first 64"
    ]
    assert result.stdout == f"wrote {tmp_path / 'a.png'} (64 tokens, 1 layer)\n"


def test_prepare_says_what_it_drops_and_counts_in_number(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "post.md").write_text("---\ntitle: A\n---\nA short post about cats.\n")
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "cat.png").write_bytes(b"\x89PNG")
    args = [tmp_path / "one", tmp_path / "images", "-o", tmp_path / "data"]
    result = invoke("prepare", *args, "--train-tokenizer", "400")
    assert result.exit_code == 0, result.output
    learned = load_tokenizer(tmp_path / "data").vocab_size
    assert learned < 400
    assert warnings(result) == [
        f"warning: {tmp_path / 'images'} holds no .md or .txt documents: nothing taken from it",
        f"warning: the text ran out of pairs to merge: vocabulary {learned}, not 400 (more text "
        "gives more)",
    ]
    assert "training a 400-token BPE tokenizer on 1 document\n" in result.stdout
    assert f"from 1 document (bpe, vocab {learned})" in result.stdout
    assert "1 token (" in invoke("tokenize", "--tokenizer", tmp_path / "data", "c").stdout


def test_train_says_what_its_settings_make_meaningless(gpt_data: Path, tmp_path: Path) -> None:
    args = ["--data", gpt_data, "--out", tmp_path / "r", "--max-steps", "1", *QUICK]
    result = invoke("train", *args, "eval_interval=0", "sample_prompt='Once'")
    assert result.exit_code == 0, result.output
    assert "warning: eval_iters, sample_prompt, sample_length ignored: eval_interval=0 turns " \
        "evaluations off" in warnings(result)  # fmt: skip


def test_samples_show_their_prompt(gpt_data: Path, tmp_path: Path) -> None:
    args = ["--data", gpt_data, "--out", tmp_path / "r", "--max-steps", "1", *QUICK]
    result = invoke("train", *args, "sample_prompt='Once upon'", "sample_length=64")
    assert result.exit_code == 0, result.output
    samples = [line for line in result.stdout.splitlines() if line.startswith("sample: ")]
    assert len(samples) == 1 and samples[0][9:].startswith("Once upon")  # at step 1
    room = 64 - len(load_tokenizer(gpt_data).encode("Once upon"))
    assert warnings(result)[1:] == [
        f"warning: sample_length=64 cut to {room}: the prompt and the sample fit in the context "
        "of 64 tokens"
    ]


def test_a_failed_start_leaves_no_run_folder(
    gpt_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "runs" / "r"
    result = invoke(
        "train", "--data", gpt_data, "--out", out, *QUICK, "model.context_length=1000000"
    )
    assert result.exit_code == 1 and "too few for one window" in result.stderr
    assert not out.exists()

    from scratchgpt.training import Trainer

    def out_of_memory(self):
        raise RuntimeError("CUDA out of memory (as if)")

    monkeypatch.setattr(Trainer, "evaluate", out_of_memory)  # the step-0 evaluation fails
    with pytest.raises(RuntimeError, match="out of memory"):
        CliRunner().invoke(
            main, ["train", "--data", str(gpt_data), "--out", str(out), *QUICK],
            catch_exceptions=False,
        )  # fmt: skip
    assert not out.exists() and (tmp_path / "runs").is_dir()


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_files_follow_the_umask(gpt_data: Path, tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        out = tmp_path / "r"
        result = invoke("train", "--data", gpt_data, "--out", out, "--max-steps", "1", *QUICK)
    finally:
        os.umask(previous)
    assert result.exit_code == 0, result.output
    files = [p for p in out.rglob("*") if p.is_file() and not p.is_symlink()]
    assert {p.name for p in files} >= {"model.safetensors", "config.json", "metrics.jsonl"}
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in files} == {
        p.name: oct(0o666 & ~umask) for p in files
    }
