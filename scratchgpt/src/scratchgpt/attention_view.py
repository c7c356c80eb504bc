"""The attention weights as an interactive view: a JSON file of the weights, and one HTML file
that holds that JSON and the script that draws it (no network, no server).

The data is small: for each layer and head only the lower triangle of the weights (the causal
mask makes the rest zero), each rounded to thousandths and stored as an integer. Rounding
half a thousandth at most keeps the view within 1e-3 of the model. The script that reads it,
``static/attention-view.js``, is the one the foldpress theme serves for the ``attention``
shortcode, so a post and a standalone file show the same view.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

FORMAT = "scratchgpt-attention"
VERSION = 1
SCALE = 1000  # weights are stored as round(weight * SCALE)
STATIC = ("attention-view.js", "attention-view.css")


def view_data(
    weights: Tensor,
    tokens: Sequence[str],
    *,
    layers: Sequence[int] | None = None,
    dropout: float = 0.0,
    model: str = "",
    text: str = "",
) -> dict[str, Any]:
    """The view's data: tokens, and per layer and head the rounded lower triangle, row by row.

    ``weights`` is ``(n_layer, n_head, T, T)`` as ``visualize.attention_weights`` returns;
    ``layers`` names the layers kept (all by default); ``dropout`` is the attention dropout
    the model trains with, which the view's dropout panel starts from.
    """
    n_layer, n_head, T, _ = weights.shape
    if len(tokens) != T:
        raise ValueError(f"{len(tokens)} tokens for weights over {T} positions")
    kept = list(range(n_layer)) if layers is None else sorted(set(layers))
    rows, cols = torch.tril_indices(T, T)
    triangles = (weights[kept][:, :, rows, cols].float() * SCALE).round().int().tolist()
    return {
        "format": FORMAT,
        "version": VERSION,
        "model": model,
        "text": text,
        "tokens": list(tokens),
        "layers": kept,
        "n_head": n_head,
        "dropout": dropout,
        "scale": SCALE,
        "weights": triangles,
    }


def read_static(name: str) -> str:
    """One of the view's files (``attention-view.js`` or ``.css``) as shipped in the package."""
    return resources.files("scratchgpt").joinpath("static", name).read_text(encoding="utf-8")


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def write_json(data: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_json(data) + "\n", encoding="utf-8")
    return path


# The standalone page: the blog theme's colours (light and dark) around the view. The
# Content-Security-Policy lets the page load nothing at all from anywhere.
PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; \
style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>{title}</title>
<style>
:root {{ color-scheme: light dark; --text: #1d1d1f; --muted: #52525b; --background: #fff;
  --surface: #f4f4f5; --border: #d4d4d8; --link: #0b57d0; --focus: #e8a200; }}
@media (prefers-color-scheme: dark) {{ :root {{ --text: #e7e7ea; --muted: #a1a1aa;
  --background: #131316; --surface: #1f1f24; --border: #3f3f46; --link: #8ab4f8; }} }}
body {{ margin: 0 auto; max-width: 60rem; padding: 0 1rem 2rem; background: var(--background);
  color: var(--text); font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }}
h1 {{ font-size: 1.4rem; }}
.meta {{ color: var(--muted); }}
{css}
</style>
</head>
<body>
<main>
<h1>Attention weights</h1>
<p class="meta">{summary}</p>
<div class="attention-view">
<script type="application/json">{data}</script>
</div>
</main>
<script>
{js}
</script>
</body>
</html>
"""


def to_html(data: dict[str, Any]) -> str:
    """One self-contained page: the data, the view's stylesheet and script, all inline."""
    from html import escape

    n_tokens = len(data["tokens"])
    summary = (
        f"{escape(data['model'] or 'a model')}: {n_tokens} tokens, "
        f"{len(data['layers'])} layers × {data['n_head']} heads."
    )
    # "</" inside a script element would end it early; JSON allows "<\/" for the same "</".
    embedded = to_json(data).replace("</", "<\\/")
    return PAGE.format(
        title=escape(f"Attention: {data['text'][:60]}"),
        summary=summary,
        css=read_static("attention-view.css"),
        data=embedded,
        js=read_static("attention-view.js"),
    )


def write_html(data: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_html(data), encoding="utf-8")
    return path
