"""The Liquid tags of Octopress, Jekyll plugins and Pelican's liquid_tags plugin, as
foldpress writes the same things: HTML, a fenced code block, or a bundled shortcode.

The syntaxes are those their documentation gives:
``{% img [class names] /path [width [height]] [title text | "title" ["alt"]] %}``,
``{% video url [width height] [poster] %}``, ``{% youtube ID|URL [width height] %}``,
``{% vimeo ID [width height] %}``, ``{% gist [user/]ID [file] %}`` and
``{% include_code [title] [lang:language] [lines:N-M] path %}`` (Octopress reads the file
under ``source/downloads/code/``, Pelican under its ``CODE_DIR``).
"""

from __future__ import annotations

import html
import re
import shlex
from pathlib import Path

from foldpress.importers._syntax import fence

_IMG = re.compile(
    r"^(?P<classes>(?:[\w-]+\s+)*?)(?P<src>(?:https?://|/)\S+|\S+/\S+|\S+\.\w{3,4})"
    r"(?:\s+(?P<width>\d+%?))?(?:\s+(?P<height>\d+%?))?(?:\s+(?P<text>.+))?$"
)
_TITLE_ALT = re.compile(r"""^["'](?P<title>[^"']*)["']\s+["'](?P<alt>[^"']*)["']$""")
_YOUTUBE_ID = re.compile(r"(?:v=|youtu\.be/|embed/)([\w-]{6,})")


def liquid_tag(name: str, args: str, code_dirs: list[Path]) -> str | None:
    """The tag ``{% name args %}`` as foldpress writes it; None if it is not one of
    these, or its arguments are not as documented."""
    args = args.strip()
    if name == "img":
        return _img(args)
    words = _words(args)
    if name == "video" and words:
        sizes = [w for w in words[1:] if w.isdigit()]
        poster = next((w for w in words[1:] if not w.isdigit()), None)
        named = {"src": words[0]} | dict(zip(("width", "height"), sizes, strict=False))
        return _call("video", named | ({"poster": poster} if poster else {}))
    if name == "youtube" and words:
        found = _YOUTUBE_ID.search(words[0])
        return _call("youtube", {"id": found.group(1) if found else words[0]})
    if name == "vimeo" and words:
        return _call("vimeo", {"id": words[0].rstrip("/").rsplit("/", 1)[-1]})
    if name == "gist" and words:
        user, _, gist_id = words[0].rpartition("/")
        named = {"id": gist_id} | ({"user": user} if user else {})
        return _call("gist", named | ({"file": words[1]} if len(words) > 1 else {}))
    if name == "include_code":
        return _include_code(words, code_dirs)
    return None


def _words(args: str) -> list[str]:
    try:
        return shlex.split(args)
    except ValueError:
        return args.split()


def _call(name: str, named: dict[str, str]) -> str:
    quoted = " ".join(f'{k}="{v.replace(chr(34), chr(92) + chr(34))}"' for k, v in named.items())
    return f"{{{{< {name} {quoted} >}}}}"


def _img(args: str) -> str | None:
    found = _IMG.match(args)
    if found is None:
        return None
    attributes = {"src": found.group("src")}
    text = (found.group("text") or "").strip()
    pair = _TITLE_ALT.match(text)
    title, alt = (pair.group("title"), pair.group("alt")) if pair else (text.strip("\"'"), "")
    attributes["alt"] = alt or title
    if title:
        attributes["title"] = title
    for key in ("width", "height"):
        if found.group(key):
            attributes[key] = found.group(key)
    if found.group("classes").strip():
        attributes["class"] = found.group("classes").strip()
    return "<img" + "".join(f' {k}="{html.escape(v)}"' for k, v in attributes.items()) + ">"


def _include_code(words: list[str], code_dirs: list[Path]) -> str | None:
    language, lines, title, path = "", "", [], None
    for word in words:
        if word.startswith("lang:"):
            language = word.removeprefix("lang:")
        elif word.startswith("lines:"):
            lines = word.removeprefix("lines:")
        elif word.startswith(":") and word.endswith(":"):
            continue  # Pelican's :hidefilename: and the like
        elif path is None and any((folder / word).is_file() for folder in code_dirs):
            path = word
        else:
            title.append(word)
    if path is None:
        return None
    file = next(folder / path for folder in code_dirs if (folder / path).is_file())
    try:
        code = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    if re.fullmatch(r"\d+-\d+", lines):
        first, last = (int(n) for n in lines.split("-"))
        code = "\n".join(code.splitlines()[first - 1 : last])
    caption = " ".join(title) or Path(path).name
    return f"*{caption}*\n\n{fence(language, code)}"
