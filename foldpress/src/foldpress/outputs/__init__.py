"""The output writers, run in this order by the build.

Each is a module with ``write(index: SiteIndex, out, env: jinja2.Environment)`` that
puts its files in ``out`` (an OutputFolder, or a Path to make one of) with
``out.file(path, key, render)``, and reads nothing but its arguments.
"""

from __future__ import annotations

from foldpress.outputs import feeds, html, llms, markdown_copies, sitemap, static

WRITERS = [html, static, feeds, llms, markdown_copies, sitemap]
