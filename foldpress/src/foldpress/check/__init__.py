"""``foldpress check``: every link, anchor and image of a site's Markdown, checked.

:mod:`.links` finds each link in the posts and pages with its file and line,
:mod:`.internal` checks those that point into the site against the built output, and
:mod:`.external` asks the servers of the others, remembering their answers.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from foldpress.cache import CACHE_DIR
from foldpress.check.external import Answer, Limits, check_external
from foldpress.check.internal import check_internal, is_internal
from foldpress.check.links import Link, site_links
from foldpress.config import SiteConfig
from foldpress.errors import ContentError, in_order

__all__ = ["Answer", "Limits", "Link", "check_links", "site_links"]


def check_links(
    site_dir: Path,
    config: SiteConfig,
    out_dir: Path,
    *,
    drafts: bool = False,
    external: bool = False,
    max_age: float = 7 * 86400,
    limits: Limits | None = None,
    on_answer: Callable[[int, int], None] | None = None,
) -> list[ContentError]:
    """Every broken link, anchor and image of the site's Markdown, as errors at their
    files and lines, in file order. ``out_dir`` is the built site the internal links are
    checked against; with ``external``, links to other sites are asked for too."""
    links, errors = _well_formed(site_links(site_dir, config, drafts=drafts))
    errors += check_internal(links, out_dir)
    if external:
        web = [link for link in links if _is_web(link)]
        answers = check_external(
            [link.url for link in web],
            site_dir / CACHE_DIR,
            max_age=max_age,
            limits=limits or Limits(),
            on_answer=on_answer,
        )
        for link in web:
            answer = answers[urldefrag(link.url).url]
            if not answer.ok:
                what = "image" if link.image else "link to"
                message = f"{what} {link.url} -- {answer.describe()}"
                errors.append(ContentError(link.source, link.line, message, link.cell))
    return in_order(errors)


def _well_formed(links: list[Link]) -> tuple[list[Link], list[ContentError]]:
    """The links whose URLs can be read, and an error for each of the others."""
    good, errors = [], []
    for link in links:
        try:
            urlsplit(link.url)
        except ValueError as error:  # e.g. "http://[oops": a host that is no address
            what = "image" if link.image else "link to"
            message = f"{what} {link.url} -- malformed URL ({error})"
            errors.append(ContentError(link.source, link.line, message, link.cell))
        else:
            good.append(link)
    return good, errors


def _is_web(link: Link) -> bool:
    return not is_internal(link.url) and link.url.lower().startswith(("http://", "https://"))
