"""Shortcodes: Jinja2 templates that a post calls from its Markdown, as Hugo's are called.

A call is ``{{< name key="value" positional >}}``, or a pair around inner content,
``{{< name >}}inner{{< /name >}}``; ``{{% name %}}`` is the same call whose output is
Markdown (rendered here). The template is ``templates/shortcodes/NAME.html`` of the
site, else of the bundled theme. ``{{</* name */>}}`` shows the call itself, as Hugo's
documentation writes it.

Calls are expanded before the Markdown parse, outside code spans and code blocks: each
becomes an HTML comment holding its place, with as many lines as the call had, so that
every line after it keeps its number for error messages; the comment is replaced by
the template's output in the rendered HTML (and in the Markdown copies).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyromark

from foldpress.cache import digest

if TYPE_CHECKING:
    import jinja2

FOLDER = "shortcodes"  # under a templates folder
# A call's opening: {{< or {{%, then the name, or /name for a closing tag, or /* for
# the escaped form.
_OPENER = re.compile(r"\{\{([<%])\s*")
_NAME = re.compile(r"/?[A-Za-z_][\w.-]*")
_ARGUMENT = re.compile(
    r"""\s*(?:([A-Za-z_][\w-]*)\s*=\s*)?("(?:[^"\\]|\\.)*"|`[^`]*`|'[^']*'|[^\s"'`=]+?)(?=\s|/?[>%]\}\})""",
    re.S,
)
# In the HTML, and in the Markdown (where its later lines start with the call's prefix).
_PLACEHOLDER = re.compile(r"<!--foldpress-shortcode-(\d+)[\s>]*?-->")
_CODE_OPTIONS = (
    pyromark.Options.ENABLE_TABLES
    | pyromark.Options.ENABLE_FOOTNOTES
    | pyromark.Options.ENABLE_STRIKETHROUGH
)
_BLOCK_PREFIX = re.compile(r"[ \t>]*")


class ShortcodeError(Exception):
    """A call that cannot be expanded; ``offset`` is where it is in the text."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
        self.message = message


@dataclass
class _Tag:
    start: int
    end: int
    markdown: bool  # {{% %}}
    name: str
    closing: bool
    self_closing: bool
    named: dict[str, str]
    positional: list[str]
    escaped: str | None = None  # {{</* ... */>}}: the call as shown
    in_code: bool = False


@dataclass
class _Call:
    opener: _Tag
    inner: tuple[int, int] | None = None  # the inner text's range
    end: int = 0


@dataclass
class Expanded:
    """A text with its calls replaced by placeholders, and what replaces them."""

    text: str
    outputs: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)  # each call's 0-based line
    quoted: set[int] = field(default_factory=set)  # outputs that show a call on purpose
    errors: list[tuple[int, str]] = field(default_factory=list)  # (0-based line, message)
    warnings: list[tuple[int, str]] = field(default_factory=list)

    def shown(self) -> list[tuple[int, str]]:
        """Each call's output, at the call's line."""
        shown = zip(self.lines, self.outputs, strict=True)
        return [item for i, item in enumerate(shown) if i not in self.quoted]

    def restore(self, rendered: str) -> str:
        """``rendered`` (HTML or Markdown) with each placeholder replaced by its call's
        output."""
        if not self.outputs:
            return rendered
        return _PLACEHOLDER.sub(lambda m: self.outputs[int(m.group(1))], rendered)


# Renders inner Markdown: (text, first line) -> (html, errors, warnings).
InnerRenderer = Callable[[str, int], tuple[str, list[tuple[int, str]], list[tuple[int, str]]]]


class Shortcodes:
    """The shortcode templates of a site (its own first, then the bundled theme's)."""

    def __init__(self, site_dir: Path) -> None:
        self.site_dir = site_dir

    @cached_property
    def env(self) -> jinja2.Environment:
        # Made and imported when a post first calls a shortcode: most posts do not.
        import jinja2

        from foldpress.theme import THEME_DIR

        folders = [self.site_dir / "templates" / FOLDER, THEME_DIR / "templates" / FOLDER]
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(f) for f in folders]),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        env.filters["markdownify"] = _markdownify
        return env

    def expand(
        self,
        text: str,
        render_inner: InnerRenderer,
        context: dict[str, Any],
        first_line: int = 0,
    ) -> Expanded:
        """``text`` with every call outside code replaced by a placeholder; the calls'
        outputs, and the problems found, at 0-based lines counted from ``first_line``."""
        expanded = Expanded(text)
        if "{{<" not in text and "{{%" not in text:
            return expanded
        try:
            calls = _calls(text)
        except ShortcodeError as error:
            line = first_line + text.count("\n", 0, error.offset)
            expanded.errors.append((line, error.message))
            return expanded
        out: list[str] = []
        last = 0
        for item in calls:
            if isinstance(item, _Tag):  # an escaped call: shown as a call, on purpose
                shown = item.escaped or ""
                if not item.in_code:  # held by a placeholder, not taken for a leftover
                    expanded.quoted.add(len(expanded.outputs))
                    expanded.outputs.append(html.escape(shown, quote=False))
                    expanded.lines.append(first_line + text.count("\n", 0, item.start))
                    shown = f"<!--foldpress-shortcode-{len(expanded.outputs) - 1}-->"
                out += [text[last : item.start], shown]
                last = item.end
                continue
            start = item.opener.start
            line = first_line + text.count("\n", 0, start)
            try:
                output = self._output(text, item, line, render_inner, context, expanded)
            except ShortcodeError as error:
                expanded.errors.append((line, error.message))
                output = ""
            out += [text[last:start], self._placeholder(text, item, len(expanded.outputs))]
            expanded.outputs.append(output)
            expanded.lines.append(line)
            last = item.end
        out.append(text[last:])
        expanded.text = "".join(out)
        return expanded

    def _output(
        self,
        text: str,
        call: _Call,
        line: int,
        render_inner: InnerRenderer,
        context: dict[str, Any],
        expanded: Expanded,
    ) -> str:
        import jinja2
        import markupsafe

        tag = call.opener
        try:
            template = self.env.get_template(tag.name + ".html")
        except jinja2.TemplateNotFound:
            raise ShortcodeError(
                tag.start,
                f"no shortcode template for {{{{< {tag.name} >}}}}: add "
                f"templates/{FOLDER}/{tag.name}.html to the site",
            ) from None
        except jinja2.TemplateSyntaxError as error:
            raise ShortcodeError(tag.start, _template_problem(tag.name, error)) from None
        inner_html = inner_markdown = None
        if call.inner is not None:
            inner_markdown = text[call.inner[0] : call.inner[1]]
            inner_line = line + text.count("\n", tag.start, call.inner[0])
            inner_html, errors, warnings = render_inner(inner_markdown, inner_line)
            expanded.errors += errors
            expanded.warnings += warnings
        positional = tag.positional

        def get(key: str | int, default: object = None) -> object:
            """Hugo's ``.Get``: a named argument, or a positional one by number."""
            if isinstance(key, int):
                return positional[key] if 0 <= key < len(positional) else default
            return tag.named.get(key, default)

        values = {
            **context,
            "name": tag.name,
            "args": tag.named,
            "positional": positional,
            "get": get,
            "inner": markupsafe.Markup(inner_html) if inner_html is not None else None,
            "inner_markdown": inner_markdown,
        }
        try:
            output = template.render(values)
        except Exception as error:  # a template's own mistake, reported at the call
            raise ShortcodeError(tag.start, _template_problem(tag.name, error)) from None
        if tag.markdown:  # {{% %}}: the output is Markdown
            output, errors, warnings = render_inner(output, line)
            expanded.errors += errors
            expanded.warnings += warnings
            if not self._is_block(text, call):
                output = _unwrap_paragraph(output)
        return output.strip("\n") if self._is_block(text, call) else output.strip()

    @staticmethod
    def _is_block(text: str, call: _Call) -> bool:
        """Whether the call is the whole of its lines (a block), not inside a paragraph."""
        line_start = text.rfind("\n", 0, call.opener.start) + 1
        line_end = text.find("\n", call.end)
        line_end = len(text) if line_end < 0 else line_end
        before = text[line_start : call.opener.start]
        return bool(_BLOCK_PREFIX.fullmatch(before)) and not text[call.end : line_end].strip()

    def _placeholder(self, text: str, call: _Call, number: int) -> str:
        """An HTML comment with the call's lines: an HTML block where the call stands on
        its own lines (its later lines start as the first does, to stay in the same
        list item or quote), inline HTML inside a paragraph."""
        lines = text.count("\n", call.opener.start, call.end)
        if self._is_block(text, call):
            line_start = text.rfind("\n", 0, call.opener.start) + 1
            prefix = text[line_start : call.opener.start]
            return f"<!--foldpress-shortcode-{number}" + ("\n" + prefix) * lines + "-->"
        return f"<!--foldpress-shortcode-{number}" + "\n" * lines + "-->"


def _markdownify(text: object) -> object:
    """``{{ args.caption|markdownify }}``: an argument's Markdown as HTML."""
    import markupsafe

    from foldpress.markdown import create_markdown

    return markupsafe.Markup(create_markdown().html(str(text or "")))


def _template_problem(name: str, error: Exception) -> str:
    import jinja2

    where = f"{FOLDER}/{name}.html"
    if isinstance(error, jinja2.TemplateSyntaxError) and error.lineno:
        where += f":{error.lineno}"
    else:
        tb = error.__traceback__
        while tb:
            if tb.tb_frame.f_code.co_filename.endswith(".html"):
                where = f"{FOLDER}/{name}.html:{tb.tb_lineno}"
            tb = tb.tb_next
    kind = "" if isinstance(error, jinja2.TemplateError) else f"{type(error).__name__}: "
    return f"shortcode {name!r} ({where}): {kind}{error}"


def _unwrap_paragraph(html: str) -> str:
    stripped = html.strip()
    if stripped.startswith("<p>") and stripped.endswith("</p>") and stripped.count("<p>") == 1:
        return stripped[3:-4]
    return stripped


def _code_ranges(text: str) -> list[tuple[int, int]]:
    """The character ranges of the code spans and code blocks of ``text``."""
    parser = _parser()
    raw = text.encode()
    ranges: list[tuple[int, int]] = []
    block_start = -1
    for event, span in parser.events_with_range(text, merge_text=True):
        if type(event) is not dict:
            continue
        [(kind, value)] = event.items()
        is_block = value == "CodeBlock" or (type(value) is dict and "CodeBlock" in value)
        if kind == "Start" and is_block:
            block_start = span["start"]
        elif kind == "End" and is_block:
            ranges.append((block_start, span["end"]))
        elif kind == "Code":
            ranges.append((span["start"], span["end"]))
    if raw.isascii():
        return ranges
    return [
        (len(raw[:a].decode(errors="ignore")), len(raw[:b].decode(errors="ignore")))
        for a, b in ranges
    ]


@lru_cache(maxsize=1)
def _parser() -> pyromark.Markdown:
    return pyromark.Markdown(options=_CODE_OPTIONS)


def _tags(text: str) -> list[_Tag]:
    """Every call tag of ``text`` outside code, and every escaped call, in order."""
    code = _code_ranges(text)
    tags: list[_Tag] = []
    for match in _OPENER.finditer(text):
        start = match.start()
        if tags and start < tags[-1].end:
            continue  # inside the last call, e.g. in a quoted argument: v="{{%"
        # An escaped call is shown as a call in code too, as Hugo shows it.
        in_code = any(a <= start < b for a, b in code)
        if in_code and not text.startswith("/*", match.end()):
            continue
        tag = _read_tag(text, match)
        if tag is not None:
            tag.in_code = in_code
            tags.append(tag)
    return tags


def _read_tag(text: str, match: re.Match[str]) -> _Tag | None:
    delimiter = match.group(1)
    close = (">" if delimiter == "<" else "%") + "}}"
    start, at = match.start(), match.end()
    if text.startswith("/*", at):  # {{</* name */>}}
        end = text.find("*/" + close, at)
        if end < 0:
            return None
        shown = "{{" + delimiter + text[at + 2 : end] + close
        return _Tag(start, end + 2 + len(close), False, "", False, False, {}, [], escaped=shown)
    name = _NAME.match(text, at)
    if name is None:
        raise ShortcodeError(start, "a shortcode call needs a name: {{< name >}}")
    at = name.end()
    named: dict[str, str] = {}
    positional: list[str] = []
    while True:
        rest = re.compile(r"\s*(/?)" + re.escape(close)).match(text, at)
        if rest:
            closing = name.group().startswith("/")
            return _Tag(
                start,
                rest.end(),
                delimiter == "%",
                name.group().lstrip("/"),
                closing,
                bool(rest.group(1)),
                named,
                positional,
            )
        argument = _ARGUMENT.match(text, at)
        if argument is None or argument.end() == at:
            shown = text[start : text.find("\n", start) if "\n" in text[start:] else len(text)]
            raise ShortcodeError(
                start, f"cannot read the arguments of shortcode call {shown[:60]!r}"
            )
        value = _unquote(argument.group(2))
        if argument.group(1):
            named[argument.group(1)] = value
        else:
            positional.append(value)
        at = argument.end()


def _unquote(value: str) -> str:
    if value[:1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    if value[:1] in ("`", "'"):
        return value[1:-1]
    return value


def _calls(text: str) -> list[_Call | _Tag]:
    """The top-level calls of ``text`` and its escaped calls, in order; calls inside a
    pair's inner content are expanded with it. An opening tag that nothing closes is a
    call without inner content."""
    root: list[_Call | _Tag] = []
    stack: list[tuple[_Call, list[_Call | _Tag]]] = []  # open pairs and what is in them

    def children() -> list[_Call | _Tag]:
        return stack[-1][1] if stack else root

    def unclosed() -> None:  # the innermost open call has no closing tag after all
        _, inside = stack.pop()
        children().extend(inside)

    for tag in _tags(text):
        if tag.escaped is not None:
            children().append(tag)
        elif not tag.closing:
            call = _Call(tag, end=tag.end)
            children().append(call)
            if not tag.self_closing:
                stack.append((call, []))
        elif all(call.opener.name != tag.name for call, _ in stack):
            raise ShortcodeError(tag.start, f"{{{{< /{tag.name} >}}}} closes no open shortcode")
        else:
            while stack[-1][0].opener.name != tag.name:
                unclosed()
            call, _ = stack.pop()
            call.inner, call.end = (call.opener.end, tag.start), tag.end
    while stack:
        unclosed()
    return root


def site_shortcodes_key(site_dir: Path) -> bytes:
    """A digest of the site's own shortcode templates (the theme's are part of the
    engine's version): a post that calls shortcodes is rendered again when it changes."""
    from foldpress.theme import files_in

    folder = site_dir / "templates" / FOLDER
    return digest(*[(str(p.relative_to(folder)), p.read_bytes()) for p in files_in(folder)])


def calls_shortcodes(raw: bytes | str) -> bool:
    """Whether a source may call shortcodes (a quick look at its bytes)."""
    return (
        ("{{<" in raw or "{{%" in raw) if isinstance(raw, str) else (b"{{<" in raw or b"{{%" in raw)
    )


def shortcodes_for(site_dir: Path) -> Shortcodes:
    """The site's shortcodes as its templates are now: one set per process while they
    do not change (workers render many posts; ``serve`` builds again and again)."""
    return _shortcodes(site_dir, site_shortcodes_key(site_dir))


@lru_cache(maxsize=4)
def _shortcodes(site_dir: Path, key: bytes) -> Shortcodes:
    return Shortcodes(site_dir)
