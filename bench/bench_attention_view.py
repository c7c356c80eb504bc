"""The attention view for GPT-2 124M: file sizes, and the time to write it.

Runs ``scratchgpt attention MODEL TEXT --html ... --json ...`` as a user does, end to end
(a fresh process: imports, loading the weights, the forward pass, writing), and times the
steps inside one process too. MODEL is ``--model`` (a folder or hub id, e.g. ``gpt2`` from
the Hugging Face cache), else GPT-2 124M's shape with random weights (sizes and times do not
depend on the weights' values, much: a random model's heads are flatter than a trained one's,
so its weights take a digit or so more each; the figure is an upper bound). The GPT-2
tokenizer comes from tiktoken's cache (``TIKTOKEN_CACHE_DIR``, or
``$SHARED_DATA_DIR/tiktoken-cache``).

Run: ``.venv/bin/python bench/bench_attention_view.py [--model gpt2] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

WORK = Path(__file__).parent / "_work" / "attention_view"
TEXT = (  # 24 GPT-2 tokens
    "The cat sat on the mat because it was tired, and the dog watched it from the door for the "
    "whole day."
)


def random_gpt2(folder: Path) -> Path:
    from scratchgpt.model import GPT, GPTConfig
    from scratchgpt.weights import save_pretrained

    if not (folder / "model.safetensors").exists():
        torch.manual_seed(0)
        save_pretrained(
            GPT(GPTConfig.from_preset("gpt2")), folder
        )  # GPT-2 vocabulary: GPT-2 tokenizer
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a model folder or hub id (default: random GPT-2 124M)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if "TIKTOKEN_CACHE_DIR" not in os.environ and os.environ.get("SHARED_DATA_DIR"):
        os.environ["TIKTOKEN_CACHE_DIR"] = str(
            Path(os.environ["SHARED_DATA_DIR"]) / "tiktoken-cache"
        )
    WORK.mkdir(parents=True, exist_ok=True)
    model = args.model or str(random_gpt2(WORK / "gpt2-random"))
    html, data = WORK / "view.html", WORK / "view.json"
    scratchgpt = Path(sys.executable).with_name("scratchgpt")
    command = [str(scratchgpt), "attention", model, TEXT, "--html", str(html), "--json", str(data)]

    walls = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)

    from scratchgpt import attention_view
    from scratchgpt.cli.model_commands import load_model
    from scratchgpt.visualize import attention_weights

    start = time.perf_counter()
    gpt, tokenizer = load_model(model)
    loaded = time.perf_counter()
    ids = tokenizer.encode(TEXT)
    assert len(ids) == 24, "the issue's figure is for 24 tokens"
    weights = attention_weights(gpt, torch.tensor(ids))
    forward = time.perf_counter()
    view = attention_view.view_data(weights, [tokenizer.decode([i]) for i in ids])
    attention_view.write_html(view, WORK / "again.html")
    written = time.perf_counter()

    print(f"model: {args.model or 'GPT-2 124M shape, random weights'}; {len(ids)} tokens")
    print(f"HTML {html.stat().st_size / 1024:,.0f} KiB, JSON {data.stat().st_size / 1024:,.0f} KiB")
    print(
        f"scratchgpt attention --html --json, end to end: median {statistics.median(walls):.2f} s "
        f"of {args.repeats} ({', '.join(f'{w:.2f}' for w in walls)})"
    )
    print(
        f"in one process: load {loaded - start:.2f} s, forward {forward - loaded:.3f} s, "
        f"view data + HTML {written - forward:.3f} s"
    )


if __name__ == "__main__":
    main()
