"""How scratchgpt speaks to its user: counts that agree in number, one-line warnings on stderr."""

from __future__ import annotations

import sys


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun in the number it takes: "1 document", "2 documents", "1,000 tokens"."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def warn(message: str) -> None:
    """Say on stderr, in one line, what was cropped, replaced or ignored, and why."""
    print(f"warning: {message}", file=sys.stderr, flush=True)
