"""Training throughput and model FLOPs utilisation (MFU) of the 124M GPT-2 on one CUDA GPU.

The step is scratchgpt's training step: ``GPT`` from the ``gpt2`` preset, ``make_optimizer``
(fused AdamW, decay on matrices), bf16 autocast, TF32 matmuls, ``torch.compile``, gradient
clipping, on random tokens already on the GPU (so the data pipeline is not what is measured).

The micro-batch is the largest of ``--batch-sizes`` whose whole step (forward, backward,
optimizer step, so AdamW's state is allocated too) fits in memory, probed without compiling;
the compiled step needs less. If compiling fails, the eager step is timed instead, and the
output says so. Warm-up steps (which compile) are not timed; the timed steps run between two
CUDA synchronisations. ``--deadline`` seconds after the start, the process dumps its stack
and exits, whatever it is doing, so a run never outlasts its slot on a shared GPU.

MFU = achieved model FLOP/s / peak FLOP/s, with the model FLOPs per token estimated as in the
PaLM paper (appendix B) and nanoGPT: ``6 * N + 12 * L * H * Q * T``, where N is the parameter
count without the position embeddings, L layers, H heads, Q head size, T context length.
The peak defaults to the H200's dense bf16 tensor-core figure, 989 TFLOP/s (``--peak-tflops``).

Run (about 2 minutes, most of it compiling): ``python bench/gpu_mfu.py``.
``--tiny`` runs the same code on a tiny model on the CPU, to check that it executes.
"""

from __future__ import annotations

import argparse
import faulthandler
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

from scratchgpt.model import GPT, GPTConfig
from scratchgpt.optimization import make_optimizer
from scratchgpt.precision import autocast
from scratchgpt.train_config import TrainConfig

RESULTS = Path(__file__).parent / "results"
Step = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def flops_per_token(model: GPT) -> float:
    """Training FLOPs per token: 6 per parameter (forward and backward) plus attention."""
    c = model.config
    n = model.num_parameters(non_embedding=True)  # all but the position embeddings
    return 6 * n + 12 * c.n_layer * c.n_head * (c.n_embd // c.n_head) * c.context_length


def make_step(model: torch.nn.Module, params, optimizer, device: torch.device) -> Step:
    amp = autocast(device, "bfloat16")

    def step(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        with amp:
            _, loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        return loss.detach()

    return step


def batch(size: int, config: GPTConfig, device: torch.device) -> tuple[torch.Tensor, ...]:
    tokens = torch.randint(config.vocab_size, (size, config.context_length + 1), device=device)
    return tokens[:, :-1], tokens[:, 1:]


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def largest_batch(
    candidates: list[int], step: Step, model: GPT, config: GPTConfig, device: torch.device
) -> int:
    """The largest candidate micro-batch whose eager training step fits in memory."""
    for size in sorted(candidates, reverse=True):
        try:
            step(*batch(size, config, device))
            sync(device)
            return size
        except torch.OutOfMemoryError:
            print(f"batch {size}: out of memory", flush=True)
        finally:  # free what the probe left, gradients of a failed backward included
            model.zero_grad(set_to_none=True)
            if device.type == "cuda":
                torch.cuda.empty_cache()
    raise SystemExit("not even the smallest batch fits in GPU memory")


def warm_up(step: Step, x, y, n: int, device) -> float:
    start = time.perf_counter()
    for _ in range(n):
        step(x, y)
    sync(device)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", default="gpt2")
    parser.add_argument("--vocab-size", type=int, default=50257, help="50304 pads for speed")
    parser.add_argument("--batch-sizes", default="64,48,32,24,16,8", help="candidates to probe")
    parser.add_argument("--steps", type=int, default=30, help="timed steps")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first (compile)")
    parser.add_argument("--peak-tflops", type=float, default=989.0, help="device's bf16 peak")
    parser.add_argument("--no-compile", action="store_true")
    parser.add_argument("--deadline", type=float, default=480, help="exit after this many s")
    parser.add_argument("--tiny", action="store_true", help="tiny model on the CPU: a smoke test")
    args = parser.parse_args()
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    faulthandler.dump_traceback_later(args.deadline, exit=True)

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
    params = list(model.parameters())
    optimizer = make_optimizer(model, TrainConfig(lr=6e-4, weight_decay=0.1))
    eager = make_step(model, params, optimizer, device)
    candidates = [int(b) for b in args.batch_sizes.split(",")]
    size = largest_batch(candidates, eager, model, config, device)
    tokens_per_step = size * config.context_length
    print(f"{model.num_parameters() / 1e6:.1f}M parameters, micro-batch {size} x "
          f"{config.context_length} = {tokens_per_step:,} tokens", flush=True)  # fmt: skip

    x, y = batch(size, config, device)
    step, compiled, note = eager, False, None
    if not args.no_compile:
        try:
            step = make_step(torch.compile(model), params, optimizer, device)
            warm_up_s = warm_up(step, x, y, args.warmup, device)
            compiled = True
        except Exception as e:  # a compiler problem must not cost the measurement
            reason = (str(e).splitlines() or [""])[0][:300]
            note = f"torch.compile failed ({type(e).__name__}: {reason}); eager step timed"
            print(note, flush=True)
            step = eager
            optimizer.zero_grad(set_to_none=True)  # whatever the failed step left
    if not compiled:
        warm_up_s = warm_up(step, x, y, args.warmup, device)
    print(f"warm-up {'(compile) ' if compiled else ''}{warm_up_s:.1f} s", flush=True)

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()  # the timed step's peak, not the probe's
    start = time.perf_counter()
    for _ in range(args.steps):
        loss = step(x, y)
    sync(device)
    seconds = (time.perf_counter() - start) / args.steps
    tokens_per_s = tokens_per_step / seconds
    achieved = flops_per_token(model) * tokens_per_s
    result = {
        "device": torch.cuda.get_device_name() if device.type == "cuda" else "cpu",
        "preset": "test" if args.tiny else args.preset,
        "vocab_size": config.vocab_size,
        "parameters": model.num_parameters(),
        "flops_per_token": flops_per_token(model),
        "micro_batch": size,
        "context_length": config.context_length,
        "compiled": compiled,
        "note": note,
        "warmup_s": warm_up_s,
        "timed_steps": args.steps,
        "step_ms": 1000 * seconds,
        "tokens_per_s": tokens_per_s,
        "model_tflops": achieved / 1e12,
        "peak_tflops": args.peak_tflops,
        "mfu": achieved / (args.peak_tflops * 1e12),
        "peak_memory_gib": (
            torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else None
        ),
        "final_loss": loss.item(),
        "torch": torch.__version__,
    }
    for key in ("device", "micro_batch", "compiled", "step_ms", "tokens_per_s", "model_tflops"):
        value = result[key]
        print(f"{key:>16}  {value:,.1f}" if isinstance(value, float) else f"{key:>16}  {value}")
    print(f"{'mfu':>16}  {100 * result['mfu']:.1f}% of {args.peak_tflops:g} TFLOP/s")
    if result["peak_memory_gib"] is not None:
        print(f"{'peak memory':>16}  {result['peak_memory_gib']:.1f} GiB")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("gpu_mfu_tiny.json" if args.tiny else "gpu_mfu.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"(also in {out})")


if __name__ == "__main__":
    main()
