"""``site.toml``: the site's settings, with defaults and strict key checking."""

from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
import typing
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from foldpress.addresses import DEFAULT_PERMALINK, check_permalink, normalize
from foldpress.errors import BuildError, ContentError
from foldpress.markdown_math import MathSyntax


@dataclass(frozen=True)
class SiteConfig:
    title: str = "My blog"
    description: str = ""
    author: str = ""
    base_url: str = "http://localhost:8000/"
    image: str = ""  # link previews' image where a page has none: a site path or a URL
    language: str = "en"
    timezone: str = "UTC"
    posts_per_page: int = 10
    smart_typography: bool = False
    # Math: which ways of writing it are read, and what a formula that cannot be
    # converted does ("error" stops the build; "warn" shows its LaTeX and goes on).
    math_dollar: bool = True
    math_double_dollar: bool = True
    math_paren: bool = True
    math_bracket: bool = True
    math_environments: bool = True
    math_errors: Literal["error", "warn"] = "error"
    math_preamble: str = ""  # \newcommand lines every formula may use
    # Posts' addresses: {year}, {month}, {day} and {slug} are filled in.
    permalink: str = DEFAULT_PERMALINK
    # Front matter keys foldpress does not know are errors, not kept as ``extra``.
    strict: bool = False
    # Links between pages relative to each page (../../x/index.html), so that the site
    # works opened from disk; else under base_url's path (/x/, or /blog/x/).
    relative_urls: bool = False
    # Feeds
    feed_items: int = 20
    feed_content: Literal["full", "intro"] = "full"
    # llms.txt: optional detail paragraphs under the description, and how many of the
    # newest posts are listed before the rest go into the "## Optional" section.
    llms_details: str = ""
    llms_recent_posts: int = 20
    # /search/: a search page with an index written at build time
    search: bool = True
    # Addresses the site had before (foldpress import writes them), kept answering:
    # a copy of the site's feed at each of ``old_feeds`` (Atom where the name says
    # "atom", else RSS: feed readers do not follow redirect pages); a redirect page to
    # each topic at each of ``old_topic_urls`` (patterns with {slug}, such as
    # "/tags/{slug}/"); and one at OLD for each "OLD NEW" of ``redirects``.
    old_feeds: tuple[str, ...] = ()
    old_topic_urls: tuple[str, ...] = ()
    redirects: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("old_feeds", "old_topic_urls", "redirects"):  # TOML gives lists
            object.__setattr__(self, name, tuple(getattr(self, name)))

    def absolute_url(self, path: str) -> str:
        """Join a site path such as ``/2025/03/dropout/`` onto ``base_url``."""
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    @cached_property
    def math_syntax(self) -> MathSyntax:
        """The ways of writing math that the site reads."""
        return MathSyntax(
            self.math_dollar,
            self.math_double_dollar,
            self.math_paren,
            self.math_bracket,
            self.math_environments,
            self.math_preamble,
        )

    @cached_property
    def tzinfo(self) -> ZoneInfo:
        """The site's timezone; naive dates in front matter are read in it."""
        return ZoneInfo(self.timezone)


_TOML_ERROR_LINE = re.compile(r"\(at line (\d+), column \d+\)")


def load_config(path: Path) -> SiteConfig:
    """Read and check ``site.toml``; raise BuildError naming every bad key."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        error = ContentError(path, None, "not found: is this a foldpress site?")
        raise BuildError([error]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise BuildError([ContentError(path, None, f"cannot read: {error}")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        found = _TOML_ERROR_LINE.search(str(error))
        message = _TOML_ERROR_LINE.sub("", str(error)).strip()
        line = int(found.group(1)) if found else None
        raise BuildError([ContentError(path, line, f"bad TOML: {message}")]) from None
    errors = check_settings(data, path, text)
    if errors:
        raise BuildError(errors)
    return SiteConfig(**data)


def check_settings(data: dict[str, object], path: Path, text: str) -> list[ContentError]:
    """Every unknown key, wrong type and bad value in ``data``, with its line in ``text``."""
    fields = {f.name for f in dataclasses.fields(SiteConfig)}
    types = typing.get_type_hints(SiteConfig)
    errors = []
    for key, value in data.items():
        line = _key_line(text, key)
        if key not in fields:
            hint = difflib.get_close_matches(key, fields, n=1)
            also = f"; did you mean '{hint[0]}'?" if hint else ""
            errors.append(ContentError(path, line, f"unknown setting '{key}'{also}"))
            continue
        problem = _check_value(key, value, types[key])
        if problem:
            errors.append(ContentError(path, line, problem))
    return errors


def _check_value(key: str, value: Any, expected: Any) -> str | None:
    if typing.get_origin(expected) is Literal:
        choices = typing.get_args(expected)
        if value not in choices:
            return f"'{key}' must be one of {', '.join(map(repr, choices))}, not {value!r}"
        return None
    if typing.get_origin(expected) is tuple:
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            return f"'{key}' must be a list of strings, not {value!r}"
        return _check_addresses(key, list(value))
    # bool is an int in Python, but `posts_per_page = true` is a mistake.
    if type(value) is not expected:
        name = {str: "a string", int: "an integer", bool: "true or false"}[expected]
        return f"'{key}' must be {name}, not {value!r}"
    if expected is int and value < 1:
        return f"'{key}' must be at least 1, not {value}"
    if key == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            return f"unknown timezone {value!r}; use an IANA name such as 'Europe/London'"
    if key == "permalink":
        return check_permalink(value)
    if key == "base_url" and not re.match(r"https?://[^/]+", value):
        return f"'base_url' must be an absolute http(s) URL, not {value!r}"
    return None


def _check_addresses(key: str, values: list[str]) -> str | None:
    """What is wrong with the addresses of ``old_feeds``, ``old_topic_urls`` or
    ``redirects``, or None."""
    for value in values:
        addresses = value.split() if key == "redirects" else [value]
        if key == "redirects" and len(addresses) != 2:
            return f"each of 'redirects' must be 'OLD NEW', two addresses; not {value!r}"
        if key == "old_topic_urls" and "{slug}" not in value:
            return f"each of 'old_topic_urls' must contain {{slug}}, not {value!r}"
        for address in addresses:
            try:
                normalize(address.replace("{slug}", "slug"))
            except ValueError as error:
                return f"'{key}': {value!r}: {error}"
    return None


def _key_line(text: str, key: str) -> int | None:
    pattern = re.compile(rf"""^\s*["']?{re.escape(key)}["']?\s*=""")
    for number, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return number
    return None
