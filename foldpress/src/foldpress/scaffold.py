"""``foldpress new`` and ``foldpress post``: start a site, start a post."""

from __future__ import annotations

import shutil
from datetime import datetime
from importlib import resources
from pathlib import Path

import yaml

from foldpress.slugs import slugify

STARTER = resources.files("foldpress") / "starter"
POST_BODY = "Write the intro here.\n\n<!--more-->\n\nAnd the rest of the post here.\n"


def create_site(target: Path, *, now: datetime) -> Path:
    """Make a working starter site in ``target`` (which must be missing or empty)."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FileExistsError(f"{target} already exists and is not empty")
    with resources.as_file(STARTER) as starter:
        shutil.copytree(
            starter, target, ignore=shutil.ignore_patterns("welcome.md"), dirs_exist_ok=True
        )
        body = (starter / "welcome.md").read_text(encoding="utf-8")
    return create_post(target, "Welcome to foldpress", now=now, topics=["Meta"], body=body)


def create_post(
    site_dir: Path,
    title: str,
    *,
    now: datetime,
    topics: list[str] | None = None,
    draft: bool = False,
    body: str = POST_BODY,
) -> Path:
    """Write ``posts/YYYY-MM-DD-slug.md`` with front matter; never overwrite a file."""
    slug = slugify(title)
    if not slug:
        raise ValueError(f"no letters or digits in the title {title!r} to make a URL from")
    when = now.replace(microsecond=0, tzinfo=None)  # read back in the site's timezone
    front = {"title": title, "date": when, "topics": topics or []}
    if draft:
        front["draft"] = True
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, default_flow_style=None)
    path = site_dir / "posts" / f"{now:%Y-%m-%d}-{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as f:
        f.write(f"---\n{header}---\n\n{body}")
    return path
