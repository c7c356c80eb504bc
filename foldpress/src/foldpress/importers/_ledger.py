"""The import ledger: one row for every file of the old site, saying what it became.

A row is added where the file was written (a post, a page, a static file) or where the
importer decided not to bring it (skipped, with the reason). When the import is done,
the old site's folder is walked: each file the importer did not mention is either the
old engine's own (its templates, theme, configuration: ``ignored``, with the engine's
reason) or ``unaccounted``, which is reported as loudly as a skipped post, since it
is one the importer lost. The ledger is written into the new site as
``import-ledger.csv``, and the import's summary is counted from its rows.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

LEDGER_FILE = "import-ledger.csv"

Outcome = Literal["post", "page", "static", "skipped", "ignored", "unaccounted"]
# What a document is, by its suffix: the files the old engine would have made a page of.
DOCUMENT_SUFFIXES = frozenset(
    {
        ".md",
        ".markdown",
        ".mkd",
        ".mdown",
        ".mkdn",
        ".mdwn",
        ".rst",
        ".html",
        ".htm",
        ".org",
        ".adoc",
        ".asciidoc",
        ".pdc",
        ".ipynb",
        ".textile",
    }
)
# An engine's rule for the files it never publishes: a reason, or None.
EngineFiles = Callable[[PurePosixPath], str | None]


@dataclass(frozen=True)
class Row:
    """What one file of the old site became."""

    source: Path  # in the old site
    outcome: Outcome
    target: str = ""  # in the new site: posts/x.md, pages/about.md, static/images/a.png
    address: str = ""  # where the new site serves it
    why: str = ""  # for skipped, ignored and unaccounted files

    @property
    def is_document(self) -> bool:
        """A post or page of the old site, published or not."""
        return self.outcome in ("post", "page") or (
            self.outcome == "skipped" and self.source.suffix.lower() in DOCUMENT_SUFFIXES
        )


def old_site_files(src: Path) -> list[Path]:
    """Every file of the old site, but its version control's."""
    return sorted(
        p
        for p in src.rglob("*")
        if p.is_file() and not ({".git", ".hg", ".svn"} & set(p.relative_to(src).parts))
    )


def account_for(src: Path, rows: list[Row], engine_files: EngineFiles) -> list[Row]:
    """A row for each file under ``src`` that ``rows`` does not mention: the engine's
    own (``ignored``) or ``unaccounted``."""
    seen = {row.source.resolve() for row in rows}
    added = []
    for path in old_site_files(src):
        if path.resolve() in seen:
            continue
        relative = PurePosixPath(path.relative_to(src).as_posix())
        why = _hidden(relative) or engine_files(relative)
        if why:
            added.append(Row(path, "ignored", why=why))
        else:
            added.append(Row(path, "unaccounted", why="the import neither brought nor skipped it"))
    return added


def _hidden(relative: PurePosixPath) -> str | None:
    if any(part.startswith(".") for part in relative.parts):
        return "a hidden file: not published"
    return None


def counts(rows: Iterable[Row]) -> Counter[str]:
    """How many rows have each outcome."""
    return Counter(row.outcome for row in rows)


def ledger_text(rows: list[Row], src: Path) -> str:
    """The ledger as CSV: source (relative to the old site), outcome, target, address, why."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["source", "outcome", "target", "address", "why"])
    for row in sorted(rows, key=lambda r: r.source.as_posix()):
        try:
            name = row.source.relative_to(src).as_posix()
        except ValueError:
            name = row.source.as_posix()
        writer.writerow([name, row.outcome, row.target, row.address, row.why])
    return out.getvalue()
