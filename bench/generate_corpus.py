"""Generate a foldpress site of N synthetic posts for benchmarks.

    python bench/generate_corpus.py OUT_DIR --posts 1000 [--seed S]

Each post has front matter (title, date, one to three topics; a third of the posts are
in series of eight), an intro above a
``<!--more-->`` fold (some posts have no fold, some a ``summary``), paragraphs with
inline math, a display equation, fenced code in Python, Rust or JavaScript, a table and
footnotes. The same seed gives the same site, byte for byte.
"""

from __future__ import annotations

import argparse
import random
import shutil
from datetime import datetime, timedelta
from pathlib import Path

VOCABULARY = """
attention token model layer weight gradient batch vector matrix embedding loss sample
python rust cache build query key value head dropout softmax norm train static site
markdown fold intro feed parser compiler memory thread latency
"""
WORDS = VOCABULARY.split()
TOPICS = [
    "AI", "Python", "LLM from scratch", "Rust", "Tools", "Math", "Web", "Databases",
    "Performance", "Testing", "Writing", "Linux",
]  # fmt: skip
INLINE_MATH = [r"$x^2 + y^2 = z^2$", r"$\alpha_t = \frac{1}{\sqrt{d_k}}$", r"$e^{i\pi} + 1 = 0$"]
DISPLAY_MATH = [
    r"\mathrm{softmax}(z)_i = \frac{e^{z_i}}{\sum_{j=1}^{n} e^{z_j}}",
    r"\mathcal{L} = -\sum_{t=1}^{T} \log p(x_t \mid x_{<t})",
    r"\int_0^1 x^2 \, dx = \frac{1}{3}",
]
CODE = {
    "python": 'def scale(xs: list[float], k: float) -> list[float]:\n    """Scale."""\n'
    "    return [k * x for x in xs if x > 0]\n",
    "rust": "fn sum(xs: &[i64]) -> i64 {\n    xs.iter().filter(|x| **x > 0).sum()\n}\n",
    "javascript": "export function mean(xs) {\n"
    "  return xs.reduce((a, b) => a + b, 0) / xs.length;\n}\n",
}
SERIES_LENGTH = 8
SITE_TOML = """\
title = "Benchmark blog"
description = "A generated corpus for build benchmarks."
author = "Bench"
base_url = "https://bench.example.com/"
timezone = "UTC"
posts_per_page = 10
"""


def sentence(rng: random.Random, words: int = 12) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def paragraph(rng: random.Random, sentences: int = 4) -> str:
    return " ".join(sentence(rng, rng.randint(8, 16)) for _ in range(sentences))


def post_text(rng: random.Random, number: int, when: datetime) -> tuple[str, str]:
    """A post's file name and text."""
    title = f"{sentence(rng, rng.randint(3, 6))[:-1]} {number}"
    slug = "-".join(title.lower().split())
    topics = rng.sample(TOPICS, rng.randint(1, 3))
    language = rng.choice(list(CODE))
    front = [
        "---",
        f'title: "{title}"',
        f"date: {when:%Y-%m-%d %H:%M:%S}",
        f"topics: [{', '.join(topics)}]",
    ]
    if (number // SERIES_LENGTH) % 3 == 0:  # a third of the posts, in runs of eight
        front.append(f"series: Series {number // SERIES_LENGTH}")
    fold = number % 7 != 0  # some posts have no fold, and a few of those a summary
    if not fold and number % 2:
        front.append(f'summary: "{sentence(rng)}"')
    front.append("---")
    body = [
        f"{paragraph(rng)} With {rng.choice(INLINE_MATH)} in it.[^1]",
        "<!--more-->" if fold else "",
        f"## {sentence(rng, 4)[:-1]}",
        paragraph(rng, 6),
        f"$$\n{rng.choice(DISPLAY_MATH)}\n$$",
        f"```{language}\n{CODE[language]}```",
        "| name | value |\n|------|-------|\n"
        + "\n".join(f"| {rng.choice(WORDS)} | {rng.randint(0, 999)} |" for _ in range(3)),
        f"{paragraph(rng, 5)} See the note.[^2]",
        f"[^1]: {sentence(rng)}",
        f"[^2]: {sentence(rng)} With {rng.choice(INLINE_MATH)}.",
    ]
    text = "\n".join(front) + "\n\n" + "\n\n".join(part for part in body if part) + "\n"
    return f"{when:%Y-%m-%d}-{slug}.md", text


def generate(out_dir: Path, posts: int, seed: int = 0) -> None:
    """Write a complete site with ``posts`` posts into ``out_dir`` (replacing it)."""
    rng = random.Random(seed)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    (out_dir / "posts").mkdir(parents=True)
    (out_dir / "pages").mkdir()
    (out_dir / "site.toml").write_text(SITE_TOML, encoding="utf-8")
    (out_dir / "pages" / "about.md").write_text(
        "---\ntitle: About\n---\n\nA generated site.\n", encoding="utf-8"
    )
    start = datetime(2015, 1, 1, 8, 0)
    for number in range(1, posts + 1):
        when = start + timedelta(hours=number * 7, minutes=rng.randint(0, 59))
        name, text = post_text(rng, number, when)
        (out_dir / "posts" / name).write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="folder to write the site to (replaced)")
    parser.add_argument("--posts", type=int, default=1000, help="number of posts (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args()
    generate(args.out_dir, args.posts, args.seed)
    print(f"Wrote {args.posts} posts to {args.out_dir}")


if __name__ == "__main__":
    main()
