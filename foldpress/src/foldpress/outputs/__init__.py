"""The output writers, run in this order by the build.

Each is a module with ``write(index: SiteIndex, out_dir: Path, env: jinja2.Environment)``
that writes its files under ``out_dir`` and reads nothing but its arguments.
"""

from __future__ import annotations

from foldpress.outputs import feeds, html, llms, markdown_copies, sitemap, static

WRITERS = [html, static, feeds, llms, markdown_copies, sitemap]
