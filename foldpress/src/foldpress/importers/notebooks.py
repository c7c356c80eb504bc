"""Notebooks in imported sites: Pelican's liquid_tags ``{% notebook %}`` tag.

``{% notebook FILE [cells[A:B]] [language[LANG]] %}`` in a Markdown post showed the
notebook's cells, converted by nbconvert, inside the post. The post is imported as a
notebook post (see :mod:`foldpress.notebook`) that keeps its front matter (so its
address, date and topics), its Markdown around the tag as Markdown cells, and the
chosen cells: rendered by foldpress like every other post, its images as files. The
notebook file itself is left where the old site published it (a static file), so a
download link to it keeps working.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from foldpress.importers._shared import Content, Report

NOTEBOOK_TAG = re.compile(
    r"\{%\s*notebook\s+(?P<file>\S+)"
    r"(?:\s+cells\[(?P<start>-?\d*):(?P<end>-?\d*)\])?"
    r"(?:\s+language\[(?P<language>[\w+#.-]+)\])?\s*%\}"
)


def has_notebook_tag(body: str) -> bool:
    return NOTEBOOK_TAG.search(body) is not None


def as_notebook_post(
    item: Content, body_line: int, places: list[Path], report: Report
) -> Content | None:
    """``item`` (whose body has ``{% notebook %}`` tags) as a notebook post, the
    notebooks looked for in each of ``places``; None, and the post skipped (with the
    reason in ``report``), if one cannot be read."""
    import nbformat
    from nbformat import v4

    cells: list[Any] = []
    language = ""
    metadata: dict[str, Any] = {}
    at = 0
    for match in NOTEBOOK_TAG.finditer(item.body):
        _markdown(cells, item.body[at : match.start()])
        at = match.end()
        line = body_line + item.body.count("\n", 0, match.start())
        found = next((p / match["file"] for p in places if (p / match["file"]).is_file()), None)
        if found is None:
            report.skip(item.source, f"line {line}: {{% notebook {match['file']} %}}: no such file")
            return None
        try:
            notebook = nbformat.read(found, as_version=4)
        except Exception as error:  # JSON or nbformat's own: the tag cannot be converted
            report.skip(item.source, f"line {line}: {found} is not a readable notebook: {error}")
            return None
        start = int(match["start"]) if match["start"] else None
        end = int(match["end"]) if match["end"] else None
        cells += notebook.cells[start:end]
        metadata = metadata or dict(notebook.metadata)
        language = language or match["language"] or ""
    _markdown(cells, item.body[at:])
    if language:
        kernel = dict(metadata.get("kernelspec") or {})
        metadata["kernelspec"] = {"name": language, "display_name": language, **kernel}
        metadata["kernelspec"]["language"] = language
    for number, cell in enumerate(cells):  # ids unique in the notebook made here
        cell["id"] = f"cell-{number + 1}"
    notebook = v4.new_notebook(cells=[v4.new_raw_cell(""), *cells], metadata=metadata)
    notebook.cells[0]["id"] = "front-matter"
    item.notebook = json.loads(nbformat.writes(notebook))
    item.name = str(Path(item.name).with_suffix(".ipynb"))
    item.body = ""
    return item


def _markdown(cells: list[Any], text: str) -> None:
    from nbformat import v4

    if text.strip():
        cells.append(v4.new_markdown_cell(text.strip("\n")))
