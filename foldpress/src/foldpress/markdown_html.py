"""HTML from a Markdown document's events: what pulldown-cmark's own HTML writer does,
plus Pygments highlighting, MathML, heading ids and footnotes numbered as cited."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote

from foldpress.highlight import HIGHLIGHT_CLASS, highlight_spans
from foldpress.mathjax_tex import with_macros
from foldpress.mathml import MathError, convert_formula

if TYPE_CHECKING:
    from foldpress.markdown import Document, Event

HEADING_ID_LEVELS = (2, 3, 4)  # h1 is the page's title; deeper ones are rarely linked to
MathErrors = Literal["error", "warn"]  # what a formula that cannot be converted is


def escape(text: str) -> str:
    """Text as HTML: ``& < > "`` escaped, as CommonMark renderers do."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if '"' in text:
        text = text.replace('"', "&quot;")
    return text


_HREF_SAFE = "!#$%&'()*+,-./:;=?@_~"  # with letters and digits: kept as they are
_HREF_UNSAFE = re.compile(r"[^\w!#$%&'()*+,\-./:;=?@~]|%(?![0-9A-Fa-f]{2})", re.ASCII)
_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def escape_href(url: str) -> str:
    """A link destination as an attribute: percent-encoded as CommonMark's reference
    implementation does (keeping existing ``%XX``), then HTML-escaped."""
    if _HREF_UNSAFE.search(url):
        url = quote(_LONE_PERCENT.sub("%25", url), safe=_HREF_SAFE)
    return escape(url)


def code_block(code: str, language: str) -> str:
    """A fenced or indented block: highlighted when Pygments knows its language."""
    spans = highlight_spans(code, language)
    if spans is None:
        attribute = f' class="language-{escape(language)}"' if language else ""
        return f"<pre><code{attribute}>{escape(code)}</code></pre>\n"
    return (
        f'<pre class="{HIGHLIGHT_CLASS}"><code class="language-{escape(language)}">'
        f"{spans}</code></pre>\n"
    )


def slugify(title: str) -> str:
    """A heading's id, as GitHub makes them: lower case, spaces to ``-``, punctuation gone."""
    return re.sub(r"[^\w\u4e00-\u9fff\- ]", "", title.lower().replace(" ", "-"))


# Tags that need nothing but their names.
_START = {
    "Emphasis": "<em>",
    "Strong": "<strong>",
    "Strikethrough": "<del>",
    "Item": "<li>",
}
_END = {
    "Paragraph": "</p>\n",
    "Emphasis": "</em>",
    "Strong": "</strong>",
    "Strikethrough": "</del>",
    "Link": "</a>",
    "Item": "</li>\n",
    "TableRow": "</tr>\n",
    "HtmlBlock": "",
}
_ALIGN = {"None": "", "Left": ' style="text-align:left"', "Center": ' style="text-align:center"'}
_ALIGN["Right"] = ' style="text-align:right"'


class HtmlWriter:
    """Writes one rendering of a document: its events, then the footnotes they cite."""

    def __init__(
        self,
        doc: Document,
        doc_id: str,
        heading_ids: bool,
        errors: list[tuple[int, str]] | None,
        warnings: list[tuple[int, str]] | None = None,
        math_errors: MathErrors = "error",
    ) -> None:
        self.doc = doc
        self.events = doc.events
        self.out: list[str] = []
        self.note_prefix = f"-{doc_id}-" if doc_id else ""
        self.heading_ids = heading_ids
        self.slugs: set[str] = set()
        self.errors = errors
        self.warnings = warnings
        self.math_errors = math_errors
        self.cited: dict[str, int] = {}  # footnote label: times cited so far, in order
        self.aligns: tuple[str, ...] = ()
        self.cell = 0
        self.in_head = False
        self.table_body_due = False  # a table's first body row opens its <tbody>

    def write(self, i: int, stop: int) -> None:
        events, out = self.events, self.out
        append = out.append
        while i < stop:
            event, span = events[i]
            i += 1
            if type(event) is str:
                if event == "SoftBreak":
                    append("\n")
                elif event == "HardBreak":
                    append("<br />\n")
                elif event == "Rule":
                    self._newline()
                    append("<hr />\n")
                continue
            [(kind, value)] = event.items()
            if kind == "Text":
                append(escape(value))
            elif kind == "Start":
                i = self._start(value, i)
            elif kind == "End":
                end = _END.get(value) if type(value) is str else None
                if end is None:
                    append(self._end(value))
                elif end:  # an HTML block's end writes nothing
                    append(end)
            elif kind == "Code":
                append(f"<code>{escape(value)}</code>")
            elif kind == "Html" or kind == "InlineHtml":
                append(value)
            elif kind == "InlineMath":
                append(self._math(value, False, span))
            elif kind == "DisplayMath":
                append(self._math(value, True, span))
            elif kind == "FootnoteReference":
                append(self._reference(value))
            else:  # "TaskListMarker" and the like, of options not enabled
                raise ValueError(f"unexpected Markdown event {event!r}")

    def _start(self, tag: Any, i: int) -> int:
        """Write a start tag; return the index of the next event to write."""
        out = self.out
        if type(tag) is str:
            if tag == "Paragraph":
                event = self.events[i][0]
                if (
                    type(event) is dict
                    and "DisplayMath" in event
                    and self.events[i + 1][0] == {"End": "Paragraph"}
                ):  # a formula on its own
                    self._newline()
                    math = self._math(event["DisplayMath"], True, self.events[i][1])
                    out.append(f'<div class="math-display">{math}</div>\n')
                    return i + 2
                self._newline()
                out.append("<p>")
            elif tag in _START:
                if tag == "Item":
                    self._newline()
                out.append(_START[tag])
            elif tag == "TableRow":
                self._newline()
                if self.table_body_due:
                    out.append("<tbody>\n")
                    self.table_body_due = False
                out.append("<tr>\n")
                self.cell = 0
            elif tag == "TableHead":
                self.in_head, self.cell = True, 0
                out.append("<thead>\n<tr>\n")
            elif tag == "TableCell":
                cell = "th" if self.in_head else "td"
                align = self.aligns[self.cell] if self.cell < len(self.aligns) else "None"
                out.append(f"<{cell}{_ALIGN[align]}>")
                self.cell += 1
            elif tag == "HtmlBlock":
                self._newline()
            else:
                raise ValueError(f"unexpected Markdown tag {tag!r}")
            return i
        [(name, value)] = tag.items()
        if name == "Link":
            href = value["dest_url"]
            if value["link_type"] == "Email":
                href = "mailto:" + href
            title = f' title="{escape(value["title"])}"' if value["title"] else ""
            out.append(f'<a href="{escape_href(href)}"{title}>')
        elif name == "Heading":
            return self._heading(int(value["level"][1]), i)
        elif name == "CodeBlock":
            return self._code_block(value, i)
        elif name == "Image":
            return self._image(value, i)
        elif name == "List":
            self._newline()
            if value is None:
                out.append("<ul>\n")
            else:
                out.append("<ol>\n" if value == 1 else f'<ol start="{value}">\n')
        elif name == "BlockQuote":
            self._newline()
            out.append("<blockquote>\n")
        elif name == "Table":
            self._newline()
            self.aligns, self.table_body_due = value, True
            out.append("<table>\n")
        elif name == "FootnoteDefinition":
            _, i = self._inner(i)  # written at the end, by write_footnotes
        else:
            raise ValueError(f"unexpected Markdown tag {tag!r}")
        return i

    def _end(self, tag: object) -> str:
        if tag == "TableHead":
            self.in_head = False
            return "</tr>\n</thead>\n"
        if tag == "Table":
            return "</table>\n" if self.table_body_due else "</tbody>\n</table>\n"
        if type(tag) is dict and "BlockQuote" in tag:
            return "</blockquote>\n"
        if type(tag) is dict and "List" in tag:
            return "</ol>\n" if tag["List"] else "</ul>\n"
        if tag == "TableCell":
            return "</th>\n" if self.in_head else "</td>\n"
        raise ValueError(f"unexpected Markdown end tag {tag!r}")

    def _newline(self) -> None:
        # Block tags start on a line of their own, as in CommonMark's reference output.
        if self.out and not self.out[-1].endswith("\n"):
            self.out.append("\n")

    def _inner(self, i: int) -> tuple[list[Event], int]:
        """The events from ``i`` up to the one that closes the element started just
        before, and the index after that one."""
        depth, j = 1, i
        while True:
            event = self.events[j][0]
            j += 1
            if type(event) is dict:
                if "Start" in event:
                    depth += 1
                elif "End" in event:
                    depth -= 1
                    if not depth:
                        return self.events[i : j - 1], j

    def _heading(self, level: int, i: int) -> int:
        inner, after = self._inner(i)
        attribute = ""
        if self.heading_ids and level in HEADING_ID_LEVELS:
            title = "".join(
                e.get("Text") or e.get("Code") or "" for e, _ in inner if type(e) is dict
            )
            slug = base = slugify(title)
            n = 1
            while slug in self.slugs:
                slug, n = f"{base}-{n}", n + 1
            self.slugs.add(slug)
            attribute = f' id="{escape(slug)}"'
        self._newline()
        self.out.append(f"<h{level}{attribute}>")
        self.write(i, after - 1)
        self.out.append(f"</h{level}>\n")
        return after

    def _code_block(self, kind: Any, i: int) -> int:
        inner, after = self._inner(i)
        html = self.doc.code_html.get(i)
        if html is None:
            code = "".join(e["Text"] for e, _ in inner)
            info = kind["Fenced"] if type(kind) is dict else ""
            html = code_block(code, info.split()[0] if info.strip() else "")
            self.doc.code_html[i] = html
        self._newline()
        self.out.append(html)
        return after

    def _image(self, value: dict, i: int) -> int:
        inner, after = self._inner(i)
        alt = []
        for event, _ in inner:
            if type(event) is dict:
                [(kind, text)] = event.items()
                if kind in ("Text", "Code", "InlineMath", "DisplayMath"):
                    alt.append(escape(text))
            elif event in ("SoftBreak", "HardBreak"):
                alt.append(" ")
        title = f' title="{escape(value["title"])}"' if value["title"] else ""
        src = escape_href(value["dest_url"])
        self.out.append(f'<img src="{src}" alt="{"".join(alt)}"{title} />')
        return after

    def _math(self, latex: str, display: bool, span: dict[str, int]) -> str:
        latex = latex.strip()
        tex = with_macros(latex, self.doc.macros)
        if not tex:
            return ""  # definitions only: they show nothing
        try:
            mathml, read_as = convert_formula(tex, display)
        except MathError as error:
            problem = f"broken LaTeX in ${latex}$: {error}"
            if self.math_errors == "warn":
                self._report(self.warnings, span, f"{problem}; shown as its source")
                return f'<code class="math-error">{escape(latex)}</code>'
            self._report(self.errors, span, problem)
            return f"<code>{escape(latex)}</code>"
        if read_as is not None:
            message = (
                f"Markdown-escaped LaTeX ${latex}$ was read as ${read_as}$: "
                "write it that way (one level of backslash escapes less)"
            )
            self._report(self.warnings, span, message)
        return mathml

    def _report(self, to: list[tuple[int, str]] | None, span: dict[str, int], message: str) -> None:
        if to is not None:
            to.append((self.doc.line(span["start"]), message))

    def _reference(self, label: str) -> str:
        key = label.casefold()
        if key not in self.doc.outline.footnotes:  # the parser makes these only for defined notes
            return escape(f"[^{label}]")
        count = self.cited.get(key, 0)
        self.cited[key] = count + 1
        n = list(self.cited).index(key) + 1
        ref_id = f"fnref{self.note_prefix}{n}" + (f":{count}" if count else "")
        shown = f"{n}:{count}" if count else f"{n}"
        return (
            f'<sup class="footnote-ref"><a href="#fn{self.note_prefix}{n}" '
            f'id="{escape(ref_id)}">[{shown}]</a></sup>'
        )

    def write_footnotes(self) -> None:
        """The notes cited so far, numbered as cited, each with links back to its
        citations; a note may cite further notes, which follow it."""
        if not self.cited:
            return
        out, prefix = self.out, self.note_prefix
        self._newline()
        out.append(
            '<hr class="footnotes-sep" />\n<section class="footnotes">\n'
            '<ol class="footnotes-list">\n'
        )
        done = 0
        while done < len(self.cited):
            key = list(self.cited)[done]
            done += 1
            start, end = self.doc.outline.footnotes[key]
            out.append(f'<li id="fn{escape(prefix)}{done}" class="footnote-item">')
            mark = len(out)
            self.write(start + 1, end)
            backrefs = " ".join(
                f'<a href="#fnref{escape(prefix)}{done}{f":{k}" if k else ""}"'
                ' class="footnote-backref">\u21a9\ufe0e</a>'
                for k in range(self.cited[key])
            )
            if len(out) > mark and out[-1] == "</p>\n":
                out.insert(len(out) - 1, " " + backrefs)
            else:
                out.append(backrefs)
            out.append("</li>\n")
        out.append("</ol>\n</section>\n")
