"""The old site's 404 page, brought as the new site's (a page at ``/404.html``).

Jekyll and Pelican keep it as content (``404.html`` or ``404.md``; a Pelican page saved
as ``404.html``); Hugo as a template, ``layouts/404.html`` (the site's, else its
theme's), whose ``main`` block is the text. HTML is written flush left, so that
Markdown reads it as HTML and never as an indented code block.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

ADDRESS = "/404.html"

_MAIN = re.compile(r"\{\{-?\s*define\s+\"main\"\s*-?\}\}(?P<main>.*)\{\{-?\s*end\s*-?\}\}", re.S)
_BODY = re.compile(r"<body[^>]*>(?P<main>.*)</body>", re.S | re.I)
_ACTION = re.compile(r"\{\{.*?\}\}", re.S)
_H1 = re.compile(r"<h1[^>]*>(?P<title>.*?)</h1>", re.S | re.I)
_TAG = re.compile(r"<[^>]+>")


def flush_left(text: str) -> str:
    """HTML with each line's indentation taken off."""
    return "\n".join(line.strip() for line in text.strip().splitlines()) + "\n"


def title_of(text: str, default: str = "Page not found") -> str:
    """The text of the first ``<h1>`` in ``text``, or ``default``."""
    found = _H1.search(text)
    title = html.unescape(_TAG.sub("", found.group("title"))).strip() if found else ""
    return title or default


def hugo_layout(src: Path, themes: list[str]) -> Path | None:
    """The 404 template Hugo would use: the site's, else the first theme's that has one."""
    candidates = [src / "layouts" / "404.html"]
    candidates += [src / "themes" / theme / "layouts" / "404.html" for theme in themes]
    return next((path for path in candidates if path.is_file()), None)


def from_hugo_template(text: str) -> tuple[str, int]:
    """The text of a Hugo 404 template, and how many Go template actions were dropped."""
    found = _MAIN.search(text) or _BODY.search(text)
    main = found.group("main") if found else text
    main, dropped = _ACTION.subn("", main)
    return flush_left(main), dropped
