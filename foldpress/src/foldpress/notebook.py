"""Jupyter notebooks as posts: an ``.ipynb`` in ``posts/`` is read with nbformat (the
Jupyter project's own reader and validator) and written out as the Markdown that a
``.md`` post would be, so that its math, code, links, fold, feeds, search, llms.txt
and Markdown copy are made by the same pipeline and look the same.

- Front matter: the YAML of a first raw cell fenced by ``---`` lines (Quarto's way),
  else the notebook metadata's ``foldpress`` key (or Nikola's ``nikola`` key).
- Markdown cells as they are; code cells as fenced blocks in the kernel's language
  (``metadata.kernelspec.language``, else ``language_info.name``).
- Outputs as saved, never executed: text and streams as ``output`` blocks (ANSI colour
  codes and progress-bar rewrites removed), images as files beside the post, HTML (a
  pandas table) as HTML, LaTeX as display math, errors as a ``traceback`` block. An
  output a static page cannot show (a JavaScript widget) is dropped with a warning.
- Jupyter Book's cell tags: ``remove-cell``, ``remove-input``, ``remove-output``, and
  ``hide-input`` (the code folded in a ``<details>``).
- The fold is a ``<!--more-->`` in a Markdown cell, else the front matter's
  ``summary``, else the end of the first Markdown cell.
- ``execution_counts: true`` in the front matter shows ``In [N]:`` above code cells.

Every line of the Markdown remembers its cell and line, so that a problem is reported
at ``path:cell N:line``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from foldpress.config import SiteConfig
from foldpress.errors import ContentError, ContentWarning
from foldpress.markdown_math_blocks import ENVIRONMENTS
from foldpress.model import Post
from foldpress.reader import FrontMatter, parse_front_matter, post_from_matter, read_text

NOTEBOOK_FORMAT = 4  # notebooks are read as nbformat 4, older ones converted
DOWNLOAD_TEXT = "Download this notebook"
# What a display output shows, richest first (as nbconvert chooses).
_SHOWN = (
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "text/latex",
    "image/png",
    "image/jpeg",
    "image/gif",
    "text/plain",
)
_IMAGE_SUFFIXES = {"image/svg+xml": ".svg", "image/png": ".png", "image/jpeg": ".jpg"}
_IMAGE_SUFFIXES["image/gif"] = ".gif"
# Outputs that only a running kernel or browser script can show.
_SCRIPTED = ("application/vnd.jupyter.widget-view+json", "application/javascript")
_ANSI = re.compile(r"\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_BACKSPACED = re.compile(r"[^\n\x08]\x08")
_FOLD = re.compile(r"^\s*<!--\s*more\s*-->\s*$", re.MULTILINE)
_ATTACHMENT = re.compile(r"attachment:([^\s)\"'>]+)")
_MATH_FENCES = re.compile(r"^\s*(\$\$?)(.*?)\1\s*$", re.DOTALL)
# Quarto's cell options and fastpages' (nbdev's) comments, as the tags they amount to.
_QUARTO_OPTION = re.compile(r"^#\|\s*([\w-]+)\s*:\s*(.*)$")
_QUARTO_TAGS = {
    ("include", "false"): "remove-cell",
    ("echo", "false"): "remove-input",
    ("output", "false"): "remove-output",
    ("code-fold", "true"): "hide-input",
}
_FASTPAGES_TAGS = {
    "#hide": "remove-cell",
    "# hide": "remove-cell",
    "#hide_input": "remove-input",
    "#hide_output": "remove-output",
    "#collapse": "hide-input",
    "#collapse-hide": "hide-input",
    "#collapse_hide": "hide-input",
    "#collapse-show": "hide-input",
    "#collapse_show": "hide-input",
}
_ENVIRONMENT = re.compile(r"^\s*\\begin\{((?:" + "|".join(ENVIRONMENTS) + r")\*?)\}")
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_FASTPAGES_TITLE = re.compile(r"^#\s+(.+?)\s*#*\s*$")
_FASTPAGES_KEY = re.compile(r"^-\s+([\w-]+)\s*:\s*(.*)$")


def strip_ansi(text: str) -> str:
    """Terminal text as it looked: ANSI colour and cursor codes removed, a line
    rewritten after ``\\r`` (a progress bar) shown as last written, backspaces applied."""
    text = _ANSI.sub("", text).replace("\r\n", "\n")
    while "\x08" in text and _BACKSPACED.search(text):
        text = _BACKSPACED.sub("", text)
    text = text.replace("\x08", "")
    return "\n".join(line.rstrip("\r").rpartition("\r")[2] for line in text.split("\n"))


def read_notebook(path: Path, text: str) -> Any:
    """The notebook in ``text`` as nbformat 4, validated; a ContentError naming the
    file (and the line, for broken JSON) if it is not one."""
    import nbformat

    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ContentError(path, error.lineno, f"not a notebook: bad JSON: {error.msg}") from None
    if not isinstance(data, dict) or "nbformat" not in data:
        raise ContentError(path, 1, "not a notebook: no 'nbformat' version in it")
    try:
        notebook = nbformat.reads(text, as_version=NOTEBOOK_FORMAT)
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "top level"
        message = f"not a valid notebook (nbformat {data.get('nbformat')}) at {where}"
        raise ContentError(path, None, f"{message}: {error.message}") from None
    except Exception as error:  # nbformat's reader: a version it does not know, ...
        raise ContentError(path, None, f"not a readable notebook: {error}") from None
    return notebook


def read_notebook_post(
    path: Path, config: SiteConfig, raw: bytes | None = None
) -> tuple[Post | None, list[ContentError]]:
    """A notebook post (from ``raw`` if given, else read), its front matter checked and
    its cells written as Markdown, which is rendered later as any post's is."""
    try:
        notebook = read_notebook(path, read_text(path, raw))
        matter, cell, errors = _front_matter(path, notebook)
    except ContentError as error:
        return None, [error]
    counts = matter.data.pop("execution_counts", False) is True
    matter.lines.pop("execution_counts", None)
    post, found = post_from_matter(path, config, matter, [], [])
    errors += [_in_cell(e, cell) for e in found]
    post.warnings = [_in_cell(w, cell) for w in post.warnings]
    writer = _MarkdownWriter(path, notebook, _file_prefix(post), f"{post.slug}.ipynb", counts)
    writer.write(skip=cell, fold_given=bool(post.summary))
    body = writer.lines
    post.body_markdown = "".join(text for text, _ in body)
    post.cell_lines = [place for _, place in body]
    post.source_lines["body"] = 1  # body lines are found through cell_lines
    post.files = writer.files
    post.warnings += writer.warnings
    return post, errors


def at_cells(post: Post, problems: list[Any]) -> list[Any]:
    """Errors or warnings found at lines of a notebook post's Markdown, at their cells."""
    if not post.cell_lines:
        return problems
    placed = []
    for problem in problems:
        index = (problem.line or 0) - post.source_lines.get("body", 1)
        if 0 <= index < len(post.cell_lines):
            cell, line = post.cell_lines[index]
            problem = type(problem)(problem.path, line or None, problem.message, cell or None)
        placed.append(problem)
    return placed


def published_files(post: Post) -> dict[str, bytes | Path]:
    """The files a notebook post publishes beside it, by site path (no leading "/"):
    its outputs' images and the notebook itself, for its download link."""
    if not post.source.name.lower().endswith(".ipynb"):
        return {}
    folder, _ = _file_prefix(post)
    files: dict[str, bytes | Path] = {f"{folder}{name}": data for name, data in post.files.items()}
    files[f"{folder}{post.slug}.ipynb"] = post.source
    return files


def _file_prefix(post: Post) -> tuple[str, str]:
    """The site folder (no leading "/") a post's files go in, and what their names start
    with: nothing when the post has a folder of its own (``/2024/05/slug/``), else its
    slug (``/2024/05/slug.html``), so that two posts in one folder never share a name."""
    if post.url.endswith("/"):
        return post.url.lstrip("/"), ""
    return post.url.lstrip("/").rpartition("/")[0] + "/", f"{post.slug}-"


def _in_cell(problem: Any, cell: int | None) -> Any:
    """A front matter problem, at its line in the raw cell that holds it; in the
    notebook's metadata, at the file."""
    if cell is None:
        return type(problem)(problem.path, None, f"{problem.message} (in the notebook's metadata)")
    return type(problem)(problem.path, problem.line, problem.message, cell + 1)


def _front_matter(path: Path, notebook: Any) -> tuple[FrontMatter, int | None, list[ContentError]]:
    """The front matter, the index of the raw cell it is in (None: the metadata), and
    its errors."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "raw" and cell.source.lstrip().startswith("---"):
            try:
                matter, errors = parse_front_matter(path, cell.source.lstrip())
            except ContentError as error:
                raise _in_cell(error, index) from None
            return matter, index, [_in_cell(e, index) for e in errors]
        if cell.cell_type != "raw" or cell.source.strip():
            break
    for key in ("foldpress", "nikola"):
        given = notebook.metadata.get(key)
        if isinstance(given, dict) and given:
            data = {str(k): v for k, v in given.items() if v not in ("", None)}
            if key == "nikola":  # Nikola's values are text: "a, b" tags, "... UTC+02:00" dates
                if isinstance(data.get("tags"), str):
                    data["tags"] = [t.strip() for t in data["tags"].split(",") if t.strip()]
                if isinstance(data.get("date"), str):
                    data["date"] = _NIKOLA_UTC.sub(_utc_offset, data["date"].strip())
                if str(data.pop("status", "")).lower() in ("draft", "private"):
                    data["draft"] = True
            return FrontMatter(data, {}, "", 1), None, []
    fastpages = _fastpages_matter(notebook)
    if fastpages is not None:
        return fastpages, None, []
    message = "no front matter: give the notebook a first raw cell of '---' fenced YAML"
    raise ContentError(path, None, message + " (or a 'foldpress' key in its metadata)")


_NIKOLA_UTC = re.compile(r"\s*UTC\s*([+-]\d\d:?\d\d)?$")


def _utc_offset(match: re.Match[str]) -> str:
    return match.group(1) or "+00:00"


def _fastpages_matter(notebook: Any) -> FrontMatter | None:
    """fastpages' front matter, a first Markdown cell of ``# Title``, ``> summary`` and
    ``- key: value`` lines; the cell is then left out of the body."""
    cells = [c for c in notebook.cells if c.cell_type == "markdown"]
    if not cells:
        return None
    lines = [line.strip() for line in cells[0].source.strip().splitlines() if line.strip()]
    title = _FASTPAGES_TITLE.match(lines[0]) if lines else None
    if title is None:
        return None
    import yaml  # here: see reader.parse_front_matter

    name = title.group(1)
    data: dict[str, object] = {"title": yaml.safe_load(name) if name[:1] in "\"'" else name}
    for line in lines[1:]:
        key = _FASTPAGES_KEY.match(line)
        if line.startswith(">"):
            data["summary"] = line[1:].strip()
        elif key is not None:
            data[key.group(1)] = yaml.safe_load(key.group(2)) if key.group(2) else None
        else:
            return None
    data = {k: v for k, v in data.items() if v is not None}
    cells[0].metadata.setdefault("tags", []).append("remove-cell")  # it was the header
    return FrontMatter(data, {}, "", 1)


@dataclass
class _MarkdownWriter:
    """Writes a notebook's cells as Markdown lines, each with its (cell, line)."""

    path: Path
    notebook: Any
    place: tuple[str, str]  # the post's file folder and name prefix
    download: str  # the notebook's name beside the post
    counts: bool
    lines: list[tuple[str, tuple[int, int]]] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    warnings: list[ContentWarning] = field(default_factory=list)

    def write(self, *, skip: int | None, fold_given: bool) -> None:
        cells = self.notebook.cells
        markdown = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and _kept(c)]
        folded = fold_given or any(_FOLD.search(cells[i].source) for i in markdown)
        for index, cell in enumerate(cells):
            if index == skip or not _kept(cell):
                continue
            number = index + 1
            if cell.cell_type == "markdown":
                self.add_markdown(self.attachments(cell, number), number)
                if not folded and index == markdown[0] and index != _last_shown(cells):
                    self.add("<!--more-->", number, generated=True)
            elif cell.cell_type == "code":
                self.code(cell, number)
            elif cell.cell_type == "raw":
                self.raw(cell, number)
        self.add(f"[{DOWNLOAD_TEXT}]({quote(self.download)})", 0, generated=True)

    def add(self, text: str, cell: int, *, generated: bool = False) -> None:
        """``text``, then a blank line; its lines are ``cell``'s (lines from 1 unless
        ``generated``, when no line of the cell is theirs)."""
        for number, line in enumerate(text.rstrip("\n").split("\n"), 1):
            self.lines.append((line + "\n", (cell, 0 if generated else number)))
        self.lines.append(("\n", (cell, 0)))

    def add_markdown(self, text: str, cell: int) -> None:
        """A Markdown cell's text, each LaTeX environment that starts a line given a
        block of its own (Jupyter shows ``\\begin{align}`` as math even in the middle
        of a paragraph, as MathJax finds it before Markdown does)."""
        fence = ""  # the open code fence, in which nothing is math
        inside = ""  # the environment open
        dollars = False  # in a $$ display formula, whose environments are its own
        for number, line in enumerate(text.rstrip("\n").split("\n"), 1):
            mark = _FENCE.match(line)
            if mark and not inside:
                opens = not fence
                closes = fence and mark.group(1)[0] == fence[0] and len(mark.group(1)) >= len(fence)
                fence = mark.group(1) if opens else "" if closes else fence
            edge = line.strip().startswith("$$") or line.strip().endswith("$$")
            dollars = dollars != (not fence and edge and line.count("$$") % 2 == 1)
            begin = None if fence or inside or dollars else _ENVIRONMENT.match(line)
            if begin and self.lines and self.lines[-1][0].strip():
                self.lines.append(("\n", (cell, number)))
            inside = begin.group(1) if begin else inside
            self.lines.append((line + "\n", (cell, number)))
            if inside and f"\\end{{{inside}}}" in line:
                inside = ""
                self.lines.append(("\n", (cell, number)))
        self.lines.append(("\n", (cell, 0)))

    def attachments(self, cell: Any, number: int) -> str:
        """A Markdown cell's text with its pasted images (``attachment:NAME``) written
        as files beside the post."""
        attached = cell.get("attachments") or {}
        source: str = cell.source

        def file(match: re.Match[str]) -> str:
            name = match.group(1)
            data = attached.get(name) or {}
            for mime, payload in data.items():
                if mime in _IMAGE_SUFFIXES:
                    stem = re.sub(r"[^\w.-]", "-", Path(name).stem)
                    return self.image(mime, payload, f"cell{number}-{stem}")
            return match.group()

        return _ATTACHMENT.sub(file, source) if attached else source

    def image(self, mime: str, payload: Any, stem: str) -> str:
        """Keep an image output as a file; its name, relative to the post's page."""
        text = "".join(payload) if isinstance(payload, list) else str(payload)
        if mime == "image/svg+xml":
            data = text.encode()
        else:
            try:
                data = base64.b64decode(text)
            except (binascii.Error, ValueError):
                data = b""
        name = f"{self.place[1]}{stem}{_IMAGE_SUFFIXES[mime]}"
        self.files[name] = data
        return quote(name)

    def code(self, cell: Any, number: int) -> None:
        tags = _tags(cell)
        source = _code_source(cell)
        if source.strip() and "remove-input" not in tags:
            if self.counts and cell.get("execution_count"):
                count = cell["execution_count"]
                self.add(f'<div class="nb-count">In [{count}]:</div>', number, generated=True)
            block = _fenced(source, _language(self.notebook))
            if "hide-input" in tags:
                details = '<details class="nb-input">\n<summary>Show code</summary>'
                self.add(details, number, generated=True)
                self.add(block, number)
                self.add("</details>", number, generated=True)
            else:
                self.add(block, number)
        if "remove-output" in tags:
            return
        for order, output in enumerate(cell.get("outputs", []), 1):
            shown = self.output(output, number, order)
            if shown:
                self.add(shown, number, generated=True)

    def output(self, output: Any, number: int, order: int) -> str | None:
        """One output as Markdown; None if it shows nothing."""
        kind = output.get("output_type")
        if kind == "stream":
            text = strip_ansi(_text(output.get("text", "")))
            language = "stderr" if output.get("name") == "stderr" else "output"
            return _fenced(text, language) if text.strip() else None
        if kind == "error":
            lines = [strip_ansi(line) for line in output.get("traceback") or []]
            text = "\n".join(lines) or f"{output.get('ename')}: {output.get('evalue')}"
            return _fenced(text, "traceback")
        if kind not in ("display_data", "execute_result"):
            self.warn(number, f"output {order} of an unknown kind {kind!r} left out")
            return None
        data = output.get("data") or {}
        mime = next((m for m in _SHOWN if m in data), None)
        if mime is None or (mime == "text/plain" and any(m in data for m in _SCRIPTED)):
            if data:
                kinds = ", ".join(sorted(data))
                self.warn(number, f"output {order} dropped: a static page cannot show {kinds}")
            return None
        value = _text(data[mime]) if not mime.startswith("image/") else data[mime]
        if mime in _IMAGE_SUFFIXES:
            name = self.image(mime, value, f"cell{number}-output{order}")
            plain = _text(data.get("text/plain", "")).strip()
            alt = plain if plain and not plain.startswith("<") else f"Output of cell {number}"
            return f"![{_escape_alt(alt)}]({name})"
        if mime == "text/html":
            kept = "\n".join(line for line in value.strip().split("\n") if line.strip())
            return f'<div class="nb-output nb-html">\n{kept}\n</div>'
        if mime == "text/latex":
            return _display_math(value)
        if mime == "text/markdown":
            return value
        text = strip_ansi(value)
        return _fenced(text, "output") if text.strip() else None

    def raw(self, cell: Any, number: int) -> None:
        """A raw cell meant for HTML or Markdown is kept as it is; others are for
        nbconvert's other formats (LaTeX, reST) and left out, with a warning."""
        kind = cell.metadata.get("format") or cell.metadata.get("raw_mimetype") or ""
        if kind in ("text/html", "text/markdown", "html", "markdown"):
            self.add(cell.source, number)
        elif cell.source.strip():
            shown = f" ({kind})" if kind else ""
            self.warn(number, f"raw cell{shown} left out: only HTML or Markdown ones are shown")

    def warn(self, cell: int, message: str) -> None:
        self.warnings.append(ContentWarning(self.path, None, message, cell))


def _kept(cell: Any) -> bool:
    return "remove-cell" not in _tags(cell)


def _tags(cell: Any) -> list[str]:
    """The cell's Jupyter Book tags, with those its first lines give as Quarto's
    ``#| echo: false`` options or fastpages' ``#hide`` comments."""
    tags = [t for t in cell.get("metadata", {}).get("tags") or [] if isinstance(t, str)]
    if cell.get("cell_type") != "code":
        return tags
    for line in cell.source.split("\n"):
        option = _QUARTO_OPTION.match(line)
        if option:
            key, value = option.group(1), option.group(2).strip().lower()
            tags += [tag for (k, v), tag in _QUARTO_TAGS.items() if k == key and v == value]
        elif line.strip().lower() in _FASTPAGES_TAGS:
            tags.append(_FASTPAGES_TAGS[line.strip().lower()])
        else:
            break
    return tags


def _code_source(cell: Any) -> str:
    """A code cell's code without the Quarto options and fastpages comments above it."""
    lines = cell.source.split("\n")
    while lines and (_QUARTO_OPTION.match(lines[0]) or lines[0].strip().lower() in _FASTPAGES_TAGS):
        lines.pop(0)
    return "\n".join(lines)


def _last_shown(cells: list[Any]) -> int:
    return max((i for i, c in enumerate(cells) if _kept(c)), default=-1)


def _language(notebook: Any) -> str:
    """The kernel's language, as Pygments names it (``python``, ``r``, ``julia``)."""
    metadata = notebook.metadata
    language = (metadata.get("kernelspec") or {}).get("language")
    language = language or (metadata.get("language_info") or {}).get("name") or ""
    return str(language).strip().lower()


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _fenced(text: str, language: str) -> str:
    """``text`` as a fenced code block longer than any backtick run in it."""
    runs = [len(run) for run in re.findall(r"`{3,}", text)]
    fence = "`" * max(3, *(n + 1 for n in runs)) if runs else "```"
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def _display_math(latex: str) -> str:
    """A LaTeX output as display math, its own ``$``/``$$`` fences taken off."""
    found = _MATH_FENCES.match(latex)
    inner = found.group(2) if found else latex
    kept = "\n".join(line for line in inner.strip().split("\n") if line.strip())
    return f"$$\n{kept}\n$$"


def _escape_alt(text: str) -> str:
    return re.sub(r"([\\\[\]])", r"\\\1", " ".join(text.split()))[:200]
