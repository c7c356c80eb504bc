"""Hugo sites (https://gohugo.io/documentation/): ``hugo.toml`` or ``config.toml|yaml|json``,
``content/``, page bundles and ``static/``.

Content with a date is a post, content without one a page. Old addresses follow
Hugo's rules: the file's path (a bundle's folder), ``slug``, ``url``, the ``permalinks``
setting and ``uglyURLs``; ``aliases`` are kept. Custom taxonomies become topics. The
shortcodes Markdown can say (highlight, figure, ref, relref, param) are converted; those
foldpress has too (youtube, gist, x...) stay calls; the site's own shortcode templates
are translated into foldpress ones (see ``_templates``); the rest are reported.
"""

from __future__ import annotations

import html
import json
import posixpath
import re
import tomllib
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Literal
from zoneinfo import ZoneInfo

import yaml

from foldpress.importers._matter import split
from foldpress.importers._shared import Content, OldSite, Report, old_address, usable_settings
from foldpress.importers._syntax import arguments, fence, first_line_of, rewrite, unescape_math
from foldpress.importers._templates import Untranslatable, shortcode_name, translate_hugo
from foldpress.reader import MARKDOWN_SUFFIXES, to_datetime
from foldpress.theme import THEME_DIR

CONFIG_FILES = (
    "hugo.toml",
    "hugo.yaml",
    "hugo.yml",
    "hugo.json",
    "config.toml",
    "config.yaml",
    "config.yml",
    "config.json",
)
_OTHER_FORMATS = (".html", ".htm", ".org", ".adoc", ".asciidoc", ".rst", ".pdc", ".ipynb")


def read_config(path: Path) -> dict:
    """A Hugo config file as data, its keys lowercased (Hugo's keys are case-blind)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        data = tomllib.loads(text)
    elif path.suffix == ".json":
        data = json.loads(text)
    else:
        data = yaml.safe_load(text) or {}
    lowered = _lower_keys(data)
    return lowered if isinstance(lowered, dict) else {}


def _lower_keys(value: object) -> object:
    if isinstance(value, dict):
        return {str(k).lower(): _lower_keys(v) for k, v in value.items()}
    return value


def read_site(src: Path, report: Report) -> OldSite:
    """Read the Hugo site in ``src``."""
    config_path = next(src / name for name in CONFIG_FILES if (src / name).is_file())
    try:
        config = read_config(config_path)
    except (ValueError, yaml.YAMLError, tomllib.TOMLDecodeError, OSError) as error:
        report.note(config_path, None, f"not read: {error}")
        config = {}
    params = config.get("params") or {}
    author = config.get("author") or params.get("author")
    settings = usable_settings(
        {
            "title": config.get("title"),
            "description": params.get("description"),
            "author": author.get("name") if isinstance(author, dict) else author,
            "base_url": config.get("baseurl"),
            "timezone": config.get("timezone"),
            "language": config.get("languagecode"),
        },
        report,
        config_path,
    )
    tz = ZoneInfo(str(settings.get("timezone", "UTC")))
    permalinks = config.get("permalinks") or {}
    permalinks = {**permalinks, **(permalinks.get("page") or {})}
    taxonomies = config.get("taxonomies") or {"tag": "tags", "category": "categories"}
    custom = [str(t).lower() for t in taxonomies.values() if t not in ("tags", "categories")]
    ugly = bool(config.get("uglyurls"))
    content_dir = src / str(config.get("contentdir") or "content")
    static_dir = src / str(config.get("staticdir") or "static")

    site = OldSite(settings)
    for path in _files(static_dir):
        site.static[path.relative_to(static_dir).as_posix()] = path
    found: list[tuple[Content, int]] = []
    refs: dict[str, str] = {}
    for path in _files(content_dir):
        relative = PurePosixPath(path.relative_to(content_dir).as_posix())
        suffix = path.suffix.lower()
        if suffix in _OTHER_FORMATS:
            report.skip(path, f"{suffix} content cannot be converted: not imported")
            continue
        if suffix not in MARKDOWN_SUFFIXES:
            continue  # a bundle's resource: copied with its page below
        try:
            matter = split(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as error:
            report.skip(path, str(error))
            continue
        front = _lower_keys(matter.front)
        assert isinstance(front, dict)
        item = _content(path, relative, front, permalinks, custom, ugly, tz, report)
        if item is None:
            continue
        item.body = matter.body
        found.append((item, matter.body_line))
        for key in _ref_keys(relative):
            refs.setdefault(key, item.address)
        if relative.stem == "index":  # a leaf bundle: its files go with it
            folder = path.parent
            for resource in _files(folder):
                if resource.suffix.lower() not in MARKDOWN_SUFFIXES:
                    where = resource.relative_to(folder).as_posix()
                    site.static[item.address.strip("/") + "/" + where] = resource

    own = _own_shortcodes(src, config, site, report)
    missing: set[str] = set()
    for item, body_line in found:
        shortcodes = _Shortcodes(refs, item.source.relative_to(content_dir).parent.as_posix())
        shortcodes.kept, shortcodes.missing = own | BUNDLED, missing
        own_params = item.front.get("params")
        shortcodes.params = {**params, **(own_params if isinstance(own_params, dict) else {})}
        shortcodes.params |= item.front
        body = rewrite(
            item.body,
            _SHORTCODE,
            shortcodes.convert,
            source=item.source,
            first_line=body_line,
            report=report,
        )
        item.body = unescape_math(body)
        site.content.append(item)
    for name in sorted(missing):
        why = "called in the old site, whose template is not in its folder (a theme's?)"
        site.templates[f"shortcodes/{name}.html"] = _placeholder_template(why)
    permalink = _foldpress_permalink(found, permalinks, ugly)
    if permalink:
        site.settings["permalink"] = permalink
    return site


def _foldpress_permalink(
    found: list[tuple[Content, int]], permalinks: dict, ugly: bool
) -> str | None:
    """The address pattern of the section with the most posts, as foldpress's
    ``permalink`` where foldpress can say it (posts it does not fit get ``url``)."""
    sections = [_section(item.name) for item, _ in found if item.kind == "post"]
    if not sections:
        return None
    section = max(set(sections), key=sections.count)
    pattern = str(permalinks.get(section) or f"/{section}/:slugorfilename/")
    if ugly and pattern.endswith("/"):
        pattern = pattern.rstrip("/") + ".html"
    words = {"year": "{year}", "month": "{month}", "day": "{day}", "section": section}
    for word in ("slugorfilename", "slugorcontentbasename", "filename", "slug"):
        words[word] = "{slug}"
    pattern = re.sub(r":(\w+)", lambda m: words.get(m.group(1), m.group()), pattern)
    return None if ":" in pattern or "{slug}" not in pattern else pattern


def _section(name: str) -> str:
    return name.split("/")[0] if "/" in name else ""


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def _ref_keys(relative: PurePosixPath) -> list[str]:
    """The names a ref or relref may give a content file by."""
    path = str(relative)
    keys = [path, str(relative.with_suffix("")), relative.name, relative.stem]
    if relative.stem in ("index", "_index"):
        keys += [str(relative.parent), relative.parent.name]
    return keys


def _content(
    path: Path,
    relative: PurePosixPath,
    front: dict,
    permalinks: dict,
    custom: list[str],
    ugly: bool,
    tz: ZoneInfo,
    report: Report,
) -> Content | None:
    if front.get("headless"):
        report.skip(path, "a headless bundle: Hugo does not publish it either")
        return None
    if "date" not in front and "publishdate" in front:
        front["date"] = front.pop("publishdate")
    when = None
    if "date" in front:
        try:
            when = to_datetime(front["date"], tz)
        except ValueError:
            report.skip(path, f"a date foldpress cannot read: {front['date']!r}")
            return None
    is_list = relative.stem == "_index"
    parts = (
        list(relative.parent.parts)
        if relative.stem in ("index", "_index")
        else [
            *relative.parent.parts,
            relative.stem,
        ]
    )
    section = relative.parts[0] if len(relative.parts) > 1 else ""
    given_url = front.pop("url", None)
    if given_url:
        address = old_address("/" + str(given_url).lstrip("/"))
    elif is_list:
        address = old_address("/" + "/".join(parts) + "/") if parts else "/"
    else:
        address = _address(front, parts, section, when, permalinks.get(section), ugly)
    if address is None:
        report.skip(path, f"its address {given_url!r} is not one on this site")
        return None
    if address == "/":
        report.skip(path, "the home page: foldpress makes its own front page")
        return None
    if is_list and not _has_text(path):
        report.skip(path, "a section's list page with no text of its own: not imported")
        return None
    topics = [str(v) for key in custom for v in _list(front.get(key))]
    if topics:
        front["topics"] = [*_list(front.get("topics")), *topics]
    aliases = []
    # A relative alias is relative to the folder that holds the page (Hugo 0.55 on).
    folder = posixpath.dirname(address.rstrip("/"))
    for alias in _list(front.pop("aliases", None)):
        absolute = alias if alias.startswith("/") else posixpath.join(folder, alias)
        normal = old_address(posixpath.normpath(absolute) + "/" * alias.endswith("/"))
        if normal is None:
            report.note(path, None, f"alias {alias!r} is not an address on this site: left out")
        else:
            aliases.append(normal)
    if "title" not in front:
        front["title"] = parts[-1].replace("-", " ").capitalize() if parts else "Home"
    kind: Literal["post", "page"] = "post" if when and not is_list else "page"
    name = "/".join(parts) + ".md"
    return Content(kind, path, name, front, "", address, aliases)


def _has_text(path: Path) -> bool:
    try:
        return bool(split(path.read_text(encoding="utf-8")).body.strip())
    except (ValueError, UnicodeDecodeError):
        return False


def _list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def urlize(text: str) -> str:
    """Hugo's urlize: spaces become hyphens, punctuation other than ``._-+~#/`` goes,
    lower case."""
    text = re.sub(r"\s+", "-", text.strip())
    return re.sub(r"[^\w.\-+~#/]", "", text).lower()


def _address(
    front: dict,
    parts: list[str],
    section: str,
    when: datetime | None,
    pattern: str | None,
    ugly: bool,
) -> str | None:
    slug = str(front.get("slug") or "")
    title = urlize(str(front.get("title") or ""))
    filename = parts[-1] if parts else ""
    if pattern and when:
        values = {
            "year": f"{when.year:04d}",
            "month": f"{when.month:02d}",
            "monthname": when.strftime("%B").lower(),
            "day": f"{when.day:02d}",
            "weekday": str(when.isoweekday() % 7),
            "weekdayname": when.strftime("%A").lower(),
            "yearday": str(when.timetuple().tm_yday),
            "section": section,
            "sections": "/".join(parts[:-1]),
            "title": title,
            "slug": urlize(slug) if slug else title,
            "filename": filename,
            "contentbasename": filename,
            "slugorfilename": urlize(slug) if slug else filename,
            "slugorcontentbasename": urlize(slug) if slug else filename,
        }
        filled = re.sub(r":(\w+)", lambda m: values.get(m.group(1), m.group()), pattern)
        if ":" not in filled:
            return old_address(filled + (".html" if ugly and filled.endswith("/") else ""))
    folder = "/".join(parts[:-1])
    last = urlize(slug) if slug else filename.lower()
    path = f"/{folder}/{last}" if folder else f"/{last}"
    return old_address(path + (".html" if ugly else "/"))


# A shortcode, written {{< name args >}} or {{% name args %}}; a highlight pair with its
# code; or a commented-out one, {{</* name */>}}, which Hugo shows as it is.
_SHORTCODE = re.compile(
    r"(?P<comment>\{\{(?P<open>[<%])/\*(?P<shown>.*?)\*/(?P=open)?[>%]\}\})"
    r"|(?P<highlight>\{\{[<%]\s*highlight\s+(?P<lang>[^\s>%]+)[^>%]*[>%]\}\}(?P<code>.*?)"
    r"\{\{[<%]\s*/highlight\s*[>%]\}\})"
    r"|(?P<shortcode>\{\{[<%]\s*(?P<name>/?[\w./-]+)(?P<args>.*?)\s*/?[>%]\}\})",
    re.S,
)


class _Shortcodes:
    """Converts the shortcodes Markdown can say: highlight, figure, ref and relref."""

    def __init__(self, refs: dict[str, str], folder: str) -> None:
        self.refs = refs
        self.folder = folder  # the content file's folder, for relative refs
        self.kept: set[str] = set()  # shortcodes foldpress has templates for
        self.params: dict[str, object] = {}  # what {{< param >}} reads: page's, then site's
        self.missing: set[str] = set()  # called, with no template (a theme not in the folder)

    def convert(self, match: re.Match[str]) -> tuple[str | None, str]:
        if match.group("comment"):  # foldpress reads {{</* */>}} as Hugo does
            return match.group(), ""
        if match.group("highlight"):
            return fence(match.group("lang"), match.group("code")), ""
        name = match.group("name")
        positional, named = arguments(match.group("args"))
        what = f"Hugo shortcode {first_line_of(match.group())} not converted"
        if name in ("ref", "relref"):
            target = named.get("path") or (positional[0] if positional else "")
            return self.ref(target), f"{what}: no such content"
        if name == "figure":
            return _figure(named), what
        if name == "param" and (named.get("name") or positional):
            value = self.params.get(str(named.get("name") or positional[0]).lower())
            return (None if value is None else str(value)), f"{what}: no such parameter"
        if name.lstrip("/") in self.kept:
            return match.group(), ""  # a foldpress shortcode of the same name takes it
        if re.fullmatch(r"/?[A-Za-z_][\w.-]*", name):
            self.missing.add(name.lstrip("/"))
            return None, f"{what}: no template for it here, so it shows its inner content only"
        return None, what

    def ref(self, target: str) -> str | None:
        path, hash_, anchor = target.partition("#")
        if not path:
            return "#" + anchor if anchor else None
        if path.startswith("/"):
            key = path.strip("/")
        else:
            joined = posixpath.normpath(posixpath.join(self.folder, path))
            key = joined if joined in self.refs else path.strip("/")
        address = self.refs.get(key) or self.refs.get(key.removesuffix(".md"))
        return address + hash_ + anchor if address else None


# The shortcodes the bundled theme has, which take Hugo's arguments.
BUNDLED = {p.stem for p in (THEME_DIR / "templates" / "shortcodes").glob("*.html")}


def _own_shortcodes(src: Path, config: dict, site: OldSite, report: Report) -> set[str]:
    """The names of the site's (and its theme's) shortcodes, each translated into a
    foldpress template in ``site.templates``; one that cannot be is reported, and
    becomes a template that shows its inner content only."""
    folders = [src / "layouts" / "shortcodes"]
    themes = config.get("theme") or []
    for theme in [themes] if isinstance(themes, str) else themes:
        folders.append(src / "themes" / str(theme) / "layouts" / "shortcodes")
    names: set[str] = set()
    for folder in folders:
        for path in sorted(folder.rglob("*.html")) if folder.is_dir() else []:
            name = shortcode_name(path.relative_to(folder).as_posix())
            if name in names:
                continue  # the site's own overrides its theme's
            names.add(name)
            try:
                text = translate_hugo(path.read_text(encoding="utf-8"))
            except (Untranslatable, UnicodeDecodeError) as error:
                report.note(path, None, f"shortcode template not translated: {error}")
                text = _placeholder_template(f"{path.name}: not translated from Hugo")
            site.templates[f"shortcodes/{name}.html"] = text
    return names


def _placeholder_template(why: str) -> str:
    """A template for a shortcode the import could not bring: its inner content only."""
    return f"{{# {why} #}}{{{{ inner or '' }}}}\n"


def _figure(named: dict[str, str]) -> str | None:
    src = named.get("src")
    if not src:
        return None
    attrs = f'src="{html.escape(src)}" alt="{html.escape(named.get("alt", ""))}"'
    for key in ("width", "height"):
        if key in named:
            attrs += f' {key}="{html.escape(named[key])}"'
    image = f"<img {attrs}>"
    if "link" in named:
        image = f'<a href="{html.escape(named["link"])}">{image}</a>'
    caption = named.get("caption") or named.get("title")
    if caption:
        image += f"<figcaption>{html.escape(caption)}</figcaption>"
    return f"<figure>{image}</figure>"
