"""Hugo's settings where Hugo keeps them: a root ``hugo.*`` or ``config.*`` file
(TOML, YAML or JSON) and the config directory, ``config/_default/`` overridden by
``config/production/`` (what ``hugo`` builds by default). In the directory a file's
name is its key (``params.toml`` holds ``params``; ``languages.en.toml`` the ``en``
language; ``menus.en.toml`` that language's menus); ``hugo.*`` and ``config.*``
hold the top level. Keys are case-blind in Hugo, so they are lowercased here.

A multilingual site brings its default language: that language's settings override
the top level's, and its content is imported; the others are reported.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import yaml

FORMATS = (".toml", ".yaml", ".yml", ".json")
ROOT_NAMES = ("hugo", "config")
ROOT_FILES = tuple(f"{name}{suffix}" for name in ROOT_NAMES for suffix in FORMATS)
# Hugo builds for the production environment unless told otherwise.
CONFIG_DIRS = ("config/_default", "config/production")
CONFIG_FILES = ROOT_FILES + tuple(f"{CONFIG_DIRS[0]}/{name}" for name in ROOT_FILES)
ConfigErrors = (ValueError, yaml.YAMLError, tomllib.TOMLDecodeError, OSError)


def read_config(path: Path) -> dict:
    """A Hugo config file as data, its keys lowercased (Hugo's keys are case-blind)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        data = tomllib.loads(text)
    elif path.suffix == ".json":
        data = json.loads(text)
    else:
        data = yaml.safe_load(text) or {}
    lowered = lower_keys(data)
    return lowered if isinstance(lowered, dict) else {}


def lower_keys(value: object) -> object:
    if isinstance(value, dict):
        return {str(k).lower(): lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [lower_keys(v) for v in value]
    return value


def config_files(src: Path) -> list[Path]:
    """Every settings file of the site, in the order Hugo merges them."""
    files = [src / name for name in ROOT_FILES if (src / name).is_file()][:1]
    for folder in CONFIG_DIRS:
        if (src / folder).is_dir():
            files += sorted(p for p in (src / folder).iterdir() if p.suffix in FORMATS)
    return files


def read_config_tree(src: Path, problems: list[tuple[Path, str]]) -> dict:
    """The site's settings, merged; each file that cannot be read is added to
    ``problems`` and left out."""
    config: dict = {}
    for path in config_files(src):
        try:
            data = read_config(path)
        except ConfigErrors as error:
            problems.append((path, f"not read: {error}"))
            continue
        parts = path.stem.lower().split(".")
        if path.parent == src or parts[0] in ROOT_NAMES:
            merge(config, data)
        elif parts[0] == "languages" and len(parts) == 2:
            merge(config, {"languages": {parts[1]: data}})
        elif len(parts) == 2:  # menus.en.toml, params.en.toml: one language's
            merge(config, {"languages": {parts[1]: {parts[0]: data}}})
        else:
            merge(config, {parts[0]: data})
    return config


def merge(into: dict, data: dict) -> None:
    """``data`` merged into ``into``, tables key by key, the later value winning."""
    for key, value in data.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = value


def default_language(config: dict) -> tuple[str, list[str]]:
    """The site's default language and its other languages."""
    languages = config.get("languages") or {}
    default = str(config.get("defaultcontentlanguage") or "en").lower()
    others = sorted(str(lang) for lang in languages if str(lang).lower() != default)
    return default, others


def for_language(config: dict, language: str) -> dict:
    """The settings as the site has them in ``language``: its own override the rest."""
    own = (config.get("languages") or {}).get(language)
    if not isinstance(own, dict):
        return config
    merged: dict = {}
    merge(merged, config)
    merge(merged, own)
    return merged


def menu_entries(config: dict, front_matters: dict[str, dict]) -> tuple[list[str], list[str]]:
    """The main menu: the ``url`` and ``pageref`` of its entries in the settings, and
    the content files (keys of ``front_matters``) whose front matter puts them in it."""
    menus = config.get("menus") or config.get("menu") or {}
    main = menus.get("main") if isinstance(menus, dict) else None
    urls, refs = [], []
    for entry in main if isinstance(main, list) else []:
        if isinstance(entry, dict):
            if entry.get("url"):
                urls.append(str(entry["url"]))
            if entry.get("pageref"):
                refs.append(str(entry["pageref"]))
    for name, front in front_matters.items():
        menu = front.get("menu") or front.get("menus")
        if menu == "main" or (isinstance(menu, list | dict) and "main" in menu):
            refs.append(name)
    return urls, refs
