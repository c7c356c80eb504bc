"""Old addresses: a redirect page at each, and ``/_redirects`` listing them all.

A post's or page's ``aliases`` (Hugo) or ``redirect_from`` (Jekyll) name addresses it
had before. Each gets a small HTML page that sends the browser on with a meta refresh,
tells search engines where the page lives now with a canonical link, and shows a plain
link for everyone else (no JavaScript), as Hugo's alias pages do. ``/_redirects`` says
the same to hosts that read it (Netlify, Cloudflare Pages), which answer with a real
301 instead. A ``_redirects`` of the site's own in ``static/`` is left as it is.

Runs after the HTML pages and static files, so that an old address which would
overwrite one of those is an error.
"""

from __future__ import annotations

import html
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

import jinja2

from foldpress.addresses import output_file
from foldpress.config import SiteConfig
from foldpress.model import Page, Post, SiteIndex
from foldpress.outputs.folder import OutputFolder
from foldpress.urls import site_url

REDIRECTS_FILE = "_redirects"


def write(index: SiteIndex, out: Path | OutputFolder, env: jinja2.Environment) -> None:
    """Write a redirect page at every old address, and ``_redirects``."""
    out = OutputFolder.of(out)
    config = index.config
    items: list[Post | Page] = [*index.posts, *index.pages]
    moves = [(alias, item.url, item.title, item.source) for item in items for alias in item.aliases]
    moves.sort()
    for alias, url, title, source in moves:  # OutputFolder reports a clash with any other file
        page = partial(redirect_page, url, title, config)
        out.file(output_file(alias), page, source)
    if moves and REDIRECTS_FILE not in out:
        pairs = [(alias, url) for alias, url, _, _ in moves]
        out.file(REDIRECTS_FILE, partial(redirects_file, pairs, config))


def redirect_page(url: str, title: str, config: SiteConfig) -> str:
    """A page that sends its reader to ``url``: meta refresh, canonical link, plain link."""
    target = html.escape(site_url(config, url))
    name = html.escape(title)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(config.language)}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        f"<title>{name}</title>\n"
        f'<link rel="canonical" href="{target}">\n'
        '<meta name="robots" content="noindex">\n'
        f'<meta http-equiv="refresh" content="0; url={target}">\n'
        "</head>\n"
        "<body>\n"
        f'<p>This page has moved to <a href="{target}">{name}</a>.</p>\n'
        "</body>\n"
        "</html>\n"
    )


def redirects_file(pairs: list[tuple[str, str]], config: SiteConfig) -> str:
    """``_redirects`` lines: ``OLD NEW 301``, paths under base_url's own path."""
    return "".join(f"{_path(old, config)} {_path(new, config)} 301\n" for old, new in pairs)


def _path(address: str, config: SiteConfig) -> str:
    return urlsplit(site_url(config, address)).path
