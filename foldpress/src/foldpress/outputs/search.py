"""``/search/index.json``: the index that the search page's script loads.

Written unless ``search = false`` in site.toml (the page itself is one of the HTML
pages). It is made again when the index it is made from changes.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import jinja2

from foldpress.config import SiteConfig
from foldpress.model import Post, SiteIndex
from foldpress.outputs._markdown import post_markdown
from foldpress.outputs.folder import OutputFolder
from foldpress.search import search_index


def write(index: SiteIndex, out: Path | OutputFolder, env: jinja2.Environment) -> None:
    """Write ``search/index.json``."""
    if not index.config.search:
        return
    out = OutputFolder.of(out)
    out.file("search/index.json", functools.partial(index_json, index.config, index.posts))


def index_json(config: SiteConfig, posts: list[Post]) -> str:
    summaries = [post_markdown(post, config).summary_line for post in posts]
    data = search_index(posts, summaries)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
