"""scratchgpt vs transformers vs llms-from-scratch: generation and a training step on CPU.

One model shape, one set of random weights, loaded into all three libraries (the logits
are checked to agree before anything is timed). Measured, as tokens per second:

- generation, greedy, with and without a KV cache, through each library's own generate
  function (``scratchgpt.generation.generate``, ``GPT2LMHeadModel.generate``,
  llms-from-scratch's ``generate_text_simple`` from ``ch04`` and ``kv_cache``);
- a forward+backward step: logits, mean cross-entropy, ``loss.backward()``.

Each figure is the median of ``--repeats`` timed runs after one warm-up, in float32 with the
same thread count for all. Results go to stdout as a table and to ``bench/results/`` as JSON.

Setup: ``.venv/bin/pip install --no-deps llms-from-scratch``. Run:
``.venv/bin/python bench/bench_scratchgpt_inference.py [--preset gpt2] [--threads 2]``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
import transformers
from llms_from_scratch import ch04
from llms_from_scratch.kv_cache import generate as lfs_kv_generate
from llms_from_scratch.kv_cache import gpt2 as lfs_kv

from scratchgpt.generation import generate
from scratchgpt.model import GPT, GPTConfig
from scratchgpt.weights import config_to_hf, state_dict_to_hf

RESULTS = Path(__file__).parent / "results"


def lfs_config(c: GPTConfig) -> dict:
    return {
        "vocab_size": c.vocab_size,
        "context_length": c.context_length,
        "emb_dim": c.n_embd,
        "n_heads": c.n_head,
        "n_layers": c.n_layer,
        "drop_rate": 0.0,
        "qkv_bias": True,
    }


def lfs_state_dict(model: GPT) -> dict[str, torch.Tensor]:
    """scratchgpt's weights under llms-from-scratch's names (split q/k/v, scale/shift)."""
    t = model.transformer
    out = {
        "tok_emb.weight": t.wte.weight,
        "pos_emb.weight": t.wpe.weight,
        "final_norm.scale": t.ln_f.weight,
        "final_norm.shift": t.ln_f.bias,
        "out_head.weight": model.lm_head.weight,
    }
    for i, block in enumerate(t.h):
        p = f"trf_blocks.{i}."
        for name, w, b in zip(
            ("W_query", "W_key", "W_value"),
            block.attn.c_attn.weight.t().chunk(3),
            block.attn.c_attn.bias.chunk(3),
            strict=True,
        ):
            out[f"{p}att.{name}.weight"], out[f"{p}att.{name}.bias"] = w, b
        out[p + "att.out_proj.weight"] = block.attn.c_proj.weight.t()
        out[p + "att.out_proj.bias"] = block.attn.c_proj.bias
        out[p + "ff.layers.0.weight"] = block.mlp.c_fc.weight.t()
        out[p + "ff.layers.0.bias"] = block.mlp.c_fc.bias
        out[p + "ff.layers.2.weight"] = block.mlp.c_proj.weight.t()
        out[p + "ff.layers.2.bias"] = block.mlp.c_proj.bias
        out[p + "norm1.scale"], out[p + "norm1.shift"] = block.ln_1.weight, block.ln_1.bias
        out[p + "norm2.scale"], out[p + "norm2.shift"] = block.ln_2.weight, block.ln_2.bias
    return {k: v.detach().clone() for k, v in out.items()}


def build(config: GPTConfig) -> dict[str, dict[str, torch.nn.Module]]:
    torch.manual_seed(0)
    ours = GPT(config).eval()
    hf = transformers.GPT2LMHeadModel(transformers.GPT2Config(**config_to_hf(config))).eval()
    hf.load_state_dict(state_dict_to_hf(ours), strict=False)  # lm_head is tied to wte
    lfs_weights = lfs_state_dict(ours)
    lfs = ch04.GPTModel(lfs_config(config)).eval()
    lfs.load_state_dict(lfs_weights, strict=False)  # its causal-mask buffers stay
    lfs_cached = lfs_kv.GPTModel(lfs_config(config)).eval()
    lfs_cached.load_state_dict(lfs_weights, strict=False)
    # Its generate function expects these two attributes, which its GPTModel lacks.
    lfs_cached.cfg = lfs_config(config)
    lfs_cached.reset_kv_cache = lambda: setattr(lfs_cached, "current_pos", 0)
    idx = torch.randint(0, config.vocab_size, (1, 16))
    with torch.no_grad():
        ref = ours(idx)[0]
        for name, logits in (
            ("transformers", hf(idx).logits),
            ("llms-from-scratch", lfs(idx)),
            ("llms-from-scratch kv", lfs_cached(idx)),
        ):
            diff = (logits - ref).abs().max().item()
            assert diff < 1e-3, f"{name} disagrees with scratchgpt by {diff}"
    return {"scratchgpt": ours, "transformers": hf, "llms-from-scratch": (lfs, lfs_cached)}


def time_round_robin(
    fns: dict[str, Callable[[], object]], repeats: int, clock: Callable[[], float]
) -> dict[str, list]:
    """Seconds per run of each function; the libraries take turns, so load spikes on a
    shared machine hit all of them alike."""
    for fn in fns.values():
        fn()  # warm-up
    times: dict[str, list] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = clock()
            fn()
            times[name].append(clock() - start)
    return times


def generation_fns(models, prompt: torch.Tensor, n: int, use_cache: bool) -> dict:
    hf = models["transformers"]
    lfs, lfs_cached = models["llms-from-scratch"]
    ctx = prompt.size(1) + n

    def lfs_gen():
        if use_cache:
            return lfs_kv_generate.generate_text_simple(lfs_cached, prompt, n, use_cache=True)
        with torch.no_grad():
            return ch04.generate_text_simple(lfs, prompt, n, context_size=ctx)

    return {
        "scratchgpt": lambda: generate(
            models["scratchgpt"], prompt, n, temperature=0, use_cache=use_cache
        ),
        "transformers": lambda: hf.generate(
            prompt,
            attention_mask=torch.ones_like(prompt),
            max_new_tokens=n,
            min_new_tokens=n,
            do_sample=False,
            use_cache=use_cache,
            pad_token_id=0,
        ),
        "llms-from-scratch": lfs_gen,
    }


def train_step_fns(models, idx: torch.Tensor, targets: torch.Tensor) -> dict:
    def step(model: torch.nn.Module, loss_fn: Callable[[], torch.Tensor]) -> Callable[[], None]:
        def run() -> None:
            model.zero_grad(set_to_none=True)
            loss_fn().backward()

        return run

    ours, hf = models["scratchgpt"], models["transformers"]
    lfs, _ = models["llms-from-scratch"]
    for m in (ours, hf, lfs):
        m.train()  # dropout is 0 in all three
    return {
        "scratchgpt": step(ours, lambda: ours(idx, targets)[1]),
        # HF shifts labels itself, so pass the inputs as labels: the same amount of work.
        "transformers": step(hf, lambda: hf(idx, labels=idx).loss),
        "llms-from-scratch": step(
            lfs, lambda: F.cross_entropy(lfs(idx).flatten(0, 1), targets.flatten())
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", action="append", help="model shape(s); default: small, gpt2")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--prompt-tokens", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=48)
    parser.add_argument("--batch", type=int, default=4, help="batch of the training step")
    parser.add_argument("--seq", type=int, default=128, help="length of the training step")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="cpu: CPU time of the calling thread with 1 torch thread, which other processes "
        "on a busy machine barely disturb",
    )
    args = parser.parse_args()
    if args.clock == "cpu":
        args.threads = 1
    clock = time.thread_time if args.clock == "cpu" else time.perf_counter
    torch.set_num_threads(args.threads)
    results = []
    for preset in args.preset or ["small", "gpt2"]:
        config = GPTConfig.from_preset(preset)
        models = build(config)
        prompt = torch.randint(0, config.vocab_size, (1, args.prompt_tokens))
        idx, targets = torch.randint(0, config.vocab_size, (2, args.batch, args.seq))
        tasks = {
            "generate, KV cache": (generation_fns(models, prompt, args.new_tokens, True), 1),
            "generate, no cache": (generation_fns(models, prompt, args.new_tokens, False), 1),
            "forward+backward": (train_step_fns(models, idx, targets), 0),
        }
        for task, (fns, is_generation) in tasks.items():
            tokens = args.new_tokens if is_generation else args.batch * args.seq
            for library, times in time_round_robin(fns, args.repeats, clock).items():
                seconds = statistics.median(times)
                results.append(
                    {
                        "preset": preset,
                        "task": task,
                        "library": library,
                        "seconds": times,
                        "tokens_per_s": tokens / seconds,
                        "tokens_per_s_best": tokens / min(times),
                    }
                )
                spread = max(times) / min(times)
                print(
                    f"{preset:6} {task:20} {library:18} {tokens / seconds:10.1f} tok/s"
                    f"  (slowest/fastest run {spread:.2f})"
                )
    report = {
        "settings": vars(args),
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "machine": platform.processor() or platform.machine(),
        "results": results,
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"scratchgpt_inference_{args.clock}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\n| preset | task | {' | '.join(fns)} |\n|---|---|{'---|' * len(fns)}")
    for preset in args.preset or ["small", "gpt2"]:
        for task in tasks:
            row = [
                f"{r['tokens_per_s']:.1f} ({r['tokens_per_s_best']:.1f})"
                for r in results
                if r["preset"] == preset and r["task"] == task
            ]
            print(f"| {preset} | {task} | {' | '.join(row)} |")
    how = f"{args.clock} clock, {args.threads} threads"
    print(f"\ntokens/s, median (best) of {args.repeats} runs, {how}")
    print(f"JSON: {path}")


if __name__ == "__main__":
    main()
