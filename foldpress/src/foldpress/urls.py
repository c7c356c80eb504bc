"""Every URL the site's outputs hold: links between pages, and URLs made absolute.

A site path such as ``/2025/03/dropout/`` names a page of the site. On the site's own
pages, :func:`site_link` writes it as the page should link to it: under ``base_url``'s
path (``/blog/2025/03/dropout/`` for a site published at ``https://host/blog/``), or,
with ``relative_urls``, relative to the page (``../../2025/03/dropout/index.html``), so
that the site works opened from disk. :func:`rebase_html` does the same to the
root-relative links authors write in posts.

Feeds, Markdown copies and llms.txt are read away from the site (in a feed reader, by a
language model), where a relative ``href`` means nothing, so every link and image in them
is resolved against ``base_url`` first. Root-relative paths (``/images/a.png``) are taken
as site paths, so a site served under ``https://host/blog/`` keeps its prefix.
"""

from __future__ import annotations

import functools
import html
import posixpath
import re
from collections import Counter
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import quote, urljoin, urlsplit

from foldpress.config import SiteConfig
from foldpress.markdown import Document, Markdown, source_lines

_URL_ATTRIBUTES = {"href", "src", "poster"}


_PLAIN_PATH = re.compile(r"[\w/.~#%-]*", re.ASCII)  # what quote() below leaves as it is


def site_url(config: SiteConfig, path: str) -> str:
    """The absolute URL of a site path, percent-encoded so it is safe in Markdown and XML."""
    return config.absolute_url(path if _PLAIN_PATH.fullmatch(path) else quote(path, safe="/#%"))


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def has_scheme(url: str) -> bool:
    """Whether ``url`` starts with a scheme (``https:``, ``mailto:``). Unlike urlsplit,
    never raises: a post may hold any text as a link (``http://[oops``)."""
    return _SCHEME.match(url) is not None


def base_path(config: SiteConfig) -> str:
    """The path the site is published under: ``/``, or e.g. ``/blog/``."""
    return _base_path(config.base_url)


@functools.lru_cache(maxsize=8)
def _base_path(base_url: str) -> str:  # asked for every link of every page
    return urlsplit(base_url).path.rstrip("/") + "/"


def site_link(config: SiteConfig, path: str, page_url: str | None) -> str:
    """How the page at site path ``page_url`` (None: the 404 page, served at any
    address) links to site path ``path``; any other URL is left as it is."""
    if not path.startswith("/") or path.startswith("//"):
        return path
    if config.relative_urls:
        target, mark, rest = _split_suffix(path)
        if target.endswith("/"):
            target += "index.html"  # from disk, a folder shows no index.html of its own
        page_url = page_url or "/"  # the 404 page is at the top
        folder = page_url if page_url.endswith("/") else page_url.rpartition("/")[0] + "/"
        return posixpath.relpath(target, folder) + mark + rest
    return base_path(config) + path[1:]


def _split_suffix(path: str) -> tuple[str, str, str]:
    """``path`` as (the path proper, "?" or "#" or "", what follows it)."""
    cut = min((i for i in (path.find("?"), path.find("#")) if i >= 0), default=len(path))
    return path[:cut], path[cut : cut + 1], path[cut + 1 :]


def rebase_html(source: str, page_url: str | None, config: SiteConfig) -> str:
    """``source`` (a post's HTML) with every root-relative URL written by
    :func:`site_link` for the page at ``page_url``."""
    if base_path(config) == "/" and not config.relative_urls:
        return source  # as written
    return rewrite_urls(source, functools.partial(_rebase, config=config, page_url=page_url))


def _rebase(url: str, config: SiteConfig, page_url: str | None) -> str:
    return site_link(config, url, page_url)


def absolute(url: str, page_url: str, config: SiteConfig) -> str:
    """Resolve ``url`` as written on the page at site path ``page_url``.

    URLs with a scheme (``https:``, ``mailto:``, ``data:``) are left alone; a bare
    fragment such as a footnote's ``#fn1`` becomes the page's absolute URL plus it.
    """
    if has_scheme(url):
        return url
    if url.startswith("//"):
        return urlsplit(config.base_url).scheme + ":" + url
    if url.startswith("/"):
        return config.absolute_url(url)
    return urljoin(site_url(config, page_url), url)


def absolutize_html(source: str, page_url: str, config: SiteConfig) -> str:
    """Return ``source`` with every relative ``href``/``src``/``srcset`` made absolute.

    Only the start tags that carry a relative URL are rewritten; everything else,
    MathML and highlighted code included, is copied through byte for byte.
    """
    return rewrite_urls(source, functools.partial(absolute, page_url=page_url, config=config))


def rewrite_urls(source: str, resolve: Callable[[str], str]) -> str:
    """``source`` with each URL of its ``href``/``src``/``srcset``/``poster`` attributes
    replaced by ``resolve(url)``; everything else copied through byte for byte."""
    if _SIMPLE_HTML.fullmatch(source):
        edits = [
            (match.start(), match.group(), new)
            for match in _URL_TAG.finditer(source)
            if (new := _rewrite_simple_tag(match.group(), resolve)) != match.group()
        ]
    else:
        starts = _line_starts(source)
        edits = [
            (starts[line - 1] + col, old, new)
            for (line, col), old, new in _rewrites(source, resolve)
        ]
    if not edits:
        return source
    out, last = [], 0
    for at, old, new in edits:
        out += [source[last:at], new]
        last = at + len(old)
    out.append(source[last:])
    return "".join(out)


def _rewrites(source: str, resolve) -> list[tuple[tuple[int, int], str, str]]:
    rewriter = _TagRewriter(resolve)
    rewriter.feed(source)
    rewriter.close()
    return rewriter.edits


# Most HTML (all that foldpress.markdown, Pygments and latex2mathml make) is text without "<",
# end tags, comments without "-", "<" or ">" in them (such as the fold), and start tags
# whose attribute values are double-quoted and hold no "<" or ">", none of them script
# or style (whose content is not HTML). HTMLParser reads such a document as just that
# sequence, so a start tag that holds a URL can be found by a regex and parsed on its
# own, instead of parsing every tag of the document.
_S = r"[ \t\n\r\f]"
_START_TAG = (
    rf"<(?!(?i:script|style)(?:{_S}|/|>))[a-zA-Z][a-zA-Z0-9]*+"
    rf'(?:{_S}++[a-zA-Z_:][-a-zA-Z0-9_:.]*+(?:="[^"<>]*+")?+)*+{_S}*+/?>'
)
_SIMPLE_HTML = re.compile(rf"(?:[^<]++|{_START_TAG}|</[a-zA-Z][a-zA-Z0-9]*+>|<!--[^-<>]*+-->)*+")
_URL_TAG = re.compile(rf"<[a-zA-Z][^>]*?{_S}(?i:href|src|srcset|poster)=[^>]*>")


class _TagRewriter(HTMLParser):
    """Collects ``((line, col), old_tag, new_tag)`` for the start tags that need new URLs."""

    def __init__(self, resolve) -> None:
        super().__init__(convert_charrefs=True)
        self.resolve = resolve
        self.edits: list[tuple[tuple[int, int], str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._rewrite(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._rewrite(tag, attrs, closed=True)

    def _rewrite(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        new_attrs = [(name, self._resolve_attr(name, value)) for name, value in attrs]
        if new_attrs == attrs:
            return
        parts = [tag] + [
            name if value is None else f'{name}="{html.escape(value)}"' for name, value in new_attrs
        ]
        new = "<" + " ".join(parts) + (" />" if closed else ">")
        self.edits.append((self.getpos(), self.get_starttag_text() or "", new))

    def _resolve_attr(self, name: str, value: str | None) -> str | None:
        return None if value is None else _resolve_attribute(name, value, self.resolve)


def _resolve_attribute(name: str, value: str, resolve) -> str:
    """An attribute's value with its URLs resolved, if it is one that holds URLs."""
    if name in _URL_ATTRIBUTES:
        return resolve(value.strip())
    if name == "srcset":
        candidates = (c.strip().split(maxsplit=1) for c in value.split(","))
        return ", ".join(" ".join([resolve(c[0]), *c[1:]]) for c in candidates if c)
    return value


_QUOTED_ATTRIBUTE = re.compile(rf'(?<={_S})([a-zA-Z_:][-a-zA-Z0-9_:.]*)="([^"<>]*)"')


def _rewrite_simple_tag(tag: str, resolve) -> str:
    """A start tag of the simple kind (see _SIMPLE_HTML) with its URLs resolved: its
    attributes are read by a regex, not by a parser made for whole documents."""

    def attribute(match: re.Match) -> str:
        name, value = match.group(1).lower(), html.unescape(match.group(2))
        new = _resolve_attribute(name, value, resolve)
        return match.group() if new == value else f'{match.group(1)}="{html.escape(new)}"'

    return _QUOTED_ATTRIBUTE.sub(attribute, tag)


def _line_starts(text: str) -> list[int]:
    # HTMLParser counts lines by "\n" alone, so must we.
    return [0] + [m.end() for m in re.finditer("\n", text)]


# The Markdown side. The parser tells us where code blocks are and which link targets
# really are links; a regex then finds those targets in the source text, skipping code
# spans, and rewrites them in place so the author's Markdown is otherwise untouched.

_md = Markdown()
_BACKSLASH_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
_DESTINATION = r"(?P<dest><[^<>\n]*>|[^\s()<>]*(?:\([^\s()]*\)[^\s()<>]*)*)"
_LINK_TARGET = re.compile(r"\]\(\s*" + _DESTINATION)
_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\n?[ \t]*" + _DESTINATION, re.MULTILINE)
_HTML_TAG = re.compile(r"<[A-Za-z][^<>]*>")
# Whatever could hold a URL to rewrite: an inline link or image, a link reference
# definition (not a footnote's), an HTML attribute that takes a URL. Text with none of
# them comes back as it is, without being parsed.
_INLINE_LINK = re.compile(r"\]\s*\(")
_REFERENCE = re.compile(r"^ {0,3}\[(?!\^[^\]\s]+\]:)[^\]\n]*\]:", re.MULTILINE)
_URL_ATTRIBUTE = re.compile(r"\b(?:href|src|srcset|poster)\s*=", re.IGNORECASE)


def _may_hold_urls(text: str) -> bool:
    # Three searches, the slow ones only where a substring says they may match, take a
    # quarter of the time of one search for the three alternatives.
    if _INLINE_LINK.search(text) or ("]:" in text and _REFERENCE.search(text)):
        return True
    lower = text.lower()
    return ("href" in lower or "src" in lower or "poster" in lower) and bool(
        _URL_ATTRIBUTE.search(text)
    )


# Cached: a post's Markdown is wanted by its copy, llms-full.txt and every listing it is on.
@functools.lru_cache(maxsize=4096)
def absolutize_markdown(source: str, page_url: str, config: SiteConfig) -> str:
    """Return Markdown ``source`` with relative link, image and HTML URLs made absolute.

    Code blocks, code spans and math are never touched, nor is text that merely looks
    like a link (``\\[a](b)``): only what the parser reads as a link or tag changes.
    """
    if "\r" not in source and not _may_hold_urls(source):
        return source
    # Lines are counted at "\n" only, as the parser's ranges are (str.splitlines differs).
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    doc = _md.parse(source)
    found = _Found(doc, _md.link_definitions(source))
    lines = source_lines(source)
    kind = ["inline"] * len(lines)
    for block, first, end in _blocks(doc):
        kind[first:end] = [block] * (end - first)

    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j < len(lines) and kind[j] == kind[i]:
            j += 1
        chunk = "".join(lines[i:j])
        if kind[i] == "code":
            out.append(chunk)
        elif kind[i] == "html":
            out.append(absolutize_html(chunk, page_url, config))
        else:
            out.append(_rewrite_inline(chunk, found, page_url, config))
        i = j
    return "".join(out)


def _blocks(doc: Document) -> list[tuple[str, int, int]]:
    """``("code" or "html", first line, end line)`` for the code blocks, formulas on
    their own and HTML blocks of ``doc``."""
    blocks = []
    events = doc.events
    for i, (event, span) in enumerate(events):
        if type(event) is not dict or "Start" not in event:
            continue
        tag = event["Start"]
        if tag == "HtmlBlock":
            block = "html"
        elif (type(tag) is dict and "CodeBlock" in tag) or (
            tag == "Paragraph"
            and type(events[i + 1][0]) is dict
            and "DisplayMath" in events[i + 1][0]
            and events[i + 2][0] == {"End": "Paragraph"}
        ):
            block = "code"
        else:
            continue
        blocks.append((block, doc.line(span["start"]), doc.line(span["end"] - 1) + 1))
    return blocks


class _Found:
    """What the parser read as link and image targets and inline HTML, counted so
    that each occurrence in the source is rewritten at most once."""

    def __init__(self, doc: Document, definitions: list[str]) -> None:
        self.targets: Counter[str] = Counter(definitions)
        self.tags: Counter[str] = Counter()
        for event, _ in doc.events:
            if type(event) is not dict:
                continue
            start = event.get("Start")
            if type(start) is dict and ("Link" in start or "Image" in start):
                [value] = start.values()
                self.targets[value["dest_url"]] += 1
            elif "InlineHtml" in event:
                self.tags[event["InlineHtml"]] += 1

    def take(self, counter: Counter[str], key: str) -> bool:
        if counter[key] <= 0:
            return False
        counter[key] -= 1
        return True


def _rewrite_inline(text: str, found: _Found, page_url: str, config: SiteConfig) -> str:
    code_spans = [m.span() for m in _CODE_SPAN.finditer(text)]
    edits: list[tuple[int, int, str]] = []
    for match in sorted(
        [*_DEFINITION.finditer(text), *_LINK_TARGET.finditer(text), *_HTML_TAG.finditer(text)],
        key=lambda m: m.start(),
    ):
        if any(start <= match.start() < end for start, end in code_spans):
            continue
        if match.re is _HTML_TAG:
            tag = match.group(0)
            if found.take(found.tags, tag):
                edits.append((*match.span(), absolutize_html(tag, page_url, config)))
            continue
        dest = match.group("dest")
        raw = dest[1:-1] if dest.startswith("<") else dest
        target = html.unescape(_BACKSLASH_ESCAPE.sub(r"\1", raw))
        if has_scheme(raw) or not found.take(found.targets, target):
            continue
        new = absolute(raw, page_url, config)
        edits.append((*match.span("dest"), f"<{new}>" if dest.startswith("<") else new))

    out, last = [], 0
    for start, end, new in edits:
        if start < last:  # overlapping matches: the first one wins
            continue
        out += [text[last:start], new]
        last = end
    out.append(text[last:])
    return "".join(out)
