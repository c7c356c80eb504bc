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
from functools import partial
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

import yaml

from foldpress.importers import _kramdown as kramdown
from foldpress.importers import _old_addresses as _old
from foldpress.importers._dates import old_date, other_dates
from foldpress.importers._embeds import liquid_tag
from foldpress.importers._matter import split
from foldpress.importers._not_found import flush_left, title_of
from foldpress.importers._shared import Content, OldSite, Report, old_address, usable_settings
from foldpress.importers._syntax import (
    fence,
    first_line_of,
    rewrite,
)
from foldpress.importers._templates import (
    Untranslatable,
    liquid_include_call,
    shortcode_name,
    translate_liquid_include,
)
from foldpress.reader import MARKDOWN_SUFFIXES

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
# Jekyll reads a file as a page or post only when it starts with a "---" line.
_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n")


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
    root = _source(src, config, config_path, report)  # the folder Jekyll reads the site from
    collections = _collections(config)
    site.engine_files = partial(_engine_file, root.relative_to(src), excluded, set(collections))
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = PurePosixPath(path.relative_to(root).as_posix())
        parts = relative.parts
        if any(p in excluded for p in parts) or str(relative) in excluded:
            continue
        in_posts = "_posts" in parts[:-1]
        collection = collections.get(parts[0]) if len(parts) > 1 else None
        if parts[0] == "_drafts":
            report.skip(path, "a draft in _drafts/: not imported")
            continue
        if any(part.startswith(("_", ".")) for part in parts) and not (in_posts or collection):
            continue  # Jekyll's own folders (_layouts, _includes, ...) and hidden files
        text = _text(path)
        if text is None or not _FRONT_MATTER.match(text):
            if not in_posts:
                site.static[str(relative)] = path
            else:
                report.skip(path, "a file in _posts without front matter: not a post")
            continue
        if path.suffix.lower() not in MARKDOWN_SUFFIXES and str(relative) != "404.html":
            report.skip(path, "a Liquid template, not Markdown: not imported")
            continue
        try:
            matter = split(text)
        except ValueError as error:
            report.skip(path, str(error))
            continue
        front = matter.front
        image = front.get("image")
        if isinstance(image, dict):  # Minimal Mistakes: {path:, feature:, ...}
            front["image"] = _image(image)
        if in_posts:
            item = _post(path, relative, front, pattern, tz, report)
        elif collection is not None:
            item = _document(path, relative, front, collection)
        else:
            item = _page(path, relative, front, style, report)
        if item is None:
            continue
        item.body = matter.body
        if path.suffix.lower() not in MARKDOWN_SUFFIXES:  # 404.html: HTML, read as such
            item.body = flush_left(item.body)
            item.front["title"] = title_of(item.body, str(item.front["title"]))
        by_path[str(relative)] = item.address
        if in_posts:
            by_name[relative.stem] = item.address
            by_name["/".join([*parts[: parts.index("_posts")], relative.stem])] = item.address
            inside = parts[parts.index("_posts") + 1 : -1]  # {% post_url /notes/2012-... %}
            by_name["/".join([*inside, relative.stem])] = item.address
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
        item.body = kramdown.convert(body)
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
    _keep_old_addresses(site, config, root)
    _menu(site, config, root, report)
    return site


def _menu(site: OldSite, config: dict, root: Path, report: Report) -> None:
    """Where the old site names its menu's pages (minima's ``header_pages``, or the
    ``main`` list of ``_data/navigation.yml`` as Minimal Mistakes has it), the other
    pages are left out of the new navigation (``nav: false``)."""
    pages = [item for item in site.content if item.kind == "page"]
    listed: set[str | None] = set()
    named = config.get("header_pages")
    if isinstance(named, list):
        sources = {item.source.relative_to(root).as_posix(): item.address for item in pages}
        listed |= {sources.get(str(name)) for name in named}
    navigation = root / "_data" / "navigation.yml"
    if navigation.is_file():
        try:
            data = yaml.safe_load(navigation.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as error:
            report.note(navigation, None, f"not read: {error}")
            data = {}
        main = data.get("main") if isinstance(data, dict) else None
        for entry in main if isinstance(main, list) else []:
            if isinstance(entry, dict) and entry.get("url"):
                listed.add(old_address("/" + str(entry["url"]).lstrip("/")))
    if not listed:
        return
    for item in pages:
        if item.address not in listed:
            item.front["nav"] = False


def _keep_old_addresses(site: OldSite, config: dict, root: Path) -> None:
    """jekyll-feed's feed (and a feed template of the site's own), jekyll-archives'
    tag and category pages, jekyll-paginate's pages, and the site's own listing pages
    (tags.html, archive.md...), which foldpress makes itself."""
    plugins = {str(p) for p in [*(config.get("plugins") or []), *(config.get("gems") or [])]}
    feeds = []
    if "jekyll-feed" in plugins:
        feed = config.get("feed") or {}
        feeds.append(str(feed.get("path") or "feed.xml") if isinstance(feed, dict) else "feed.xml")
    own = [p for p in sorted(root.iterdir()) if p.is_file() and _FRONT_MATTER.match(_text(p) or "")]
    feeds += ["/" + p.name for p in own if p.suffix == ".xml"]
    topics = []
    if "jekyll-archives" in plugins:
        archives = config.get("jekyll-archives") or {}
        links = archives.get("permalinks") or {} if isinstance(archives, dict) else {}
        for kind in ("tag", "category"):
            pattern = str(links.get(kind) or f"/{kind}/:name/")
            topics.append(pattern.replace(":name", "{slug}"))
    moved = {}
    for page in own:
        name = page.stem.lower()
        new = "/topics/" if "tag" in name or "categor" in name else None
        new = "/archive/" if "archive" in name else new
        if new:
            moved["/" + page.name] = new
            moved[f"/{page.stem}/"] = new
    per_page = config.get("paginate")
    _old.keep(
        site,
        feeds,
        topics,
        moved,
        per_page=per_page if type(per_page) is int else None,
        page_pattern=str(config.get("paginate_path") or "/page:num/").replace(":num", "{n}"),
    )


def _image(image: dict) -> str | None:
    """The picture a theme's ``image:`` table shows for the post."""
    for key in ("path", "feature", "teaser", "thumbnail", "og_image", "twitter"):
        if isinstance(image.get(key), str):
            return str(image[key])
    return next((v for v in image.values() if isinstance(v, str)), None)


def _source(src: Path, config: dict, config_path: Path, report: Report) -> Path:
    """The folder Jekyll builds from: ``source``, or where a build step that makes it
    (``source: .tmp/src``, copied there from ``src/``) takes it from."""
    given = str(config.get("source") or ".")
    if (src / given).is_dir():
        return src / given
    copied_from = src / Path(given).name
    if copied_from.is_dir() and copied_from != src:
        report.note(config_path, None, f"source {given} does not exist: {copied_from.name}/ read")
        return copied_from
    report.note(config_path, None, f"source {given} does not exist: the site's folder read")
    return src


def _collections(config: dict) -> dict[str, dict]:
    """The collections Jekyll writes pages for (``output: true``), by folder."""
    collections = config.get("collections") or {}
    if isinstance(collections, list):
        return {}  # listed without settings: not written
    return {
        f"_{name}": settings
        for name, settings in collections.items()
        if isinstance(settings, dict) and settings.get("output")
    }


def _document(path: Path, relative: PurePosixPath, front: dict, settings: dict) -> Content | None:
    """A document of a collection that Jekyll writes pages for, as a page at its address
    (the collection's ``permalink``, by default ``/:collection/:path:output_ext``)."""
    name = relative.parts[0].removeprefix("_")
    inside = PurePosixPath(*relative.parts[1:])
    pattern = str(front.pop("permalink", None) or settings.get("permalink") or "")
    pattern = STYLES.get(pattern, pattern) or "/:collection/:path:output_ext"
    title = str(front.get("slug") or inside.stem)
    filled = expand(pattern.replace(":collection", name), None, title, [], inside.stem, ".html",
                    str(inside))  # fmt: skip
    address = old_address(filled)
    if address is None:
        return None
    front.setdefault("title", inside.stem.replace("-", " ").capitalize())
    return Content("page", path, str(relative.with_suffix(".md")).lstrip("_"), front, "", address)


def _engine_file(
    root: Path, excluded: set[str], collections: set[str], relative: PurePosixPath
) -> str | None:
    """Why Jekyll does not publish the file at ``relative`` (in the old site), or None."""
    if root != Path(".") and not relative.is_relative_to(root.as_posix()):
        return f"outside {root}/, the folder Jekyll builds the site from"
    parts = relative.relative_to(root.as_posix()).parts
    if any(p in excluded for p in parts):
        return "excluded: Jekyll leaves it out of the site"
    if parts[0] in collections:
        return None  # a collection's page: published by Jekyll, so it must be accounted for
    if len(parts) == 1 and parts[0].startswith("_"):
        return "Jekyll's settings: not published"
    if any(part.startswith("_") for part in parts):
        return f"in {parts[0]}/: Jekyll's layouts, includes, data or plugins"
    return None


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
        when = None
        if "date" in front:
            when, front["date"] = old_date(front["date"], tz)
    except ValueError:
        report.skip(path, f"a post with a date Jekyll cannot read either: {front['date']!r}")
        return None
    for key in other_dates(front, tz):
        report.note(path, None, f"{key} is not a date Jekyll reads: left out")
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
    if str(relative.with_suffix("")) == "404" or address == "/404/":
        address = "/404.html"  # the old 404 page (GitHub Pages serves /404.html): the new one's
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
