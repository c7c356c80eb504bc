"""Fine-tuning throughput: scratchgpt vs transformers + peft, full, last layers and LoRA.

One model (a preset's fresh weights, or ``--model FOLDER``), saved once and loaded by both
libraries; the same batches of the shared instruction data, encoded as ``scratchgpt
finetune instruct`` encodes them (Alpaca prompt, padding with end-of-text, loss on the
response only); the same optimizer (scratchgpt's ``make_optimizer``: AdamW over the
parameters that train). A step is forward, masked cross-entropy, backward, clipping,
optimizer step. Three ways to train:

- ``full``: every parameter;
- ``last``: the last ``--last-layers`` blocks and the final LayerNorm (the head is tied to
  the token embedding, which stays frozen);
- ``lora``: adapters of ``--rank`` on c_attn, c_proj and c_fc (scratchgpt's ``lora`` vs
  ``peft.get_peft_model`` with the same ``LoraConfig``), the base frozen.

Each (library, method) runs in a fresh Python process, so its peak memory is its own: the
maximum resident set size (``getrusage``) on CPU, ``max_memory_allocated`` on CUDA. On a CPU
the clock is the process's CPU time with one torch thread (``--clock wall --threads N`` for
wall clock); the runs take turns for ``--rounds`` rounds and each figure is the median round.
Tokens/s counts every position of the padded batches.

Run: ``.venv/bin/python bench/bench_scratchgpt_finetune.py [--preset small] [--batch-size 8]``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

RESULTS = Path(__file__).parent / "results"
RUNS = [
    (library, method)
    for method in ("full", "last", "lora")
    for library in ("scratchgpt", "transformers")
]
TARGETS = ("c_attn", "c_proj", "c_fc")


def batches(args: argparse.Namespace, context: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The first ``--batches`` batches of the instruction data, as fine-tuning makes them."""
    from scratchgpt.instruct import collate, encode_example, read_records
    from scratchgpt.tokenizer import GPT2Tokenizer

    tokenizer = GPT2Tokenizer.from_tiktoken()
    records = read_records(args.data)
    examples = [encode_example(r, tokenizer, context) for r in records]
    size = args.batch_size
    return [
        collate(examples[i * size : (i + 1) * size], tokenizer.eot_token)
        for i in range(args.batches)
    ]


def build(library: str, method: str, folder: str, args: argparse.Namespace) -> torch.nn.Module:
    """The model of ``folder`` in ``library``, with only what ``method`` trains unfrozen."""
    if library == "scratchgpt":
        from scratchgpt import lora
        from scratchgpt.weights import load_pretrained

        model = load_pretrained(folder).train()
        blocks, final_norm = model.transformer.h, model.transformer.ln_f
        if method == "lora":
            lora.add_lora(model, args.rank, 2 * args.rank, TARGETS)
    else:
        from transformers import GPT2LMHeadModel

        model = GPT2LMHeadModel.from_pretrained(folder, attn_implementation="sdpa").train()
        blocks, final_norm = model.transformer.h, model.transformer.ln_f
        if method == "lora":
            from peft import LoraConfig, get_peft_model

            config = LoraConfig(
                r=args.rank,
                lora_alpha=2 * args.rank,
                target_modules=list(TARGETS),
                fan_in_fan_out=True,
                lora_dropout=0.0,
            )
            model = get_peft_model(model, config)
    if method == "last":
        model.requires_grad_(False)
        blocks[-args.last_layers :].requires_grad_(True)
        final_norm.requires_grad_(True)
    return model


def loss_fn(library: str, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor):
    if library == "scratchgpt":  # as its training loop computes it: a sum over answer tokens
        from scratchgpt.objectives import instruction_following

        loss = instruction_following(eot_token=50256).loss(model, x, y)
        return loss.total / loss.items
    logits = model(input_ids=x).logits
    return F.cross_entropy(logits.flatten(0, 1), y.flatten(), ignore_index=-100)


def worker(args: argparse.Namespace) -> dict:
    """Time fine-tuning steps of one (library, method) in this (fresh) process."""
    from scratchgpt.optimization import make_optimizer, parameter_counts
    from scratchgpt.precision import autocast
    from scratchgpt.train_config import TrainConfig
    from scratchgpt.weights import read_config

    library, method = args.worker.split(":")
    device = torch.device(args.device)
    cpu_clock = args.clock == "cpu" and device.type == "cpu"
    torch.set_num_threads(1 if cpu_clock else args.threads)
    clock = time.process_time if cpu_clock else time.perf_counter
    data = batches(args, read_config(args.model_dir).context_length)
    torch.manual_seed(0)
    model = build(library, method, args.model_dir, args).to(device)
    trainable, total = parameter_counts(model)
    optimizer = make_optimizer(model, TrainConfig(lr=1e-4, weight_decay=0.1))
    amp = autocast(device, "auto")
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    rates = []
    for i in range(args.warmup + args.steps):
        x, y = (t.to(device) for t in data[i % len(data)])
        start = clock()
        with amp:
            loss = loss_fn(library, model, x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if i >= args.warmup:
            rates.append(x.numel() / (clock() - start))
    if device.type == "cuda":
        peak_mib = torch.cuda.max_memory_allocated(device) / 2**20
    else:  # ru_maxrss is KiB on Linux, bytes on macOS
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak_mib = rss / 2**20 if sys.platform == "darwin" else rss / 2**10
    return {
        "library": library,
        "method": method,
        "trainable": trainable,
        "total": total,
        "tokens_per_s": statistics.median(rates),
        "peak_mib": peak_mib,
        "final_loss": loss.item(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="small", help="fresh weights of this preset")
    parser.add_argument("--model", help="a model folder to fine-tune instead of --preset")
    data = Path(os.environ.get("SHARED_DATA_DIR", "../shared/data"))
    parser.add_argument("--data", default=str(data / "finetune" / "instruction-data.json"))
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--batches", type=int, default=4, help="distinct batches cycled")
    parser.add_argument("--steps", type=int, default=4, help="timed steps per round")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rank", type=int, default=8, help="LoRA rank (alpha = 2 x rank)")
    parser.add_argument("--last-layers", type=int, default=2)
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--model-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        model_dir = args.model
        if model_dir is None:  # one set of fresh weights for every run
            from scratchgpt.model import GPT, GPTConfig
            from scratchgpt.weights import save_pretrained

            torch.manual_seed(0)
            config = GPTConfig.from_preset(args.preset, vocab_size=50257)
            model_dir = str(save_pretrained(GPT(config), tmp))
        runs: dict[str, list[dict]] = {f"{lib}:{m}": [] for lib, m in RUNS}
        for round_ in range(args.rounds):
            for key in runs:
                cmd = [sys.executable, __file__, *sys.argv[1:], "--worker", key]
                cmd += ["--model-dir", model_dir]
                proc = subprocess.run(cmd, capture_output=True, text=True)
                if proc.returncode:
                    print(f"{key}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
                    continue
                runs[key].append(json.loads(proc.stdout.strip().splitlines()[-1]))
                rate = runs[key][-1]["tokens_per_s"]
                print(f"round {round_ + 1}, {key}: {rate:,.0f} tokens/s", file=sys.stderr)
    rows = []
    for found in runs.values():
        if found:
            ordered = sorted(found, key=lambda r: r["tokens_per_s"])
            rows.append(
                {**ordered[len(ordered) // 2], "rounds": [r["tokens_per_s"] for r in found]}
            )

    threads = 1 if args.clock == "cpu" and args.device == "cpu" else args.threads
    clock = "CPU time" if threads == 1 and args.clock == "cpu" else "wall clock"
    model = args.model or f"preset {args.preset} (fresh weights)"
    print(
        f"\nFine-tuning step, {model}, instruction data, batch {args.batch_size}, "
        f"{args.device}, {threads} thread(s), {clock}, median of {args.rounds} rounds, "
        f"torch {torch.__version__}\n"
    )
    print("| method | library | trainable / total | tokens/s | peak memory (MiB) |")
    print("|---|---|---:|---:|---:|")
    for r in rows:
        library = "transformers + peft" if r["library"] == "transformers" else r["library"]
        if r["method"] != "lora":
            library = r["library"]
        print(
            f"| {r['method']} | {library} | {r['trainable']:,} / {r['total']:,} | "
            f"{r['tokens_per_s']:,.0f} | {r['peak_mib']:,.0f} |"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "scratchgpt_finetune.json"
    settings = {k: v for k, v in vars(args).items() if k not in ("worker", "model_dir")}
    meta = {"python": platform.python_version(), "torch": torch.__version__, **settings}
    out.write_text(json.dumps({"settings": meta, "results": rows}, indent=2) + "\n")
    print(f"\n(also in {out})")


if __name__ == "__main__":
    main()
