"""Front matter as Hugo and Jekyll write it: YAML between ``---``, TOML between ``+++``,
or a JSON object at the top of the file."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass

import yaml


@dataclass
class Matter:
    front: dict[str, object]
    body: str
    body_line: int  # 1-based line of the body's first line in the file


def split(text: str) -> Matter:
    """The front matter and body of ``text``; raises ValueError saying what is wrong."""
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    fence = lines[0].rstrip()
    if fence in ("---", "+++"):
        closers = ("---", "...") if fence == "---" else ("+++",)
        close = next((i for i, line in enumerate(lines[1:], 1) if line.rstrip() in closers), 0)
        if not close:
            raise ValueError(f"front matter is never closed by a '{fence}' line")
        raw = "\n".join(lines[1:close])
        try:
            front = yaml.safe_load(raw) if fence == "---" else tomllib.loads(raw)
        except (yaml.YAMLError, tomllib.TOMLDecodeError) as error:
            raise ValueError(f"bad front matter: {error}") from None
        body_line = close + 2
        body = "\n".join(lines[close + 1 :])
    elif fence.startswith("{"):
        try:
            front, end = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"bad JSON front matter: {error}") from None
        body_line = text.count("\n", 0, end) + 2
        body = text[end:].partition("\n")[2]
    else:
        return Matter({}, text, 1)
    if front is None:
        front = {}
    if not isinstance(front, dict):
        raise ValueError("front matter must be 'key: value' lines")
    return Matter(front, body, body_line)
