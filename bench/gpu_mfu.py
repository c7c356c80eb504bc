"""Training throughput and model FLOPs utilisation (MFU) of the 124M GPT-2 on one CUDA GPU.

The step is scratchgpt's training step: ``GPT`` from the ``gpt2`` preset, ``make_optimizer``
(fused AdamW, decay on matrices), bf16 autocast, TF32 matmuls, ``torch.compile``, gradient
clipping, on random tokens already on the GPU (so the data pipeline is not what is measured).
The micro-batch is the largest of ``--batch-sizes`` that fits (probed without compiling,
which needs more memory than the compiled step, so the pick is safe).

MFU = achieved model FLOP/s / peak FLOP/s, with the model FLOPs per token estimated as in the
PaLM paper (appendix B) and nanoGPT: ``6 * N + 12 * L * H * Q * T``, where N is the parameter
count without the position embeddings, L layers, H heads, Q head size, T context length.
The peak defaults to the H200's dense bf16 tensor-core figure, 989 TFLOP/s (``--peak-tflops``).

Run (about 2-3 minutes, most of it compiling): ``python bench/gpu_mfu.py``.
``--tiny`` runs the same code on a tiny model on the CPU, to check that it executes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch

from scratchgpt.model import GPT, GPTConfig
from scratchgpt.train_config import TrainConfig
from scratchgpt.training import autocast, make_optimizer

RESULTS = Path(__file__).parent / "results"


def flops_per_token(model: GPT) -> float:
    c = model.config
    n = model.num_parameters(non_embedding=True)  # all but the position embeddings
    return 6 * n + 12 * c.n_layer * c.n_head * (c.n_embd // c.n_head) * c.context_length


def make_step(model: GPT, optimizer: torch.optim.Optimizer, device: torch.device):
    amp = autocast(device, "bfloat16")

    def step(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        with amp:
            _, loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss

    return step


def batch(size: int, config: GPTConfig, device: torch.device) -> tuple[torch.Tensor, ...]:
    tokens = torch.randint(config.vocab_size, (size, config.context_length + 1), device=device)
    return tokens[:, :-1], tokens[:, 1:]


def largest_batch(candidates: list[int], model: GPT, config: GPTConfig, device) -> int:
    """The largest candidate micro-batch whose eager forward+backward fits in memory."""
    amp = autocast(device, "bfloat16")
    for size in sorted(candidates, reverse=True):
        try:
            x, y = batch(size, config, device)
            with amp:
                _, loss = model(x, y)
            loss.backward()
            fits = True
        except torch.OutOfMemoryError:
            fits = False
        x = y = loss = None  # free this probe's activations before the next
        model.zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.empty_cache()
        if fits:
            return size
        print(f"batch {size}: out of memory", flush=True)
    raise SystemExit("not even the smallest batch fits in GPU memory")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="gpt2")
    parser.add_argument("--vocab-size", type=int, default=50257, help="50304 pads for speed")
    parser.add_argument("--batch-sizes", default="64,48,32,24,16,8", help="candidates to probe")
    parser.add_argument("--steps", type=int, default=30, help="timed steps")
    parser.add_argument("--warmup", type=int, default=5, help="steps before timing (compiles)")
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="device's bf16 peak")
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument("--tiny", action="store_true", help="tiny model on the CPU: a smoke test")
    args = parser.parse_args()

    if args.tiny:
        device = torch.device("cpu")
        config = GPTConfig.from_preset("test")
        args.batch_sizes, args.steps, args.warmup, args.no_compile = "4,2", 3, 1, True
    else:
        if not torch.cuda.is_available():
            sys.exit("gpu_mfu.py needs a CUDA GPU and none is visible (use --tiny to smoke-test)")
        device = torch.device("cuda")
        config = GPTConfig.from_preset(args.preset, vocab_size=args.vocab_size)
        torch.set_float32_matmul_precision("high")
    torch.manual_seed(0)
    model = GPT(config).to(device)
    optimizer = make_optimizer(model, TrainConfig(lr=6e-4, weight_decay=0.1))
    size = largest_batch([int(b) for b in args.batch_sizes.split(",")], model, config, device)
    tokens_per_step = size * config.context_length
    print(f"{model.num_parameters() / 1e6:.1f}M parameters, micro-batch {size} x "
          f"{config.context_length} = {tokens_per_step:,} tokens", flush=True)  # fmt: skip

    step = make_step(torch.compile(model) if not args.no_compile else model, optimizer, device)
    x, y = batch(size, config, device)
    start = time.perf_counter()
    for _ in range(args.warmup):
        step(x, y)
    if device.type == "cuda":
        torch.cuda.synchronize()
    print(f"warm-up (compile) {time.perf_counter() - start:.1f} s", flush=True)

    times = []
    for _ in range(args.steps):
        t0 = time.perf_counter()
        loss = step(x, y)
        if device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t0)
    tokens_per_s = tokens_per_step / statistics.median(times)
    achieved = flops_per_token(model) * tokens_per_s
    result = {
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "preset": "test" if args.tiny else args.preset,
        "parameters": model.num_parameters(),
        "micro_batch": size,
        "context_length": config.context_length,
        "compiled": not args.no_compile,
        "step_ms": 1000 * statistics.median(times),
        "tokens_per_s": tokens_per_s,
        "model_tflops": achieved / 1e12,
        "mfu": achieved / (args.peak_tflops * 1e12),
        "peak_tflops": args.peak_tflops,
        "peak_memory_gib": (
            torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None
        ),
        "final_loss": loss.item(),
        "torch": torch.__version__,
    }
    print(
        f"{result['tokens_per_s']:,.0f} tokens/s, {result['step_ms']:.1f} ms/step, "
        f"{result['model_tflops']:.1f} model TFLOP/s = MFU {100 * result['mfu']:.1f}% "
        f"of {args.peak_tflops:g} TFLOP/s"
    )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("gpu_mfu_tiny.json" if args.tiny else "gpu_mfu.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"(also in {out})")


if __name__ == "__main__":
    main()
