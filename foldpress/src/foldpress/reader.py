"""Read a site folder: posts and pages with their YAML front matter.

The reader checks everything a file says about itself (keys, types, dates, slugs) and
reports each problem as a ContentError with its line; rendering happens later.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from pathlib import Path

import yaml

from foldpress.config import SiteConfig
from foldpress.errors import ContentError, ContentWarning
from foldpress.model import Page, Post, Topic
from foldpress.slugs import escapes_folder, slug_from_filename, slugify

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

POST_KEYS = (
    "title",
    "date",
    "topics",
    "slug",
    "draft",
    "summary",
    "updated",
    "series",
    "series_part",
)
PAGE_KEYS = ("title", "slug", "updated")


@dataclass
class FrontMatter:
    """A file's front matter: its values, the line of each key, and the body below it."""

    data: dict[str, object]
    lines: dict[str, int]
    body: str
    body_line: int  # 1-based line of the body's first line in the file


def read_text(path: Path, raw: bytes | None = None) -> str:
    """A file's text (``raw`` if given, else read) as UTF-8; a byte that is not UTF-8
    is an error on its line."""
    try:
        raw = path.read_bytes() if raw is None else raw
    except OSError as error:
        raise ContentError(path, None, f"cannot read file: {error.strerror or error}") from None
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        message = f"not UTF-8 text (byte {raw[error.start]:#04x})"
        raise ContentError(path, line, message) from None


def parse_front_matter(path: Path, text: str) -> tuple[FrontMatter, list[ContentError]]:
    """Split ``---``-fenced YAML front matter from the body; raise if it cannot be read."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        raise ContentError(path, 1, "no front matter: start the file with a '---' line")
    close = next((i for i, line in enumerate(lines[1:], 1) if line.rstrip() in ("---", "...")), 0)
    if not close:
        raise ContentError(path, 1, "front matter is never closed by a '---' line")
    loader = _Loader("".join(lines[1:close]))
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "malformed"
        line = mark.line + 2 if mark else 1
        raise ContentError(path, line, f"bad front matter YAML: {problem}") from None
    try:
        matter = FrontMatter({}, {}, "".join(lines[close + 1 :]), close + 2)
        if node is None:
            return matter, []
        if not isinstance(node, yaml.MappingNode):
            raise ContentError(path, 2, "front matter must be 'key: value' lines")
        errors = []
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 2
            key = key_node.value
            if not isinstance(key_node, yaml.ScalarNode) or not isinstance(key, str):
                errors.append(ContentError(path, line, "front matter keys must be names"))
            elif key in matter.lines:
                errors.append(ContentError(path, line, f"'{key}' given twice"))
            else:
                matter.lines[key] = line
                try:
                    matter.data[key] = loader.construct_object(value_node, deep=True)
                except (yaml.YAMLError, ValueError) as error:
                    errors.append(ContentError(path, line, f"bad value for '{key}': {error}"))
        return matter, errors
    finally:
        loader.dispose()


class _Checker:
    """Reads typed values out of front matter, collecting an error per bad one."""

    def __init__(self, path: Path, matter: FrontMatter, known: tuple[str, ...]) -> None:
        self.path = path
        self.matter = matter
        self.errors: list[ContentError] = []
        self.warnings: list[ContentWarning] = []
        for key in matter.data:
            if key not in known:
                hint = difflib.get_close_matches(key, known, n=1)
                also = f"; did you mean '{hint[0]}'?" if hint else f" (known: {', '.join(known)})"
                self.error(key, f"unknown front matter key '{key}'{also}")

    def error(self, key: str | None, message: str) -> None:
        self.errors.append(ContentError(self.path, self.line(key), message))

    def warn(self, key: str | None, message: str) -> None:
        self.warnings.append(ContentWarning(self.path, self.line(key), message))

    def line(self, key: str | None) -> int:
        """The line of ``key`` in the file; 1 for the file as a whole."""
        return self.matter.lines.get(key, 1) if key is not None else 1

    def require(self, key: str, required: bool) -> None:
        if not required:
            return
        if key not in self.matter.lines:
            self.error(None, f"missing '{key}' in front matter")
        elif key in self.matter.data:
            self.error(key, f"'{key}' is empty")
        # else its value could not be read, which was reported at its line already

    def string(self, key: str, *, required: bool = False) -> str | None:
        value = self.matter.data.get(key)
        if value is None:
            self.require(key, required)
            return None
        if not isinstance(value, str) or not value.strip():
            self.error(key, f"'{key}' must be text, not {value!r} (quote it)")
            return None
        return value.strip()

    def boolean(self, key: str) -> bool:
        value = self.matter.data.get(key, False)
        if not isinstance(value, bool):
            self.error(key, f"'{key}' must be true or false, not {value!r}")
            return False
        return value

    def positive(self, key: str) -> int | None:
        value = self.matter.data.get(key)
        if value is None:
            return None
        if type(value) is not int or value < 1:
            self.error(key, f"'{key}' must be a whole number from 1, not {value!r}")
            return None
        return value

    def when(self, key: str, tz: tzinfo, *, required: bool = False) -> datetime | None:
        value = self.matter.data.get(key)
        if value is None:
            self.require(key, required)
            return None
        try:
            return to_datetime(value, tz)
        except ValueError:
            self.error(key, f"bad {key} {value!r}: use YYYY-MM-DD or YYYY-MM-DD HH:MM[:SS][+HH:MM]")
            return None

    def topics(self) -> list[Topic]:
        value = self.matter.data.get("topics", [])
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            self.error("topics", f"'topics' must be a list such as [AI, Python], not {value!r}")
            return []
        topics: dict[str, Topic] = {}
        for name in value:
            slug = slugify(name)
            if not slug:
                self.error("topics", f"topic {name!r} has no letters or digits for its URL")
            else:
                topics.setdefault(slug, Topic(name.strip(), slug))
        return list(topics.values())

    def series(self) -> str | None:
        name = self.string("series")
        if name is not None and not slugify(name):
            self.error("series", f"series {name!r} has no letters or digits for its URL")
            return None
        if name is None and "series_part" in self.matter.data:
            self.error("series_part", "'series_part' without 'series': name the series too")
        return name

    def slug(self, title: str | None) -> str:
        given = self.string("slug")
        if given is not None:
            if escapes_folder(given):
                message = f"slug {given!r} would escape the output folder: use a plain name"
                self.error("slug", message)
                return ""
            slug = slugify(given)
        else:
            slug = slug_from_filename(self.path.stem) or slugify(title or "")
        if not slug and (given is not None or title):
            self.error("slug" if given else "title", "no letters or digits to make a URL from")
        return slug


def to_datetime(value: object, tz: tzinfo) -> datetime:
    """A front matter date as an aware datetime in ``tz``; naive values are read in ``tz``."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    if isinstance(value, datetime):
        return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz)
    raise ValueError(value)


def read_post(
    path: Path, config: SiteConfig, raw: bytes | None = None
) -> tuple[Post | None, list[ContentError]]:
    """A post (from ``raw`` if given, else read) with its front matter checked; its
    Markdown is rendered later.

    The post comes back even with errors (so that its body can be checked too), but
    with placeholders where the front matter was wrong.
    """
    try:
        matter, errors = parse_front_matter(path, read_text(path, raw))
    except ContentError as error:
        return None, [error]
    check = _Checker(path, matter, POST_KEYS)
    title = check.string("title", required=True)
    when = check.when("date", config.tzinfo, required=True)
    post = Post(
        source=path,
        title=title or "",
        date=when or datetime(1970, 1, 1, tzinfo=config.tzinfo),
        slug=check.slug(title),
        topics=check.topics(),
        updated=check.when("updated", config.tzinfo),
        draft=check.boolean("draft"),
        summary=check.string("summary"),
        series=check.series(),
        series_part=check.positive("series_part"),
        body_markdown=matter.body,
        source_lines={**matter.lines, "body": matter.body_line},
        warnings=check.warnings,
    )
    errors += check.errors
    return post, errors


def read_page(
    path: Path, config: SiteConfig, raw: bytes | None = None
) -> tuple[Page | None, list[ContentError]]:
    """A static page (About, ...) with its front matter checked."""
    try:
        matter, errors = parse_front_matter(path, read_text(path, raw))
    except ContentError as error:
        return None, [error]
    check = _Checker(path, matter, PAGE_KEYS)
    title = check.string("title", required=True)
    page = Page(
        source=path,
        title=title or "",
        slug=check.slug(title),
        body_markdown=matter.body,
        updated=check.when("updated", config.tzinfo),
        source_lines={**matter.lines, "body": matter.body_line},
        warnings=check.warnings,
    )
    errors += check.errors
    return page, errors


def markdown_files(folder: Path) -> list[Path]:
    """The ``.md`` files under ``folder`` in a stable order, skipping hidden ones."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*.md")
        if not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )
