"""A step's loss is the mean over all its target tokens (or examples), whatever the batch,
accumulation and number of processes, as transformers' Trainer counts with
``num_items_in_batch``: a short answer weighs no more than its few tokens."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import transformers
from transformers.loss.loss_utils import ForCausalLMLoss

from scratchgpt import distributed, weights
from scratchgpt.finetuning import FinetuneConfig, FinetuneTask
from scratchgpt.training import Trainer

# Two training records with answers of very different lengths (and one held out).
RECORDS = [
    {"instruction": "Say yes.", "input": "", "output": "Yes."},
    {"instruction": "Describe the sea.", "input": "",
     "output": "The sea is wide and grey, " * 8 + "and it never stops moving."},
    {"instruction": "Count to three.", "input": "", "output": "One, two, three."},
]  # fmt: skip

STEP = """
import sys, torch
from scratchgpt import distributed
from scratchgpt.finetuning import FinetuneConfig, FinetuneTask
from scratchgpt.training import Trainer
data, out, result = sys.argv[1:4]
cfg = FinetuneConfig(task="instruct", data=data, out=out, preset="test", batch_size=1,
                     grad_accum=2, val_fraction=0.34, max_steps=1, device="cpu",
                     model={"context_length": 128})
ctx = distributed.setup("cpu")
trainer = Trainer(cfg, ctx, resume=False, task=FinetuneTask(cfg, ctx))
loss = trainer.accumulate()
if ctx.is_main:
    grads = {n: p.grad for n, p in trainer.model.named_parameters() if p.grad is not None}
    torch.save({"loss": loss, "grads": grads}, result)
distributed.teardown()
"""


def settings(data: Path, out: Path, batch_size: int, grad_accum: int) -> FinetuneConfig:
    return FinetuneConfig(task="instruct", data=str(data), out=str(out), preset="test",
                          batch_size=batch_size, grad_accum=grad_accum, val_fraction=0.34,
                          max_steps=1, device="cpu", model={"context_length": 128})  # fmt: skip


def first_step(cfg: FinetuneConfig) -> tuple[Trainer, torch.Tensor, dict[str, torch.Tensor]]:
    ctx = distributed.setup("cpu")
    trainer = Trainer(cfg, ctx, resume=False, task=FinetuneTask(cfg, ctx))
    loss = trainer.accumulate()
    grads = {n: p.grad for n, p in trainer.model.named_parameters() if p.grad is not None}
    return trainer, loss, grads


@pytest.fixture
def records(tmp_path: Path, tiktoken_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "records.json"
    path.write_text(json.dumps(RECORDS), encoding="utf-8")
    return path


def test_the_first_step_is_the_same_however_the_batch_is_cut(records: Path, tmp_path: Path):
    trainer, loss, grads = first_step(settings(records, tmp_path / "a", 2, 1))
    _, loss_accum, grads_accum = first_step(settings(records, tmp_path / "b", 1, 2))

    script = tmp_path / "step.py"
    script.write_text(STEP, encoding="utf-8")
    result = tmp_path / "ddp.pt"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           str(script), str(records), str(tmp_path / "c"), str(result)]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ddp = torch.load(result)

    # The two training examples' answers are far apart in length: the test means something.
    data = trainer.task.train_data
    _, y = data.batch(torch.arange(2))
    answer_tokens = (y != -100).sum(dim=1).tolist()
    assert max(answer_tokens) > 5 * min(answer_tokens)

    for other_loss, other_grads in ((loss_accum, grads_accum), (ddp["loss"], ddp["grads"])):
        assert other_loss.item() == pytest.approx(loss.item(), abs=1e-5)
        assert other_grads.keys() == grads.keys()
        for name, grad in grads.items():
            torch.testing.assert_close(other_grads[name], grad, atol=1e-5, rtol=1e-5)

    # transformers counts the same way: each micro-batch's loss over num_items_in_batch.
    weights.save_pretrained(trainer.model, tmp_path / "model")  # type: ignore[arg-type]
    hf = transformers.GPT2LMHeadModel.from_pretrained(tmp_path / "model").eval()
    order = trainer.sampler.epoch_order(0)  # type: ignore[attr-defined]
    pieces = [data.batch(order[i : i + 1]) for i in range(2)]
    n_items = sum(int((t != -100).sum()) for _, t in pieces)
    with torch.no_grad():
        hf_loss = sum(
            ForCausalLMLoss(hf(xi).logits, None, hf.config.vocab_size,
                            num_items_in_batch=n_items, shift_labels=yi)
            for xi, yi in pieces
        )  # fmt: skip
        means = [ForCausalLMLoss(hf(xi).logits, None, hf.config.vocab_size, shift_labels=yi)
                 for xi, yi in pieces]  # fmt: skip
    assert float(hf_loss) == pytest.approx(loss.item(), abs=1e-5)
    # The mean of per-example means (the old way, and transformers' before 4.46) differs.
    assert float(sum(means) / 2) != pytest.approx(loss.item(), abs=1e-3)


def test_classification_loss_and_accuracy_match_transformers(tmp_path: Path, tiktoken_cache: Path):
    words = ["free", "prize", "call", "now", "mum", "dinner", "later", "ok", "win", "cash"]
    rows = ["label\ttext"]
    for i in range(30):
        filler = " ".join(words[(i * 7 + k) % len(words)] for k in range(1 + i % 6))
        rows.append(f"{'spam' if i % 3 == 0 else 'ham'}\t{filler}")
    path = tmp_path / "texts.tsv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    cfg = FinetuneConfig(task="classify", data=str(path), out=str(tmp_path / "run"),
                         preset="test", batch_size=4, val_fraction=0.3, device="cpu")  # fmt: skip
    ctx = distributed.setup("cpu")
    trainer = Trainer(cfg, ctx, resume=False, task=FinetuneTask(cfg, ctx))
    for _ in range(3):
        trainer.train_step()
    found = trainer.evaluate()

    trainer.task.save_model(trainer.model, tmp_path / "model")
    hf = transformers.GPT2ForSequenceClassification.from_pretrained(tmp_path / "model").eval()
    val = trainer.task.val_data
    x, y = val.batch(torch.arange(len(val)))  # one batch, padded with the pad token
    with torch.no_grad():
        out = hf(x, labels=y)
    accuracy = (out.logits.argmax(-1) == y).float().mean().item()
    assert found["val_loss"] == pytest.approx(out.loss.item(), abs=1e-5)
    assert found["val_accuracy"] == pytest.approx(accuracy, abs=1e-6)
