"""The output writers, run in this order by the build (``WRITERS``).

Each is a module with ``write(index: SiteIndex, out, env: jinja2.Environment)`` that
puts its files in ``out`` (an OutputFolder, or a Path to make one of) with
``out.file(path, key, render)``, and reads nothing but its arguments.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from types import ModuleType

    WRITERS: list[ModuleType]


def __getattr__(name: str) -> object:
    # The writers, and Jinja2 with them, are imported on first use rather than with
    # the package: a cold build imports them while its workers render the posts.
    if name != "WRITERS":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from foldpress.outputs import (
        feeds,
        html,
        llms,
        markdown_copies,
        old_addresses,
        redirects,
        search,
        sitemap,
        static,
    )

    writers = [html, static, redirects, feeds, llms, markdown_copies, search, sitemap]
    writers.append(old_addresses)  # last: where the site answers an old address, it wins
    globals()["WRITERS"] = writers
    return writers
