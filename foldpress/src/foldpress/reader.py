"""Read a site folder: posts and pages with their YAML front matter.

The reader checks everything a file says about itself (keys, types, dates, slugs) and
reports each problem as a ContentError with its line; rendering happens later.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path

from foldpress.addresses import expand, normalize
from foldpress.config import SiteConfig
from foldpress.errors import ContentError, ContentWarning
from foldpress.model import Page, Post, Topic
from foldpress.slugs import escapes_folder, slug_from_filename, slugify

POST_KEYS = (
    "title",
    "date",
    "topics",
    "slug",
    "draft",
    "summary",
    "updated",
    "url",
    "aliases",
    "series",
    "series_part",
    "image",
)
PAGE_KEYS = ("title", "slug", "updated", "url", "aliases", "nav")
# What Hugo, Jekyll and Pelican call the same things: each is read as its foldpress key.
# (``published: false`` is ``draft: true``.)
KEY_ALIASES = {
    "tags": "topics",
    "categories": "topics",
    "category": "topics",
    "description": "summary",
    "excerpt": "summary",
    "lastmod": "updated",
    "modified": "updated",
    "published": "draft",
    "permalink": "url",
    "redirect_from": "aliases",
}
# How alike an unknown key must be to a known one to be taken for a typo of it, and
# the other engines' own keys that are alike enough but are no typos.
_TYPO_CUTOFF = 0.8
_NOT_TYPOS = frozenset({"publishDate", "publishdate", "redirect_to"})
# Jekyll's post file names: 2015-05-21-old-name.markdown.
_FILE_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown")
NOTEBOOK_SUFFIX = ".ipynb"  # a Jupyter notebook: a post, see foldpress.notebook
POST_SUFFIXES = (*MARKDOWN_SUFFIXES, NOTEBOOK_SUFFIX)


@dataclass
class FrontMatter:
    """A file's front matter: its values, the line of each key, and the body below it."""

    data: dict[str, object]
    lines: dict[str, int]
    body: str
    body_line: int  # 1-based line of the body's first line in the file
    # Characters no output may hold, removed from the values (a YAML escape such as
    # "\x1b" makes them after the text was cleaned): one warning per key.
    warnings: list[ContentWarning] = field(default_factory=list)


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


# Characters that XML 1.0 forbids (so no feed or sitemap could hold them) and the C1
# controls, which HTML5 forbids too: a form feed or an ANSI colour code pasted into a post.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def without_control_characters(path: Path, text: str) -> tuple[str, list[ContentWarning]]:
    """``text`` less the characters no output may hold, and a warning for each line
    that had some."""
    if not _CONTROL.search(text):
        return text, []
    warnings = []
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        found = _CONTROL.findall(line)
        if found:
            names = ", ".join(sorted({f"U+{ord(c):04X}" for c in found}))
            message = f"removed {len(found)} control character{'s' * (len(found) > 1)} ({names})"
            warnings.append(ContentWarning(path, number, message))
            lines[number - 1] = _CONTROL.sub("", line)
    return "\n".join(lines), warnings


def _without_control(value: object, removed: list[str]) -> object:
    """``value`` with the control characters of its strings (in lists and mappings too)
    removed, and noted in ``removed``."""
    if isinstance(value, str):
        found = _CONTROL.findall(value)
        removed += found
        return _CONTROL.sub("", value) if found else value
    if isinstance(value, list):
        return [_without_control(item, removed) for item in value]
    if isinstance(value, dict):
        return {k: _without_control(v, removed) for k, v in value.items()}
    return value


def parse_front_matter(path: Path, text: str) -> tuple[FrontMatter, list[ContentError]]:
    """Split ``---``-fenced YAML front matter from the body; raise if it cannot be read."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        raise ContentError(path, 1, "no front matter: start the file with a '---' line")
    close = next((i for i, line in enumerate(lines[1:], 1) if line.rstrip() in ("---", "...")), 0)
    if not close:
        raise ContentError(path, 1, "front matter is never closed by a '---' line")
    import yaml  # here: a build that reads no file (all from the cache) never needs it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)("".join(lines[1:close]))
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "malformed"
        line = mark.line + 2 if mark else 1
        raise ContentError(path, line, f"bad front matter YAML: {problem}") from None
    except yaml.YAMLError as error:  # e.g. a character YAML does not allow
        raise ContentError(path, 2, f"bad front matter YAML: {error}") from None
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
                    value = loader.construct_object(value_node, deep=True)
                except (yaml.YAMLError, ValueError) as error:
                    errors.append(ContentError(path, line, f"bad value for '{key}': {error}"))
                    continue
                removed: list[str] = []
                matter.data[key] = _without_control(value, removed)
                if removed:
                    names = ", ".join(sorted({f"U+{ord(c):04X}" for c in removed}))
                    message = f"removed {len(removed)} control character"
                    message += f"{'s' * (len(removed) > 1)} ({names}) from '{key}'"
                    matter.warnings.append(ContentWarning(path, line, message))
        return matter, errors
    finally:
        loader.dispose()


class _Checker:
    """Reads typed values out of front matter, collecting an error per bad one."""

    def __init__(
        self, path: Path, matter: FrontMatter, known: tuple[str, ...], *, strict: bool
    ) -> None:
        self.path = path
        self.matter = matter
        self.errors: list[ContentError] = []
        self.warnings: list[ContentWarning] = []
        self.extra: dict[str, object] = {}
        understood = [*known, *(key for key, ours in KEY_ALIASES.items() if ours in known)]
        for key, value in matter.data.items():
            if key in understood:
                continue
            hint = [] if key in _NOT_TYPOS else _close_key(key, understood)
            if strict:
                also = f"; did you mean '{hint[0]}'?" if hint else f" (known: {', '.join(known)})"
                self.error(key, f"unknown front matter key '{key}'{also}")
                continue
            self.extra[key] = _plain(value)
            if hint:
                self.warn(
                    key,
                    f"unknown front matter key '{key}' (kept in extra); did you mean '{hint[0]}'?",
                )

    def first(self, key: str) -> str:
        """The key given for ``key``: itself, else the first of its aliases given; the
        others' values are kept in ``extra`` (nothing is lost)."""
        given = [k for k in (key, *_aliases_of(key)) if k in self.matter.data]
        for other in given[1:]:
            self.extra[other] = _plain(self.matter.data[other])
        return given[0] if given else key

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
        """``topics``, ``tags`` and ``categories`` merged, each name once."""
        topics: dict[str, Topic] = {}
        for key in ("topics", *_aliases_of("topics")):
            for name in self.names(key):
                slug = slugify(name)
                if not slug:
                    self.error(key, f"topic {name!r} has no letters or digits for its URL")
                else:
                    topics.setdefault(slug, Topic(name.strip(), slug))
        return list(topics.values())

    def names(self, key: str) -> list[str]:
        """A list of names; Jekyll's ``tags: a b`` (a string) is split at spaces,
        Pelican's ``category`` is one name."""
        value = self.matter.data.get(key) or []  # ``tags:`` with nothing is none
        if isinstance(value, str) and key != "topics":
            value = [value] if key == "category" else value.split()
        if isinstance(value, list):
            value = [str(v) if isinstance(v, int | float) else v for v in value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.error(key, f"'{key}' must be a list such as [AI, Python], not {value!r}")
            return []
        return value

    def address(self, key: str) -> str | None:
        """An address given in front matter, as a site path."""
        value = self.string(key)
        if value is None:
            return None
        try:
            return normalize(value)
        except ValueError as error:
            self.error(key, f"bad '{key}' {value!r}: {error}")
            return None

    def addresses(self) -> list[str]:
        """The old addresses in ``aliases`` and ``redirect_from``, each once."""
        found: list[str] = []
        for key in ("aliases", *_aliases_of("aliases")):
            value = self.matter.data.get(key) or []
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                self.error(key, f"'{key}' must be a list of addresses, not {value!r}")
                continue
            for alias in values:
                try:
                    address = normalize(alias)
                except ValueError as error:
                    self.error(key, f"bad address {alias!r} in '{key}': {error}")
                    continue
                if address not in found:
                    found.append(address)
        return found

    def draft(self) -> bool:
        draft = self.boolean("draft")
        if "published" in self.matter.data:
            draft = draft or not self.boolean("published")
        return draft

    def series(self) -> str | None:
        value = self.matter.data.get("series")
        if isinstance(value, list) and len(value) == 1:  # Hugo's taxonomy style: [NAME]
            self.matter.data["series"] = value[0]
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
            # A page bundle, posts/SLUG/index.md, is named by its folder.
            stem = self.path.parent.name if self.path.stem == "index" else self.path.stem
            slug = slug_from_filename(stem) or slugify(title or "")
        if not slug and (given is not None or title):
            self.error("slug" if given else "title", "no letters or digits to make a URL from")
        return slug


def _plain(value: object) -> object:
    """A front matter value as plain data that the cache keeps: YAML's sets become
    sorted lists, and mapping keys text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((_plain(v) for v in value), key=str)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _close_key(key: str, known: list[str]) -> list[str]:
    return difflib.get_close_matches(key, known, n=1, cutoff=_TYPO_CUTOFF)


def _aliases_of(key: str) -> list[str]:
    return [alias for alias, ours in KEY_ALIASES.items() if ours == key]


# Jekyll writes a zone after a space: 2015-05-21 11:00:00 +0200.
_SPACED_ZONE = re.compile(r"\s+(Z|[+-]\d\d:?\d\d)$")


def to_datetime(value: object, tz: tzinfo) -> datetime:
    """A front matter date as an aware datetime in ``tz``; naive values are read in ``tz``.

    Dates as Hugo, Jekyll and Pelican write them are understood: date only, date and
    time (RFC 3339 or with a space), with or without a zone.
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(_SPACED_ZONE.sub(r"\1", value.strip()))
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
    with placeholders where the front matter was wrong. A Jupyter notebook
    (``.ipynb``) is read by :mod:`foldpress.notebook`.
    """
    if path.suffix.lower() == NOTEBOOK_SUFFIX:
        from foldpress.notebook import read_notebook_post

        return read_notebook_post(path, config, raw)
    try:
        text, cleaned = without_control_characters(path, read_text(path, raw))
        matter, errors = parse_front_matter(path, text)
    except ContentError as error:
        return None, [error]
    return post_from_matter(path, config, matter, errors, cleaned)


def post_from_matter(
    path: Path,
    config: SiteConfig,
    matter: FrontMatter,
    errors: list[ContentError],
    cleaned: list[ContentWarning],
) -> tuple[Post, list[ContentError]]:
    """A post from its front matter read already (with the ``errors`` found reading
    it, and warnings for the characters ``cleaned`` out of it), its values checked."""
    check = _Checker(path, matter, POST_KEYS, strict=config.strict)
    check.warnings[:0] = [*cleaned, *matter.warnings]
    title = check.string("title", required=True)
    if "date" in matter.data or not (in_name := _FILE_DATE.match(path.name)):
        when = check.when("date", config.tzinfo, required=True)
    else:  # Jekyll's: no date key, the file name's
        year, month, day = map(int, in_name.groups())
        when = datetime(year, month, day, tzinfo=config.tzinfo)
    when = when or datetime(1970, 1, 1, tzinfo=config.tzinfo)
    slug = check.slug(title)
    post = Post(
        source=path,
        title=title or "",
        date=when,
        slug=slug,
        topics=check.topics(),
        updated=check.when(check.first("updated"), config.tzinfo),
        draft=check.draft(),
        summary=check.string(check.first("summary")),
        image=check.string("image"),
        series=check.series(),
        series_part=check.positive("series_part"),
        body_markdown=matter.body,
        url=check.address(check.first("url")) or expand(config.permalink, when, slug),
        aliases=check.addresses(),
        extra=check.extra,
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
        text, cleaned = without_control_characters(path, read_text(path, raw))
        matter, errors = parse_front_matter(path, text)
    except ContentError as error:
        return None, [error]
    check = _Checker(path, matter, PAGE_KEYS, strict=config.strict)
    check.warnings[:0] = [*cleaned, *matter.warnings]
    title = check.string("title", required=True)
    page = Page(
        source=path,
        title=title or "",
        slug=check.slug(title),
        body_markdown=matter.body,
        updated=check.when(check.first("updated"), config.tzinfo),
        url=check.address(check.first("url")) or "",
        aliases=check.addresses(),
        extra=check.extra,
        source_lines={**matter.lines, "body": matter.body_line},
        warnings=check.warnings,
        nav=check.boolean("nav") if "nav" in matter.data else True,
    )
    errors += check.errors
    return page, errors


def markdown_files(folder: Path, suffixes: tuple[str, ...] = MARKDOWN_SUFFIXES) -> list[Path]:
    """The Markdown files (``.md``, ``.markdown``, ``.mdown``; or those named with
    ``suffixes``) under ``folder`` in a stable order, skipping hidden ones (and so
    Jupyter's ``.ipynb_checkpoints``)."""
    found = []
    # os.walk, not Path.rglob: a site's thousands of posts are listed on every build.
    for top, folders, names in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        found += [
            os.path.join(top, name)
            for name in names
            if not name.startswith(".") and name.lower().endswith(suffixes)
        ]
    # In the order of paths (part by part, as the platform compares them), sorted as
    # strings: comparing Path objects is slower than making them.
    found.sort(key=lambda path: os.path.normcase(path).split(os.sep))
    return [Path(path) for path in found]
