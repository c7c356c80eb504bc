"""Training throughput: scratchgpt vs llms-from-scratch vs transformers, side by side.

One model shape, one optimizer (scratchgpt's ``make_optimizer``: AdamW, fused where the device
has it, weight decay on matrices only), the same random token batches, float32 (bf16 autocast
on CUDA). A step is what a training loop does: forward, mean cross-entropy, backward, gradient
clipping, optimizer step. Each library runs in a fresh Python process, so its peak memory is
its own: the maximum resident set size (``getrusage``) on CPU, ``max_memory_allocated`` on
CUDA. Reported: tokens per second (median over the timed steps, after warm-up) and peak memory.

On a CPU the default clock is ``--clock cpu``: one torch thread and the process's CPU time,
which other jobs on a shared machine barely change (wall time there can vary several-fold
from run to run). ``--clock wall`` times wall-clock with ``--threads``; CUDA always uses it.
The libraries take turns for ``--rounds`` rounds and each figure is the median of its rounds.

Models: scratchgpt's ``GPT``; llms-from-scratch's ``GPTModel`` (the book's chapter 4 model,
untied output head) and ``GPTModelFast`` (its SDPA variant); transformers' ``GPT2LMHeadModel``.

Setup: ``.venv/bin/pip install --no-deps llms-from-scratch``. Run:
``.venv/bin/python bench/bench_scratchgpt_training.py [--preset small] [--batch-size 8]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

RESULTS = Path(__file__).parent / "results"
LIBRARIES = ("scratchgpt", "llms-from-scratch", "llms-from-scratch-fast", "transformers")


def build(library: str, cfg) -> torch.nn.Module:
    """The library's GPT-2 model for ``cfg`` (a scratchgpt ``GPTConfig``), returning logits."""
    if library == "scratchgpt":
        from scratchgpt.model import GPT

        return GPT(cfg)
    if library.startswith("llms-from-scratch"):
        from llms_from_scratch import ch04

        model_class = ch04.GPTModelFast if library.endswith("fast") else ch04.GPTModel
        return model_class(
            {
                "vocab_size": cfg.vocab_size,
                "context_length": cfg.context_length,
                "emb_dim": cfg.n_embd,
                "n_heads": cfg.n_head,
                "n_layers": cfg.n_layer,
                "drop_rate": 0.0,
                "qkv_bias": True,
            }
        )
    if library == "transformers":
        from transformers import GPT2Config, GPT2LMHeadModel

        hf = GPT2Config(
            vocab_size=cfg.vocab_size,
            n_positions=cfg.context_length,
            n_embd=cfg.n_embd,
            n_layer=cfg.n_layer,
            n_head=cfg.n_head,
            resid_pdrop=0.0,
            embd_pdrop=0.0,
            attn_pdrop=0.0,
        )
        hf._attn_implementation = "sdpa"  # its fastest built-in attention, as scratchgpt's
        return GPT2LMHeadModel(hf)
    raise ValueError(f"unknown library {library!r}")


def loss_fn(library: str, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor):
    if library == "scratchgpt":
        return model(x, y)[1]
    logits = model(x).logits if library == "transformers" else model(x)
    return F.cross_entropy(logits.flatten(0, 1), y.flatten())


def worker(args: argparse.Namespace) -> dict:
    """Time training steps of one library in this (fresh) process."""
    from scratchgpt.model import GPTConfig
    from scratchgpt.optimization import make_optimizer
    from scratchgpt.precision import autocast
    from scratchgpt.train_config import TrainConfig

    device = torch.device(args.device)
    cpu_clock = args.clock == "cpu" and device.type == "cpu"
    torch.set_num_threads(1 if cpu_clock else args.threads)
    clock = time.process_time if cpu_clock else time.perf_counter
    cfg = GPTConfig.from_preset(args.preset, vocab_size=args.vocab_size)
    if args.context:
        cfg.context_length = args.context
    torch.manual_seed(0)
    model = build(args.worker, cfg).to(device).train()
    optimizer = make_optimizer(model, TrainConfig(lr=1e-4, weight_decay=0.1))
    amp = autocast(device, "auto")
    gen = torch.Generator().manual_seed(0)
    shape = (args.batch_size, cfg.context_length + 1)
    batches = [torch.randint(cfg.vocab_size, shape, generator=gen) for _ in range(4)]
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    times = []
    for i in range(args.warmup + args.steps):
        tokens = batches[i % len(batches)].to(device)
        x, y = tokens[:, :-1], tokens[:, 1:]
        start = clock()
        with amp:
            loss = loss_fn(args.worker, model, x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        if i >= args.warmup:
            times.append(clock() - start)
    if device.type == "cuda":
        peak_mib = torch.cuda.max_memory_allocated(device) / 2**20
    else:  # ru_maxrss is KiB on Linux, bytes on macOS
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak_mib = rss / 2**20 if sys.platform == "darwin" else rss / 2**10
    return {
        "library": args.worker,
        "parameters": sum(p.numel() for p in model.parameters()),
        "tokens_per_s": args.batch_size * cfg.context_length / statistics.median(times),
        "step_ms": 1000 * statistics.median(times),
        "peak_mib": peak_mib,
        "final_loss": loss.item(),
    }


def median_run(runs: list[dict]) -> dict:
    """The run with the median throughput, its spread noted."""
    ordered = sorted(runs, key=lambda r: r["tokens_per_s"])
    return {**ordered[len(ordered) // 2], "runs_tokens_per_s": [r["tokens_per_s"] for r in runs]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="small", help="scratchgpt preset (default small)")
    parser.add_argument("--vocab-size", type=int, default=50257)
    parser.add_argument("--context", type=int, default=0, help="context length (preset's)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--steps", type=int, default=4, help="timed steps per round")
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="turns of every library")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--only", nargs="*", choices=LIBRARIES, default=list(LIBRARIES))
    parser.add_argument("--worker", choices=LIBRARIES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return

    passthrough = [a for a in sys.argv[1:] if a != "--only" and a not in LIBRARIES]
    runs: dict[str, list[dict]] = {library: [] for library in args.only}
    for round_ in range(args.rounds):
        for library in args.only:
            cmd = [sys.executable, __file__, *passthrough, "--worker", library]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode:
                print(f"{library}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
                continue
            runs[library].append(json.loads(proc.stdout.strip().splitlines()[-1]))
            rate = runs[library][-1]["tokens_per_s"]
            print(f"round {round_ + 1}, {library}: {rate:,.0f} tokens/s", file=sys.stderr)
    rows = [median_run(r) for r in runs.values() if r]

    base = next((r["tokens_per_s"] for r in rows if r["library"] == "scratchgpt"), None)
    threads = 1 if args.clock == "cpu" and args.device == "cpu" else args.threads
    clock = "CPU time" if threads == 1 and args.clock == "cpu" else "wall clock"
    print(
        f"\nTraining step, preset {args.preset} (vocab {args.vocab_size}), batch "
        f"{args.batch_size}, {args.device}, {threads} thread(s), {clock}, median of "
        f"{args.rounds} rounds, torch {torch.__version__}\n"
    )
    print("| library | parameters | tokens/s | step (ms) | peak memory (MiB) | vs scratchgpt |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        ratio = f"{r['tokens_per_s'] / base:.2f}x" if base else "-"
        print(
            f"| {r['library']} | {r['parameters'] / 1e6:.1f}M | {r['tokens_per_s']:,.0f} | "
            f"{r['step_ms']:.0f} | {r['peak_mib']:,.0f} | {ratio} |"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "scratchgpt_training.json"
    settings = {k: v for k, v in vars(args).items() if k not in ("worker", "only")}
    meta = {"python": platform.python_version(), "torch": torch.__version__, **settings}
    out.write_text(json.dumps({"settings": meta, "results": rows}, indent=2) + "\n")
    print(f"\n(also in {out})")


if __name__ == "__main__":
    main()
