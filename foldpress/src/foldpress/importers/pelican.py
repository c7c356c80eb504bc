"""Pelican sites (https://docs.getpelican.com/): ``pelicanconf.py``, articles and pages in
its content folder with ``Key: value`` metadata, and its ``STATIC_PATHS``.

``pelicanconf.py`` is Python, and is never run: its simple assignments (``NAME = value``
with a literal value) are read with ``ast.literal_eval``, anything else is left out.
Old addresses follow ``ARTICLE_URL`` and ``PAGE_URL`` (and a post's own ``URL``).
``{filename}``, ``{static}``, ``{attach}``, ``{tag}`` and ``{category}`` links, and
CodeHilite's ``:::lang`` code blocks, are converted; reST files are listed as skipped.
"""

from __future__ import annotations

import ast
import posixpath
import re
import unicodedata
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from zoneinfo import ZoneInfo

from foldpress.importers import _kramdown as kramdown
from foldpress.importers._embeds import liquid_tag
from foldpress.importers._matter import split
from foldpress.importers._shared import Content, OldSite, Report, old_address, usable_settings
from foldpress.importers._syntax import fence, first_line_of, rewrite, unescape_math
from foldpress.reader import to_datetime
from foldpress.slugs import slugify as topic_slug

CONFIG_FILES = ("pelicanconf.py",)
MARKDOWN = (".md", ".markdown", ".mkd", ".mdown")
DEFAULTS: dict[str, Any] = {
    "PATH": "content",
    "ARTICLE_PATHS": [""],
    "PAGE_PATHS": ["pages"],
    "STATIC_PATHS": ["images"],
    "ARTICLE_URL": "{slug}.html",
    "PAGE_URL": "pages/{slug}.html",
    "SLUGIFY_SOURCE": "title",
    "FILENAME_METADATA": r"(?P<date>\d{4}-\d{2}-\d{2}).*",
    "USE_FOLDER_AS_CATEGORY": True,
    "DEFAULT_CATEGORY": "misc",
    "EXTRA_PATH_METADATA": {},
}


def read_settings(path: Path, report: Report) -> dict[str, object]:
    """The simple assignments of a Pelican settings file, read as text, never run."""
    settings: dict[str, object] = {}
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (SyntaxError, UnicodeDecodeError, OSError) as error:
        report.note(path, getattr(error, "lineno", None), f"not read: {error}")
        return settings
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if not isinstance(target, ast.Name):
            continue
        try:
            settings[target.id] = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            report.note(path, node.lineno, f"{target.id} is not a plain value: not read")
    return settings


def slugify(text: str) -> str:
    """Pelican's slugify with its default SLUG_REGEX_SUBSTITUTIONS."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\w\s-]", "", text).strip()
    return re.sub(r"[-\s]+", "-", text).lower()


def read_site(src: Path, report: Report) -> OldSite:
    """Read the Pelican site in ``src``."""
    conf = src / "pelicanconf.py"
    config: dict[str, Any] = {**DEFAULTS, **read_settings(conf, report)}
    if (src / "publishconf.py").is_file():  # where SITEURL is usually set
        published = read_settings(src / "publishconf.py", report)
        if published.get("SITEURL"):
            config["SITEURL"] = published["SITEURL"]
    base = str(config.get("SITEURL") or "")
    settings = usable_settings(
        {
            "title": config.get("SITENAME"),
            "description": config.get("SITESUBTITLE"),
            "author": config.get("AUTHOR"),
            "base_url": base.rstrip("/") + "/" if base else None,
            "timezone": config.get("TIMEZONE"),
            "language": config.get("DEFAULT_LANG"),
        },
        report,
        conf,
    )
    tz = ZoneInfo(str(settings.get("timezone", "UTC")))
    content = src / str(config["PATH"])
    site = OldSite(settings)

    # Static files: STATIC_PATHS under PATH, at the same path unless EXTRA_PATH_METADATA moves them.
    moved = {
        str(k).strip("/"): str(v["path"]).strip("/")
        for k, v in _mapping(config["EXTRA_PATH_METADATA"]).items()
        if isinstance(v, dict) and v.get("path")
    }
    static_paths = [str(p).strip("/") for p in _names(config["STATIC_PATHS"])]
    outputs: dict[str, str] = {}  # a file in PATH -> where it is published
    for name in static_paths:
        top = content / name
        for path in [top] if top.is_file() else _files(top):
            in_content = path.relative_to(content).as_posix()
            outputs[in_content] = moved.get(in_content, in_content)
            site.static[outputs[in_content]] = path

    page_paths = [str(p).strip("/") for p in _names(config["PAGE_PATHS"])]
    article_paths = [str(p).strip("/") for p in _names(config["ARTICLE_PATHS"])]
    found: list[tuple[Content, int]] = []
    addresses: dict[str, str] = {}
    for path in _files(content):
        relative = PurePosixPath(path.relative_to(content).as_posix())
        name = str(relative)
        if name in outputs or _under(name, static_paths):
            continue
        is_page = _under(name, page_paths)
        if not is_page and not any(_under(name, [a]) for a in article_paths):
            continue
        if path.suffix.lower() == ".rst":
            report.skip(path, "reStructuredText cannot be converted: not imported")
            continue
        if path.suffix.lower() in (".html", ".htm"):
            report.skip(path, "an HTML article cannot be converted: not imported")
            continue
        if path.suffix.lower() not in MARKDOWN:
            continue
        try:
            meta, body, body_line = _metadata(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            report.skip(path, str(error))
            continue
        item = _content(path, relative, meta, config, is_page, page_paths, tz, report)
        if item is None:
            continue
        item.body = body.replace("<!-- PELICAN_END_SUMMARY -->", "<!--more-->")
        addresses[name] = item.address
        found.append((item, body_line))

    links = _Links(addresses, outputs)
    code_dirs = [content / str(config.get("CODE_DIR") or "code")]  # liquid_tags' include_code
    for item, body_line in found:
        links.folder = item.source.relative_to(content).parent.as_posix()
        body = rewrite(
            item.body,
            _LINK,
            links.convert,
            source=item.source,
            first_line=body_line,
            report=report,
        )
        body = rewrite(
            kramdown.convert(body),  # Python-Markdown's attr_list writes {: .class} too
            _LIQUID_TAG,
            lambda match: _liquid(match, code_dirs),
            source=item.source,
            first_line=body_line,
            report=report,
        )
        item.body = unescape_math(_CODEHILITE.sub(_fenced, body))
        site.content.append(item)
    return site


def _names(value: object) -> list[str]:
    """A setting that lists paths; a single one is taken as such a list."""
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def _mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def _under(name: str, folders: list[str]) -> bool:
    return any(not f or name == f or name.startswith(f + "/") for f in folders)


_META_LINE = re.compile(r"^([A-Za-z][\w-]*):\s*(.*)$")


def _metadata(text: str) -> tuple[dict[str, object], str, int]:
    """Python-Markdown's ``Key: value`` metadata (keys lowercased), or YAML front
    matter, and the body with the line it starts at."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    if text.startswith(("---\n", "+++\n")):
        matter = split(text)
        return {str(k).lower(): v for k, v in matter.front.items()}, matter.body, matter.body_line
    lines = text.split("\n")
    meta: dict[str, object] = {}
    key = None
    i = 0
    while i < len(lines):
        found = _META_LINE.match(lines[i])
        if found:
            key = found.group(1).lower()
            meta[key] = found.group(2).strip()
        elif key and lines[i].startswith("    ") and lines[i].strip():
            meta[key] = f"{meta[key]} {lines[i].strip()}".strip()
        else:
            break
        i += 1
    while i < len(lines) and not lines[i].strip():
        i += 1
    return meta, "\n".join(lines[i:]), i + 1


def _content(
    path: Path,
    relative: PurePosixPath,
    meta: dict[str, object],
    config: dict[str, Any],
    is_page: bool,
    page_paths: list[str],
    tz: ZoneInfo,
    report: Report,
) -> Content | None:
    front: dict[str, object] = {}
    title = str(meta.pop("title", "") or "")
    if not title:
        report.skip(path, "no Title: Pelican skips it too")
        return None
    front["title"] = title
    when = None
    date = meta.pop("date", None)
    if date is None and not is_page:
        named = re.match(str(config["FILENAME_METADATA"]), relative.stem)
        date = named.groupdict().get("date") if named else None
    if date is not None:
        try:
            when = to_datetime(date, tz)
        except ValueError:
            report.skip(path, f"a date foldpress cannot read: {date!r}")
            return None
        front["date"] = date if isinstance(date, datetime) else str(date)
    elif not is_page:
        report.skip(path, "an article without a date: Pelican skips it too")
        return None
    category = str(meta.pop("category", "") or "")
    folder = relative.parent.as_posix()
    if not category and config["USE_FOLDER_AS_CATEGORY"] and folder not in ("", "."):
        category = relative.parent.name
    tags = meta.pop("tags", "")
    if isinstance(tags, str):  # Tags: pelican, publishing
        tags = tags.split(",")
    topics = [category] if category and not is_page else []
    topics += [str(t).strip() for t in tags if str(t).strip()] if isinstance(tags, list) else []
    if topics:
        front["topics"] = list(dict.fromkeys(topics))
    given_slug = str(meta.pop("slug", "") or "")
    source = title if config["SLUGIFY_SOURCE"] == "title" else relative.stem
    slug = given_slug or slugify(source)
    front["slug"] = slug
    for key in ("modified", "summary"):
        if key in meta:
            front[key] = meta.pop(key)
    status = str(meta.pop("status", "published")).lower()
    if status == "draft":
        front["draft"] = True
    elif status != "published":
        front["status"] = status
    own = meta.pop("url", None)
    meta.pop("save_as", None)
    front.update(meta)  # authors, lang, ...: kept, as extra
    values = {
        **{k: v for k, v in meta.items() if isinstance(v, str)},
        "slug": slug,
        "date": when,
        "category": slugify(category or str(config["DEFAULT_CATEGORY"])),
        "author": slugify(str(meta.get("author") or config.get("AUTHOR") or "")),
        "lang": str(meta.get("lang") or config.get("DEFAULT_LANG") or "en"),
    }
    pattern = str(own or (config["PAGE_URL"] if is_page else config["ARTICLE_URL"]))
    try:
        url = pattern.format_map(values)
    except (KeyError, ValueError, AttributeError, IndexError) as error:
        report.skip(path, f"its address {pattern!r} cannot be made: {error}")
        return None
    address = old_address("/" + url)
    if address in (None, "/"):
        report.skip(path, f"its address {url!r} is not one foldpress can give it")
        return None
    kind: Literal["post", "page"] = "page" if is_page else "post"
    name = relative.with_suffix(".md")
    if is_page:  # pages/about.md -> about.md in the new pages/
        top = next((p for p in page_paths if _under(str(relative), [p]) and p), "")
        name = PurePosixPath(posixpath.relpath(str(name), top or "."))
    return Content(kind, path, str(name), front, "", address)


# {filename}, {static}, {attach}, {tag}, {category} and Pelican 3's |filename| forms.
_LINK = re.compile(
    r"[{|](?P<kind>filename|static|attach|tag|category|author|index)[}|](?P<target>[^\s)\"'>]*)"
)
# CodeHilite's code blocks: indented, the first line naming the language.
_CODEHILITE = re.compile(
    r"(?m)^(?P<block>(?: {4}|\t):::(?P<lang>[\w+#.-]+)[ \t]*\n(?:(?:(?: {4}|\t).*)?\n)*)"
)


# The tags of the liquid_tags plugin that foldpress can write (notebook is read elsewhere).
_LIQUID_TAG = re.compile(
    r"\{%\s*(?P<name>img|video|youtube|vimeo|gist|include_code)\b\s*(?P<args>.*?)\s*%\}"
)


def _liquid(match: re.Match[str], code_dirs: list[Path]) -> tuple[str | None, str]:
    converted = liquid_tag(match.group("name"), match.group("args"), code_dirs)
    return converted, f"Liquid tag {first_line_of(match.group())} not converted"


def _fenced(match: re.Match[str]) -> str:
    lines = match.group("block").split("\n")[1:]
    code = "\n".join(line[4:] if line.startswith("    ") else line[1:] for line in lines)
    return fence(match.group("lang"), code.rstrip("\n")) + "\n"


class _Links:
    def __init__(self, addresses: dict[str, str], outputs: dict[str, str]) -> None:
        self.addresses = addresses
        self.outputs = outputs
        self.folder = ""

    def convert(self, match: re.Match[str]) -> tuple[str | None, str]:
        kind, target = match.group("kind"), match.group("target")
        what = f"Pelican link {first_line_of(match.group())} not converted"
        if kind in ("tag", "category"):
            return f"/topics/{topic_slug(target)}/", ""
        if kind not in ("filename", "static", "attach"):
            return None, what
        path, hash_, anchor = target.partition("#")
        name = path.lstrip("/") if path.startswith("/") else posixpath.join(self.folder, path)
        name = posixpath.normpath(name)
        if kind == "filename" and name in self.addresses:
            return self.addresses[name] + hash_ + anchor, ""
        if name in self.outputs:
            return "/" + self.outputs[name] + hash_ + anchor, ""
        return None, f"{what}: no such file"
