"""An old site's own shortcode and include templates, translated into foldpress shortcodes.

Hugo's shortcodes (``layouts/shortcodes/NAME.html``, Go templates) and Jekyll's includes
(``_includes/NAME.html``, Liquid) become ``templates/shortcodes/NAME.html`` (Jinja2).
Simple ones translate: Hugo's ``.Get "x"``, ``.Get 0``, ``.Inner``, ``.Page.Title``,
``with``, ``if``/``else if``/``else``, ``range``, ``$x :=`` and the common functions;
Liquid's ``include.x``, ``if``/``unless``/``for``/``assign`` and the common filters. A
template using anything else raises :class:`Untranslatable`, saying what.
"""

from __future__ import annotations

import re
import shlex


class Untranslatable(Exception):
    """A template construct with no translation here."""


# ---- Hugo (Go templates) -------------------------------------------------------------

_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.S)
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|`[^`]*`|\(|\)|\||:?=|,|[^\s()|,]+')
# Hugo functions: (number of arguments, how Jinja2 writes them).
_FUNCTIONS: dict[str, tuple[int, str]] = {
    "markdownify": (1, "({0}|markdownify)"),
    "safeHTML": (1, "({0}|safe)"),
    "safeHTMLAttr": (1, "({0}|safe)"),
    "safeURL": (1, "{0}"),
    "safeCSS": (1, "{0}"),
    "safeJS": (1, "{0}"),
    "htmlEscape": (1, "({0}|e)"),
    "plainify": (1, "({0}|striptags)"),
    "lower": (1, "({0}|lower)"),
    "upper": (1, "({0}|upper)"),
    "title": (1, "({0}|title)"),
    "urlize": (1, "({0}|lower|replace(' ', '-'))"),
    "relURL": (1, "{0}"),
    "absURL": (1, "{0}"),
    "relLangURL": (1, "{0}"),
    "absLangURL": (1, "{0}"),
    "len": (1, "({0}|length)"),
    "int": (1, "({0}|int)"),
    "string": (1, "({0}|string)"),
    "not": (1, "(not {0})"),
    "trim": (2, "({0}|trim)"),
    "default": (2, "({1} or {0})"),
    "replace": (3, "({0}|replace({1}, {2}))"),
    "split": (2, "({0}.split({1}))"),
    "index": (2, "({0}[{1}])"),
    "eq": (2, "({0} == {1})"),
    "ne": (2, "({0} != {1})"),
    "lt": (2, "({0} < {1})"),
    "le": (2, "({0} <= {1})"),
    "gt": (2, "({0} > {1})"),
    "ge": (2, "({0} >= {1})"),
    "and": (2, "({0} and {1})"),
    "or": (2, "({0} or {1})"),
    "in": (2, "({1} in {0})"),
}
_FIELDS = {
    ".Inner": "(inner or '')",
    ".InnerDeindent": "(inner or '')",
    ".Name": "name",
    ".IsNamedParams": "(args|length > 0)",
    ".Params": "(args or positional)",
    ".Page.Title": "page.title",
    ".Page.RelPermalink": "page.url",
    ".Page.Permalink": "page.url",
    ".Page.Date": "page.date",
    ".Site.Title": "site.title",
    "site.Title": "site.title",
    ".Site.BaseURL": "site.base_url",
    "site.BaseURL": "site.base_url",
    ".Site.LanguageCode": "site.language",
}


class _GoTranslator:
    def __init__(self) -> None:
        self.blocks: list[tuple[str, str]] = []  # open blocks: (kind, the dot inside)
        self.count = 0

    @property
    def dot(self) -> str:
        return self.blocks[-1][1] if self.blocks and self.blocks[-1][1] else ""

    def action(self, text: str) -> str:
        if text.startswith("/*"):
            return ""
        words = _TOKEN.findall(text)
        head = words[0] if words else ""
        if head == "if":
            self.blocks.append(("if", self.dot))
            return f"{{% if {self.pipeline(words[1:])} %}}"
        if head == "else" and words[1:2] == ["if"]:
            return f"{{% elif {self.pipeline(words[2:])} %}}"
        if head == "else" and len(words) == 1:
            return "{% else %}"
        if head == "with":
            value = self.pipeline(words[1:])
            self.count += 1
            name = f"with{self.count}"
            self.blocks.append(("with", name))
            return f"{{% with {name} = {value} %}}{{% if {name} %}}"
        if head == "range":
            return self.range(words[1:])
        if head == "end":
            if not self.blocks:
                raise Untranslatable("an {{ end }} that closes nothing")
            kind, _ = self.blocks.pop()
            return {"if": "{% endif %}", "with": "{% endif %}{% endwith %}"}.get(
                kind, "{% endfor %}"
            )
        if head.startswith("$") and len(words) > 2 and words[1] in (":=", "="):
            return f"{{% set {head[1:]} = {self.pipeline(words[2:])} %}}"
        if head in ("define", "template", "block", "partial", "return"):
            raise Untranslatable(f"{{{{ {head} }}}}")
        return "{{ " + self.pipeline(words) + " }}"

    def range(self, words: list[str]) -> str:
        if ":=" in words:
            at = words.index(":=")
            names = [w.strip("$") for w in words[:at] if w != ","]
            value = self.pipeline(words[at + 1 :])
            element = names[-1]
            self.blocks.append(("range", element))
            index = f"{{% set {names[0]} = loop.index0 %}}" if len(names) == 2 else ""
            return f"{{% for {element} in {value} %}}{index}"
        value = self.pipeline(words)
        self.count += 1
        name = f"item{self.count}"
        self.blocks.append(("range", name))
        return f"{{% for {name} in {value} %}}"

    def pipeline(self, words: list[str]) -> str:
        commands: list[list[str]] = [[]]
        depth = 0
        for word in words:
            depth += {"(": 1, ")": -1}.get(word, 0)
            if word == "|" and not depth:
                commands.append([])
            else:
                commands[-1].append(word)
        result = self.command(commands[0])
        for command in commands[1:]:
            if command[:1] == ["markdownify"] and result == "(inner or '')":
                continue  # the inner content is rendered already
            result = self.command(command, piped=result)
        return result

    def command(self, words: list[str], piped: str | None = None) -> str:
        if not words:
            raise Untranslatable("an empty command")
        terms = self.terms(words)
        head, args = terms[0], terms[1:] + ([piped] if piped is not None else [])
        if head in ("get", "$get"):
            if len(args) != 1:
                raise Untranslatable(".Get with other than one argument")
            return f"get({args[0]})"
        if head in _FUNCTIONS:
            count, form = _FUNCTIONS[head]
            if len(args) != count:
                raise Untranslatable(f"{head} with {len(args)} arguments")
            return form.format(*args)
        if head == "printf" and args:
            return f"({args[0]}|format({', '.join(args[1:])}))"
        if head == "isset" and len(args) == 2:
            return f"(get({args[1]}) is not none)"
        if args:
            raise Untranslatable(f"the function {head!r}")
        return head

    def terms(self, words: list[str]) -> list[str]:
        terms: list[str] = []
        i = 0
        while i < len(words):
            word = words[i]
            if word == "(":
                depth, j = 1, i + 1
                while j < len(words) and depth:
                    depth += {"(": 1, ")": -1}.get(words[j], 0)
                    j += 1
                terms.append("(" + self.pipeline(words[i + 1 : j - 1]) + ")")
                i = j
                continue
            terms.append(self.term(word))
            i += 1
        return terms

    def term(self, word: str) -> str:
        if word[:1] == '"' or re.fullmatch(r"-?\d+(\.\d+)?|true|false", word):
            return word
        if word[:1] == "`":
            return repr(word[1:-1])
        if word in (".Get", "$.Get"):
            return "get"
        bare = word.removeprefix("$")
        if word.startswith("$.") and ("." + bare[1:]) in _FIELDS:
            return _FIELDS["." + bare[1:]]
        if word in _FIELDS:
            return _FIELDS[word]
        if word.startswith(".Page.Params."):
            return f"page.extra.get({word.removeprefix('.Page.Params.').lower()!r})"
        if word == ".":
            if not self.dot:
                raise Untranslatable("'.' outside with or range")
            return self.dot
        if word.startswith(".") and self.dot and re.fullmatch(r"(\.\w+)+", word):
            return self.dot + word.lower()
        if re.fullmatch(r"\$\w+(\.\w+)*", word):
            return word[1:]
        if word in _FUNCTIONS or word in ("printf", "isset"):
            return word
        raise Untranslatable(word)


def translate_hugo(template: str) -> str:
    """A Hugo shortcode template as a foldpress one; raises Untranslatable."""
    translator = _GoTranslator()
    out: list[str] = []
    last = 0
    for match in _ACTION.finditer(template):
        out += [_text(template[last : match.start()]), translator.action(match.group(1))]
        last = match.end()
    out.append(_text(template[last:]))
    if translator.blocks:
        raise Untranslatable(f"an unclosed {{{{ {translator.blocks[-1][0]} }}}}")
    return "".join(out)


def _text(text: str) -> str:
    """Template text as Jinja2 shows it as it is."""
    return f"{{% raw %}}{text}{{% endraw %}}" if re.search(r"\{[%{#]", text) else text


# ---- Liquid (Jekyll's includes) ------------------------------------------------------

_LIQUID = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}|\{%-?\s*(.*?)\s*-?%\}", re.S)
_LIQUID_FILTERS = {
    "markdownify": "markdownify",
    "escape": "e",
    "strip": "trim",
    "downcase": "lower",
    "upcase": "upper",
    "size": "length",
    "strip_html": "striptags",
    "default": "default",
    "replace": "replace",
    "append": "__append",
    "prepend": "__prepend",
    "relative_url": "",
    "absolute_url": "",
}


def translate_liquid_include(template: str) -> str:
    """A Jekyll include as a foldpress shortcode; raises Untranslatable."""
    out: list[str] = []
    last = 0
    open_blocks: list[str] = []
    for match in _LIQUID.finditer(template):
        out.append(_text(template[last : match.start()]))
        last = match.end()
        if match.group(1) is not None:
            out.append("{{ " + _liquid_expression(match.group(1)) + " }}")
            continue
        words = match.group(2).split(None, 1)
        tag, rest = words[0], (words[1] if len(words) > 1 else "")
        if tag in ("if", "elsif", "unless"):
            condition = _liquid_condition(rest)
            if tag == "unless":
                condition = f"not ({condition})"
            if tag != "elsif":
                open_blocks.append("if")
            out.append(f"{{% {'elif' if tag == 'elsif' else 'if'} {condition} %}}")
        elif tag == "else":
            out.append("{% else %}")
        elif tag in ("endif", "endunless", "endfor"):
            if not open_blocks:
                raise Untranslatable(f"{{% {tag} %}} that closes nothing")
            out.append(f"{{% end{open_blocks.pop()} %}}")
        elif tag == "for":
            name, _, source = rest.partition(" in ")
            open_blocks.append("for")
            out.append(f"{{% for {name.strip()} in {_liquid_expression(source)} %}}")
        elif tag == "assign":
            name, _, value = rest.partition("=")
            out.append(f"{{% set {name.strip()} = {_liquid_expression(value)} %}}")
        elif tag == "comment":
            out.append("{#")
        elif tag == "endcomment":
            out.append("#}")
        else:
            raise Untranslatable(f"the Liquid tag {{% {tag} %}}")
    out.append(_text(template[last:]))
    if open_blocks:
        raise Untranslatable(f"an unclosed {{% {open_blocks[-1]} %}}")
    return "".join(out).replace("forloop.", "loop.")


def _liquid_condition(text: str) -> str:
    parts = re.split(r"\s+(and|or)\s+", text.strip())
    out = []
    for part in parts:
        if part in ("and", "or"):
            out.append(part)
            continue
        contains = re.fullmatch(r"(.+?)\s+contains\s+(.+)", part)
        if contains:
            out.append(
                f"({_liquid_value(contains.group(2))} in {_liquid_value(contains.group(1))})"
            )
        else:
            out.append(
                " ".join(
                    w if w in ("==", "!=", "<", ">", "<=", ">=") else _liquid_value(w)
                    for w in part.split()
                )
            )
    return " ".join(out)


def _liquid_expression(text: str) -> str:
    value, *filters = [f.strip() for f in text.split("|")]
    result = _liquid_value(value)
    for piece in filters:
        name, _, rest = piece.partition(":")
        name = name.strip()
        if name not in _LIQUID_FILTERS:
            raise Untranslatable(f"the Liquid filter {name!r}")
        args = [_liquid_value(a.strip()) for a in rest.split(",")] if rest.strip() else []
        ours = _LIQUID_FILTERS[name]
        if not ours:
            continue
        if ours == "__append":
            result = f"({result} ~ {args[0]})"
        elif ours == "__prepend":
            result = f"({args[0]} ~ {result})"
        else:
            result = f"({result}|{ours}{'(' + ', '.join(args) + ')' if args else ''})"
    return result


def _liquid_value(word: str) -> str:
    word = word.strip()
    if re.fullmatch(r"""(["']).*\1|-?\d+(\.\d+)?|true|false|nil""", word, re.S):
        return "none" if word == "nil" else word
    if word.startswith("include."):
        key, *rest = word.removeprefix("include.").split(".")
        return f"get({key!r})" + "".join(f".{r}" for r in rest)
    if word in ("page.title", "page.url", "page.date"):
        return word
    if word in ("site.baseurl", "site.url"):
        return "''" if word == "site.baseurl" else "site.base_url"
    if word == "site.title":
        return word
    if re.fullmatch(r"[a-z_]\w*(\.\w+)*", word) and not word.startswith(("site.", "page.")):
        return word.replace("forloop.", "loop.")
    raise Untranslatable(f"the value {word!r}")


def liquid_include_call(name: str, args: str) -> str | None:
    """``{% include NAME args %}`` as a call of the shortcode NAME (less ``.html``); None
    where an argument is a variable (``key=page.x``), which a call cannot carry."""
    if re.search(r"""[\w-]+=(?!["'])[A-Za-z_]""", args):
        return None
    try:
        words = shlex.split(args)
    except ValueError:
        return None
    named = []
    for word in words:
        key, equals, value = word.partition("=")
        if not equals or not re.fullmatch(r"[\w-]+", key):
            return None
        named.append(f'{key}="{value.replace(chr(34), chr(92) + chr(34))}"')
    if name.endswith((".md", ".markdown")):  # an include of Markdown: its output is Markdown
        return "{{% " + " ".join([shortcode_name(name), *named]) + " %}}"
    return "{{< " + " ".join([shortcode_name(name), *named]) + " >}}"


def shortcode_name(include: str) -> str:
    """The shortcode an include or a Hugo shortcode file becomes: its path, less the
    suffix, ``/`` written ``-``."""
    return re.sub(r"\.(html?|md|markdown)$", "", include).replace("/", "-")
