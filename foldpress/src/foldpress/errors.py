"""Content errors: every problem with a site's input, reported as ``path:line: message``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class ContentError(Exception):
    """One problem in one input file; ``line`` is 1-based, or None where no line applies.
    In a notebook, ``line`` is in its ``cell`` (1-based, counting every cell)."""

    path: Path
    line: int | None
    message: str
    cell: int | None = None

    def __reduce__(self):
        # Errors cross process boundaries when posts are rendered in parallel.
        return (type(self), (self.path, self.line, self.message, self.cell))

    def __str__(self) -> str:
        return f"{_where(self.path, self.cell, self.line)}: {self.message}"


@dataclass(frozen=True)
class ContentWarning:
    """A problem in one input file that the build worked around: reported, not fatal.

    Rendered posts and pages keep theirs, so that a build that takes them from the
    cache reports them again.
    """

    path: Path
    line: int | None
    message: str
    cell: int | None = None  # as ContentError's

    def __str__(self) -> str:
        return f"{_where(self.path, self.cell, self.line)}: warning: {self.message}"


def _where(path: Path, cell: int | None, line: int | None) -> str:
    """``path:line``, or in a notebook ``path:cell N:line``."""
    where = f"{path}:cell {cell}" if cell else f"{path}"
    return f"{where}:{line}" if line else where


def in_order(problems: Iterable[ContentError | ContentWarning]) -> list:
    """Problems sorted by file, then cell and line, as a build reports them."""
    return sorted(problems, key=lambda e: (str(e.path), e.cell or 0, e.line or 0))


class BuildError(Exception):
    """The build stopped; ``errors`` holds every content error found in the run, and
    ``warnings`` the warnings found before it stopped."""

    def __init__(
        self, errors: Iterable[ContentError], warnings: Iterable[ContentWarning] = ()
    ) -> None:
        self.errors = in_order(errors)
        self.warnings = in_order(warnings)
        super().__init__("\n".join(str(e) for e in self.errors))
