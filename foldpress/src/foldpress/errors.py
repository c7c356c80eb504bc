"""Content errors: every problem with a site's input, reported as ``path:line: message``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ContentError(Exception):
    """One problem in one input file; ``line`` is 1-based, or None where no line applies."""

    path: Path
    line: int | None
    message: str

    def __reduce__(self):
        # Errors cross process boundaries when posts are rendered in parallel.
        return (type(self), (self.path, self.line, self.message))

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        return f"{where}: {self.message}"


class BuildError(Exception):
    """The build stopped; ``errors`` holds every content error found in the run."""

    def __init__(self, errors: Iterable[ContentError]) -> None:
        self.errors = sorted(errors, key=lambda e: (str(e.path), e.line or 0))
        super().__init__("\n".join(str(e) for e in self.errors))
