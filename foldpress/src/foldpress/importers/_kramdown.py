"""kramdown's own syntax (https://kramdown.gettalong.org/syntax.html), as Markdown and HTML.

- An inline attribute list (IAL), ``{: .class #id key="value"}``, on a line of its own
  after a block (or before one) gives that block its attributes; right after an image or
  a link, it gives them to that element. The element is then written as HTML with them
  (an image, a heading), or wrapped in a ``<div>`` that has them (a paragraph, a list,
  a table: its Markdown inside is still Markdown).
- An attribute list definition, ``{:name: .class}``, is what ``{: name}`` refers to.
- ``{:toc}`` (under a list item such as ``* TOC``) is a table of contents: a list of
  links to the post's headings, less those marked ``{: .no_toc}``.
- The extensions: ``{::options ... /}`` is dropped, ``{::comment}`` becomes an HTML
  comment, ``{::nomarkdown}`` its content.

Code blocks are left alone.
"""

from __future__ import annotations

import html
import re

from foldpress.markdown_html import slugify as heading_id

_IAL_LINE = re.compile(r"^ {0,3}\{:(?![:/])\s*(?P<body>[^}\n]*)\}[ \t]*$")
_ALD_LINE = re.compile(r"^ {0,3}\{:(?P<name>[\w-]+):\s*(?P<body>[^}\n]*)\}[ \t]*$")
_ATTRIBUTE = re.compile(r"""([.#])([\w:-]+)|([\w-]+)=(?:"([^"]*)"|'([^']*)'|(\S+))|([\w-]+)""")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
_IMAGE_LINE = re.compile(r'^!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)(?:\s+"(?P<title>[^"]*)")?\)$')
_SPAN = re.compile(
    r'(?P<image>!)?\[(?P<text>[^\]\n]*)\]\((?P<url>[^)\s]+)(?:\s+"(?P<title>[^"]*)")?\)'
    r"\{:\s*(?P<body>[^}\n]*)\}"
)
_OTHER_SPAN_IAL = re.compile(r"\{:(?![:/])[^}\n]*\}")
_EXTENSION = re.compile(
    r"\{::options\b[^}]*/\}[ \t]*\n?"
    r"|\{::(?P<kind>comment|nomarkdown)\}(?P<inner>.*?)\{:/(?P=kind)?\}",
    re.S,
)
_TOC_ITEM = re.compile(r"^ {0,3}(?:[*+-]|\d+[.)])[ \t]+\S.*$")


def convert(body: str) -> str:
    """``body`` with kramdown's attribute lists, table of contents and extensions
    written as Markdown and HTML foldpress renders."""
    if "{:" not in body:
        return body
    body = _EXTENSION.sub(_extension, body)
    lines = body.split("\n")
    code = _code_lines(lines)
    definitions = {
        m.group("name"): m.group("body")
        for i, line in enumerate(lines)
        if i not in code and (m := _ALD_LINE.match(line))
    }
    out: list[str] = []
    toc_at: list[int] = []
    no_toc: set[str] = set()
    pending: dict[str, str] = {}  # attributes for the next block (an IAL before it)
    pending_from: int | None = None  # where that block starts in ``out``, once it has
    for i, line in enumerate(lines):
        own_line = i not in code and bool(_IAL_LINE.match(line) or _ALD_LINE.match(line))
        toc_line = own_line and "toc" in line and _is_toc(line, definitions)
        ends = (i not in code and not line.strip()) or (own_line and not toc_line)
        if pending_from is not None and ends:
            _apply(out, pending_from, pending, no_toc, end=len(out))  # the whole block
            pending, pending_from = {}, None
        if pending and pending_from is None and line.strip() and not own_line:
            pending_from = len(out)
        if i in code:
            out.append(line)
            continue
        if _ALD_LINE.match(line):
            continue
        ial = _IAL_LINE.match(line)
        if ial is None:
            out.append(_spans(line) if "{:" in line else line)
            continue
        attributes, toc = _attributes(ial.group("body"), definitions)
        block = _block_above(out)
        if toc:
            wrap = pending if pending_from is not None else {}  # {: .class} before the list
            if pending_from is not None:
                block = list(range(pending_from, len(out)))
                pending, pending_from = {}, None
            if block and len(block) == 1 and _TOC_ITEM.match(out[block[0]]):
                del out[block[0]]
            out += [f"<div{_html_attributes(wrap)}>", ""] if wrap else []
            toc_at.append(len(out))
            out.append("")  # the table of contents, once the headings are known
            out += ["", "</div>", ""] if wrap else []
            continue
        if not block:  # before a block: for the next one
            pending = attributes
            continue
        _apply(out, block[0], attributes, no_toc, end=block[-1] + 1)
        if i + 1 < len(lines) and lines[i + 1].strip():
            # kramdown ends the block at its attribute list; without a blank line the
            # text after an element now written as HTML would become part of its HTML
            # block (no Markdown, no math)
            out.append("")
    if pending_from is not None:
        _apply(out, pending_from, pending, no_toc, end=len(out))
    if toc_at:
        table = _table_of_contents(out, no_toc)
        for at in toc_at:
            out[at] = table
    return "\n".join(out)


def _is_toc(line: str, definitions: dict[str, str]) -> bool:
    ial = _IAL_LINE.match(line)
    return bool(ial and _attributes(ial.group("body"), definitions)[1])


def _extension(match: re.Match[str]) -> str:
    if match.group("kind") == "comment":
        return "<!--" + match.group("inner").replace("--", "- -") + "-->"
    if match.group("kind") == "nomarkdown":
        return match.group("inner")
    return ""  # {::options /}: settings of kramdown's parser


def _code_lines(lines: list[str]) -> set[int]:
    """The lines of fenced code blocks, fences included."""
    inside: set[int] = set()
    fence = ""
    for i, line in enumerate(lines):
        opening = _FENCE.match(line)
        if fence:
            inside.add(i)
            closing = opening and opening.group(1)[0] == fence[0]
            if closing and len(line.strip()) >= len(fence) and not line.strip().lstrip(fence[0]):
                fence = ""
        elif opening:
            fence = opening.group(1)
            inside.add(i)
    return inside


def _attributes(text: str, definitions: dict[str, str]) -> tuple[dict[str, str], bool]:
    """An attribute list's attributes (classes joined), and whether it asks for the
    table of contents; names refer to definitions."""
    classes: list[str] = []
    found: dict[str, str] = {}
    toc = False
    for match in _ATTRIBUTE.finditer(text):
        mark, value, key, *quoted, name = match.groups()
        if mark == ".":
            classes.append(value)
        elif mark == "#":
            found["id"] = value
        elif key:
            found[key] = next((q for q in quoted if q is not None), "")
        elif name == "toc":
            toc = True
        elif name in definitions:
            more, _ = _attributes(definitions[name], {})
            classes += more.pop("class", "").split()
            found |= more
    if classes:
        found["class"] = " ".join(classes)
    return found, toc


def _html_attributes(attributes: dict[str, str]) -> str:
    return "".join(f' {k}="{html.escape(v)}"' for k, v in attributes.items())


def _block_above(out: list[str]) -> list[int]:
    """The indexes of the lines of the block just above the end of ``out`` (none if a
    blank line is there)."""
    end = len(out)
    start = end
    while start > 0 and out[start - 1].strip():
        if start < end and _HEADING.match(out[start - 1]):
            break  # a heading is a block of its own, even with no blank line after it
        start -= 1
    return list(range(start, end))


def _apply(
    out: list[str], start: int, attributes: dict[str, str], no_toc: set[str], end: int = 0
) -> None:
    """Give the block ``out[start:end]`` the attributes, in place."""
    end = end or start + 1
    classes = attributes.get("class", "").split()
    if "no_toc" in classes:
        classes.remove("no_toc")
        heading = _HEADING.match(out[start])
        if heading:
            no_toc.add(heading.group(2))
        if classes:
            attributes["class"] = " ".join(classes)
        else:
            attributes.pop("class", None)
    if not attributes:
        return
    block = out[start:end]
    image = _IMAGE_LINE.match(block[0]) if len(block) == 1 else None
    heading = _HEADING.match(block[0]) if len(block) == 1 else None
    if image:
        out[start] = _image(
            image.group("src"), image.group("alt"), image.group("title"), attributes
        )
    elif heading and not re.search(r"[*_`\[<\\]", heading.group(2)):
        level, text = len(heading.group(1)), heading.group(2)
        attributes = {"id": heading_id(text), **attributes}
        out[start] = f"<h{level}{_html_attributes(attributes)}>{html.escape(text)}</h{level}>"
    else:
        out[start:end] = [f"<div{_html_attributes(attributes)}>", "", *block, "", "</div>"]


def _image(src: str, alt: str, title: str | None, attributes: dict[str, str]) -> str:
    own = {"src": src, "alt": alt} | ({"title": title} if title else {})
    return f"<img{_html_attributes(own | attributes)}>"


def _spans(line: str) -> str:
    """A line with the attribute lists right after its images and links applied to
    them (as HTML), and any other span's attribute list dropped."""

    def element(match: re.Match[str]) -> str:
        attributes, _ = _attributes(match.group("body"), {})
        if match.group("image"):
            return _image(match.group("url"), match.group("text"), match.group("title"), attributes)
        own = {"href": match.group("url")} | (
            {"title": match.group("title")} if match.group("title") else {}
        )
        return f"<a{_html_attributes(own | attributes)}>{match.group('text')}</a>"

    return _OTHER_SPAN_IAL.sub("", _SPAN.sub(element, line))


def _table_of_contents(lines: list[str], left_out: set[str]) -> str:
    """A Markdown list of links to the headings (levels 2 to 4, as foldpress gives ids)."""
    entries = []
    fence = ""
    for line in lines:
        opening = _FENCE.match(line)
        if opening and (not fence or opening.group(1)[0] == fence[0]):
            fence = "" if fence else opening.group(1)
            continue
        heading = None if fence else _HEADING.match(line)
        if heading and 2 <= len(heading.group(1)) <= 4 and heading.group(2) not in left_out:
            text = heading.group(2)
            indent = "  " * (len(heading.group(1)) - 2)
            entries.append(f"{indent}- [{text}](#{heading_id(text)})")
        elif line.startswith("<h") and ' id="' in line:
            tag = re.match(r'<h([2-4])[^>]* id="([^"]+)"[^>]*>(.*?)</h\1>', line)
            if tag:
                indent = "  " * (int(tag.group(1)) - 2)
                entries.append(f"{indent}- [{html.unescape(tag.group(3))}](#{tag.group(2)})")
    return "\n".join(entries)
