"""``foldpress import``: a Hugo, Jekyll or Pelican site made into a foldpress site.

Each engine has a module that reads its site into an :class:`~._shared.OldSite`, with
what it could not convert noted in a :class:`~._shared.Report`; ``_shared`` writes that
out. The old site is only ever read, and its configuration is read as data, never run.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from foldpress import residue
from foldpress.errors import BuildError
from foldpress.importers import hugo, jekyll, pelican
from foldpress.importers._shared import (
    Note,
    OldSite,
    Report,
    check_destination,
    write_site,
)

ENGINES: dict[str, tuple[tuple[str, ...], Callable[[Path, Report], OldSite]]] = {
    "hugo": (hugo.CONFIG_FILES, hugo.read_site),
    "jekyll": (jekyll.CONFIG_FILES, jekyll.read_site),
    "pelican": (pelican.CONFIG_FILES, pelican.read_site),
}

__all__ = ["ENGINES", "CannotImport", "Note", "Report", "detect", "import_site"]


class CannotImport(Exception):
    """The import could not start: a one-line reason."""


def detect(src: Path) -> str | None:
    """The engine whose configuration file ``src`` holds, or None."""
    for engine, (config_files, _) in ENGINES.items():
        if any((src / name).is_file() for name in config_files):
            return engine
    return None


def import_site(src: Path, dest: Path, engine: str | None = None) -> Report:
    """Import the site in ``src`` into the new or empty folder ``dest``.

    ``engine`` is "hugo", "jekyll" or "pelican"; by default it is told by the
    configuration file in ``src``. Raises CannotImport when the import cannot start.
    """
    if not src.is_dir():
        raise CannotImport(f"{src} is not a folder")
    problem = check_destination(dest)
    if problem:
        raise CannotImport(problem)
    src_root, dest_root = src.resolve(), dest.resolve()
    if dest_root.is_relative_to(src_root) or src_root.is_relative_to(dest_root):
        raise CannotImport("the new site must be outside the old one, and the old one outside it")
    engine = engine or detect(src)
    if engine is None:
        names = ", ".join(name for files, _ in ENGINES.values() for name in files)
        raise CannotImport(f"{src} has none of {names}: give --from hugo|jekyll|pelican")
    config_files, read_site = ENGINES[engine]
    if not any((src / name).is_file() for name in config_files):
        raise CannotImport(f"{src} has no {' or '.join(config_files)}")
    report = Report(engine)
    old = read_site(src, report)
    # A formula foldpress cannot convert is shown as its TeX with a warning, not an
    # error: the old engine's MathJax may have read it.
    old.settings["math_errors"] = "warn"
    write_site(old, dest, report)
    _first_build(dest, report)
    return report


def _first_build(dest: Path, report: Report) -> None:
    """Build the new site once, and note what of the old syntax shows on its pages:
    what the import left in place is counted from the output, not from what the
    importers recognised."""
    from foldpress.build import build

    try:
        warnings = build(dest).warnings
    except BuildError as error:
        report.build_errors = [Note(e.path, e.line, e.message) for e in error.errors]
        warnings = error.warnings
    report.leftovers = [
        Note(w.path, w.line, w.message) for w in warnings if w.message.startswith(residue.MESSAGE)
    ]
