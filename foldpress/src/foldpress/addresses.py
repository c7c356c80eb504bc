"""Site addresses: where a post or page is served, and the file that answers there.

An address is a site path, either a folder (``/2025/03/dropout/``, answered by its
``index.html``) or a file (``/about.html``, as Jekyll and Hugo's ``uglyURLs`` write
them). Front matter may set one exactly (``url``) or list old ones (``aliases``); posts
get theirs from the ``permalink`` pattern in ``site.toml``.
"""

from __future__ import annotations

import re
import string
from datetime import datetime

DEFAULT_PERMALINK = "/{year}/{month}/{slug}/"
PERMALINK_FIELDS = ("year", "month", "day", "slug")

_UNSAFE = re.compile(r"[\s?#\\\"<>]")


def normalize(address: str) -> str:
    """``address`` as a site path: leading ``/``, and a trailing one unless its last part
    names a file (``/about.html``). An address that ends in ``/`` stays a folder even
    when its last part has a dot (``/notes/model-v1.5/``). Raises ValueError saying what
    is wrong with it."""
    address = address.strip()
    if "://" in address or address.startswith("//"):
        raise ValueError("give a path on this site such as /2015/05/old-name/, not a full URL")
    if _UNSAFE.search(address):
        raise ValueError("spaces, '?', '#', '\\', quotes and '<>' cannot be part of an address")
    parts = [part for part in address.split("/") if part]
    if any(part in (".", "..") for part in parts):
        raise ValueError("'.' and '..' cannot be part of an address")
    if not parts:
        return "/"
    if "." in parts[-1] and not address.endswith("/"):
        return "/" + "/".join(parts)
    return "/" + "/".join(parts) + "/"


def check_permalink(pattern: str) -> str | None:
    """What is wrong with a ``permalink`` pattern, or None if it is usable."""
    try:
        fields = [name for _, name, _, _ in string.Formatter().parse(pattern) if name is not None]
    except ValueError as error:
        return f"bad 'permalink' {pattern!r}: {error}"
    unknown = [name for name in fields if name not in PERMALINK_FIELDS]
    if unknown:
        known = ", ".join("{" + name + "}" for name in PERMALINK_FIELDS)
        return f"'permalink' may use {known}, not {{{unknown[0]}}}"
    if "slug" not in fields:
        return "'permalink' must contain {slug}, or two posts could share an address"
    try:
        normalize(expand(pattern, datetime(2000, 1, 1), "slug"))
    except ValueError as error:
        return f"bad 'permalink' {pattern!r}: {error}"
    return None


def expand(pattern: str, when: datetime, slug: str) -> str:
    """A post's address from the ``permalink`` pattern, its date and its slug."""
    return pattern.format(
        year=f"{when.year:04d}", month=f"{when.month:02d}", day=f"{when.day:02d}", slug=slug
    )


def output_file(address: str) -> str:
    """The file that answers ``address``: ``/a/b/`` -> ``a/b/index.html``, ``/a.html`` ->
    ``a.html``."""
    path = address.lstrip("/")
    return path + "index.html" if address.endswith("/") else path


def markdown_copy(address: str) -> str:
    """The address of a page's Markdown copy (the llmstxt.org convention): ``/a/`` ->
    ``/a/index.html.md``, ``/a.html`` -> ``/a.html.md``."""
    return address + ("index.html.md" if address.endswith("/") else ".md")
