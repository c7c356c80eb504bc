"""Every command, given a missing, empty, wrong-kind or mismatched argument, says what is wrong
in one line, with no traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pytest
import torch
from click.testing import CliRunner

from scratchgpt.classify import GPTClassifier, save_classifier
from scratchgpt.cli import main
from scratchgpt.model import GPT, GPTConfig
from scratchgpt.tokenizer import TOKENIZER_FILE, BPETokenizer
from scratchgpt.weights import save_pretrained

TEXT = "the fat cat sat on the mat. the cat ate the rat. " * 20


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory, gpt_data: Path) -> Path:
    """A folder of things to get wrong: a model, a run, files and folders of every kind."""
    root = tmp_path_factory.mktemp("errors")
    torch.manual_seed(0)
    tokenizer = BPETokenizer.train(TEXT, vocab_size=300)
    config = GPTConfig.from_preset("test", vocab_size=tokenizer.vocab_size)
    save_pretrained(GPT(config), root / "model", tokenizer=tokenizer)
    # The same model copied without its tokenizer, and with another vocabulary's tokenizer.
    shutil.copytree(root / "model", root / "no-tokenizer")
    (root / "no-tokenizer" / TOKENIZER_FILE).unlink()
    shutil.copytree(root / "model", root / "other-tokenizer")
    BPETokenizer.train("another text", vocab_size=260).save(root / "other-tokenizer")
    classifier = GPTClassifier(GPT(config), ["ham", "spam"], tokenizer.eot_token)
    save_classifier(classifier, root / "classifier", tokenizer)
    (root / "runs").mkdir()
    (root / "empty").mkdir()
    (root / "empty.txt").write_text("")
    (root / "text.txt").write_text(TEXT)
    (root / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (root / "bad.json").write_text("{not json")
    (root / "run-without-checkpoint").mkdir()
    (root / "run-without-checkpoint" / "config.toml").write_text('preset = "test"\n')
    shutil.copytree(gpt_data, root / "data")
    shutil.copytree(gpt_data, root / "bad-meta")
    (root / "bad-meta" / "meta.json").write_text('{"vocab_size": 300}')
    return root


# (command line, with {root} for the folder above; what the one line must say)
CASES = [
    # tokenize
    ("tokenize", "Missing argument 'TEXT'"),
    ("tokenize --tokenizer {root}/nowhere.json x", "no tokenizer at"),
    ("tokenize --tokenizer {root}/empty.txt x", "is not a scratchgpt tokenizer file"),
    ("tokenize --tokenizer {root}/bad.json x", "is not a scratchgpt tokenizer file"),
    ("tokenize --tokenizer {root}/empty x", "holds no tokenizer"),
    ("tokenize --tokenizer {root}/no-tokenizer x", "lacks scratchgpt-tokenizer.json"),
    # train-tokenizer
    ("train-tokenizer -o {root}/t.json", "Missing argument 'CORPUS...'"),
    ("train-tokenizer {root}/nowhere -o {root}/t.json", "does not exist"),
    ("train-tokenizer {root}/empty.txt -o {root}/t.json", "no text to learn a tokenizer from"),
    ("train-tokenizer {root}/empty -o {root}/t.json", "no .md or .txt documents"),
    ("train-tokenizer {root}/text.txt -o {root}/empty", "is a folder; name a JSON file"),
    ("train-tokenizer {root}/latin1.txt -o {root}/t.json", "latin1.txt is not UTF-8 text"),
    # prepare
    ("prepare -o {root}/d", "Missing argument 'INPUTS...'"),
    ("prepare {root}/text.txt", "Missing option '-o'"),
    ("prepare {root}/empty -o {root}/d", "no .md or .txt documents"),
    ("prepare {root}/text.txt -o {root}/text.txt", "Directory '{root}/text.txt' is a file"),
    ("prepare {root}/latin1.txt -o {root}/d --train-tokenizer 300", "is not UTF-8 text"),
    (
        "prepare {root}/text.txt -o {root}/d --tokenizer {root}/bad.json",
        "is not a scratchgpt tokenizer file",
    ),
    (
        "prepare {root}/text.txt -o {root}/d --tokenizer gpt2 --train-tokenizer 300",
        "--tokenizer and --train-tokenizer contradict each other",
    ),
    # train
    ("train", "give --data DATA_DIR and --out RUN_DIR"),
    ("train --data {root}/data", "give --data DATA_DIR and --out RUN_DIR"),
    ("train --data {root}/text.txt --out {root}/r", "is not a prepared data folder"),
    ("train --data {root}/empty --out {root}/r", "is not a prepared data folder"),
    ("train --data {root}/bad-meta --out {root}/r", "lacks dtype, train_tokens, val_tokens"),
    ("train --data {root}/data --out {root}/text.txt", "is a file, not a folder"),
    (
        "train --data {root}/data --out {root}/r --config {root}/nowhere.toml",
        "config file not found",
    ),
    ("train --data {root}/data --out {root}/r --config {root}/bad.json", "invalid TOML"),
    ("train --data {root}/data --out {root}/r lr=1e-4 min_lr=1e-3", "min_lr (0.001) is above"),
    (
        "train --data {root}/data --out {root}/r eval_interval=often",
        "eval_interval must be a number of steps, 0 (none) or auto",
    ),
    ("train --data {root}/data --out {root}/r --max-steps x", "'x' is not a valid integer"),
    ("train --resume {root}/nowhere", "is not a run folder"),
    ("train --resume {root}/text.txt", "is not a run folder"),
    ("train --resume {root}/run-without-checkpoint", "has no checkpoint to resume from"),
    ("train --resume {root}/run-without-checkpoint --data {root}/data", "drop --data and --out"),
    # generate
    ("generate", "Missing argument 'MODEL'"),
    ("generate {root}/nowhere", "model folder not found"),
    ("generate {root}/empty", "neither a model folder nor a run folder"),
    ("generate {root}/text.txt", "is a file; a model is a folder"),
    ("generate {root}/run-without-checkpoint", "a run folder without a checkpoint yet"),
    (
        "generate {root}/no-tokenizer",
        "lacks scratchgpt-tokenizer.json, which its 275-token vocabulary",
    ),
    ("generate {root}/other-tokenizer", "does not fit the model's config.json"),
    ("generate {root}/model -n -1", "-1 is not in the range x>=0"),
    ("generate {root}/model --device gpu", "unknown device 'gpu'"),
    ("generate {root}/model --input x", "--input is the input of an --instruction"),
    ("generate {root}/classifier", "is a text classifier, not a text generator; classify texts"),
    ("generate {root}/runs/rnu", "model folder not found: {root}/runs/rnu"),  # not the hub
    # attention
    ("attention {root}/model", "Missing argument 'TEXT'"),
    ("attention {root}/model ''", "TEXT is empty"),
    ("attention {root}/model cat --layer 7", "--layer 7: the model has layers 0..1"),
    ("attention {root}/model cat -o {root}/empty", "is a folder; name a PNG file"),
    ("attention {root}/model cat --html {root}/empty", "--html {root}/empty is a folder; name an"),
    ("attention {root}/model cat --json {root}/empty", "--json {root}/empty is a folder; name a"),
    ("attention {root}/no-tokenizer cat", "lacks scratchgpt-tokenizer.json"),
    ("attention {root}/empty cat", "neither a model folder nor a run folder"),
    # finetune
    ("finetune classify", "give --data FILE and --out RUN"),
    (
        "finetune classify --data {root}/text.txt --out {root}/r --preset test",
        "expected a .tsv, .csv or .jsonl file",
    ),
    ("finetune classify --data {root}/empty.txt --out {root}/r", "empty.txt: the file is empty"),
    ("finetune instruct --data {root}/bad.json --out {root}/r", "bad.json:1: invalid JSON"),
    ("finetune classify --resume {root}/nowhere", "is not a run folder"),
    ("finetune instruct --data {root}/bad.json --out {root}/r --lora 0", "0 is not in the range"),
    (
        "finetune classify --data {root}/x.tsv --out {root}/r --epochs 1 --max-steps 2",
        "give --epochs or --max-steps, not both",
    ),
    (
        "finetune instruct --data {root}/bad.json --out {root}/r --lora-alpha 8",
        "--lora-alpha (lora_alpha) without --lora (lora_rank) would change nothing",
    ),
    (
        "finetune instruct --data {root}/bad.json --out {root}/r lora_targets=c_fc",
        "--lora-targets (lora_targets) without --lora",
    ),
    # classify, chat, download
    ("classify {root}/model", "give TEXT arguments or --file FILE"),
    ("classify {root}/model cat", "is not a classifier"),
    ("classify {root}/nowhere cat", "model folder not found"),
    ("chat", "Missing argument 'MODEL'"),
    ("chat {root}/empty", "neither a model folder nor a run folder"),
    ("download", "Missing argument 'REPO_ID'"),
]


@pytest.mark.parametrize(("line", "message"), CASES, ids=[line for line, _ in CASES])
def test_a_bad_argument_is_one_line_without_a_traceback(place: Path, line: str, message) -> None:
    import shlex

    args = shlex.split(line.format(root=place))
    result = CliRunner().invoke(main, args)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.stderr
    assert message.format(root=place) in errors[0], result.stderr
    if result.exit_code == 1:  # not a usage error: the message is all there is
        assert result.stderr == errors[0] + "\n"


def test_every_command_is_walked() -> None:
    walked = {line.split()[0] for line, _ in CASES}
    assert walked == set(main.commands)


def test_a_resumed_run_cannot_change_its_seed_or_data(place: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    args = ["--preset", "test", "--max-steps", "1", "batch_size=1", "eval_interval=0"]
    first = CliRunner().invoke(
        main, ["train", "--data", str(place / "data"), "--out", str(run), *args]
    )
    assert first.exit_code == 0, first.output
    changes = {
        "seed=7": "seed cannot change on --resume (1337 in the run, 7 now)",
        f"data={place / 'bad-meta'}": "data cannot change on --resume",
    }
    for change, said in changes.items():
        result = CliRunner().invoke(main, ["train", "--resume", str(run), change])
        assert result.exit_code == 1 and said in result.stderr, result.output
        assert "Traceback" not in result.output


def test_json_in_the_data_folder_that_is_not_an_object(place: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(place / "data", data)
    (data / "meta.json").write_text(json.dumps([1, 2]))
    result = CliRunner().invoke(main, ["train", "--data", str(data), "--out", str(tmp_path / "r")])
    assert result.exit_code == 1 and "lacks vocab_size" in result.stderr
    assert not (tmp_path / "r").exists()


def _commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def test_every_option_of_every_command_says_what_it_does() -> None:
    walked = 0
    for path, command in _commands(main):
        for param in command.params:
            if isinstance(param, click.Option):
                walked += 1
                assert (param.help or "").strip(), f"scratchgpt {' '.join(path)} {param.opts[0]}"
        help_text = CliRunner().invoke(main, [*path, "--help"]).output
        assert help_text.strip() and "Traceback" not in help_text
    assert walked > 40  # the walk reached the options of the nested commands too
