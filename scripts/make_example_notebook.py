"""Write the example blog's notebook post (examples/site/posts/2025-04-20-attention-...).

The notebook is made as Jupyter would save it after a run: each code cell is run here
(numpy, matplotlib with the Agg backend), and what it printed, returned or plotted is
saved as its outputs. foldpress itself never runs a notebook; this script exists so
that the committed notebook can be made again, small and reproducible:

    .venv/bin/python scripts/make_example_notebook.py
"""

from __future__ import annotations

import base64
import contextlib
import io
import sys
from pathlib import Path

import matplotlib
import nbformat
from nbformat import v4

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend

OUT = (
    Path(__file__).resolve().parents[1]
    / "examples/site/posts/2025-04-20-attention-weights-in-a-notebook.ipynb"
)

FRONT_MATTER = """\
---
title: "Attention weights in a notebook"
date: 2025-04-20 09:30:00
topics: [AI, Python]
summary: "Causal self-attention for a six-token sentence in a Jupyter notebook: the \\
  scores, the mask, the softmax, and a heat map of the weights, published as saved."
---
"""

CELLS: list[tuple[str, str]] = [
    (
        "markdown",
        "This post is a Jupyter notebook, published as it was saved: the code, what it\n"
        "printed and the plot it drew. It computes the causal attention weights of\n"
        "[the earlier posts](/2025/03/causal-attention/) for one short sentence, with numpy\n"
        "alone.\n\n"
        "For queries $Q$ and keys $K$ of width $d_k$ the weights are\n\n"
        "$$A = \\mathrm{softmax}\\left(\\frac{QK^\\top}{\\sqrt{d_k}} + M\\right)$$\n\n"
        "where the mask $M$ is $-\\infty$ above the diagonal.",
    ),
    (
        "code",
        "import numpy as np\n\n"
        'tokens = ["Your", "journey", "starts", "with", "one", "step"]\n'
        "rng = np.random.default_rng(123)\n"
        "d_k = 4\n"
        "x = rng.normal(size=(len(tokens), 8))\n"
        "W_q, W_k = rng.normal(size=(2, 8, d_k)) / np.sqrt(8)\n"
        "Q, K = x @ W_q, x @ W_k\n"
        "Q.shape, K.shape",
    ),
    ("markdown", "The scaled scores, with the future masked out:"),
    (
        "code",
        "scores = Q @ K.T / np.sqrt(d_k)\n"
        "scores[np.triu_indices(len(tokens), k=1)] = -np.inf\n"
        "print(np.round(scores, 2))",
    ),
    ("markdown", "A softmax over each row turns them into weights that sum to one:"),
    (
        "code",
        "weights = np.exp(scores - scores.max(axis=1, keepdims=True))\n"
        "weights /= weights.sum(axis=1, keepdims=True)\n"
        'print("row sums:", weights.sum(axis=1))',
    ),
    (
        "code",
        "import matplotlib.pyplot as plt\n\n"
        "fig, ax = plt.subplots(figsize=(4.2, 3.4))\n"
        'image = ax.imshow(weights, cmap="viridis", vmin=0, vmax=1)\n'
        "ax.set_xticks(range(len(tokens)), tokens, rotation=45)\n"
        "ax.set_yticks(range(len(tokens)), tokens)\n"
        'ax.set_xlabel("key"), ax.set_ylabel("query")\n'
        "fig.colorbar(image)\n"
        "fig.tight_layout()",
    ),
    (
        "markdown",
        "Each row is one token looking back: the first can only attend to itself, and\n"
        "everything right of the diagonal is zero, as the mask promised.",
    ),
]


def run(source: str, namespace: dict, count: int) -> list:
    """Run one cell as a kernel would; its outputs, as Jupyter saves them."""
    printed = io.StringIO()
    lines = source.rstrip().split("\n")
    body, last = "\n".join(lines[:-1]), lines[-1]
    with contextlib.redirect_stdout(printed):
        exec(compile(body, "<cell>", "exec"), namespace)
        try:
            result = eval(compile(last, "<cell>", "eval"), namespace)
        except SyntaxError:
            exec(compile(last, "<cell>", "exec"), namespace)
            result = None
    outputs = []
    if printed.getvalue():
        outputs.append(v4.new_output("stream", name="stdout", text=printed.getvalue()))
    if result is not None:
        data = {"text/plain": repr(result)}
        outputs.append(v4.new_output("execute_result", data=data, execution_count=count))
    if plt.get_fignums():
        png = io.BytesIO()
        plt.gcf().savefig(png, format="png", dpi=100)
        plt.close("all")
        data = {"image/png": base64.b64encode(png.getvalue()).decode(), "text/plain": "<Figure>"}
        outputs.append(v4.new_output("display_data", data=data))
    return outputs


def main() -> None:
    namespace: dict = {}
    cells = [v4.new_raw_cell(FRONT_MATTER)]
    count = 0
    for kind, source in CELLS:
        if kind == "markdown":
            cells.append(v4.new_markdown_cell(source))
            continue
        count += 1
        outputs = run(source, namespace, count)
        cells.append(v4.new_code_cell(source, execution_count=count, outputs=outputs))
    kernel = {"name": "python3", "display_name": "Python 3", "language": "python"}
    info = {"name": "python", "version": ".".join(map(str, sys.version_info[:3]))}
    notebook = v4.new_notebook(cells=cells, metadata={"kernelspec": kernel, "language_info": info})
    for cell in notebook.cells:  # stable ids: the file changes only when its content does
        cell.id = f"cell-{notebook.cells.index(cell)}"
    nbformat.validate(notebook)
    OUT.write_text(nbformat.writes(notebook) + "\n", encoding="utf-8")
    print(f"{OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
