"""Jekyll sites (https://jekyllrb.com/docs/): ``_config.yml``, ``_posts/``, Markdown
pages, and every other file that Jekyll copies as it is.

Old addresses follow Jekyll's ``permalink`` setting (``date``, ``pretty``, ``ordinal``,
``none`` or a pattern of ``:year``, ``:title``, ``:categories``...), a post's or page's
own ``permalink``, and the ``redirect_from`` of jekyll-redirect-from. Liquid that Markdown
can say is converted, embeds become foldpress's shortcodes, includes are translated into
shortcodes of the site, kramdown's own syntax is written as Markdown and HTML; the rest is
reported and left in place.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

import yaml

from foldpress.importers import _kramdown as kramdown
from foldpress.importers._embeds import liquid_tag
from foldpress.importers._matter import has_front_matter, split
from foldpress.importers._shared import Content, OldSite, Report, old_address, usable_settings
from foldpress.importers._syntax import (
    fence,
    first_line_of,
    kramdown_math,
    rewrite,
    unescape_math,
)
from foldpress.importers._templates import (
    Untranslatable,
    liquid_include_call,
    shortcode_name,
    translate_liquid_include,
)
from foldpress.reader import MARKDOWN_SUFFIXES, to_datetime

CONFIG_FILES = ("_config.yml", "_config.yaml")

STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}
# What Jekyll leaves out of a site besides names starting with "_" or ".".
_EXCLUDED = {
    "Gemfile",
    "Gemfile.lock",
    "gemfiles",
    "node_modules",
    "vendor",
    "CHANGELOG.md",
    "README.md",
    "LICENSE",
    "LICENSE.md",
}
_FILE_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")


def read_site(src: Path, report: Report) -> OldSite:
    """Read the Jekyll site in ``src``."""
    config_path = next(src / name for name in CONFIG_FILES if (src / name).is_file())
    try:
        config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        report.note(config_path, None, f"not read: {error}")
        config = {}
    if not isinstance(config, dict):
        report.note(config_path, 1, "not read: it must be 'key: value' lines")
        config = {}
    author = config.get("author")
    settings = usable_settings(
        {
            "title": config.get("title"),
            "description": config.get("description"),
            "author": author.get("name") if isinstance(author, dict) else author,
            "base_url": _base_url(config),
            "timezone": config.get("timezone"),
            "language": config.get("lang"),
        },
        report,
        config_path,
    )
    tz = ZoneInfo(settings.get("timezone", "UTC"))
    style = str(config.get("permalink") or "date")
    pattern = STYLES.get(style, style)
    excluded = _EXCLUDED | {str(e).strip("/") for e in config.get("exclude") or []}
    separator = str(config.get("excerpt_separator") or "")

    site = OldSite(settings)
    by_path: dict[str, str] = {}  # the old site's file, as {% link %} names it -> its address
    by_name: dict[str, str] = {}  # a post's file name less its suffix -> its address
    found: list[tuple[Content, int]] = []
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        relative = PurePosixPath(path.relative_to(src).as_posix())
        parts = relative.parts
        if any(p in excluded for p in parts) or str(relative) in excluded:
            continue
        in_posts = "_posts" in parts[:-1]
        if parts[0] == "_drafts":
            report.skip(path, "a draft in _drafts/: not imported")
            continue
        if any(part.startswith(("_", ".")) for part in parts) and not in_posts:
            continue  # Jekyll's own folders (_layouts, _includes, ...) and hidden files
        text = _text(path)
        if text is None or not has_front_matter(text):
            if not in_posts:
                site.static[str(relative)] = path
            continue
        if path.suffix.lower() not in MARKDOWN_SUFFIXES:
            report.skip(path, "a Liquid template, not Markdown: not imported")
            continue
        try:
            matter = split(text)
        except ValueError as error:
            report.skip(path, str(error))
            continue
        front = matter.front
        if in_posts:
            item = _post(path, relative, front, pattern, tz, report)
        else:
            item = _page(path, relative, front, style, report)
        if item is None:
            continue
        item.body = matter.body
        by_path[str(relative)] = item.address
        if in_posts:
            by_name[relative.stem] = item.address
            by_name["/".join([*parts[: parts.index("_posts")], relative.stem])] = item.address
            # {% post_url folder/name %}, for a post in a folder under _posts/
            by_name["/".join([*parts[parts.index("_posts") + 1 : -1], relative.stem])] = (
                item.address
            )
        found.append((item, matter.body_line))

    links = _Links(by_path, by_name, settings.get("base_url", ""))
    plugin_blocks: set[str] = set()
    # Jekyll's source folder (Octopress: source/), where includes and code files are.
    source = src / str(config.get("source") or ".")
    code_dir = str(config.get("code_dir") or "downloads/code")
    links.code_dirs = [source / code_dir, src / "source" / code_dir]
    includes = str(config.get("includes_dir") or "_includes")
    candidates = [source / includes, src / includes]  # a source: folder made by a build step
    candidates += [p.parent / includes for p in sorted(src.glob("*/_posts"))]
    links.includes = next((c for c in candidates if c.is_dir()), None)
    links.report = report
    for item, body_line in found:
        body = _plugin_blocks(item.body, item.source, body_line, report, plugin_blocks)
        body = rewrite(
            body,
            _LIQUID,
            links.convert,
            source=item.source,
            first_line=body_line,
            report=report,
        )
        if separator.strip() and separator != "<!--more-->":  # after: lines reported stay right
            body = body.replace(separator, "\n<!--more-->\n", 1)
        body = kramdown.convert(body)
        item.body = unescape_math(kramdown_math(body))
        site.content.append(item)
    for name in sorted(plugin_blocks):
        site.templates[f"shortcodes/{name}.html"] = _PLUGIN_BLOCK_TEMPLATE
    for name, text in links.translated.items():
        if text is not None:
            site.templates[f"shortcodes/{shortcode_name(name)}.html"] = text
    posts = [item for item in site.content if item.kind == "post"]
    permalink = _foldpress_permalink(pattern, any(_categories(i.front) for i in posts))
    if permalink:
        site.settings["permalink"] = permalink
    return site


def _base_url(config: dict) -> str | None:
    url = str(config.get("url") or "").rstrip("/")
    if not url:
        return None
    return f"{url}/{str(config.get('baseurl') or '').strip('/')}".rstrip("/") + "/"


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return None


def _categories(front: dict) -> list[str]:
    names: list[str] = []
    for key in ("category", "categories"):
        value = front.get(key)
        if isinstance(value, str):
            names += [value] if key == "category" else value.split()
        elif isinstance(value, list):
            names += [str(v) for v in value]
    return names


def _post(
    path: Path,
    relative: PurePosixPath,
    front: dict,
    pattern: str,
    tz: ZoneInfo,
    report: Report,
) -> Content | None:
    named = _FILE_DATE.match(relative.stem)
    if not named:
        report.skip(path, "a post whose file name does not start with YYYY-MM-DD-: not imported")
        return None
    try:
        when = to_datetime(front["date"], tz) if "date" in front else None
    except ValueError:
        report.skip(path, f"a post with a date Jekyll cannot read either: {front['date']!r}")
        return None
    year, month, day = map(int, named.groups()[:3])
    when = when or datetime(year, month, day, tzinfo=tz)
    title_part = str(front.get("slug") or named.group(4))
    # Folders above _posts are categories too (blog/_posts/...).
    folders = list(relative.parts[: relative.parts.index("_posts")])
    categories = [c.lower() for c in dict.fromkeys([*folders, *_categories(front)])]
    own = front.pop("permalink", None)
    address = old_address(
        expand(str(own or pattern), when, title_part, categories, relative.stem, ".html")
    )
    if address is None:
        report.skip(path, f"its permalink {own or pattern!r} is not an address on this site")
        return None
    aliases = _redirects(path, front, report)
    return Content(
        "post", path, relative.name.rsplit(".", 1)[0] + ".md", front, "", address, aliases
    )


def _page(
    path: Path, relative: PurePosixPath, front: dict, style: str, report: Report
) -> Content | None:
    own = front.pop("permalink", None)
    if own:
        address = old_address(
            expand(str(own), None, relative.stem, [], relative.stem, ".html", str(relative))
        )
    elif relative.stem == "index":
        address = old_address("/" + str(relative.parent).strip("."))
    else:
        ext = "/" if style == "pretty" else ".html"
        address = old_address("/" + str(relative.with_suffix("")) + ext)
    if address in (None, "/"):
        report.skip(path, "the home page: foldpress makes its own front page")
        return None
    if "title" not in front:
        front["title"] = relative.stem.replace("-", " ").capitalize()
    aliases = _redirects(path, front, report)
    name = str(relative.with_suffix(".md"))
    return Content("page", path, name, front, "", address, aliases)


def _redirects(path: Path, front: dict, report: Report) -> list[str]:
    """The addresses in jekyll-redirect-from's ``redirect_from``."""
    found = []
    for old in _list(front.pop("redirect_from", None)):
        address = old_address("/" + old.lstrip("/"))
        if address is None:
            report.note(
                path, None, f"redirect_from {old!r} is not an address on this site: left out"
            )
        else:
            found.append(address)
    return found


def _list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def expand(
    pattern: str,
    when: datetime | None,
    title: str,
    categories: list[str],
    basename: str,
    output_ext: str,
    path: str = "",
) -> str:
    """A Jekyll permalink pattern filled in, as Jekyll's URL drop does."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    values = {
        "categories": "/".join(categories),
        "title": title,
        "slug": slug,
        "basename": basename,
        "output_ext": output_ext,
        "name": basename,
        "path": str(PurePosixPath(path).with_suffix("")) if path else "",
    }
    if when:
        values |= {
            "year": f"{when.year:04d}",
            "short_year": f"{when.year % 100:02d}",
            "month": f"{when.month:02d}",
            "i_month": str(when.month),
            "short_month": when.strftime("%b"),
            "long_month": when.strftime("%B"),
            "day": f"{when.day:02d}",
            "i_day": str(when.day),
            "y_day": f"{when.timetuple().tm_yday:03d}",
            "hour": f"{when.hour:02d}",
            "minute": f"{when.minute:02d}",
            "second": f"{when.second:02d}",
            "week": when.strftime("%V"),
            "short_day": when.strftime("%a"),
            "long_day": when.strftime("%A"),
        }
    filled = re.sub(r":(\w+)", lambda m: values.get(m.group(1), m.group()), pattern)
    return re.sub(r"/+", "/", filled)


def _foldpress_permalink(pattern: str, has_categories: bool) -> str | None:
    """Jekyll's permalink pattern as foldpress's, where foldpress can say it."""
    if not has_categories:
        pattern = pattern.replace("/:categories", "")
    words = {":year": "{year}", ":month": "{month}", ":day": "{day}", ":title": "{slug}"}
    words |= {":slug": "{slug}", ":output_ext": ".html"}
    for word, ours in words.items():
        pattern = pattern.replace(word, ours)
    return None if ":" in pattern or "{slug}" not in pattern else pattern


# Liquid: a raw block, a highlight block, a tag, an output.
_LIQUID = re.compile(
    r"(?P<raw>\{%-?\s*raw\s*-?%\}(?P<raw_text>.*?)\{%-?\s*endraw\s*-?%\})"
    r"|(?P<highlight>\{%-?\s*highlight\s+(?P<lang>[\w+#.-]+)[^%]*?-?%\}(?P<code>.*?)"
    r"\{%-?\s*endhighlight\s*-?%\})"
    r"|(?P<tag>\{%-?\s*(?P<name>\w+)\s*(?P<args>.*?)\s*-?%\})"
    r"|(?P<output>\{\{-?\s*(?P<expr>.*?)\s*-?\}\})",
    re.S,
)
_STRING_FILTER = re.compile(
    r"""^(?P<q>["'])(?P<path>[^"']*)(?P=q)\s*\|\s*(?P<filter>relative_url|absolute_url)$"""
)


class _Links:
    """Converts Liquid that names an address: post_url, link, site.baseurl and the
    URL filters."""

    def __init__(self, by_path: dict[str, str], by_name: dict[str, str], base_url: str) -> None:
        self.by_path = by_path
        self.by_name = by_name
        self.base_url = base_url.rstrip("/")
        self.code_dirs: list[Path] = []  # where {% include_code %} finds its files
        self.includes: Path | None = None  # the site's _includes/
        self.translated: dict[str, str | None] = {}  # include -> shortcode template, or None
        self.report: Report | None = None

    def include(self, argument: str) -> str | None:
        """``{% include NAME args %}`` as a call of NAME translated into a shortcode."""
        name, _, args = argument.partition(" ")
        path = self.includes / name if self.includes else None
        if (
            path is None
            or not path.is_file()
            or not path.resolve().is_relative_to(
                self.includes.resolve()  # type: ignore[union-attr]
            )
        ):
            return None
        if name not in self.translated:
            try:
                self.translated[name] = translate_liquid_include(path.read_text(encoding="utf-8"))
            except (Untranslatable, UnicodeDecodeError) as error:
                self.translated[name] = None
                if self.report:
                    self.report.note(path, None, f"include not translated: {error}")
        return liquid_include_call(name, args) if self.translated[name] is not None else None

    def convert(self, match: re.Match[str]) -> tuple[str | None, str]:
        if match.group("raw"):
            return match.group("raw_text"), ""
        if match.group("highlight"):
            return fence(match.group("lang"), match.group("code")), ""
        if match.group("tag"):
            name, argument = match.group("name"), match.group("args").strip()
            if name == "post_url":
                address = self.by_name.get(argument.strip("/").rsplit(".", 1)[0])
                return address, f"{{% post_url {argument} %}}: no such post"
            if name == "link":
                target = argument.strip("/")
                address = self.by_path.get(target) or ("/" + target if "." in target else None)
                return address, f"{{% link {argument} %}}: no such file"
            if name in ("include", "include_cached"):  # the second, jekyll-include-cache's
                call = self.include(argument)
                return call, f"Liquid tag {first_line_of(match.group())} not converted"
            embed = liquid_tag(name, argument, self.code_dirs)
            return embed, f"Liquid tag {first_line_of(match.group())} not converted"
        expr = match.group("expr")
        if expr == "site.baseurl":
            return "", ""
        if expr == "site.url":
            return self.base_url, ""
        url = _STRING_FILTER.match(expr)
        if url:
            path = "/" + url.group("path").lstrip("/")
            return (path if url.group("filter") == "relative_url" else self.base_url + path), ""
        return None, f"Liquid output {first_line_of(match.group())} not converted"


# A block tag of a site's own Ruby plugin ({% notice %}...{% endnotice %}): its Ruby
# cannot be translated, so it becomes a shortcode pair whose template shows the inner
# content and a caption or title argument; each call is reported.
_PLUGIN_BLOCK = re.compile(
    r"\{%-?\s*(?P<name>[A-Za-z_]\w*)(?P<args>(?:[^%]|%(?!\}))*?)-?%\}(?P<inner>.*?)\{%-?\s*end(?P=name)\s*-?%\}",
    re.S,
)
_LIQUID_BLOCKS = {
    "if",
    "unless",
    "for",
    "case",
    "capture",
    "comment",
    "raw",
    "highlight",
    "tablerow",
}
_PLUGIN_ARGUMENT = re.compile(r"""(?:^|\s)(\w+)\s*[:=]\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+))""")
_PLUGIN_BLOCK_TEMPLATE = (
    "{# a block tag of the old site's own plugin: its inner content and caption only #}\n"
    '<div class="{{ name }}">{{ inner or "" }}'
    '{% if args.get("caption") or args.get("title") %}'
    '<div class="caption">{{ (args.get("caption") or args.get("title"))|markdownify }}</div>'
    "{% endif %}</div>\n"
)


def _quoted(value: str) -> str:
    """A value as a shortcode argument writes it inside double quotes."""
    return re.sub(r'\\(?=")', "", value).replace('"', '\\"')


def _plugin_blocks(
    body: str, source: Path, first_line: int, report: Report, names: set[str]
) -> str:
    """``body`` with the block tags of the site's own plugins as shortcode pairs."""

    def pair(match: re.Match[str]) -> str:
        name = match.group("name")
        if name in _LIQUID_BLOCKS or "{% end" + name in match.group("inner"):
            return match.group()
        names.add(name)
        line = first_line + body.count("\n", 0, match.start())
        what = f"Liquid block {first_line_of(match.group())}: a plugin's tag"
        report.note(source, line, f"{what}, shown as its inner content and caption")
        values = {
            m.group(1): next(v for v in m.groups()[1:] if v is not None)
            for m in _PLUGIN_ARGUMENT.finditer(match.group("args"))
        }
        named = " ".join(f'{k}="{_quoted(v)}"' for k, v in values.items())
        inner = match.group("inner")
        return f"{{{{< {name} {named} >}}}}{inner}{{{{< /{name} >}}}}"

    return _PLUGIN_BLOCK.sub(pair, body)
