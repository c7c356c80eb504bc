"""Slugs: the URL-safe names of posts, pages and topics."""

from __future__ import annotations

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_NOT_WORD = re.compile(r"[\W_]+")
_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}-?")


def slugify(text: str) -> str:
    """Lowercase ASCII words joined by hyphens: "Don't Panic!" -> "don-t-panic".

    A name with no ASCII letters or digits at all (Chinese, say) keeps its own:
    "机器 学习" -> "机器-学习", as Hugo's urlize and browsers' address bars have it.
    """
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = _NOT_ALNUM.sub("-", ascii_text.lower()).strip("-")
    if slug:
        return slug
    return _NOT_WORD.sub("-", unicodedata.normalize("NFC", text).lower()).strip("-_")


def slug_from_filename(stem: str) -> str:
    """A file's slug, without a leading ``YYYY-MM-DD-`` date as Jekyll names posts."""
    return slugify(_DATE_PREFIX.sub("", stem))


def escapes_folder(slug: str) -> bool:
    """Whether a slug given in front matter is a path rather than a name."""
    return "/" in slug or "\\" in slug or ".." in slug or slug.startswith("~")
