"""What every importer produces, and how it becomes a foldpress site.

An importer reads the old site into an :class:`OldSite`: settings, posts and pages
(front matter as foldpress reads it, the old address of each, and the body with the
engine's syntax converted) and static files. :func:`write_site` writes that out as a
foldpress site whose build answers every old address: where foldpress's own address
for a post or page differs from the old one, the post gets ``url: OLD``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import tomli_w
import yaml

from foldpress import residue
from foldpress.addresses import normalize
from foldpress.config import SiteConfig, check_settings
from foldpress.index import RESERVED_FILES, RESERVED_SLUGS
from foldpress.reader import read_page, read_post

# The site's own files that foldpress writes only when static/ has none.
_YOURS_WIN = {"_redirects", "robots.txt"}


@dataclass(frozen=True)
class Note:
    """Something the import could not do, at ``path:line`` in the old site."""

    path: Path
    line: int | None
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}" if self.line else f"{self.path}: {self.what}"


@dataclass
class Report:
    """What an import did: counts, the constructs it left in place, the files it skipped."""

    engine: str
    posts: int = 0
    pages: int = 0
    static: int = 0
    redirects: int = 0
    unconverted: list[Note] = field(default_factory=list)  # left in place, by file and line
    skipped: list[Note] = field(default_factory=list)  # files not imported, and why
    # From the new site's first build: old syntax that shows on its pages as text, in
    # the new site's files, and what stopped the build.
    leftovers: list[Note] = field(default_factory=list)
    build_errors: list[Note] = field(default_factory=list)

    def note(self, path: Path, line: int | None, what: str) -> None:
        self.unconverted.append(Note(path, line, what))

    def skip(self, path: Path, why: str) -> None:
        self.skipped.append(Note(path, None, why))

    def summary(self) -> str:
        def count(n: int, what: str) -> str:
            return f"{n} {what}{('es' if what.endswith('s') else 's') * (n != 1)}"

        return (
            f"Imported from {self.engine}: {count(self.posts, 'post')}, "
            f"{count(self.pages, 'page')}, {count(self.static, 'static file')}, "
            f"{count(self.redirects, 'old address')} redirected; "
            f"{self.left_in_place()}, {count(len(self.skipped), 'file')} skipped."
        )

    def left_in_place(self) -> str:
        """What of the old syntax shows on the pages, counted in the first build's output."""
        shown = residue.count(note.what for note in self.leftovers)
        counted = f"{shown} construct{'s' * (shown != 1)} left in place (shown as text on pages"
        if not self.build_errors:
            return counted + ")"
        n = len(self.build_errors)
        return (
            f"{counted} that the first build could read; it failed with {n} error{'s' * (n != 1)})"
        )


@dataclass
class Content:
    """A post or page of the old site, ready to write."""

    kind: Literal["post", "page"]
    source: Path  # in the old site
    name: str  # its file under the new site's posts/ or pages/
    front: dict[str, object]
    body: str
    address: str  # where the old site served it
    aliases: list[str] = field(default_factory=list)  # older addresses that redirected to it


@dataclass
class OldSite:
    """Everything an importer read, converted."""

    settings: dict[str, Any]  # site.toml's
    content: list[Content] = field(default_factory=list)
    static: dict[str, Path] = field(default_factory=dict)  # path in static/ -> file to copy
    templates: dict[str, str] = field(default_factory=dict)  # path in templates/ -> its text


def check_destination(dest: Path) -> str | None:
    """Why ``dest`` cannot take an import, or None: it must be new or empty."""
    if dest.exists() and not dest.is_dir():
        return f"{dest} is a file"
    if dest.is_dir() and any(dest.iterdir()):
        return f"{dest} is not empty: give a new folder"
    return None


def usable_settings(settings: dict[str, object], report: Report, where: Path) -> dict[str, Any]:
    """The settings foldpress accepts; each one it would refuse is noted and left out."""
    kept = {}
    for key, value in settings.items():
        if value in (None, ""):
            continue
        problems = check_settings({key: value}, where, "")
        if problems:
            report.note(where, None, f"setting not imported: {problems[0].message}")
        else:
            kept[key] = value
    return kept


def write_site(old: OldSite, dest: Path, report: Report) -> None:
    """Write ``old`` as a foldpress site in ``dest`` (new or empty)."""
    config = SiteConfig(**old.settings)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "site.toml").write_text(tomli_w.dumps(old.settings), encoding="utf-8")
    for item in old.content:
        target = dest / ("posts" if item.kind == "post" else "pages") / item.name
        front = dict(item.front)
        front.pop("url", None)
        aliases = [a for a in dict.fromkeys(item.aliases) if a != item.address]
        if aliases:
            front["aliases"] = aliases
        # foldpress's own address for it, with the settings written above
        read = read_post if item.kind == "post" else read_page
        made, errors = read(target, config, document(front, "").encode())
        for error in errors:
            report.note(item.source, None, f"foldpress will refuse this: {error.message}")
        if made and made.url != item.address:
            front["url"] = item.address
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(document(front, item.body), encoding="utf-8")
        report.redirects += len(aliases)
        if item.kind == "post":
            report.posts += 1
        else:
            report.pages += 1
    for name, text in sorted(old.templates.items()):  # the old site's shortcodes, translated
        target = dest / "templates" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    for name, source in sorted(old.static.items()):
        if name.split("/")[0] in RESERVED_SLUGS or name in RESERVED_FILES - _YOURS_WIN:
            report.skip(source, f"not copied: /{name} is made by foldpress itself")
            continue
        target = dest / "static" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        report.static += 1


def document(front: dict[str, object], body: str) -> str:
    """A Markdown file with YAML front matter."""
    matter = yaml.safe_dump(_yaml_data(front), sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{matter}---\n\n{body.lstrip(chr(10))}"


def _yaml_data(value: object) -> object:
    """``value`` with what YAML cannot write (a TOML time of day, say) as text."""
    if isinstance(value, dict):
        return {str(k): _yaml_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_yaml_data(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool | date | bytes):
        return value  # a datetime is a date
    return str(value)


def old_address(address: str) -> str | None:
    """``address`` as a site path, or None if it is not one (a full URL, say)."""
    try:
        return normalize(address)
    except ValueError:
        return None
