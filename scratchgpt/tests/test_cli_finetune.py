"""``scratchgpt finetune classify|instruct``, ``classify``, ``generate --instruction`` and
``chat`` as a user runs them, checked against transformers and peft."""

from __future__ import annotations

import hashlib
import json
import random
import re
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from scratchgpt.cli import main
from scratchgpt.model import GPT, GPTConfig
from scratchgpt.tokenizer import GPT2Tokenizer
from scratchgpt.weights import save_pretrained

transformers = pytest.importorskip("transformers")
peft = pytest.importorskip("peft")

# Fast settings: the `test` preset's shape (with GPT-2's vocabulary), a few steps.
FAST = ["batch_size=8", "log_interval=5", "warmup_steps=2", "eval_iters=4", "sample_length=6"]
INSTRUCTIONS = [
    {"instruction": "Name a primary colour.", "input": "", "output": "Red."},
    {"instruction": "Add the numbers.", "input": "2 + 3", "output": "5"},
    {"instruction": "Give the opposite.", "input": "hot", "output": "cold"},
    {"instruction": "Say hello.", "input": "", "output": "Hello!"},
] * 5


def invoke(*args: object, input: str | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture
def base_model(tmp_path: Path, tiktoken_cache) -> Path:
    """A small GPT with GPT-2's vocabulary, saved as a model folder (the `--model` to tune)."""
    torch.manual_seed(0)
    model = GPT(GPTConfig.from_preset("test", vocab_size=50257))
    return save_pretrained(model, tmp_path / "base")


@pytest.fixture
def spam_file(tmp_path: Path) -> Path:
    """A synthetic task: a message is spam when it offers a prize."""
    rng = random.Random(0)
    words = ["see", "you", "at", "the", "station", "later", "for", "lunch", "with", "mum"]
    lines = []
    for i in range(60):
        filler = " ".join(rng.sample(words, 5))
        spam = i % 3 == 0
        text = f"WIN a FREE prize now {filler}" if spam else f"ok {filler}"
        lines.append(f"{'spam' if spam else 'ham'}\t{text}")
    path = tmp_path / "spam.tsv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_classifier_learns_and_loads_in_transformers(tmp_path, spam_file, tiktoken_cache):
    run = tmp_path / "run"
    result = invoke("finetune", "classify", "--data", spam_file, "--out", run, "--preset", "test",
                    "--epochs", 2, "lr=3e-3", *FAST)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "epoch 2: val accuracy 1.0000 (6/6)" in result.output
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert records[-1]["val_accuracy"] == 1.0 and (run / "loss.png").is_file()

    config = json.loads((run / "latest" / "config.json").read_text())
    assert config["id2label"] == {"0": "ham", "1": "spam"} and config["pad_token_id"] == 50256
    hf = transformers.GPT2ForSequenceClassification.from_pretrained(run / "latest").eval()
    tokenizer = GPT2Tokenizer.from_tiktoken()
    texts = ["WIN a FREE prize now", "ok see you later", "ok the kids and mum"]
    ids = [tokenizer.encode(t) for t in texts]
    longest = max(map(len, ids))
    batch = torch.tensor([x + [50256] * (longest - len(x)) for x in ids])
    with torch.no_grad():
        hf_probs = torch.softmax(hf(batch).logits, -1)
    result = invoke("classify", run / "latest", *texts)
    lines = [line.split("\t") for line in result.output.splitlines()]
    assert [line[0] for line in lines] == ["spam", "ham", "ham"]
    assert [line[2] for line in lines] == texts
    expected = [f"{p:.4f}" for p in hf_probs.max(-1).values.tolist()]
    assert [line[1] for line in lines] == expected

    result = invoke("classify", run / "latest", "--file", spam_file)
    assert result.output.splitlines()[-1] == "accuracy: 1.0000 (60/60)"
    assert "true \\ predicted" in result.output


def test_lora_on_fresh_weights_is_said(tmp_path, spam_file, tiktoken_cache):
    run = tmp_path / "run"
    result = invoke("finetune", "classify", "--data", spam_file, "--out", run, "--preset", "test",
                    "--lora", 2, "--max-steps", 1, *FAST)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "warning: --lora on fresh weights: most of the model stays random" in result.output


def test_lora_classifier_from_a_model_folder(tmp_path, base_model, spam_file):
    before = _digest(base_model)
    run = tmp_path / "run"
    result = invoke("finetune", "classify", "--data", spam_file, "--out", run,
                    "--model", base_model, "--lora", 2, "--lora-targets", "c_attn,c_fc",
                    "--max-steps", 4, *FAST)  # fmt: skip
    assert result.exit_code == 0, result.output
    # LoRA of rank 2 on c_attn (32 -> 96) and c_fc (32 -> 128) in 2 blocks, and the head.
    trainable = 2 * 2 * ((32 + 96) + (32 + 128)) + 2 * 32
    assert f"training {trainable:,} of 1,636,960 parameters (0.07%)" in result.output
    assert _digest(base_model) == before  # the base is never written
    adapter = json.loads((run / "latest" / "adapter" / "adapter_config.json").read_text())
    assert adapter["target_modules"] == ["c_attn", "c_fc"] and adapter["task_type"] == "SEQ_CLS"

    hf_base = transformers.GPT2ForSequenceClassification.from_pretrained(
        base_model, num_labels=2, pad_token_id=50256
    )
    tuned = peft.PeftModel.from_pretrained(hf_base, run / "latest" / "adapter").eval()
    merged = transformers.GPT2ForSequenceClassification.from_pretrained(run / "latest").eval()
    batch = torch.tensor([[54, 3, 9, 50256, 50256], [1, 2, 3, 4, 5]])
    with torch.no_grad():
        torch.testing.assert_close(tuned(batch).logits, merged(batch).logits, atol=1e-4, rtol=0)

    # Resuming continues from the adapters; the base is still untouched.
    result = invoke("finetune", "classify", "--resume", run, "--max-steps", 6)
    assert result.exit_code == 0, result.output
    assert "resuming from" in result.output and "step 6/6" in result.output
    assert _digest(base_model) == before


def test_instruction_tuning_with_lora_then_generate_and_chat(tmp_path, base_model):
    data = tmp_path / "inst.json"
    data.write_text(json.dumps(INSTRUCTIONS), encoding="utf-8")
    run = tmp_path / "run"
    result = invoke("finetune", "instruct", "--data", data, "--out", run, "--model", base_model,
                    "--lora", 4, "--max-steps", 4, "eval_interval=2", "lr=1e-2", *FAST)  # fmt: skip
    assert result.exit_code == 0, result.output
    # Responses to the validation instructions at each evaluation (2 of the 20 are held out).
    assert len(re.findall(r"^step [24]: '[^']+' -> '.*'$", result.output, re.M)) == 4

    hf_base = transformers.GPT2LMHeadModel.from_pretrained(base_model)
    tuned = peft.PeftModel.from_pretrained(hf_base, run / "latest" / "adapter").eval()
    merged = transformers.GPT2LMHeadModel.from_pretrained(run / "latest").eval()
    idx = torch.randint(0, 50257, (2, 12))
    with torch.no_grad():
        torch.testing.assert_close(tuned(idx).logits, merged(idx).logits, atol=1e-4, rtol=0)

    result = invoke("generate", run / "latest", "--instruction", "Say hello.", "-t", 0, "-n", 5)
    assert result.exit_code == 0, result.output
    assert "### Response" not in result.output and "Say hello" not in result.output
    response = result.output.rstrip("\n")
    chat = invoke("chat", run / "latest", "-n", 5, input="Say hello.\n\n")
    assert chat.output.splitlines()[0] == response


def test_instruction_tuning_full_from_fresh_weights_resumes(tmp_path, tiktoken_cache):
    data = tmp_path / "inst.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in INSTRUCTIONS), encoding="utf-8")
    run = tmp_path / "run"
    result = invoke("finetune", "instruct", "--data", data, "--out", run, "--preset", "test",
                    "--max-steps", 2, "eval_interval=2", *FAST)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert not (run / "latest" / "adapter").exists()
    transformers.GPT2LMHeadModel.from_pretrained(run / "latest")  # a plain GPT-2 folder
    result = invoke("finetune", "instruct", "--resume", run, "--max-steps", 4)
    assert result.exit_code == 0, result.output
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps[-1] == 4 and steps == sorted(steps)
    # Starting over in the same folder is refused with the command that continues it.
    result = CliRunner().invoke(
        main, ["finetune", "instruct", "--data", str(data), "--out", str(run), "--preset", "test"]
    )
    assert result.exit_code == 1
    assert f"scratchgpt finetune instruct --resume {run}" in result.output


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("d.csv", "text,category\nhi,ham\n", "d.csv:1: the header has no 'label' column"),
        ("d.tsv", "ham\thi\nham\tyo\n", "every example has the label 'ham'"),
        ("d.jsonl", "", "d.jsonl: the file is empty"),
        (
            "d.jsonl",
            '{"text": "a", "label": 1}\n{"text": "b" "label": 0}\n',
            "d.jsonl:2: invalid JSON",
        ),
    ],
)
def test_bad_data_is_a_one_line_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(
        main, ["finetune", "classify", "--data", str(path), "--out", str(tmp_path / "run"),
               "--preset", "test"],
    )  # fmt: skip
    assert result.exit_code == 1
    error = result.output.strip()
    assert error.startswith("Error: ") and message in error and "\n" not in error
    assert "Traceback" not in result.output


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_lora_and_train_layers_on_a_low_precision_base(tmp_path, tiktoken_cache, dtype):
    torch.manual_seed(0)
    model = GPT(GPTConfig.from_preset("test", vocab_size=50257)).to(getattr(torch, dtype))
    base = save_pretrained(model, tmp_path / "base")
    data = tmp_path / "inst.json"
    data.write_text(json.dumps(INSTRUCTIONS), encoding="utf-8")
    run = tmp_path / "lora"
    result = invoke(
        "finetune",
        "instruct",
        "--data",
        data,
        "--out",
        run,
        "--model",
        base,
        "--lora",
        4,
        "--max-steps",
        6,
        "eval_interval=6",
        "lr=1e-2",
        "dtype=bfloat16",
        *FAST,
    )  # fmt: skip: bf16 autocast on the CPU
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert records[-1]["val_loss"] < records[0]["val_loss"]  # it trains
    hf_base = transformers.GPT2LMHeadModel.from_pretrained(base, torch_dtype=getattr(torch, dtype))
    tuned = peft.PeftModel.from_pretrained(hf_base, run / "latest" / "adapter").eval()
    merged = transformers.GPT2LMHeadModel.from_pretrained(run / "latest").eval()
    assert merged.dtype == getattr(torch, dtype)  # the merged model keeps the base's dtype
    idx = torch.randint(0, 50257, (2, 12))
    with torch.no_grad():
        got, want = tuned(idx).logits.float(), merged(idx).logits.float()
    torch.testing.assert_close(got, want, atol=0.05, rtol=0.02)  # bf16: 8 bits of mantissa
    if dtype == "float16":
        return  # --train-layers: the same upcast, said once
    result = invoke("finetune", "instruct", "--data", data, "--out", tmp_path / "layers",
                    "--model", base, "--train-layers", 1, "--max-steps", 2, *FAST)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"is {dtype}: its weights train in float32" in result.output


def test_a_record_without_room_for_its_answer_is_skipped_and_crops_are_said(
    tmp_path, tiktoken_cache
):
    records = [*INSTRUCTIONS, {"instruction": "Repeat: " + "word " * 80, "output": "No."}]
    data = tmp_path / "inst.json"
    data.write_text(json.dumps(records), encoding="utf-8")
    run = tmp_path / "run"
    result = invoke("finetune", "instruct", "--data", data, "--out", run, "--preset", "test",
                    "--max-steps", 2, *FAST)  # fmt: skip
    assert result.exit_code == 0, result.output
    skipped = f"record {len(INSTRUCTIONS)} skipped: its prompt fills the context of 64 tokens"
    assert skipped in result.stderr
    assert "nan" not in result.stdout  # every validation record has answer tokens to score

    result = invoke("generate", run / "latest", "--instruction", "word " * 80, "-n", 5)
    assert result.exit_code == 0, result.output
    assert (
        "warning: the prompt is " in result.stderr and "only its last 63 are read" in result.stderr
    )
