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
from foldpress.remember import PerPost
from foldpress.search import INDEX_VERSION, index_words_json, search_entry


def write(index: SiteIndex, out: Path | OutputFolder, env: jinja2.Environment) -> None:
    """Write ``search/index.json``."""
    if not index.config.search:
        return
    out = OutputFolder.of(out)
    out.file("search/index.json", functools.partial(index_json, index.config, index.posts))


def index_json(config: SiteConfig, posts: list[Post]) -> str:
    """The index as ``search_index`` makes it, in JSON: each post's entry written once
    and kept for the next build in memory (the words are kept by ``search``)."""
    entries = ",".join(_ENTRIES(posts, config))
    words = index_words_json(posts)
    return f'{{"version":{INDEX_VERSION},"posts":[{entries}],"words":{words}}}'


def _entry(post: Post, config: SiteConfig) -> str:
    return _json(search_entry(post, post_markdown(post, config).summary_line))


_ENTRIES = PerPost(_entry)
_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
